"""``scriptkeeper fix``: make the edits the rules declare, or show them as a diff."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from scriptkeeper.cli.common import EXIT_OK, EXIT_REFUSED, complain, fail, guarded

EXIT_WOULD_CHANGE = 1  # --diff: something would change (as `ruff format --diff`)


def fix(
    paths: list[Path] = typer.Argument(None, help="Files or folders (default: the repository)."),
    diff: bool = typer.Option(False, "--diff",
                              help="Print a unified diff and write nothing; exit 1 when "
                                   "something would change."),
    unsafe_fixes: bool = typer.Option(False, "--unsafe-fixes",
                                      help="Also make fixes that change what the job does."),
    select: str = typer.Option(None, "--select", metavar="RULE,...",
                               help="Only these rules (names or codes)."),
    config: Path = typer.Option(None, "--config", "-c", help="A rules.yaml to use."),
) -> None:
    """Fix job scripts in place: the edits rules.yaml declares safe (and, with
    --unsafe-fixes, unsafe). A fix that would leave a new error is not made."""
    from scriptkeeper.fix.apply import fix_script, fixable
    from scriptkeeper.fix.unified_diff import render
    from scriptkeeper.fix.write import WriteRefused, write_atomic
    from scriptkeeper.pipeline.scan import run_scan

    if config is not None and not config.is_file():
        fail(f"no such configuration file: {config}")
    for p in paths or []:
        if not p.exists() and not p.is_symlink():
            fail(f"no such file or folder: {p}")
    chosen = frozenset(s.strip() for s in select.split(",") if s.strip()) if select else None
    if chosen is not None:
        _check_selection(chosen, config, list(paths or []))
    report = guarded(lambda: run_scan(list(paths or []), config, redundancy=False))
    fixes = []
    unsafe_waiting = 0  # unsafe fixes of scripts with nothing else to fix
    for result in report.scripts:
        # only scripts with a finding whose edit may be made; the rest are not read again
        if not any(fixable(f, unsafe_fixes, chosen) for f in result.findings):
            unsafe_waiting += sum(fixable(f, True, chosen) for f in result.findings)
        else:
            fixes.append(guarded(lambda r=result: fix_script(  # type: ignore[misc]
                report.root, r.path, r.data, report.config, unsafe_fixes, chosen)))
    made = refused = files = 0
    unsafe_left = unsafe_waiting
    failed = False
    for done in fixes:
        refused += len(done.refused)
        unsafe_left += done.unsafe_left
        for r in done.refused:
            complain(f"{done.path}:{r.finding.line}: {r.finding.rule}: not fixed: {r.reason}")
        if not done.changed:
            continue
        files += 1
        made += len(done.applied)
        if diff:
            sys.stdout.write(render(done.path, done.before, done.after))
            continue
        try:
            write_atomic(report.root, done.path, done.before, done.after)
        except (WriteRefused, OSError) as error:
            complain(str(error))
            failed = True
            continue
        typer.echo(f"fixed {done.path}: " + ", ".join(
            f"{f.rule} (line {f.line})" for f in done.applied))
    sys.stdout.flush()  # the diff before the summary on stderr
    verb = "would fix" if diff else "fixed"
    summary = f"{verb} {made} finding(s) in {files} file(s)"
    if refused:
        summary += f"; {refused} fix(es) refused"
    if unsafe_left:
        summary += f"; {unsafe_left} more with --unsafe-fixes"
    complain(summary)
    if diff:
        raise typer.Exit(EXIT_WOULD_CHANGE if files else EXIT_OK)
    raise typer.Exit(EXIT_REFUSED if failed else EXIT_OK)


def _check_selection(chosen: frozenset[str], config: Path | None, paths: list[Path]) -> None:
    from scriptkeeper.pipeline.scan import prepare

    _, _, settings = guarded(lambda: prepare(paths, config))
    known = {r.name for r in settings.rules.values()} | {r.code for r in settings.rules.values()}
    unknown = sorted(chosen - known)
    if unknown:
        fail(f"unknown rule(s) in --select: {', '.join(unknown)} (see 'scriptkeeper rules')")
