"""When each script was first added and last changed (group stage).

Inside git: the author dates of the first commit that added the file and of
the last commit that touched it, for all files at once from ONE ``git log
--name-only`` (never one call per file). A file git does not know yet
(untracked), or any file outside git, gets its modification time for both.
Renames are not followed: a renamed file's history starts at the rename.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

_MAX_PATHSPECS = 64


@dataclass(frozen=True)
class Dates:
    """First and last change of one script (seconds since the epoch) and their source."""

    first: float
    last: float
    source: str  # "git", "file time" or "unknown"

    @staticmethod
    def show(seconds: float) -> str:
        moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
        return moment.strftime("%Y-%m-%d %H:%M")


UNKNOWN = Dates(0.0, 0.0, "unknown")


def _git_dates(root: Path, wanted: set[str]) -> dict[str, Dates]:
    folders = sorted({p.rpartition("/")[0] for p in wanted})
    pathspecs = folders if len(folders) <= _MAX_PATHSPECS and "" not in folders else []
    try:
        out = subprocess.run(
            ["git", "--literal-pathspecs", "-c", "core.quotepath=off", "log", "--no-renames",
             "-z", "--format=%x01%at", "--name-only", "--", *pathspecs],
            cwd=root, capture_output=True, check=False)
    except OSError:
        return {}
    if out.returncode != 0:
        return {}
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    for chunk in out.stdout.decode("utf-8", "surrogateescape").split("\x01"):
        if not chunk:
            continue
        fields = chunk.split("\0")
        try:
            when = float(fields[0])
        except ValueError:
            continue
        for name in fields[1:]:
            name = name.lstrip("\n")
            if name not in wanted:
                continue
            last.setdefault(name, when)  # git log runs newest first
            first[name] = when
    return {p: Dates(first[p], last[p], "git") for p in first}


def _file_dates(root: Path, path: str) -> Dates:
    try:
        mtime = os.stat(root / path).st_mtime
    except (OSError, ValueError):  # ValueError: a NUL in the name
        return UNKNOWN
    return Dates(mtime, mtime, "file time")


def dates(root: Path, paths: Iterable[str], in_git: bool) -> dict[str, Dates]:
    """The dates of every path (repository-relative, POSIX)."""
    wanted = set(paths)
    if not wanted:
        return {}
    found = _git_dates(root, wanted) if in_git else {}
    for path in wanted - found.keys():
        found[path] = _file_dates(root, path)
    return found
