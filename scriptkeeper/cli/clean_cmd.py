"""``scriptkeeper clean``: move broken and redundant job scripts into a backup, with a commit.

A thin layer over ``scriptkeeper.clean``: scan, plan, check (a refusal is said
before the plan), ask, move, commit. Exit 0 when done (or nothing to do), 1 when
refused or failed (nothing changed), 2 for usage or configuration errors (the codes and the
refusal helpers are ``scriptkeeper.cli.common``'s).
"""

from __future__ import annotations

import os
import shlex
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from scriptkeeper.cli.common import (
    EXIT_OK,
    EXIT_REFUSED,
    complain,
    fail,
    guarded,
    problems,
    refuse,
)

if TYPE_CHECKING:
    from scriptkeeper.clean.backup import Prepared
    from scriptkeeper.clean.gitops import GitRepo
    from scriptkeeper.clean.lock import Lock
    from scriptkeeper.clean.plan import Plan
    from scriptkeeper.records import ScanReport

# scriptkeeper.clean (and GitPython) load only when this command runs: the CLI
# starts fast for scan and the pre-commit hook.


def show_plan(plan: Plan, backup: str, dry_run: bool,
              fixable: dict[str, str] | None = None) -> None:
    """``fixable``: for a dry run, the command that would repair a broken script instead."""
    from scriptkeeper.clean.backup import shown

    total = len(plan.moves)
    verb = "Would move" if dry_run else "Moving"
    if total:
        typer.echo(f"{verb} {total} job script{'s' if total != 1 else ''} into {backup}/:")
    for move in plan.moves:
        target = f"{backup}/{plan.stored(move)}"
        typer.echo(f"  {move.verdict:9}  {shown(move.path)}  ->  {shown(target)}")
        typer.echo(f"  {'':9}    {' '.join(move.reason.split())}")
        if fixable and move.path in fixable:
            typer.echo(f"  {'':9}    fixable: {fixable[move.path]}")
    if plan.held:
        typer.echo("Not moved:")
        for held in plan.held:
            typer.echo(f"  {held.verdict:9}  {shown(held.path)}  ({held.why})")


def _plan(paths: list[Path], config: Path | None, only: str | None,
          use_baseline: bool = True) -> tuple[Plan, bool, ScanReport]:
    """The plan, whether rules.yaml lets clean commit (``backup.commit``), and the scan."""
    from scriptkeeper.clean.errors import Refused
    from scriptkeeper.clean.plan import make_plan
    from scriptkeeper.pipeline.scan import run_scan

    report = guarded(lambda: run_scan(paths, config, use_baseline=use_baseline))
    try:
        return make_plan(report, only), report.config.backup_commit, report
    except Refused as error:
        fail(str(error))


def clean(
    paths: list[Path] = typer.Argument(None, help="Files or folders (default: the repository)."),
    dry_run: bool = typer.Option(False, "--dry-run", "-n",
                                 help="Print the plan; change nothing (not even the index)."),
    only: str = typer.Option(None, "--only", help="Move only 'broken' or only 'redundant'."),
    no_commit: bool = typer.Option(False, "--no-commit",
                                   help="Back up and write the manifest, but make no commit."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before moving."),
    allow_dirty: bool = typer.Option(False, "--allow-dirty",
                                     help="Move scripts with uncommitted edits (their "
                                          "working copy is what is backed up)."),
    config: Path = typer.Option(None, "--config", "-c", help="A rules.yaml to use."),
    no_baseline: bool = typer.Option(False, "--no-baseline",
                                     help="Also move broken scripts whose errors "
                                          ".scriptkeeper-baseline.json accepts (kept "
                                          "otherwise)."),
) -> None:
    """Move every broken or redundant job script (except pinned ones) into a backup folder.

    Writes MANIFEST.yaml (sha256, verdict, reasons) first, moves the files
    keeping their relative paths, and records one git commit holding only the
    moves; 'scriptkeeper restore' undoes it.
    """
    from scriptkeeper.clean import githook_guard
    from scriptkeeper.clean.backup import prepare
    from scriptkeeper.clean.errors import Refused
    from scriptkeeper.clean.gitops import GitError
    from scriptkeeper.clean.lock import Lock, dry_run_state, lock_path
    from scriptkeeper.clean.plan import preview_name
    from scriptkeeper.pipeline.discover import find_root

    if only not in (None, "broken", "redundant"):
        fail(f"--only takes 'broken' or 'redundant', not '{only}'")
    if config is not None and not config.is_file():
        fail(f"no such configuration file: {config}")
    for p in paths or []:
        if not p.exists() and not p.is_symlink():
            fail(f"no such file or folder: {p}")
    # a stale cache must never decide what moves, and a dry run must write nothing
    os.environ["SCRIPTKEEPER_NO_CACHE"] = "1"
    targets = list(paths or [])
    root, in_git = find_root(targets or [Path.cwd()])
    repo = None
    if in_git:
        from scriptkeeper.clean.gitops import GitRepo

        repo = GitRepo(root)
    commit = not no_commit
    now = datetime.now(timezone.utc)
    if dry_run:
        problem, note = dry_run_state(lock_path(root, repo.git_dir if repo else None))
        plan, config_commit, report = _plan(targets, config, only, not no_baseline)
        prepared = prepare(plan, repo, commit and config_commit, allow_dirty)
        if problem:
            prepared.problems.append(problem)
        if note:
            typer.echo(note)
        _report(prepared, preview_name(root, plan, now), dry_run=True,
                fixable=_fixable(report, plan))
        typer.echo("Dry run: nothing was changed.")
        raise typer.Exit(EXIT_REFUSED if prepared.problems else EXIT_OK)
    reason = githook_guard.inside_hook()
    if reason is not None:
        refuse("clean", f"{reason}; run 'scriptkeeper clean' outside git hooks")
    try:
        lock = Lock.acquire(lock_path(root, repo.git_dir if repo else None))
    except Refused as error:
        refuse("clean", str(error))
    try:
        _clean_locked(lock, repo, root, targets, config, only, commit, yes, allow_dirty, now,
                      not no_baseline)
    except GitError as error:
        # raised before anything moved, or after a rollback (see run_clean)
        refuse("clean", str(error))
    finally:
        lock.release()


def _fixable(report: ScanReport, plan: Plan) -> dict[str, str]:
    """The broken scripts of the plan that ``scriptkeeper fix`` would leave without an error,
    and the command that does it."""
    from scriptkeeper.fix.apply import fix_script, fixable

    moving = {m.path for m in plan.moves if m.verdict == "broken"}
    found: dict[str, str] = {}
    for result in report.scripts:
        if result.path not in moving or not any(fixable(f, True) for f in result.findings):
            continue
        done = guarded(lambda r=result: fix_script(  # type: ignore[misc]
            report.root, r.path, r.data, report.config, unsafe=True))
        if done.changed and not any(f.severity == "error" for f in done.remaining):
            unsafe = any(f.autofix is not None and f.autofix.applicability == "unsafe"
                         for f in done.applied)
            where = os.path.relpath(report.root / result.path)
            found[result.path] = ("scriptkeeper fix " + ("--unsafe-fixes " if unsafe else "")
                                  + shlex.quote(where))
    return found


def _report(prepared: Prepared, backup: str, dry_run: bool,
            fixable: dict[str, str] | None = None) -> None:
    show_plan(prepared.plan, backup, dry_run, fixable)
    if not prepared.plan.moves:
        typer.echo("Nothing to clean: no broken or redundant script to move.")
    problems(prepared.problems, dry_run)


def _clean_locked(lock: Lock, git: GitRepo | None, root: Path, targets: list[Path],
                  config: Path | None, only: str | None, commit: bool, yes: bool,
                  allow_dirty: bool, now: datetime, use_baseline: bool) -> None:
    from scriptkeeper.clean.backup import prepare, run_clean
    from scriptkeeper.clean.errors import Failed, Refused
    from scriptkeeper.clean.plan import preview_name
    from scriptkeeper.clean.recover import recover
    from scriptkeeper.cli.progress import moving

    try:
        recovered = recover(root, git, lock)
    except Refused as error:
        refuse("clean", str(error))
    if recovered is not None:
        typer.echo(recovered.message)
    plan, config_commit, _ = _plan(targets, config, only, use_baseline)
    commit = commit and config_commit
    prepared = prepare(plan, git, commit, allow_dirty)
    # a refusal comes before the plan: "Moving N scripts" is never followed by "refusing"
    if prepared.problems:
        problems(prepared.problems, dry_run=False)
        complain("nothing was moved; 'scriptkeeper clean --dry-run' shows the plan")
        raise typer.Exit(EXIT_REFUSED)
    if plan.moves and not yes and not sys.stdin.isatty():
        refuse("clean", "no terminal to ask for confirmation; pass --yes to move "
                        "without asking")
    _report(prepared, preview_name(root, plan, now), dry_run=False)
    if not plan.moves:
        raise typer.Exit(EXIT_OK)
    if not yes and not typer.confirm(f"Move these {len(plan.moves)} scripts?", default=False):
        typer.echo("Nothing was moved.")
        raise typer.Exit(EXIT_REFUSED)
    try:
        with moving("moving", len(plan.moves)) as advance:
            result = run_clean(prepared, git, lock, commit, now, advance)
    except Refused as error:
        refuse("clean", str(error))
    except Failed as error:
        fail(str(error), EXIT_REFUSED)
    what = f"; recorded as commit {result.commit[:12]}" if result.commit else " (no commit)"
    typer.echo(f"Moved {len(result.entries)} job script{'s' if len(result.entries) != 1 else ''} "
               f"into {result.backup}/{what}.")
    typer.echo(f"Undo with: scriptkeeper restore {result.backup}")
