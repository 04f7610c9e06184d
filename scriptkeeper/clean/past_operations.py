"""Past cleans and restores, read from the git log (clean stage).

Every clean commit ends with a ``Scriptkeeper-Backup: <folder>`` trailer,
every restore commit with ``Scriptkeeper-Restore: <folder>``. A clean's
state: ``restored`` when a later restore names its folder, ``on disk`` when
the folder still holds its manifest, ``gone`` otherwise. Backups that no
commit records (``--no-commit``, or outside git) are listed from the disk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from scriptkeeper.clean.backup import TRAILER as CLEAN_TRAILER
from scriptkeeper.clean.gitops import GitRepo
from scriptkeeper.clean.manifest import NAME, ManifestError
from scriptkeeper.clean.manifest import read as read_manifest
from scriptkeeper.clean.restore import TRAILER as RESTORE_TRAILER
from scriptkeeper.clean.restore import find_backups

_COUNT = re.compile(r"(\d+) job scripts?")
_RECORD, _FIELD = "\x1e", "\x1f"


@dataclass(frozen=True)
class Event:
    when: str  # ISO 8601
    commit: str | None
    op: str  # clean or restore
    backup: str
    scripts: int | None
    summary: str
    state: str  # clean: restored, on disk, gone; restore: done; uncommitted: on disk

    def as_json(self) -> dict[str, object]:
        return {"when": self.when, "commit": self.commit, "operation": self.op,
                "backup": self.backup, "scripts": self.scripts, "summary": self.summary,
                "state": self.state}


def _trailers(body: str) -> dict[str, str]:
    paragraphs = [p for p in body.strip().split("\n\n") if p.strip()]
    found: dict[str, str] = {}
    if not paragraphs:
        return found
    for line in paragraphs[-1].splitlines():
        key, sep, value = line.partition(": ")
        if sep:
            found[key.strip()] = value.strip()
    return found


def from_git(repo: GitRepo) -> list[Event]:
    """Cleans and restores recorded in the history of HEAD, newest first."""
    raw = repo.log("-E", f"--grep=^({CLEAN_TRAILER}|{RESTORE_TRAILER}): ",
                   f"--format={_RECORD}%H{_FIELD}%aI{_FIELD}%s{_FIELD}%B")
    events: list[tuple[str, str, str, str, str]] = []
    for record in raw.decode("utf-8", "replace").split(_RECORD):
        if not record.strip():
            continue
        sha, when, subject, body = [*record.split(_FIELD, 3), "", "", ""][:4]
        trailers = _trailers(body)
        if CLEAN_TRAILER in trailers:
            events.append((sha, when, subject, "clean", trailers[CLEAN_TRAILER]))
        elif RESTORE_TRAILER in trailers:
            events.append((sha, when, subject, "restore", trailers[RESTORE_TRAILER]))
    result: list[Event] = []
    restored_later: set[str] = set()
    for sha, when, subject, op, backup in events:  # newest first
        count = _COUNT.search(subject)
        if op == "restore":
            restored_later.add(backup)
            state = "done"
        elif backup in restored_later:
            state = "restored"
        else:
            state = "on disk" if (repo.root / backup / NAME).is_file() else "gone"
        result.append(Event(when=when, commit=sha, op=op, backup=backup,
                            scripts=int(count.group(1)) if count else None,
                            summary=subject, state=state))
    return result


def uncommitted(root: Path, recorded: set[str]) -> list[Event]:
    """Backups on disk that no commit records, newest first."""
    events: list[Event] = []
    for folder in find_backups(root):
        rel = folder.relative_to(root).as_posix()
        if rel in recorded:
            continue
        try:
            manifest = read_manifest(folder)
        except ManifestError:
            continue
        events.append(Event(when=manifest.created, commit=None, op="clean", backup=rel,
                            scripts=len(manifest.files),
                            summary=f"{len(manifest.files)} job scripts, not committed",
                            state="on disk"))
    return sorted(events, key=lambda e: e.when, reverse=True)
