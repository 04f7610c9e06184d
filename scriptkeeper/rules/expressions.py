"""Rule conditions and message templates: a safe expression language (judge stage).

Conditions are Python-like expressions, parsed with :mod:`ast` and turned
into closures over a whitelist of node kinds (no ``eval``, no attribute
starting with ``_``, no calls but a few listed functions), evaluated over
the names ``job`` (:class:`~scriptkeeper.model.build.JobModel`), ``step``
(:class:`~scriptkeeper.model.build.LaunchStep`, for step rules), ``cluster``
(:class:`~scriptkeeper.model.cluster_profile.ClusterProfile` or None) and ``script``
(path and name): :mod:`scriptkeeper.rules.rule_fields` says what each has, and
docs/rules/fields.md lists it. Attribute names are checked when rules.yaml is loaded, so
a typo is a configuration error with a line, not a silent false.
Templates use ``{job.ntasks}``-style placeholders resolved the same way.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import operator
import re
from collections.abc import Callable, Sequence
from typing import Any

from scriptkeeper.rules.rule_fields import TYPES as _TYPES
from scriptkeeper.rules.rule_fields import readable as _attributes


class ExpressionError(Exception):
    pass


class RuleLimit(Exception):
    """A condition would build a value past what a rule may (see SIZE_MAX, INT_BITS_MAX)."""


# What one evaluation may build: a string, tuple or list of SIZE_MAX items, a number of
# INT_BITS_MAX bits. Conditions have no loops, comprehensions or powers (not in the
# whitelist), so repetition and products are the only way to grow past the rule's own text.
SIZE_MAX = 10_000
INT_BITS_MAX = 4096


def _mul(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        if a.bit_length() + b.bit_length() > INT_BITS_MAX:
            raise RuleLimit(f"a product past {INT_BITS_MAX} bits")
    elif isinstance(b, int) and isinstance(a, (str, bytes, tuple, list)):
        if len(a) * b > SIZE_MAX:
            raise RuleLimit(f"a repetition of {len(a)} x {b} items (at most {SIZE_MAX})")
    elif isinstance(a, int) and isinstance(b, (str, bytes, tuple, list)):
        return _mul(b, a)
    return operator.mul(a, b)


def _add(a: Any, b: Any) -> Any:
    if (isinstance(a, (str, bytes, tuple, list)) and isinstance(b, (str, bytes, tuple, list))
            and len(a) + len(b) > SIZE_MAX):
        raise RuleLimit(f"a concatenation of {len(a) + len(b)} items (at most {SIZE_MAX})")
    return operator.add(a, b)


_FUNCTIONS: dict[str, Any] = {
    "len": len, "min": min, "max": max, "any": any, "all": all, "int": int, "str": str,
    "abs": abs, "bool": bool,
}

def _names_for(scope: str) -> set[str]:
    extra = {"step"} if scope == "step" else {"fact"} if scope == "fact" else set()
    return {"job", "cluster", "script"} | extra


Evaluator = Callable[[dict[str, Any]], Any]

_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}
_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: _add, ast.Sub: operator.sub, ast.Mult: _mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
}
_UNARY: dict[type, Callable[[Any], Any]] = {
    ast.Not: operator.not_, ast.USub: operator.neg, ast.UAdd: operator.pos,
}
_CONSTANTS = {"True": True, "False": False, "None": None}


class _Compiler:
    """Turns a checked expression tree into nested closures.

    Only the node kinds below are accepted; anything else (comprehensions,
    lambdas, assignments, starred arguments, keyword calls) is an error when
    rules.yaml is loaded. Nothing is handed to Python's ``eval``/``compile``.
    """

    def __init__(self, scope: str) -> None:
        self.allowed = _names_for(scope)

    def build(self, node: ast.AST) -> Evaluator:
        if isinstance(node, ast.Constant):
            constant: Any = node.value
            return lambda names: constant
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.Attribute):
            return self._attribute(node)
        if isinstance(node, ast.BoolOp):
            parts = [self.build(v) for v in node.values]
            if isinstance(node.op, ast.And):
                def both(names: dict[str, Any]) -> Any:
                    result: Any = True
                    for part in parts:
                        result = part(names)
                        if not result:
                            return result
                    return result
                return both

            def either(names: dict[str, Any]) -> Any:
                result: Any = False
                for part in parts:
                    result = part(names)
                    if result:
                        return result
                return result
            return either
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            negated = self.build(node.operand)
            field = self._field(node.operand)
            if field is not None:  # ``not step.x``: one closure instead of two
                key, attr = field

                def not_field(names: dict[str, Any]) -> Any:
                    obj = names.get(key)
                    return obj is None or not getattr(obj, attr)
                return not_field
            return lambda names: not negated(names)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            unary, operand = _UNARY[type(node.op)], self.build(node.operand)
            return lambda names: unary(operand(names))
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            binary, left, right = _BINARY[type(node.op)], self.build(node.left), self.build(
                node.right)
            return lambda names: binary(left(names), right(names))
        if isinstance(node, ast.IfExp):
            test, body, orelse = self.build(node.test), self.build(node.body), self.build(
                node.orelse)
            return lambda names: body(names) if test(names) else orelse(names)
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            items = [self.build(e) for e in node.elts]
            kind: Callable[[Any], Any] = {ast.Tuple: tuple, ast.List: list,
                                          ast.Set: frozenset}[type(node)]
            return lambda names: kind(item(names) for item in items)
        if isinstance(node, ast.Subscript):
            container, index = self.build(node.value), self.build(node.slice)
            return lambda names: container(names)[index(names)]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            function = _FUNCTIONS.get(node.func.id)
            if function is None:
                raise ExpressionError(f"'{node.func.id}' is not a function you may call "
                                      f"(allowed: {', '.join(sorted(_FUNCTIONS))})")
            if any(isinstance(a, ast.Starred) for a in node.args):
                raise ExpressionError("starred arguments are not allowed")
            args = [self.build(a) for a in node.args]
            return lambda names: function(*(arg(names) for arg in args))
        raise ExpressionError(f"'{ast.unparse(node)}' is not allowed in a rule condition")

    def _name(self, name: str) -> Evaluator:
        if name in _CONSTANTS:
            constant = _CONSTANTS[name]
            return lambda names: constant
        if name in self.allowed:
            return lambda names: names.get(name)
        if name in _FUNCTIONS:
            raise ExpressionError(f"'{name}' is a function: call it, e.g. {name}(...)")
        raise ExpressionError(f"unknown name '{name}' (use: {', '.join(sorted(self.allowed))})")

    def _field(self, node: ast.AST) -> tuple[str, str] | None:
        """(name, attribute) of a checked ``name.attribute`` read straight from the names."""
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in self.allowed and node.value.id not in _CONSTANTS):
            return node.value.id, node.attr
        return None

    def _attribute(self, node: ast.Attribute) -> Evaluator:
        attr = node.attr
        if attr.startswith("_"):
            raise ExpressionError(f"'{attr}': names starting with '_' are not allowed")
        base = node.value
        if isinstance(base, ast.Name) and base.id in _TYPES:
            known = _attributes(_TYPES[base.id])
            if attr not in known:
                raise ExpressionError(f"'{base.id}' has no attribute '{attr}' (it has: "
                                      f"{', '.join(sorted(known))})")
        if isinstance(base, ast.Name) and base.id in self.allowed and base.id not in _CONSTANTS:
            key = base.id  # the common ``step.x``: one closure instead of two

            def get_named(names: dict[str, Any]) -> Any:
                obj = names.get(key)
                return None if obj is None else getattr(obj, attr)
            return get_named
        value = self.build(base)

        def get(names: dict[str, Any]) -> Any:
            obj = value(names)
            return None if obj is None else getattr(obj, attr)
        return get

    def _compare(self, node: ast.Compare) -> Evaluator:
        left = self.build(node.left)
        steps = []
        for op, right in zip(node.ops, node.comparators, strict=True):
            if type(op) not in _COMPARE:
                raise ExpressionError(f"comparison '{type(op).__name__}' is not allowed")
            steps.append((_COMPARE[type(op)], self.build(right)))
        if len(steps) == 1:
            function, right_side = steps[0]
            if isinstance(node.comparators[0], ast.Constant):
                constant: Any = node.comparators[0].value
                field = self._field(node.left)
                if field is not None:  # ``step.x > 0``: one closure instead of two
                    key, attr = field

                    def compare_field(names: dict[str, Any]) -> Any:
                        obj = names.get(key)
                        return bool(function(None if obj is None else getattr(obj, attr),
                                             constant))
                    return compare_field

                def compare_constant(names: dict[str, Any]) -> Any:
                    return bool(function(left(names), constant))
                return compare_constant

            def compare_one(names: dict[str, Any]) -> Any:
                return bool(function(left(names), right_side(names)))
            return compare_one

        def compare(names: dict[str, Any]) -> Any:
            current = left(names)
            for function, right_value in steps:
                nxt = right_value(names)
                if not function(current, nxt):
                    return False
                current = nxt
            return True
        return compare


# A condition's size: the longest built-in one is 145 characters and 7 levels deep. Past
# these, Python's own parser runs out of stack or memory before it says no.
TEXT_MAX = 4000
DEPTH_MAX = 60


def _depth(node: ast.AST) -> int:
    deepest, todo = 0, [(node, 1)]
    while todo:
        current, level = todo.pop()
        if level > DEPTH_MAX:
            return level
        deepest = max(deepest, level)
        todo.extend((child, level + 1) for child in ast.iter_child_nodes(current))
    return deepest


@functools.lru_cache(maxsize=1024)
def compile_condition(text: str, scope: str) -> Evaluator:
    """Check ``text`` and turn it into a function of the names; raises ExpressionError."""
    if len(text) > TEXT_MAX:
        raise ExpressionError(f"a condition of {len(text)} characters (at most {TEXT_MAX})")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"syntax error: {error.msg}") from error
    except (MemoryError, RecursionError) as error:
        raise ExpressionError(f"nested too deeply (at most {DEPTH_MAX} levels)") from error
    if _depth(tree) > DEPTH_MAX:
        raise ExpressionError(f"nested too deeply (at most {DEPTH_MAX} levels)")
    return _Compiler(scope).build(tree.body)


# A guard: clauses of "NAME.ATTRIBUTE" atoms, each clause a set of which at least one
# atom must be truthy for the condition to hold. The judge reads these plain fields
# once per step and skips a rule whose guard fails, instead of running its closures.
Guard = tuple[frozenset[str], ...]


def _atom(node: ast.AST) -> str | None:
    """``NAME.FIELD`` for a plain field (no property: reading it runs no code) that is
    falsy by default, so that requiring it truthy sorts out most objects."""
    if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
        return None
    cls = _TYPES.get(node.value.id)
    if cls is None or not dataclasses.is_dataclass(cls):
        return None
    for f in dataclasses.fields(cls):
        if f.name == node.attr:
            if f.default is not dataclasses.MISSING and f.default:
                return None
            return f"{node.value.id}.{node.attr}"
    return None


def _implies_truthy(op: ast.cmpop, right: ast.AST) -> bool:
    """Whether ``x OP right`` being true means ``x`` is truthy (``x > 0``, ``x == 2``)."""
    if not isinstance(right, ast.Constant) or isinstance(right.value, bool):
        return False
    value = right.value
    if isinstance(op, ast.Gt):
        return isinstance(value, (int, float)) and value >= 0
    if isinstance(op, ast.GtE):
        return isinstance(value, (int, float)) and value > 0
    if isinstance(op, ast.Eq):
        return isinstance(value, (int, float, str)) and bool(value)
    return False


def _guard(node: ast.AST) -> Guard:
    atom = _atom(node)
    if atom is not None:
        return (frozenset((atom,)),)
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
        return tuple(clause for value in node.values for clause in _guard(value))
    if isinstance(node, ast.BoolOp):  # or: one of the parts holds, so one of their clauses
        parts = [_guard(value) for value in node.values]
        if not all(parts):
            return ()
        return (frozenset().union(*(part[0] for part in parts)),)
    if isinstance(node, ast.Compare):
        clauses = []
        lefts = [node.left, *node.comparators]
        for left, op, right in zip(lefts, node.ops, node.comparators, strict=False):
            atom = _atom(left)
            if atom is not None and _implies_truthy(op, right):
                clauses.append(frozenset((atom,)))
        return tuple(clauses)
    return ()


@functools.lru_cache(maxsize=1024)
def guard(text: str, scope: str) -> Guard:
    """What must hold for condition ``text`` to be true: each clause names fields of which
    one at least is truthy. Empty when nothing simple is known."""
    compile_condition(text, scope)  # the same checks, the same errors
    return _guard(ast.parse(text.strip(), mode="eval").body)


# None compared with a number and the like: the rule does not apply
EVALUATION_ERRORS = (TypeError, AttributeError, ZeroDivisionError, ValueError, KeyError,
                     IndexError)


def evaluate(text: str, scope: str, names: dict[str, Any]) -> Any:
    function = compile_condition(text, scope)
    try:
        return function(names)
    except EVALUATION_ERRORS:
        return False


_PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)\}")


def check_path(path: str, scope: str) -> None:
    compile_condition(path, scope)


def check_template(text: str, scope: str) -> None:
    for match in _PLACEHOLDER.finditer(text):
        check_path(match.group(1), scope)


def resolve(path: str, names: dict[str, Any]) -> Any:
    return _resolve(path.split("."), names)


def _resolve(parts: Sequence[str], names: dict[str, Any]) -> Any:
    value = names.get(parts[0])
    for part in parts[1:]:
        if part.startswith("_") or value is None:
            return None
        value = getattr(value, part, None)
    return value


def _show(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


@functools.lru_cache(maxsize=1024)
def _template(text: str) -> tuple[str, tuple[tuple[tuple[str, ...], str], ...]]:
    """A template as its text up to the first placeholder, then (placeholder path split
    at the dots, the text after it) for each placeholder."""
    pieces = _PLACEHOLDER.split(text)  # text, path, text, path, ..., text
    return pieces[0], tuple((tuple(pieces[i].split(".")), pieces[i + 1])
                            for i in range(1, len(pieces), 2))


def render(text: str, names: dict[str, Any]) -> str:
    head, rest = _template(text)
    if not rest:
        return head
    out = [head]
    for parts, after in rest:
        out.append(_show(_resolve(parts, names)))
        out.append(after)
    return "".join(out)
