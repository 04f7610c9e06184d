"""Finish or roll back an operation a crash interrupted (clean stage).

A run that takes the lock and finds the marker of an earlier run calls
:func:`recover` before anything else. What it does depends on how far the
interrupted run got, read from the marker and checked against the disk and
git, never taken on trust:

- a clean whose commit did not land in HEAD: roll back (every file that is
  in the backup with its recorded sha256 goes back to its place, then the
  manifest and the folder go): the repository is as before the clean;
- a clean whose commit is in HEAD: finish it (the user's index gets the
  moved paths);
- a clean stopped while claiming its folder: remove the empty folder;
- a restore: finish it (restore only ever rolls forward).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from scriptkeeper.clean.backup import clean_index_changes, committed, release_claim, rollback
from scriptkeeper.clean.errors import Refused
from scriptkeeper.clean.gitops import GitRepo
from scriptkeeper.clean.lock import Lock
from scriptkeeper.clean.manifest import Manifest, ManifestError
from scriptkeeper.clean.manifest import read as read_manifest
from scriptkeeper.clean.paths import UnsafePath, check_relative, join
from scriptkeeper.clean.restore import finish_cleanup, plan_restore, run_restore


@dataclass(frozen=True)
class Recovery:
    op: str  # clean or restore
    outcome: str  # rolled-back, finished, nothing
    backup: str | None
    message: str


def recover(root: Path, repo: GitRepo | None, lock: Lock) -> Recovery | None:
    """Deal with the marker ``lock`` found, if any; Refused when it cannot (marker kept)."""
    marker = lock.previous
    if marker is None:
        return None
    op = str(marker.get("op"))
    phase = str(marker.get("phase"))
    if op == "clean" and phase == "claiming":
        parent = str(marker.get("parent") or "")
        if parent:
            _safe(parent)
        release_claim(root, parent, str(marker.get("stamp")))
        lock.clear()
        return Recovery("clean", "rolled-back", None,
                        "an interrupted clean had moved nothing; its empty folder was removed")
    backup = _safe(str(marker.get("backup") or ""))
    if op == "clean":
        head = committed(repo, backup)
        if head is not None and repo is not None:
            try:
                manifest = read_manifest(join(root, backup))
            except ManifestError as error:
                raise Refused(f"cannot finish the interrupted clean of {backup}: "
                              f"{error}") from error
            repo.apply_to_index(clean_index_changes(repo, manifest, head))
            lock.clear()
            return Recovery("clean", "finished", backup,
                            f"finished the interrupted clean of {backup} (it was committed)")
        problems = rollback(root, backup)
        if problems:
            raise Refused(f"could not roll back the interrupted clean of {backup}:\n"
                          + "\n".join(problems))
        lock.clear()
        return Recovery("clean", "rolled-back", backup,
                        f"rolled back the interrupted clean of {backup}: every script it had "
                        f"moved is back in place")
    if op == "restore":
        folder = join(root, backup)
        skip_damaged = marker.get("skip_damaged") is True
        if phase == "cleanup" or not (folder / "MANIFEST.yaml").exists():
            finish_cleanup(folder, _remaining(folder) if skip_damaged else None)
            lock.clear()
            return Recovery("restore", "finished", backup,
                            f"finished the interrupted restore of {backup}")
        try:
            manifest = read_manifest(folder)
        except ManifestError as error:
            raise Refused(f"cannot finish the interrupted restore of {backup}: "
                          f"{error}") from error
        plan = plan_restore(root, repo is not None, backup, manifest, skip_damaged)
        if plan.problems:
            raise Refused(f"cannot finish the interrupted restore of {backup}:\n"
                          + "\n".join(plan.problems))
        run_restore(plan, repo, lock)
        return Recovery("restore", "finished", backup,
                        f"finished the interrupted restore of {backup}")
    raise Refused(f"the lock {lock.path} holds an unknown marker {marker!r}; "
                  f"remove the file if no scriptkeeper runs")


def _remaining(folder: Path) -> Manifest | None:
    """The manifest of a ``--skip-damaged`` restore's backup: the entries still stored there."""
    if not (folder / "MANIFEST.yaml").exists():
        return None  # rewritten and read back already, or gone: nothing left to write
    try:
        manifest = read_manifest(folder)
    except ManifestError as error:
        raise Refused(f"cannot finish the interrupted restore of {folder}: {error}") from error
    left = [e for e in manifest.files if os.path.lexists(folder / e.stored)]
    if not left:
        return None
    return Manifest(backup=manifest.backup, created=manifest.created, tool=manifest.tool,
                    commit=manifest.commit, files=left, status="complete",
                    operation=manifest.operation)


def _safe(rel: str) -> str:
    try:
        return check_relative(rel, "folder in the lock marker")
    except UnsafePath as error:
        raise Refused(str(error)) from error
