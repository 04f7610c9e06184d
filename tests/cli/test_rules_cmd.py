"""``scriptkeeper rules`` and ``scriptkeeper rule NAME``: readable explanations, near names."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from scriptkeeper.cli.app import app
from scriptkeeper.rules.config import builtin_rules

# what a raw message or fix template holds: {fact.fix}, {step.command}, {job.ntasks}
RAW = re.compile(r"\{(?:fact|step|job|script|cluster)\.[a-z_]+\}")


@pytest.mark.parametrize("name", list(builtin_rules()), ids=str)
def test_rule_shows_no_raw_template(name: str) -> None:
    out = CliRunner().invoke(app, ["rule", name])
    assert out.exit_code == 0, out.output
    assert not RAW.search(out.output), out.output


def test_rule_renders_placeholders_as_the_pages_do() -> None:
    out = CliRunner().invoke(app, ["rule", "missing-srun"]).output
    assert "Fix: start the line with srun so SLURM starts the <slurm_ntasks> tasks: " \
           "`srun <command>`" in out
    assert "Message: SLURM_NTASKS=<slurm_ntasks>" in out


def test_rule_whose_fix_is_the_facts_own_shows_no_fix_line() -> None:
    # invalid-value's fix is '{fact.fix}' alone: the finding says it, the explanation cannot
    rule = builtin_rules()["invalid-value"]
    assert RAW.fullmatch(rule.fix.strip())
    out = CliRunner().invoke(app, ["rule", "invalid-value"]).output
    assert "Fix:" not in out


def test_rule_suggests_the_closest_name() -> None:
    out = CliRunner().invoke(app, ["rule", "missing-srn"])
    assert out.exit_code == 2
    assert "did you mean 'missing-srun'?" in out.output


def test_rule_far_from_every_name_suggests_nothing() -> None:
    out = CliRunner().invoke(app, ["rule", "zzzzzz"])
    assert out.exit_code == 2 and "did you mean" not in out.output
