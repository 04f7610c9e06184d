"""``scriptkeeper scan``: judge job scripts and print the report."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ..report import FORMATS, renderer
from ..scan import run_scan
from .common import EXIT_BROKEN, EXIT_OK, fail, guarded, use_color


def scan(
    paths: list[Path] = typer.Argument(None, help="Files or folders (default: the repository)."),
    fmt: str = typer.Option(None, "--format", "-f",
                            help=f"Output format: {', '.join(FORMATS)} (default: table on a "
                                 f"terminal, concise otherwise)."),
    config: Path = typer.Option(None, "--config", "-c", help="A rules.yaml to use."),
    no_color: bool = typer.Option(False, "--no-color", help="No colours (also NO_COLOR)."),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 even if broken."),
    no_baseline: bool = typer.Option(False, "--no-baseline",
                                     help="Also show the findings .scriptkeeper-baseline.json "
                                          "accepts."),
    no_cache: bool = typer.Option(False, "--no-cache",
                                  help="Judge every script again, ignoring .scriptkeeper_cache."),
    diff: Path = typer.Option(None, "--diff", metavar="PATH",
                              help="Show how the script at PATH differs from its keeper "
                                   "(the script it is redundant of) instead of the report."),
) -> None:
    """Classify every job script as keep, redundant or broken, with reasons."""
    chosen = fmt or ("table" if sys.stdout.isatty() else "concise")
    if chosen not in FORMATS:
        fail(f"unknown format '{chosen}' (choose from {', '.join(FORMATS)})")
    if config is not None and not config.is_file():
        fail(f"no such configuration file: {config}")
    for p in paths or []:
        if not p.exists() and not p.is_symlink():
            fail(f"no such file or folder: {p}")
    report = guarded(lambda: run_scan(list(paths or []), config, use_baseline=not no_baseline,
                                      use_cache=not no_cache))
    if report.baselined:
        typer.echo(f"scriptkeeper: {report.baselined} finding(s) accepted by the baseline are "
                   f"not shown (--no-baseline shows them)", err=True)
    if diff is not None:
        from ..redundancy import diff as against_keeper

        try:
            sys.stdout.write(against_keeper.render(report, diff, use_color(no_color)))
        except against_keeper.NotScanned as error:
            fail(str(error))
        raise typer.Exit(EXIT_OK)
    sys.stdout.write(renderer(chosen)(report, use_color(no_color)))
    broken = report.summary["broken"] > 0
    raise typer.Exit(EXIT_BROKEN if broken and not exit_zero else EXIT_OK)
