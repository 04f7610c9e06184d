"""The repository's files as one scan sees them: ``stat`` answers kept for the scan's length.

The per-file stage asks the same questions of the same files for thousands of
scripts: is ``train.py`` there, when did ``requirements.txt`` change, is
``navsim/`` a folder (five ``stat`` calls a script). Inside :func:`one_scan`
each path is looked at once and the answer kept, as if the repository did
not change while it is judged (what the result cache assumes too); outside,
every call asks the file system, as ``os`` does. :func:`per_scan` keeps the
answers of a function worked out from such files (where an entry point is,
what pins a version) the same way.
"""

from __future__ import annotations

import functools
import os
import stat as kinds
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

# path -> its stat result, or None for a path that cannot be stat'ed
_SEEN: dict[str, os.stat_result | None] | None = None
# what empties each per_scan function's answers when the scan ends
_FORGET: list[Callable[[], None]] = []

_P = ParamSpec("_P")
_R = TypeVar("_R")


@contextmanager
def one_scan() -> Iterator[None]:
    """Keep the answers until the block ends (nested blocks share the outer one's)."""
    global _SEEN
    if _SEEN is not None:
        yield
        return
    _SEEN = {}
    try:
        yield
    finally:
        _SEEN = None
        for forget in _FORGET:
            forget()


def per_scan(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """``function``'s answers kept until the scan ends, by its (hashable) arguments.

    For a function of the repository's files seen through this module: inside
    :func:`one_scan` the files count as unchanged, so neither does its answer;
    outside, every call works it out again.
    """
    kept: dict[Hashable, _R] = {}
    _FORGET.append(kept.clear)

    @functools.wraps(function)
    def cached(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if _SEEN is None:
            return function(*args, **kwargs)
        key = (args, tuple(kwargs.items())) if kwargs else args
        try:
            return kept[key]
        except KeyError:
            pass
        answer = kept[key] = function(*args, **kwargs)
        return answer

    return cached


def _lookup(path: str) -> os.stat_result | None:
    seen = _SEEN
    if seen is not None:
        try:
            return seen[path]
        except KeyError:
            pass
    try:
        found: os.stat_result | None = os.stat(path)
    except (OSError, ValueError):  # ValueError: a NUL in the path
        found = None
    if seen is not None:
        seen[path] = found
    return found


def stat(path: str) -> os.stat_result:
    """``os.stat(path)``; OSError when there is nothing there (or it cannot be read)."""
    found = _lookup(path)
    if found is None:
        raise FileNotFoundError(path)
    return found


def isfile(path: str) -> bool:
    found = _lookup(path)
    return found is not None and kinds.S_ISREG(found.st_mode)


def isdir(path: str) -> bool:
    found = _lookup(path)
    return found is not None and kinds.S_ISDIR(found.st_mode)
