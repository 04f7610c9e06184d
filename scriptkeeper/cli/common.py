"""Shared pieces of the commands: colour choice, configuration errors, exit codes.

The command modules are all imported to build the command line (``--help``,
completion): each imports what its command needs inside the command, so that
a command loads only its own part of the pipeline.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import NoReturn, TypeVar

import typer

T = TypeVar("T")

EXIT_OK, EXIT_BROKEN, EXIT_USAGE = 0, 1, 2


def use_color(no_color: bool) -> bool:
    if no_color or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    typer.echo(f"scriptkeeper: {message}", err=True)
    raise typer.Exit(code)


def guarded(action: Callable[[], T]) -> T:
    """Run ``action``; a configuration error becomes exit 2 with file and line."""
    from scriptkeeper.rules.config import ConfigError

    try:
        return action()
    except ConfigError as error:
        fail(f"configuration error: {error}")
