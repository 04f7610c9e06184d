"""The clean itself: check, claim the folder, write the manifest, move, commit.

Order of the steps, each followed by a crash point (``faults``):

1. the lock's marker says "claiming" (parent folder and stamp), then the
   backup folder is created with an exclusive ``mkdir`` (``_2``, ``_3``...
   when the name is taken), then the marker names it ("moving");
2. ``MANIFEST.yaml`` is written (atomically, fsynced) before any file moves;
3. per file: journal ``moving``, re-check the sha256, ``rename`` (atomic: the
   file is in its place or in the backup, never both, never neither),
   journal ``moved``;
4. the manifest is rewritten once with the final states;
5. with git: a commit object from a temporary index (HEAD's tree minus the
   originals plus the backup), the marker records it, HEAD moves with a
   compare-and-swap, then the user's index gets only the moved paths.

A failure (an exception, Ctrl-C) before HEAD moved rolls everything back
at once (:func:`rollback`); a crash leaves the marker, and the next clean
or restore rolls back or finishes (``recover``).
"""

from __future__ import annotations

import contextlib
import os
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from scriptkeeper import __version__
from scriptkeeper.clean import faults, fsutil
from scriptkeeper.clean.errors import Failed, Refused
from scriptkeeper.clean.gitops import MODE_EXEC, MODE_FILE, MODE_LINK, Change, GitRepo
from scriptkeeper.clean.lock import Lock
from scriptkeeper.clean.manifest import NAME, Entry, Manifest, ManifestError
from scriptkeeper.clean.manifest import read as read_manifest
from scriptkeeper.clean.paths import UnsafePath, check_no_symlink, join
from scriptkeeper.clean.plan import Plan, backup_name

TRAILER = "Scriptkeeper-Backup"
_DIRTY_OK = ("??", "A ")


@dataclass
class Prepared:
    """A plan checked against the disk and git: ready to run, or the reasons not to."""

    plan: Plan
    entries: list[Entry]
    problems: list[str] = field(default_factory=list)
    head: str | None = None
    head_entries: dict[str, tuple[str, str]] = field(default_factory=dict)
    index_entries: dict[str, tuple[str, str, int]] = field(default_factory=dict)
    dirty: set[str] = field(default_factory=set)


@dataclass
class CleanResult:
    backup: str
    entries: list[Entry]
    commit: str | None


def shown(path: str) -> str:
    """A path for one line of text (control characters escaped)."""
    return path if path.isprintable() else repr(path)


def prepare(plan: Plan, repo: GitRepo | None, commit: bool, allow_dirty: bool) -> Prepared:
    """Check every move; each reason to refuse becomes one line of ``problems``."""
    root = plan.root
    prepared = Prepared(plan=plan, entries=[])
    if repo is None and commit:
        prepared.problems.append(
            f"{root} is not inside a git repository: pass --no-commit to back up and write "
            f"the manifest without a commit")
    paths = [m.path for m in plan.moves]
    codes: dict[str, str] = {}
    if repo is not None:
        state = repo.operation_in_progress()
        if state is not None:
            prepared.problems.append(f"{state} is in progress: finish or abort it first")
        if commit:
            identity = repo.identity_problem()
            if identity is not None:
                prepared.problems.append(identity)
        if repo.index_locked():
            prepared.problems.append(
                f"{repo.git_dir / 'index.lock'} exists: another git command is running (or "
                f"one crashed; then remove the file)")
        prepared.head = repo.head()
        prepared.head_entries = repo.tree_entries(prepared.head, paths)
        prepared.index_entries = repo.index_entries(paths)
        codes = repo.status(paths)
        for path in repo.hidden_changes(paths):
            # git status does not look at these: count them as edited to be safe
            codes.setdefault(path, "?M")
    try:
        check_no_symlink(root, (plan.parent + "/" if plan.parent else "") + "backup_x",
                         "backup folder")
    except UnsafePath as error:
        prepared.problems.append(str(error))
    backup_device = _device(root / plan.parent if plan.parent else root)
    for move in plan.moves:
        try:
            move.path.encode("utf-8")
            full = check_no_symlink(root, move.path, "script")
        except (UnsafePath, UnicodeEncodeError) as error:
            prepared.problems.append(f"{shown(move.path)}: {error}")
            continue
        what = fsutil.kind(full)
        if what not in (fsutil.FILE, fsutil.SYMLINK):
            prepared.problems.append(f"{shown(move.path)}: not a file or symlink any more")
            continue
        if backup_device is not None and os.lstat(full).st_dev != backup_device:
            prepared.problems.append(f"{shown(move.path)}: on another file system than the "
                                     f"backup folder (a move could not be atomic)")
            continue
        git_state = "none"
        if repo is not None:
            code = codes.get(move.path)
            tracked = move.path in prepared.head_entries
            staged = move.path in prepared.index_entries
            if code is None:
                git_state = "tracked" if tracked else ("staged" if staged else "untracked")
            elif code == "??":
                git_state = "untracked"
            elif code == "A ":
                git_state = "staged"
            else:
                git_state = "tracked" if tracked else ("staged" if staged else "untracked")
                if "U" in code or code in ("AA", "DD"):
                    prepared.problems.append(f"{shown(move.path)}: has unresolved conflicts")
                    continue
                prepared.dirty.add(move.path)
                if not allow_dirty:
                    why = ("is marked assume-unchanged or skip-worktree, so git cannot "
                           "vouch for it" if code == "?M" else
                           f"has uncommitted changes (git status '{code}')")
                    prepared.problems.append(
                        f"{shown(move.path)}: {why}; commit or discard them, or pass "
                        f"--allow-dirty to back up the working copy")
                    continue
        size = len(os.readlink(full)) if what == fsutil.SYMLINK else os.lstat(full).st_size
        in_head = prepared.head_entries.get(move.path)
        in_index = prepared.index_entries.get(move.path)
        prepared.entries.append(Entry(
            head=" ".join(in_head) if in_head else None,
            index=" ".join(in_index[:2]) if in_index else None,
            path=move.path, stored=plan.stored(move), sha256=fsutil.sha256(full), size=size,
            type=what, git=git_state, verdict=move.verdict, reason=" ".join(move.reason.split()),
            keeper=move.keeper,
            findings=[dict(f) for f in move.findings]))
    return prepared


def _device(folder: Path) -> int | None:
    while True:
        try:
            return os.stat(folder).st_dev
        except FileNotFoundError:
            if folder.parent == folder:
                return None
            folder = folder.parent


def claim(plan: Plan, repo: GitRepo | None, lock: Lock, now: datetime) -> str:
    """Create the backup folder (exclusive mkdir): its path relative to the root."""
    root = plan.root
    parent = root / plan.parent if plan.parent else root
    lock.mark(op="clean", phase="claiming", parent=plan.parent, stamp=backup_name(now, 1),
              pid=os.getpid())
    faults.point("claim-marked")
    parent.mkdir(parents=True, exist_ok=True)
    attempt = 1
    while True:
        name = backup_name(now, attempt)
        rel = plan.backup_rel(name)
        if repo is None or not repo.index_has(rel):
            try:
                (parent / name).mkdir()
            except FileExistsError:
                pass
            else:
                fsutil.fsync_dir(parent)
                faults.point("backup-dir")
                return rel
        attempt += 1


def run_clean(prepared: Prepared, repo: GitRepo | None, lock: Lock, commit: bool,
              now: datetime | None = None,
              advance: Callable[[int], None] | None = None) -> CleanResult:
    """Move every planned file into a new backup folder; commit it when ``commit``.

    ``advance(n)``: called as files move (a progress bar).
    """
    if prepared.problems:
        raise Refused("\n".join(prepared.problems))
    plan = prepared.plan
    root = plan.root
    now = now or datetime.now(timezone.utc)
    backup: str | None = None
    manifest: Manifest | None = None
    sha = None
    try:
        backup = claim(plan, repo, lock, now)
        lock.mark(op="clean", phase="moving", backup=backup, pid=os.getpid())
        faults.point("marked-moving")
        folder = join(root, backup)
        manifest = Manifest(backup=backup, created=now.astimezone(timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ"), tool=__version__, commit=commit and repo is not None,
            files=prepared.entries)
        manifest.write(folder, "manifest")
        Manifest.open_journal(folder)
        emptied: set[Path] = set()
        for index, entry in enumerate(manifest.files):
            _move_one(root, folder, index, entry)
            emptied.add((root / entry.path).parent)
            if advance is not None:
                advance(1)
        for source in sorted(emptied, key=lambda p: len(p.parts), reverse=True):
            fsutil.remove_empty_dirs(root, source)
        manifest.status = "complete"
        manifest.write(folder, "manifest-final")
        if manifest.commit and repo is not None:
            sha = _commit(prepared, repo, lock, manifest)
            repo.apply_to_index(clean_index_changes(repo, manifest, sha))
            faults.point("index-updated")
    except BaseException as error:
        if backup is not None and committed(repo, backup) is not None:
            # HEAD holds the clean: finish it rather than undo it
            raise Failed(f"the clean was committed but the index could not be updated "
                         f"({error}); run 'scriptkeeper clean' or 'scriptkeeper restore' "
                         f"to finish it") from error
        if backup is None:
            release_claim(root, plan.parent, backup_name(now, 1))
            problems: list[str] = []
        else:
            problems = rollback(root, backup)
        if not problems:
            lock.clear()
        detail = "" if not problems else "\nwhile rolling back:\n" + "\n".join(problems)
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        raise Failed(f"clean failed and was rolled back: {error}{detail}") from error
    lock.clear()
    faults.point("cleared")
    assert backup is not None and manifest is not None
    return CleanResult(backup=backup, entries=manifest.files, commit=sha)


def _move_one(root: Path, folder: Path, index: int, entry: Entry) -> None:
    source = root / entry.path
    target = folder / entry.stored
    Manifest.journal(folder, index, "moving")
    faults.point("journal-moving")
    if not fsutil.same(source, entry.type, entry.sha256):
        raise Failed(f"{shown(entry.path)} changed while clean ran")
    target.parent.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(target):
        raise Failed(f"{shown(entry.stored)} already exists in the backup")
    os.rename(source, target)
    faults.point("moved")
    Manifest.journal(folder, index, "moved")
    entry.state = "moved"
    faults.point("journal-moved")


def _blob(prepared: Prepared, repo: GitRepo, folder: Path, entry: Entry) -> tuple[str, str]:
    if entry.path not in prepared.dirty:
        if entry.git == "tracked":
            return prepared.head_entries[entry.path]
        if entry.git == "staged":
            mode, sha, _ = prepared.index_entries[entry.path]
            return mode, sha
    stored = folder / entry.stored
    if entry.type == fsutil.SYMLINK:
        return MODE_LINK, repo.hash_bytes(os.fsencode(os.readlink(stored)))
    mode = MODE_EXEC if os.lstat(stored).st_mode & 0o100 else MODE_FILE
    return mode, repo.hash_file(stored, entry.path)


def _commit(prepared: Prepared, repo: GitRepo, lock: Lock, manifest: Manifest) -> str:
    root = prepared.plan.root
    folder = join(root, manifest.backup)
    changes: list[Change] = []
    for entry in manifest.files:
        if entry.path in prepared.head_entries:
            changes.append(Change(entry.path))
        mode, sha = _blob(prepared, repo, folder, entry)
        changes.append(Change(f"{manifest.backup}/{entry.stored}", mode, sha))
    changes.append(Change(f"{manifest.backup}/{NAME}", MODE_FILE,
                          repo.hash_bytes((folder / NAME).read_bytes())))
    head = prepared.head
    sha = repo.make_commit(changes, clean_message(manifest), head)
    faults.point("commit-built")
    lock.mark(op="clean", phase="committing", backup=manifest.backup, old=head, new=sha,
              pid=os.getpid())
    faults.point("marked-committing")
    repo.move_head(sha, head, f"scriptkeeper clean: {manifest.backup}")
    faults.point("head-moved")
    return sha


def clean_index_changes(repo: GitRepo, manifest: Manifest, commit: str) -> list[Change]:
    """The user's index after a clean: originals out, backup and manifest in (idempotent)."""
    stored = [f"{manifest.backup}/{e.stored}" for e in manifest.files]
    stored.append(f"{manifest.backup}/{NAME}")
    in_commit = repo.tree_entries(commit, stored)
    present = repo.index_entries([e.path for e in manifest.files])
    changes = [Change(e.path) for e in manifest.files if e.path in present]
    changes += [Change(path, *in_commit[path]) for path in stored if path in in_commit]
    return changes


def clean_message(manifest: Manifest) -> str:
    counts: dict[str, int] = {}
    for entry in manifest.files:
        counts[entry.verdict] = counts.get(entry.verdict, 0) + 1
    total = len(manifest.files)
    detail = ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))
    lines = [f"scriptkeeper clean: back up {total} job script{'s' if total != 1 else ''} "
             f"({detail})", "",
             f"Moved into {manifest.backup}/ with {NAME} (original path, sha256,",
             "verdict and findings of each file). Undo with:",
             f"  scriptkeeper restore {manifest.backup}", ""]
    for verdict in sorted(counts):
        lines.append(f"{verdict}:")
        for entry in manifest.files:
            if entry.verdict == verdict:
                lines.append(f"- {shown(entry.path)}: {_one_line(_reason_of(entry))}")
        lines.append("")
    lines.append(f"{TRAILER}: {manifest.backup}")
    return "\n".join(lines) + "\n"


def _reason_of(entry: Entry) -> str:
    if entry.verdict == "redundant":
        return f"redundant of {entry.keeper}" if entry.keeper else "redundant"
    errors = [f for f in entry.findings if f.get("severity") == "error"]
    if not errors:
        return entry.verdict
    first = f"{errors[0].get('rule')}: {errors[0].get('message')}"
    return first + (f" (+{len(errors) - 1} more)" if len(errors) > 1 else "")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def rollback(root: Path, backup: str) -> list[str]:
    """Put every file of an unfinished clean back in place; the problems left, if any.

    Works from the disk, not from the journal: a file is moved back when it
    is in the backup with the manifest's sha256 and its place is free. Then
    the manifest and the emptied folders go. Safe to run again after a crash.
    """
    problems: list[str] = []
    try:
        folder = check_no_symlink(root, backup, "backup folder")
    except UnsafePath as error:
        return [str(error)]
    if not folder.is_dir():
        return problems
    temporary = folder / (NAME + ".tmp")
    if temporary.exists():
        temporary.unlink()
    if (folder / NAME).exists():
        try:
            manifest = read_manifest(folder)
        except ManifestError as error:
            return [f"{backup}: {error}"]
        for entry in manifest.files:
            source = folder / entry.stored
            try:
                target = check_no_symlink(root, entry.path, "original path")
            except UnsafePath as error:
                problems.append(str(error))
                continue
            if not os.path.lexists(source):
                continue
            if os.path.lexists(target):
                problems.append(f"{shown(entry.path)} is both in place and in {backup}; "
                                f"both were left")
            elif not fsutil.same(source, entry.type, entry.sha256):
                problems.append(f"{shown(entry.stored)} in {backup} differs from the "
                                f"manifest; it was left there")
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.rename(source, target)
                faults.point("rolled-back")
        if not problems:
            (folder / NAME).unlink()
            faults.point("rollback-manifest-removed")
    fsutil.remove_empty_tree(folder)
    return problems


def release_claim(root: Path, parent: str, stamp: str) -> None:
    """After a crash while claiming: remove the empty folders that claim may have made."""
    base = root / parent if parent else root
    if not base.is_dir():
        return
    for child in base.iterdir():
        if (child.name == stamp or child.name.startswith(stamp + "_")) and child.is_dir() \
                and not child.is_symlink():
            with contextlib.suppress(OSError):
                child.rmdir()


def committed(repo: GitRepo | None, backup: str) -> str | None:
    """HEAD, when HEAD's tree holds this backup's manifest (the clean's commit landed)."""
    if repo is None:
        return None
    head = repo.head()
    if head is None or repo.show(head, posixpath.join(backup, NAME)) is None:
        return None
    return head
