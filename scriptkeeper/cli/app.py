"""The ``scriptkeeper`` command: a thin typer layer over the command modules beside it.

Each command lives in its own module under ``scriptkeeper.cli`` and is
registered here. Exit codes (named in ``scriptkeeper.cli.common``): 0 nothing
broken, 1 something broken (``clean``/``restore``: refused), 2 usage or
configuration error.
"""

from __future__ import annotations

import typer

from scriptkeeper import __version__
from scriptkeeper.cli import (
    baseline_cmd,
    clean_cmd,
    explain_cmd,
    fix_cmd,
    history_cmd,
    hook_cmd,
    init_cmd,
    install_hook_cmd,
    profile_cmd,
    restore_cmd,
    rules_cmd,
    scan_cmd,
)
from scriptkeeper.cli.common import EXIT_OK

app = typer.Typer(
    name="scriptkeeper",
    help="Judge a folder of SLURM job scripts: keep, redundant or broken, with reasons.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"scriptkeeper {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """scriptkeeper: keep a folder of SLURM job scripts honest."""


app.command("scan")(scan_cmd.scan)
app.command("rules")(rules_cmd.list_rules)
app.command("rule")(rules_cmd.explain_rule)
app.command("explain")(explain_cmd.explain)
app.command("clean")(clean_cmd.clean)
app.command("fix")(fix_cmd.fix)
app.command("restore")(restore_cmd.restore)
app.command("history")(history_cmd.history)
app.command("init")(init_cmd.init)
app.add_typer(profile_cmd.app, name="profile")
app.command("baseline")(baseline_cmd.baseline)
app.command("install-hook")(install_hook_cmd.install_hook)
app.command("hook", context_settings=hook_cmd.SETTINGS, add_help_option=False)(hook_cmd.run_hook)


def main() -> None:
    """The console script (and ``python -m scriptkeeper``)."""
    from scriptkeeper.cli.process import for_batch_work, run_and_exit

    for_batch_work()
    run_and_exit(app)
