"""Shared pieces of the commands (cli stage): exit codes, errors and refusals, colour.

The exit codes of every command and of the pre-commit hook, named once here:

====  ================  ===================================================
0     ``EXIT_OK``       done; nothing broken (or ``scan --exit-zero``)
1     ``EXIT_BROKEN``   ``scan``/hook: a script is broken (the hook also for a
                        redundant one under ``hook.redundancy: error``)
1     ``EXIT_REFUSED``  ``clean``/``restore``: refused, or failed and rolled
                        back; nothing changed
2     ``EXIT_USAGE``    a usage or configuration error (typer's and
                        argparse's own usage errors are 2 as well)
====  ================  ===================================================

Every message goes to standard error as ``scriptkeeper: <message>``.

The command modules are all imported to build the command line (``--help``,
completion): each imports what its command needs inside the command, so that
a command loads only its own part of the pipeline. This module imports typer
only inside the helpers that echo: the hook takes its exit codes from here
and must load neither typer nor rich.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, NoReturn, TypeVar

if TYPE_CHECKING:
    from scriptkeeper.rules.config import ConfigError

T = TypeVar("T")

EXIT_OK: Final = 0
EXIT_BROKEN: Final = 1
EXIT_REFUSED: Final = 1
EXIT_USAGE: Final = 2


def use_color(no_color: bool) -> bool:
    if no_color or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def complain(message: str) -> None:
    """``scriptkeeper: <message>`` on standard error; the command goes on."""
    import typer

    typer.echo(f"scriptkeeper: {message}", err=True)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Complain, then exit with ``code`` (a usage error unless told)."""
    import typer

    complain(message)
    raise typer.Exit(code)


def refuse(operation: str, message: str) -> NoReturn:
    """``clean``/``restore`` will not run (``operation`` names it); nothing was changed."""
    fail(f"refusing to {operation}: {message}", EXIT_REFUSED)


def problems(found: list[str], dry_run: bool) -> None:
    """Each reason a clean or restore refuses (or would, in a dry run), one line each."""
    for problem in found:
        complain(f"{'would refuse' if dry_run else 'refusing'}: {problem}")


def configuration_error(error: ConfigError) -> str:
    """The message for a bad rules.yaml (the error carries its file and line)."""
    return f"configuration error: {error}"


def guarded(action: Callable[[], T]) -> T:
    """Run ``action``; a configuration error becomes exit 2 with file and line."""
    from scriptkeeper.rules.config import ConfigError

    try:
        return action()
    except ConfigError as error:
        fail(configuration_error(error))


def hook_error(message: str) -> int:
    """The hook's :func:`fail`: the same line, with print (no typer), as its exit status."""
    print(f"scriptkeeper: {message}", file=sys.stderr)
    return EXIT_USAGE
