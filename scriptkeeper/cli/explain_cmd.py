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
    if fmt == "json":
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        raise typer.Exit(EXIT_OK)
    from scriptkeeper.report import launch_picture

    columns = width or shutil.get_terminal_size((80, 24)).columns
    sys.stdout.write(launch_picture.render(data, use_color(no_color), columns))
    raise typer.Exit(EXIT_OK)
