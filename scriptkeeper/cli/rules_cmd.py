"""``scriptkeeper rules`` and ``scriptkeeper rule NAME``: the rule set, explained."""

from __future__ import annotations

from pathlib import Path

import typer

from scriptkeeper.cli.common import fail, guarded


def _rules(config: Path | None):  # type: ignore[no-untyped-def]
    from scriptkeeper.pipeline.discover import find_root
    from scriptkeeper.pipeline.scan import config_path_for
    from scriptkeeper.rules.config import load_config

    root, _ = find_root([Path.cwd()])
    return guarded(lambda: load_config(config_path_for(root, config))).rules


def list_rules(
    config: Path = typer.Option(None, "--config", "-c", help="A rules.yaml to use."),
) -> None:
    """List every rule with its code, severity and summary."""
    for rule in _rules(config).values():
        state = "" if rule.enabled else " (off)"
        origin = "" if rule.builtin else " [yours]"
        typer.echo(f"{rule.code:6} {rule.name:30} {rule.severity:8} {rule.summary}{state}{origin}")


def explain_rule(
    name: str = typer.Argument(..., help="A rule name or code."),
    config: Path = typer.Option(None, "--config", "-c", help="A rules.yaml to use."),
) -> None:
    """Explain one rule: what SLURM does, an example, the fix."""
    from scriptkeeper.rules.pages import readable_template, says_more

    rules = _rules(config)
    rule = rules.get(name) or next((r for r in rules.values() if r.code == name), None)
    if rule is None:
        from scriptkeeper.rules.suppress import closest_rule

        near = closest_rule(name, rules)
        hint = f"did you mean '{near}'? " if near else ""
        fail(f"no rule named '{name}' ({hint}see 'scriptkeeper rules')")
    typer.echo(f"{rule.name} ({rule.code}, {rule.severity})\n")
    typer.echo(rule.summary + "\n")
    if rule.doc.what:
        typer.echo("What SLURM or the launcher does:\n  " + rule.doc.what.strip() + "\n")
    if rule.doc.example:
        typer.echo("Example that triggers it:\n" + _indent(rule.doc.example))
    if rule.doc.fixed:
        typer.echo("Fixed:\n" + _indent(rule.doc.fixed))
    # as the rule pages show them: a placeholder reads <name>, a bare {fact.fix} says nothing
    if says_more(rule.message):
        typer.echo("Message: " + readable_template(rule.message))
    if says_more(rule.fix):
        typer.echo("Fix: " + readable_template(rule.fix))
    if rule.doc.suppress:
        typer.echo("When to suppress: " + rule.doc.suppress)
    typer.echo(f"Suppress one line: '# scriptkeeper: disable={rule.name}'")


def _indent(text: str) -> str:
    return "".join("    " + line + "\n" for line in text.rstrip("\n").split("\n"))
