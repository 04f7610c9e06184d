"""``scriptkeeper scan``: judge job scripts and print the report."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from scriptkeeper.cli.common import (
    EXIT_BROKEN,
    EXIT_OK,
    EXIT_USAGE,
    complain,
    fail,
    guarded,
    use_color,
)
from scriptkeeper.report import FORMATS, skips

if TYPE_CHECKING:
    from scriptkeeper.cluster.sbatch_check import SbatchOptions
    from scriptkeeper.records import ScanReport


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
    sbatch_check: bool = typer.Option(False, "--sbatch-check",
                                      help="Also ask the real cluster: 'sbatch --test-only' "
                                           "each script (never submits); a refusal is a "
                                           "finding (sbatch-refuses). Needs sbatch on PATH."),
    partition: str = typer.Option(None, "--partition", metavar="NAME",
                                  help="With --sbatch-check: passed to sbatch (wins over "
                                       "#SBATCH --partition)."),
    account: str = typer.Option(None, "--account", metavar="NAME",
                                help="With --sbatch-check: passed to sbatch."),
    verbose: bool = typer.Option(False, "--verbose", "-v",
                                 help="Also say which configuration the scan used and name "
                                      "every file it could not judge."),
    output_file: Path = typer.Option(None, "--output-file", "-o", metavar="FILE",
                                     help="Write the report to FILE instead of standard "
                                          "output (no colours)."),
    diff: Path = typer.Option(None, "--diff", metavar="PATH",
                              help="Show how the script at PATH differs from its keeper "
                                   "(the script it is redundant of) instead of the report."),
) -> None:
    """Classify every job script as keep, redundant or broken, with reasons."""
    from scriptkeeper.cluster.sbatch_check import SbatchUnavailable
    from scriptkeeper.pipeline import internal_error
    from scriptkeeper.pipeline.scan import run_scan
    from scriptkeeper.report import renderer

    chosen = fmt or ("table" if sys.stdout.isatty() else "concise")
    if chosen not in FORMATS:
        fail(f"unknown format '{chosen}' (choose from {', '.join(FORMATS)})")
    if config is not None and not config.is_file():
        fail(f"no such configuration file: {config}")
    for p in paths or []:
        if not p.exists() and not p.is_symlink():
            fail(f"no such file or folder: {p}")
    sbatch = _sbatch_options(sbatch_check, partition, account)
    try:
        report = guarded(lambda: run_scan(list(paths or []), config,
                                          use_baseline=not no_baseline, use_cache=not no_cache,
                                          sbatch=sbatch))
    except SbatchUnavailable as error:
        fail(str(error))
    if report.baselined:
        typer.echo(f"scriptkeeper: {report.baselined} finding(s) accepted by the baseline are "
                   f"not shown (--no-baseline shows them)", err=True)
    if diff is not None:
        from scriptkeeper.report import keeper_diff as against_keeper

        try:
            sys.stdout.write(against_keeper.render(report, diff, use_color(no_color)))
        except against_keeper.NotScanned as error:
            fail(str(error))
        raise typer.Exit(EXIT_OK)
    if output_file is not None:
        try:
            output_file.write_text(renderer(chosen)(report, False), encoding="utf-8")
        except OSError as error:
            fail(f"cannot write {output_file}: {error.strerror}")
    else:
        sys.stdout.write(renderer(chosen)(report, use_color(no_color)))
    if report.sbatch_check is not None:
        complain(report.sbatch_check.line())
    if verbose:
        _say_configuration(report, config, list(paths or []))
    _say_skipped(report, verbose)
    internal = internal_error.summary(report.scripts)
    if internal is not None:  # even with --exit-zero: the verdicts are not known
        fail(internal)
    if skips.every_named_skipped(report):
        raise typer.Exit(EXIT_USAGE)
    broken = report.failing > 0
    raise typer.Exit(EXIT_BROKEN if broken and not exit_zero else EXIT_OK)


def _say_configuration(report: ScanReport, explicit: Path | None, paths: list[Path]) -> None:
    """Which rules.yaml the scan used, and each one it passed over as another tool's."""
    from scriptkeeper.pipeline.scan import find_config
    from scriptkeeper.report.places import from_here

    place = from_here(report.root)

    def shown(path: Path) -> str:
        try:
            return place(path.resolve().relative_to(report.root).as_posix())
        except ValueError:
            return str(path)

    used, passed = find_config(report.root, explicit, paths[0] if paths else Path.cwd())
    for path, why in passed:
        complain(f"not scriptkeeper configuration, ignored: {shown(path)} ({why})")
    complain(f"configuration: {shown(used)}" if used is not None else
             "configuration: the built-in rules (no rules.yaml of scriptkeeper's from the "
             "scanned folder up to the repository root)")


def _say_skipped(report: ScanReport, verbose: bool) -> None:
    """Each named file that was not judged, then a count of the others that may be scripts."""
    from scriptkeeper.report.places import from_here

    place = from_here(report.root)
    for path, reason in skips.named_skips(report):
        complain(f"skipped {_shown(place, path, report)}: {reason}")
    if verbose:
        named = set(report.named)
        for path, reason in report.skipped:
            if skips.unjudged(reason) and path not in named:
                complain(f"skipped {_shown(place, path, report)}: {reason}")
    else:
        line = skips.summary(report)
        if line:
            complain(line)


def _shown(place: Callable[[str], str], path: str, report: ScanReport) -> str:
    """A skipped path from here; one outside the repository is as it was given."""
    return path if Path(path).is_absolute() or path.startswith("..") or \
        not (report.root / path).resolve().is_relative_to(report.root) else place(path)


def _sbatch_options(check: bool, partition: str | None,
                    account: str | None) -> SbatchOptions | None:
    """The sbatch check's settings; usage errors (exit 2) when it cannot run."""
    from scriptkeeper.cluster.sbatch_check import SbatchOptions, find_sbatch

    if not check:
        if partition is not None or account is not None:
            fail("--partition and --account are passed to sbatch: use them with --sbatch-check")
        return None
    if find_sbatch() is None:
        fail("--sbatch-check needs sbatch, which is not on PATH: run the scan on a machine "
             "that can submit to the cluster (a login node)")
    return SbatchOptions(partition=partition, account=account)
