"""The built-in rules' conditions, line paths and templates are valid, as are the defaults.

``config.load_config`` does not check them at every start (that would import
the expression checker and the job model for nothing): this test does, with
the same checks a user's rules.yaml gets at load.
"""

from __future__ import annotations

import pytest

from scriptkeeper.parse.option_table import known_releases, option_table
from scriptkeeper.rules import expressions
from scriptkeeper.rules.config import RedundancySettings, Rule, builtin_rules


@pytest.mark.parametrize("rule", list(builtin_rules().values()), ids=lambda r: r.name)
def test_builtin_rule_checks_as_a_user_rule_would(rule: Rule) -> None:
    assert (rule.when is None) != (rule.fact is None)
    if rule.when is not None:
        expressions.compile_condition(rule.when, rule.scope)
    if rule.line is not None:
        expressions.check_path(rule.line, rule.scope)
    expressions.check_template(rule.message, rule.scope)
    expressions.check_template(rule.fix, rule.scope)


def test_a_bad_builtin_condition_would_be_caught() -> None:
    with pytest.raises(expressions.ExpressionError):
        expressions.compile_condition("job.no_such_field > 1", "job")


@pytest.mark.parametrize("release", [None, *known_releases()])
def test_default_redundancy_ignore_names_are_long_options_of_every_release(
        release: str | None) -> None:
    # load_config checks redundancy.ignore against the option table only when a rules.yaml
    # sets it: the defaults must hold for any cluster.slurm_version
    table = option_table(release)
    assert [n for n in RedundancySettings().ignore if n not in table.by_long] == []
