"""Frozen pipeline dataclasses to JSON values and back, exactly (for the result cache).

The result cache (``scriptkeeper.cache.store``) stores what the per-file stage
produced (findings, :class:`~scriptkeeper.model.build.JobModel`, the
:class:`~scriptkeeper.model.build.LaunchStep` s) as JSON, never pickle: the cache
is a file in the user's repository and must not be able to run code.

A dataclass is written as the list of its field values, in field order;
each field is converted by its type annotation (tuples, optionals, nested
dataclasses, ``dict[str, ...]``). ``Any`` accepts JSON values only (no tuple,
set or object), so that decoding gives back an equal object. Decoding
checks every value against the annotation: anything else raises
:class:`CodecError` and the cache entry is discarded, never trusted.
A type the codec cannot represent raises :class:`CodecError` when the
plan for a class is built.
"""

from __future__ import annotations

import dataclasses
import operator
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar, Union

T = TypeVar("T")
_NONE = type(None)
_STR = {str}


class CodecError(Exception):
    """A value that does not fit its annotation, or a type the codec cannot represent."""


def _fail(what: str, value: Any) -> CodecError:
    return CodecError(f"expected {what}, got {type(value).__name__}")


class _Conv:
    """How one annotation is written and read.

    ``kinds`` is set when the value is stored as it is and only its type needs
    checking (a scalar, an optional scalar): the fast path for most fields.
    """

    def __init__(self, encode: Callable[[Any], Any], decode: Callable[[Any], Any],
                 kinds: tuple[type, ...] | None = None) -> None:
        self.encode = encode
        self.decode = decode
        self.kinds = kinds


def _checker(kinds: tuple[type, ...]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if type(value) not in kinds:
            raise _fail(" or ".join(k.__name__ for k in kinds), value)
        return value

    return check


def _simple(kinds: tuple[type, ...]) -> _Conv:
    check = _checker(kinds)
    return _Conv(check, check, kinds)


def _json_value(value: Any) -> Any:
    """A JSON-native value as is (for ``Any``); anything that would not round-trip fails."""
    kind = type(value)
    if value is None or kind in (str, int, float, bool):
        return value
    if kind is list:
        return [_json_value(v) for v in value]
    if kind is dict:
        if not all(type(k) is str for k in value):
            raise _fail("string keys", value)
        return {k: _json_value(v) for k, v in value.items()}
    raise _fail("a JSON value", value)


def _optional(inner: _Conv) -> _Conv:
    if inner.kinds is not None:
        return _simple((*inner.kinds, _NONE))
    enc, dec = inner.encode, inner.decode
    return _Conv(lambda v: None if v is None else enc(v), lambda v: None if v is None else dec(v))


def _sequence(inner: _Conv, out: Any) -> _Conv:
    enc, dec, kinds = inner.encode, inner.decode, inner.kinds

    def encode(value: Any) -> Any:
        if type(value) is not out:
            raise _fail(out.__name__, value)
        if kinds is not None and all(map(kinds.__contains__, map(type, value))):
            return list(value)
        return [enc(v) for v in value]

    def decode(value: Any) -> Any:
        if type(value) is not list:
            raise _fail("list", value)
        if kinds is not None:
            if not all(map(kinds.__contains__, map(type, value))):
                raise _fail("list of " + "/".join(k.__name__ for k in kinds), value)
            return value if out is list else out(value)
        return out(dec(v) for v in value)

    return _Conv(encode, decode)


def _fixed_tuple(parts: list[_Conv]) -> _Conv:
    def encode(value: Any) -> Any:
        if type(value) is not tuple or len(value) != len(parts):
            raise _fail(f"tuple of {len(parts)}", value)
        return [p.encode(v) for p, v in zip(parts, value, strict=True)]

    def decode(value: Any) -> Any:
        if type(value) is not list or len(value) != len(parts):
            raise _fail(f"list of {len(parts)}", value)
        return tuple(p.decode(v) for p, v in zip(parts, value, strict=True))

    return _Conv(encode, decode)


def _mapping(inner: _Conv) -> _Conv:
    enc, dec, kinds = inner.encode, inner.decode, inner.kinds

    def encode(value: Any) -> Any:
        if type(value) is not dict or not set(map(type, value)) <= _STR:
            raise _fail("dict with string keys", value)
        if kinds is not None and all(map(kinds.__contains__, map(type, value.values()))):
            return dict(value)
        return {k: enc(v) for k, v in value.items()}

    def decode(value: Any) -> Any:
        if type(value) is not dict:
            raise _fail("object", value)
        if kinds is not None:
            if not all(map(kinds.__contains__, map(type, value.values()))):
                raise _fail("object of " + "/".join(k.__name__ for k in kinds), value)
            return value
        return {k: dec(v) for k, v in value.items()}

    return _Conv(encode, decode)


def _converter(hint: Any) -> _Conv:
    if hint is Any:
        return _Conv(_json_value, _json_value)
    if hint is _NONE or hint in (str, int, float, bool):
        return _simple((hint,))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        plan = _plan(hint)
        return _Conv(plan.encode, plan.decode)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (Union, types.UnionType):
        rest = [a for a in args if a is not _NONE]
        if len(rest) == 1 and len(args) == 2:
            return _optional(_converter(rest[0]))
        raise CodecError(f"cannot store the union {hint}")
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return _sequence(_converter(args[0]), tuple)
        return _fixed_tuple([_converter(a) for a in args])
    if origin is list and len(args) == 1:
        return _sequence(_converter(args[0]), list)
    if origin is dict and len(args) == 2 and args[0] is str:
        return _mapping(_converter(args[1]))
    raise CodecError(f"cannot store a value of type {hint}")


def _dataclasses_in(hint: Any) -> list[type]:
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return [hint]
    return [c for arg in typing.get_args(hint) for c in _dataclasses_in(arg)]


class _Plan:
    """How to write and read one dataclass: a converter per stored field, in field order."""

    schema: str

    def __init__(self, cls: type, skip: frozenset[str]) -> None:
        self.cls = cls
        hints = typing.get_type_hints(cls)
        every = dataclasses.fields(cls)
        self.fields = [f.name for f in every if f.init and f.name not in skip]
        # Like pickle, fill __dict__ instead of calling __init__, when that gives the same
        # object: every field stored or given, no __post_init__, no slots.
        self.direct = (all(f.init for f in every) and not hasattr(cls, "__post_init__")
                       and "__slots__" not in vars(cls))
        converters = [_converter(hints[name]) for name in self.fields]
        simple = [i for i, c in enumerate(converters) if c.kinds is not None]
        self.simple_kinds = [k for c in converters if (k := c.kinds) is not None]
        self.simple_names = [self.fields[i] for i in simple]
        # the simple fields' values, as a tuple (itemgetter of one index gives a bare value)
        self.pick: Callable[[list[Any]], tuple[Any, ...]] = (
            operator.itemgetter(*simple) if len(simple) > 1
            else lambda args: tuple(args[i] for i in simple))
        self.complex = [(i, c.decode) for i, c in enumerate(converters) if c.kinds is None]
        self.complex_encoders = [(i, c.encode) for i, c in enumerate(converters)
                                 if c.kinds is None]
        names = self.fields
        getter = operator.attrgetter(*names) if len(names) > 1 else None
        self.values: Callable[[Any], list[Any]] = (
            (lambda obj: list(getter(obj))) if getter is not None
            else (lambda obj: [getattr(obj, n) for n in names]))
        nested = sorted({_plan(c).schema for name in self.fields
                         for c in _dataclasses_in(hints[name])})
        self.schema = f"{cls.__module__}.{cls.__qualname__}(" + ",".join(
            f"{name}:{hints[name]}" for name in self.fields) + ")" + "".join(
            "+" + n for n in nested)

    def _check_simple(self, values: list[Any]) -> None:
        picked = self.pick(values)
        if not all(map(tuple.__contains__, self.simple_kinds, map(type, picked))):
            for name, kinds, item in zip(self.simple_names, self.simple_kinds, picked,
                                         strict=False):
                if type(item) not in kinds:
                    raise _fail(f"{name} of type " + " or ".join(k.__name__ for k in kinds),
                                item)

    def encode(self, value: Any) -> list[Any]:
        if type(value) is not self.cls:
            raise _fail(self.cls.__name__, value)
        values = self.values(value)
        self._check_simple(values)
        for i, enc in self.complex_encoders:
            values[i] = enc(values[i])
        return values

    def decode(self, value: Any, given: dict[str, Any] | None = None) -> Any:
        if type(value) is not list or len(value) != len(self.fields):
            raise _fail(f"{self.cls.__name__} as a list of {len(self.fields)}", value)
        args = list(value)
        self._check_simple(args)
        for i, dec in self.complex:
            args[i] = dec(args[i])
        if self.direct:
            made: Any = object.__new__(self.cls)
            made.__dict__.update(zip(self.fields, args, strict=True))
            if given:
                made.__dict__.update(given)
            return made
        if given is None:
            return self.cls(*args)
        return self.cls(**dict(zip(self.fields, args, strict=True)), **given)


_PLANS: dict[tuple[type, frozenset[str]], _Plan] = {}


def _plan(cls: type, skip: frozenset[str] = frozenset()) -> _Plan:
    plan = _PLANS.get((cls, skip))
    if plan is None:
        plan = _PLANS[(cls, skip)] = _Plan(cls, skip)
    return plan


def encode(value: Any, skip: frozenset[str] = frozenset()) -> list[Any]:
    """``value`` (a dataclass instance) as a JSON-ready list, without the fields in ``skip``.

    Raises CodecError if a value cannot be stored exactly.
    """
    return _plan(type(value), skip).encode(value)


def decode(cls: type[T], value: Any, given: dict[str, Any] | None = None) -> T:
    """The instance of ``cls`` that :func:`encode` wrote as ``value``; CodecError otherwise.

    ``given`` supplies the fields that were skipped when encoding.
    """
    skip = frozenset(given) if given else frozenset()
    result: T = _plan(cls, skip).decode(value, given)
    return result


def schema(cls: type, skip: frozenset[str] = frozenset()) -> str:
    """A text naming every stored field and its type: a change means a new cache format."""
    return _plan(cls, skip).schema
