"""When each script's content first appeared and last changed (group stage).

Inside git: the author dates of the first commit that added the file and of
the last commit that changed its content, for all files at once from ONE
``git log --name-status -M`` (never one call per file). A date means "when
this content appeared", so what only moves a file does not make it newer:

- a pure rename (100% similar) is no change; the history goes on under the
  old name (a rename with edits is a change, dated at its commit);
- scriptkeeper's own clean and restore commits (their ``Scriptkeeper-Backup``
  / ``Scriptkeeper-Restore`` trailers) are skipped: a restored script is as
  old as it was before the clean.

Renames are seen within the folders that hold the dated scripts (the log is
narrowed to them); a move from another folder starts the history at the move.
A file git does not know yet (untracked), or any file outside git, gets its
modification time for both dates.
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
    note: str = ""  # what the dates leave out: later commits that only moved or restored it

    @staticmethod
    def show(seconds: float) -> str:
        moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
        return moment.strftime("%Y-%m-%d %H:%M")


UNKNOWN = Dates(0.0, 0.0, "unknown")


_OWN_TRAILERS = "%(trailers:key=Scriptkeeper-Backup,key=Scriptkeeper-Restore,valueonly)"


def _git_dates(root: Path, wanted: set[str]) -> dict[str, Dates]:
    folders = sorted({p.rpartition("/")[0] for p in wanted})
    pathspecs = folders if len(folders) <= _MAX_PATHSPECS and "" not in folders else []
    try:
        out = subprocess.run(
            ["git", "--literal-pathspecs", "-c", "core.quotepath=off", "log", "-M",
             "--name-status", "-z", f"--format=%x01%at%x02{_OWN_TRAILERS}%x02", "--",
             *pathspecs],
            cwd=root, capture_output=True, check=False)
    except OSError:
        return {}
    if out.returncode != 0:
        return {}
    alias = {p: p for p in wanted}  # a name in the commit being read -> the path today
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    touched: dict[str, float] = {}  # the newest commit naming the file, whatever it did
    for chunk in out.stdout.decode("utf-8", "surrogateescape").split("\x01"):
        head, _, rest = chunk.partition("\x02")
        own, _, entries = rest.partition("\x02")
        try:
            when = float(head)
        except ValueError:
            continue
        fields = entries.lstrip("\n").split("\0")
        i = 0
        while i < len(fields):
            status = fields[i].lstrip("\n")
            i += 1
            if not status:
                continue
            if status[0] in "RC":
                old, new = fields[i], fields[i + 1] if i + 1 < len(fields) else ""
                i += 2
            else:
                old = new = fields[i] if i < len(fields) else ""
                i += 1
            now = alias.get(new)
            if now is None or status[0] == "C":
                continue
            touched.setdefault(now, when)
            if own.strip():
                continue  # scriptkeeper's clean or restore: it moved the file, nothing more
            if status[0] == "D":
                continue
            if status != "R100":
                last.setdefault(now, when)  # git log runs newest first
                first[now] = when
            if status[0] == "R":
                del alias[new]
                alias[old] = now  # older commits know it by its old name
            elif status[0] == "A":
                del alias[new]  # an earlier file of that name is another story
    found = {}
    for p in first:
        note = ""
        if touched.get(p, last[p]) > last[p]:
            note = "later commits only moved or restored it"
        found[p] = Dates(first[p], last[p], "git", note)
    for p, when in touched.items():
        if p not in found:  # only moved here, from a folder the log did not look at
            found[p] = Dates(when, when, "git", "moved here from elsewhere")
    return found


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
