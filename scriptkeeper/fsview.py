"""The repository's files as one scan sees them: ``stat`` answers kept for the scan's length.

The per-file stage asks the same questions of the same files for thousands of
scripts: is ``train.py`` there, when did ``requirements.txt`` change, is
``navsim/`` a folder (five ``stat`` calls a script). Inside :func:`one_scan`
each path is looked at once and the answer kept, as if the repository did
not change while it is judged (what the result cache assumes too); outside,
every call asks the file system, as ``os`` does.
"""

from __future__ import annotations

import os
import stat as kinds
from collections.abc import Iterator
from contextlib import contextmanager

# path -> its stat result, or None for a path that cannot be stat'ed
_SEEN: dict[str, os.stat_result | None] | None = None


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
