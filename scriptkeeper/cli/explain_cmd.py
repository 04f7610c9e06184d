"""``scriptkeeper explain``: draw what SLURM and the launcher will do with one job script."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import typer

from scriptkeeper.cli.common import EXIT_OK, fail, guarded, use_color

FORMATS = ("text", "json")


def explain(
    path: Path = typer.Argument(..., help="The job script."),
    fmt: str = typer.Option("text", "--format", "-f",
                            help="text (the picture) or json (the same content, "
                                 "docs/explain.md)."),
    config: Path = typer.Option(None, "--config", "-c", help="A rules.yaml to use."),
    no_color: bool = typer.Option(False, "--no-color", help="No colours (also NO_COLOR)."),
    width: int = typer.Option(None, "--width", min=40,
                              help="Columns of the picture (default: the terminal's)."),
    fixed: bool = typer.Option(False, "--fixed",
                               help="Also draw the script as 'scriptkeeper fix "
                                    "--unsafe-fixes' would leave it (nothing is written)."),
) -> None:
    """Draw the allocation and each launch step of one job script: tasks, GPUs, ranks."""
    from scriptkeeper.pipeline.explain import explain_script

    if fmt not in FORMATS:
        fail(f"unknown format '{fmt}' (choose from {', '.join(FORMATS)})")
    if config is not None and not config.is_file():
        fail(f"no such configuration file: {config}")
    if not path.is_file():
        fail(f"no such file: {path}")
    data = guarded(lambda: explain_script(path, config))
    after = guarded(lambda: explain_script(path, config, fixed=True)) if fixed else None
    if fmt == "json":
        shown = data if after is None else {"script": data, "fixed": after}
        sys.stdout.write(json.dumps(shown, indent=2) + "\n")
        raise typer.Exit(EXIT_OK)
    from scriptkeeper.report import launch_picture

    columns = width or shutil.get_terminal_size((80, 24)).columns
    color = use_color(no_color)
    sys.stdout.write(launch_picture.render(data, color, columns))
    if after is not None:
        applied = after["fixes"]["applied"]
        what = ", ".join(f"{f['rule']} (line {f['line']})" for f in applied) or "nothing to fix"
        sys.stdout.write(f"\nafter `scriptkeeper fix --unsafe-fixes`: {what}\n")
        for refusal in after["fixes"]["refused"]:
            sys.stdout.write(f"  not fixed: {refusal['rule']} (line {refusal['line']}): "
                             f"{refusal['reason']}\n")
        sys.stdout.write(launch_picture.render(after, color, columns))
    raise typer.Exit(EXIT_OK)
