"""``scriptkeeper hook FILE...``: the pre-commit check, also reachable from the main command.

The work is in :mod:`scriptkeeper.hook`, whose ``scriptkeeper-hook`` entry
point pre-commit runs (it starts faster than this typer command).
"""

from __future__ import annotations

import typer


def run_hook(ctx: typer.Context) -> None:
    """Check the job scripts about to be committed (see 'scriptkeeper hook --help')."""
    from scriptkeeper import hook

    raise typer.Exit(hook.main(list(ctx.args)))


SETTINGS = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}
