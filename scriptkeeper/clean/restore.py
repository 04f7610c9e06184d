"""``restore``: put a backup's files back byte-identical, record it, remove the folder.

Before anything is written the whole backup is checked: the manifest reads
strictly (no absolute path, no ``..``, no ``.git``), it lies where it says
it lies, every path is reached without a symlinked folder, every stored
file has the manifest's sha256, and no original place holds other content.
Any problem refuses the restore with nothing changed, except, with
``--skip-damaged``, a stored file whose bytes differ from the manifest's: it
stays in the backup, and the manifest is rewritten to list only what stayed.

Then each file moves back (``rename``, journalled in the manifest), and with
git a commit records it: the backup paths leave HEAD's tree and the files
that were tracked come back at their places (ones that were untracked come
back untracked). The user's index changes only for those paths. Last, the
manifest and the emptied folders go. A crash part-way is finished by the
next ``restore`` or ``clean`` (restore always rolls forward).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from scriptkeeper.clean import faults, fsutil
from scriptkeeper.clean.backup import shown
from scriptkeeper.clean.errors import Failed, Refused
from scriptkeeper.clean.gitops import MODE_EXEC, MODE_FILE, MODE_LINK, Change, GitError, GitRepo
from scriptkeeper.clean.lock import Lock
from scriptkeeper.clean.manifest import NAME, Entry, Manifest, ManifestError
from scriptkeeper.clean.manifest import read as read_manifest
from scriptkeeper.clean.paths import UnsafePath, check_no_symlink, join
from scriptkeeper.pipeline.discover import BACKUP_DIR, git_toplevel

TRAILER = "Scriptkeeper-Restore"
_SKIP = {".git", ".scriptkeeper_cache", "node_modules", "__pycache__"}


@dataclass
class Item:
    entry: Entry
    action: str  # move (back from the backup), in-place (already back), duplicate, or
    # damaged (its stored bytes are not the manifest's: left in the backup, --skip-damaged)


@dataclass
class RestorePlan:
    root: Path
    in_git: bool
    backup: str
    manifest: Manifest
    items: list[Item] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def left(self) -> list[Entry]:
        """The entries that stay in the backup (damaged, with ``--skip-damaged``)."""
        return [i.entry for i in self.items if i.action == "damaged"]

    @property
    def back(self) -> list[Entry]:
        """The entries that end up in place."""
        return [i.entry for i in self.items if i.action != "damaged"]

    def remaining(self) -> Manifest:
        """The manifest of a backup that keeps the :attr:`left` entries (no journal)."""
        m = self.manifest
        return Manifest(backup=m.backup, created=m.created, tool=m.tool, commit=m.commit,
                        files=self.left, status="complete", operation=m.operation)


@dataclass
class RestoreResult:
    backup: str
    moved: int
    commit: str | None
    folder_removed: bool


def find_backups(root: Path) -> list[Path]:
    """Every backup folder (``backup_<stamp>`` holding a manifest) below ``root``."""
    found: list[Path] = []
    for folder, dirs, _ in os.walk(root):
        keep = []
        for name in sorted(dirs):
            if name in _SKIP:
                continue
            if BACKUP_DIR.match(name):
                if (Path(folder) / name / NAME).is_file():
                    found.append(Path(folder) / name)
                continue
            keep.append(name)
        dirs[:] = keep
    return found


def _age(folder: Path) -> tuple[str, int, str]:
    """Sort key of a backup folder by its name: the UTC stamp, then the same-second number."""
    stamp, _, number = folder.name.removeprefix("backup_").partition("Z")
    suffix = number.lstrip("_-")
    return stamp, int(suffix) if suffix.isdigit() else 1, str(folder)


def locate(folder: Path | None, start: Path) -> tuple[Path, bool, str, Manifest]:
    """(root, in git, backup folder relative to root, manifest) or Refused.

    Without ``folder``: the newest backup (by the time in its name) below the
    repository (or ``start`` outside git); a damaged newest one is refused,
    never skipped for an older one.
    """
    if folder is None:
        top = git_toplevel(start)
        base = top if top is not None else start.resolve()
        found = find_backups(base)
        if not found:
            raise Refused(f"no backup folder (backup_<time>/ with {NAME}) below {base}")
        folder = max(found, key=_age)
    real = Path(os.path.realpath(folder))
    if not (real / NAME).is_file():
        raise Refused(f"{folder}: no {NAME} there, so it is not a scriptkeeper backup")
    try:
        manifest = read_manifest(real)
    except ManifestError as error:
        raise Refused(f"refusing the manifest: {error}") from error
    top = git_toplevel(real)
    parts = manifest.backup.split("/")
    if top is not None:
        root = top
        try:
            rel = real.relative_to(root).as_posix()
        except ValueError:
            raise Refused(f"{real} is not inside the repository {root}") from None
    else:
        if len(real.parts) <= len(parts) or list(real.parts[-len(parts):]) != parts:
            raise Refused(f"the manifest says its folder is {manifest.backup!r} but it is "
                          f"{real}: a moved backup is refused")
        root = real.parents[len(parts) - 1]
        rel = manifest.backup
    if rel != manifest.backup:
        raise Refused(f"the manifest says its folder is {manifest.backup!r} but it is "
                      f"{rel!r}: a moved backup is refused")
    return root, top is not None, rel, manifest


def plan_restore(root: Path, in_git: bool, backup: str, manifest: Manifest,
                 skip_damaged: bool = False) -> RestorePlan:
    """Check every file of the backup; each problem is a reason to refuse.

    ``skip_damaged``: a stored file that is not what the manifest recorded is planned to
    stay in the backup (action ``damaged``) instead of refusing.
    """
    plan = RestorePlan(root=root, in_git=in_git, backup=backup, manifest=manifest)
    try:
        folder = check_no_symlink(root, backup, "backup folder")
        check_no_symlink(root, f"{backup}/{NAME}", "manifest")
    except UnsafePath as error:
        plan.problems.append(str(error))
        return plan
    if fsutil.kind(folder / NAME) != fsutil.FILE:
        plan.problems.append(f"{backup}/{NAME} is not a regular file")
        return plan
    for entry in manifest.files:
        try:
            source = check_no_symlink(root, f"{backup}/{entry.stored}", "stored path")
            target = check_no_symlink(root, entry.path, "original path")
        except UnsafePath as error:
            plan.problems.append(str(error))
            continue
        here = fsutil.kind(source) is not None
        there = fsutil.kind(target) is not None
        if here and not fsutil.same(source, entry.type, entry.sha256) and skip_damaged \
                and not there:
            plan.items.append(Item(entry, "damaged"))
        elif here and not fsutil.same(source, entry.type, entry.sha256):
            plan.problems.append(f"{shown(entry.stored)} in {backup} is not what the manifest "
                                 f"recorded (sha256 or type differs)")
        elif there and not fsutil.same(target, entry.type, entry.sha256):
            plan.problems.append(f"{shown(entry.path)} exists with other content: move it "
                                 f"away first")
        elif here:
            plan.items.append(Item(entry, "duplicate" if there else "move"))
        elif there:
            plan.items.append(Item(entry, "in-place"))
        else:
            plan.problems.append(f"{shown(entry.path)} is neither in {backup} nor in place")
    return plan


def run_restore(plan: RestorePlan, repo: GitRepo | None, lock: Lock,
                advance: Callable[[int], None] | None = None) -> RestoreResult:
    """Move everything back, record the commit, remove the manifest and emptied folders.

    Damaged entries (``--skip-damaged``) stay, and so does the folder, with a manifest
    that lists only them. ``advance(n)``: called as files move (a progress bar).
    """
    if plan.problems:
        raise Refused("\n".join(plan.problems))
    root, backup = plan.root, plan.backup
    folder = join(root, backup)
    # the marker says whether damaged entries were skipped: a resumed run plans alike
    lock.mark(op="restore", phase="moving", backup=backup, pid=os.getpid(),
              skip_damaged=bool(plan.left))
    faults.point("restore-marked")
    moved = 0
    commit = None
    try:
        Manifest.open_journal(folder)
        for index, item in enumerate(plan.items):
            moved += _restore_one(root, folder, index, item)
            if advance is not None:
                advance(1)
        for item in plan.items:
            if item.action != "damaged" and not fsutil.same(
                    join(root, item.entry.path), item.entry.type, item.entry.sha256):
                raise Failed(f"{shown(item.entry.path)} is not byte-identical after the move")
        if repo is not None:
            commit = _record(plan, repo, lock)
        lock.mark(op="restore", phase="cleanup", backup=backup, pid=os.getpid(),
                  skip_damaged=bool(plan.left))
        faults.point("restore-marked-cleanup")
        finish_cleanup(folder, plan.remaining() if plan.left else None)
    except (OSError, Failed, GitError) as error:
        raise Failed(f"restore stopped part-way ({error}); every file is either back or still "
                     f"in {backup}: run 'scriptkeeper restore {backup}' again to finish"
                     ) from error
    lock.clear()
    faults.point("restore-cleared")
    return RestoreResult(backup=backup, moved=moved, commit=commit,
                         folder_removed=not folder.exists())


def _restore_one(root: Path, folder: Path, index: int, item: Item) -> int:
    entry = item.entry
    if item.action == "damaged":
        return 0
    source = folder / entry.stored
    target = join(root, entry.path)
    if item.action == "move":
        Manifest.journal(folder, index, "restoring")
        faults.point("journal-restoring")
        if not fsutil.same(source, entry.type, entry.sha256) or os.path.lexists(target):
            raise Failed(f"{shown(entry.path)} changed while restore ran")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(source, target)
        faults.point("restored")
        Manifest.journal(folder, index, "restored")
        faults.point("journal-restored")
        return 1
    # a duplicate: the original is back already, byte-identical, so this copy is redundant
    if item.action == "duplicate" and fsutil.same(target, entry.type, entry.sha256) and \
            fsutil.same(source, entry.type, entry.sha256):
            source.unlink()
            faults.point("duplicate-removed")
    return 0


def _blobs(plan: RestorePlan, repo: GitRepo, head: str | None) -> dict[str, tuple[str, str]]:
    """original path -> (mode, sha) of each restored file's bytes, as git has them if it can."""
    files = plan.manifest.files
    stored = repo.tree_entries(head, [f"{plan.backup}/{e.stored}" for e in files])
    originals = repo.tree_entries(head, [e.path for e in files])
    blobs: dict[str, tuple[str, str]] = {}
    for entry in files:
        known = stored.get(f"{plan.backup}/{entry.stored}") or originals.get(entry.path)
        if known is not None:
            blobs[entry.path] = known
            continue
        target = join(plan.root, entry.path)
        if entry.type == fsutil.SYMLINK:
            blobs[entry.path] = (MODE_LINK, repo.hash_bytes(os.fsencode(os.readlink(target))))
        else:
            mode = MODE_EXEC if os.lstat(target).st_mode & 0o100 else MODE_FILE
            blobs[entry.path] = (mode, repo.hash_file(target, entry.path))
    return blobs


def _recorded(repo: GitRepo, value: str | None, fallback: tuple[str, str]) -> tuple[str, str]:
    """The blob the manifest recorded for HEAD or the index, if git still has it."""
    if value is None:
        return fallback
    mode, sha = value.split()
    status, out, _ = repo.run("cat-file", "-t", sha, check=False)
    return (mode, sha) if status == 0 and out.strip() == b"blob" else fallback


def _record(plan: RestorePlan, repo: GitRepo, lock: Lock) -> str | None:
    """The restore commit (when HEAD holds the backup) and the user's index.

    A file that was tracked comes back in the commit as HEAD had it before the
    clean, and in the index as the index had it: a script backed up with
    ``--allow-dirty`` is again an uncommitted edit, not a committed one.
    """
    backup, files = plan.backup, plan.back
    head = repo.head()
    blobs = _blobs(plan, repo, head)
    commit = None
    recorded = repo.show(head, f"{backup}/{NAME}") if head is not None else None
    # a resumed --skip-damaged restore whose commit landed: HEAD's manifest is the remaining one
    if head is not None and recorded is not None and not (
            plan.left and recorded == plan.remaining().dump()):
        in_head = repo.tree_entries(head, [f"{backup}/{e.stored}" for e in files])
        changes = [Change(path) for path in in_head]
        changes += [Change(e.path, *_recorded(repo, e.head, blobs[e.path])) for e in files
                    if e.git == "tracked"]
        changes.append(_manifest_change(plan, repo))
        commit = repo.make_commit(changes, restore_message(plan), head)
        faults.point("restore-commit-built")
        lock.mark(op="restore", phase="committing", backup=backup, old=head, new=commit,
                  pid=os.getpid(), skip_damaged=bool(plan.left))
        repo.move_head(commit, head, f"scriptkeeper restore: {backup}")
        faults.point("restore-head-moved")
    repo.apply_to_index(restore_index_changes(repo, plan, blobs))
    faults.point("restore-index-updated")
    return commit


def _manifest_change(plan: RestorePlan, repo: GitRepo) -> Change:
    """The manifest leaves the tree, or (damaged entries left) becomes the remaining one."""
    path = f"{plan.backup}/{NAME}"
    if not plan.left:
        return Change(path)
    return Change(path, MODE_FILE, repo.hash_bytes(plan.remaining().dump()))


def restore_index_changes(repo: GitRepo, plan: RestorePlan,
                          blobs: dict[str, tuple[str, str]]) -> list[Change]:
    """The user's index after a restore: backup out, originals back as they were (idempotent)."""
    files = plan.back
    stored = [f"{plan.backup}/{e.stored}" for e in files]
    present = repo.index_entries(stored + [e.path for e in files] + [f"{plan.backup}/{NAME}"])
    changes = [Change(path) for path in stored if path in present]
    if f"{plan.backup}/{NAME}" in present:
        changes.append(_manifest_change(plan, repo))
    changes += [Change(e.path, *_recorded(repo, e.index, blobs[e.path])) for e in files
                if e.git in ("tracked", "staged") and e.path not in present]
    return changes


def finish_cleanup(folder: Path, remaining: Manifest | None = None) -> None:
    """Remove the manifest and the emptied folders; or, when entries stay in the backup,
    write ``remaining`` in place of the manifest."""
    if remaining is not None:
        remaining.write(folder, "manifest-remaining")
        faults.point("manifest-rewritten")
        for name in os.listdir(folder):
            if (folder / name).is_dir() and not (folder / name).is_symlink():
                fsutil.remove_empty_tree(folder / name)
        return
    for name in (NAME + ".tmp", NAME):
        if os.path.lexists(folder / name):
            (folder / name).unlink()
            faults.point("manifest-removed")
    fsutil.remove_empty_tree(folder)


def restore_message(plan: RestorePlan) -> str:
    total = len(plan.back)
    lines = [f"scriptkeeper restore: put back {total} job script{'s' if total != 1 else ''} "
             f"from {plan.backup}", ""]
    lines += [f"- {shown(e.path)}" for e in plan.back]
    if plan.left:
        lines += ["", f"Left in {plan.backup} (damaged: not what the manifest recorded):"]
        lines += [f"- {shown(e.path)}" for e in plan.left]
    lines += ["", f"{TRAILER}: {plan.backup}"]
    return "\n".join(lines) + "\n"
