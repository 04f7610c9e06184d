"""``scriptkeeper history``: past cleans and restores, from the git log.

A thin layer over ``scriptkeeper.clean.past_operations``; backups no commit records
(``--no-commit``, outside git) are listed from the disk.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from scriptkeeper.cli.common import fail

if TYPE_CHECKING:
    from scriptkeeper.clean.past_operations import Event


def history(
    fmt: str = typer.Option("text", "--format", "-f", help="Output format: text or json."),
) -> None:
    """List past cleans and restores: when, commit, backup folder, scripts, state."""
    from scriptkeeper.clean.past_operations import from_git, uncommitted
    from scriptkeeper.pipeline.discover import find_root

    if fmt not in ("text", "json"):
        fail(f"unknown format '{fmt}' (choose from text, json)")
    root, in_git = find_root([Path.cwd()])
    events: list[Event] = []
    if in_git:
        from scriptkeeper.clean.gitops import GitRepo

        events = from_git(GitRepo(root))
    events += uncommitted(root, {e.backup for e in events})
    if fmt == "json":
        typer.echo(json.dumps({"root": str(root), "events": [e.as_json() for e in events]},
                              indent=2))
        return
    if not events:
        typer.echo("No cleans or restores recorded" + ("" if in_git else
                                                        " (not a git repository)") + ".")
        return
    typer.echo(f"{'WHEN':25}  {'COMMIT':10}  {'OPERATION':9}  {'SCRIPTS':>7}  {'STATE':8}  BACKUP")
    for e in events:
        commit = e.commit[:10] if e.commit else "-"
        scripts = str(e.scripts) if e.scripts is not None else "?"
        typer.echo(f"{e.when:25}  {commit:10}  {e.op:9}  {scripts:>7}  {e.state:8}  {e.backup}")
