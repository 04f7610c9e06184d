"""``scriptkeeper baseline``: accept today's findings, so that only new ones fail."""

from __future__ import annotations

from pathlib import Path

import typer

from scriptkeeper.cli.common import fail, guarded


def baseline(
    path: Path = typer.Argument(None, help="A folder of the repository (default: the current "
                                           "one); the whole repository is judged."),
    config: Path = typer.Option(None, "--config", "-c", help="A rules.yaml to use."),
    no_cache: bool = typer.Option(False, "--no-cache",
                                  help="Judge every script again, ignoring .scriptkeeper_cache."),
) -> None:
    """Write .scriptkeeper-baseline.json with every current finding.

    Baselined findings no longer fail 'scan' or the pre-commit hook until the
    line they point at changes; 'scan --no-baseline' still shows them.
    """
    from scriptkeeper.pipeline import internal_error
    from scriptkeeper.pipeline.discover import find_root
    from scriptkeeper.pipeline.scan import run_scan
    from scriptkeeper.rules.baseline import write

    if config is not None and not config.is_file():
        fail(f"no such configuration file: {config}")
    if path is not None and not path.is_dir():
        fail(f"not a folder: {path}")
    root, _ = find_root([path or Path.cwd()])
    report = guarded(lambda: run_scan([root], config, redundancy=False, use_baseline=False,
                                      use_cache=not no_cache))
    internal = internal_error.summary(report.scripts)
    if internal is not None:  # what the failed scripts' findings are is not known
        fail(f"{internal}; no baseline written")
    written = write(report.root, report.scripts)
    count = sum(len(s.findings) for s in report.scripts)
    scripts = sum(1 for s in report.scripts if s.findings)
    typer.echo(f"wrote {written.relative_to(report.root)}: {count} finding(s) in {scripts} "
               f"script(s) accepted")
