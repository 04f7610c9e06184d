"""``scriptkeeper restore``: put a backup made by ``clean`` back, byte-identical.

A thin layer over ``scriptkeeper.clean.restore``. Exit 0 when done, 1 when
refused or failed (nothing changed), 2 for usage errors (the codes and the
refusal helpers are ``scriptkeeper.cli.common``'s).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from scriptkeeper.cli.common import EXIT_OK, EXIT_REFUSED, complain, fail, problems, refuse

if TYPE_CHECKING:
    from scriptkeeper.clean.gitops import GitRepo
    from scriptkeeper.clean.lock import Lock
    from scriptkeeper.clean.restore import RestorePlan

# scriptkeeper.clean (and GitPython) load only when this command runs.


def _show(plan: RestorePlan, dry_run: bool) -> None:
    from scriptkeeper.clean.backup import shown

    if plan.problems and not dry_run:  # a refusal comes before any announcement
        _refusal(plan)
        return
    moving = [i for i in plan.items if i.action == "move"]
    verb = "Would restore" if dry_run else "Restoring"
    typer.echo(f"{verb} {len(moving)} file{'s' if len(moving) != 1 else ''} from "
               f"{plan.backup}/:")
    for item in plan.items:
        note = {"move": "", "in-place": "  (already in place)",
                "duplicate": "  (already in place; the backup copy is dropped)",
                "damaged": "  (damaged: stays in the backup)"}[item.action]
        typer.echo(f"  {shown(plan.backup + '/' + item.entry.stored)}  ->  "
                   f"{shown(item.entry.path)}{note}")
    if plan.problems:
        _refusal(plan, dry_run)


def _refusal(plan: RestorePlan, dry_run: bool = False) -> None:
    problems(plan.problems, dry_run)
    if any("is not what the manifest recorded" in p for p in plan.problems):
        complain("--skip-damaged restores the intact files and leaves the damaged ones in "
                 "the backup")


def _locate(folder: Path | None, skip_damaged: bool = False
            ) -> tuple[Path, bool, str, RestorePlan]:
    from scriptkeeper.clean.errors import Refused
    from scriptkeeper.clean.restore import locate, plan_restore

    try:
        root, in_git, backup, manifest = locate(folder, Path.cwd())
    except Refused as error:
        refuse("restore", str(error))
    return root, in_git, backup, plan_restore(root, in_git, backup, manifest, skip_damaged)


def restore(
    backup_dir: Path = typer.Argument(None, help="The backup folder (default: the newest)."),
    dry_run: bool = typer.Option(False, "--dry-run", "-n",
                                 help="Print what would move back; change nothing."),
    skip_damaged: bool = typer.Option(False, "--skip-damaged",
                                      help="Restore the intact files; leave each stored "
                                           "file that is not what the manifest recorded in "
                                           "the backup (its manifest then lists only them)."),
) -> None:
    """Move every file of a backup back to its place, byte-identical (sha256 checked).

    Records a commit when the backup was committed, and removes the emptied
    backup folder. Refuses, changing nothing, when a place holds other content
    or the manifest points outside the repository.
    """
    from scriptkeeper.clean import githook_guard
    from scriptkeeper.clean.errors import Refused
    from scriptkeeper.clean.gitops import GitError
    from scriptkeeper.clean.lock import Lock, dry_run_state, lock_path
    from scriptkeeper.clean.restore import locate
    from scriptkeeper.pipeline.discover import git_toplevel

    if backup_dir is not None and not backup_dir.is_dir():
        refuse("restore", f"{backup_dir} is not a folder")
    start = backup_dir if backup_dir is not None else Path.cwd()
    top = git_toplevel(start.resolve())
    repo = None
    if top is not None:
        from scriptkeeper.clean.gitops import GitRepo

        repo = GitRepo(top)
    if dry_run:
        root, _, _, plan = _locate(backup_dir, skip_damaged)
        problem, note = dry_run_state(lock_path(root, repo.git_dir if repo else None))
        if problem:
            plan.problems.append(problem)
        if note:
            typer.echo(note)
        _show(plan, dry_run=True)
        typer.echo("Dry run: nothing was changed.")
        raise typer.Exit(EXIT_REFUSED if plan.problems else EXIT_OK)
    reason = githook_guard.inside_hook()
    if reason is not None:
        refuse("restore", f"{reason}; run 'scriptkeeper restore' outside git hooks")
    if top is not None:
        root = top
    else:
        try:
            root = locate(backup_dir, Path.cwd())[0]
        except Refused:
            root = start.resolve()
    try:
        lock = Lock.acquire(lock_path(root, repo.git_dir if repo else None))
    except Refused as error:
        refuse("restore", str(error))
    try:
        _restore_locked(lock, repo, root, backup_dir, skip_damaged)
    except GitError as error:
        refuse("restore", str(error))
    finally:
        lock.release()


def _restore_locked(lock: Lock, repo: GitRepo | None, root: Path,
                    backup_dir: Path | None, skip_damaged: bool) -> None:
    from scriptkeeper.clean.errors import Failed, Refused
    from scriptkeeper.clean.manifest import NAME
    from scriptkeeper.clean.recover import recover
    from scriptkeeper.clean.restore import run_restore
    from scriptkeeper.cli.progress import moving

    try:
        recovered = recover(root, repo, lock)
    except Refused as error:
        refuse("restore", str(error))
    if recovered is not None:
        typer.echo(recovered.message)
        if backup_dir is None:
            # without a folder named, the interrupted operation is what to undo: a
            # rolled-back clean is undone already and a finished restore is done; only a
            # clean that got committed still needs restoring (it is now the newest backup)
            if not (recovered.op == "clean" and recovered.outcome == "finished"):
                raise typer.Exit(EXIT_OK)
        elif not (backup_dir / NAME).is_file():
            raise typer.Exit(EXIT_OK)
    if repo is not None:
        try:
            repo.refuse_states()
        except Refused as error:
            refuse("restore", str(error))
        if repo.index_locked():
            refuse("restore", f"{repo.git_dir / 'index.lock'} exists: another git command "
                              f"is running (or one crashed; then remove the file)")
    root_found, _, _, plan = _locate(backup_dir, skip_damaged)
    if root_found != root:
        refuse("restore", f"the backup belongs to {root_found}, not {root}")
    _show(plan, dry_run=False)
    if plan.problems:
        raise typer.Exit(EXIT_REFUSED)
    if repo is not None and plan.manifest.commit:
        identity = repo.identity_problem()
        if identity is not None:
            refuse("restore", identity)
    try:
        with moving("restoring", len(plan.items)) as advance:
            result = run_restore(plan, repo, lock, advance)
    except Refused as error:
        refuse("restore", str(error))
    except Failed as error:
        fail(str(error), EXIT_REFUSED)
    what = f"; recorded as commit {result.commit[:12]}" if result.commit else ""
    left = len(plan.left)
    gone = "" if result.folder_removed else f" ({result.backup}/ kept: it holds other files)"
    if left:
        gone = (f" {left} damaged file{'s' if left != 1 else ''} stayed in {result.backup}/, "
                f"listed in its manifest.")
    typer.echo(f"Restored {result.moved} file{'s' if result.moved != 1 else ''} from "
               f"{result.backup}/{what}.{gone}")
