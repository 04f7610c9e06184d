"""The built-in rules' conditions, line paths and templates are valid, as are the defaults.

``config.load_config`` does not check them at every start (that would import
the expression checker and the job model for nothing): this test does, with
the same checks a user's rules.yaml gets at load (``config.check_builtin``).
"""

from __future__ import annotations

import pytest

from scriptkeeper.parse.option_table import known_releases, option_table
from scriptkeeper.rules import config, expressions
from scriptkeeper.rules.config import (
    ConfigError,
    RedundancySettings,
    Rule,
    builtin_rules,
    builtin_text,
    check_builtin,
)


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


def test_every_builtin_rule_passes_the_checks_of_a_user_rule() -> None:
    assert check_builtin() == builtin_rules()


def _builtin_error(old: str, new: str) -> ConfigError:
    text = builtin_text()
    assert text.count(old) == 1
    with pytest.raises(ConfigError) as caught:
        check_builtin(text.replace(old, new))
    assert caught.value.path == "<built-in rules.yaml>"
    return caught.value


def _line_of(needle: str) -> int:
    return builtin_text()[:builtin_text().index(needle)].count("\n") + 1


def test_a_builtin_fact_kind_typo_is_refused_with_its_line() -> None:
    error = _builtin_error("fact: dos-line-endings", "fact: dos-line-ending")
    assert error.line == _line_of("fact: dos-line-endings")
    assert "unknown fact kind 'dos-line-ending' in rule 'dos-line-endings'" in str(error)


def test_a_builtin_fact_kind_typo_is_refused_at_every_start(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # the kinds are a plain table: checked at each load, not only by check_builtin
    typo = builtin_text().replace("fact: dos-line-endings", "fact: dos-line-ending")
    monkeypatch.setattr(config, "builtin_text", lambda: typo)
    monkeypatch.setattr(config, "_BUILTIN", None)
    with pytest.raises(ConfigError) as caught:
        config.builtin_rules()
    assert caught.value.line == _line_of("fact: dos-line-endings")


def test_an_unknown_field_in_a_builtin_rule_is_refused_with_its_line() -> None:
    when = 'when: "step.srun and step.early_rank_var"'
    error = _builtin_error(when, when.replace("step.early_rank_var", "step.no_such_field"))
    assert error.line == _line_of(when)
    assert "'step' has no attribute 'no_such_field'" in str(error)
    error = _builtin_error("{job.exceeds_text}", "{job.nope}")
    assert error.line == _line_of("{job.exceeds_text}") - 1  # the line of 'message: >-'
    assert "'job' has no attribute 'nope'" in str(error)
    error = _builtin_error("line: step.cvd_line", "line: step.cvd_lines")
    assert error.line == _line_of("line: step.cvd_line")


@pytest.mark.parametrize("release", [None, *known_releases()])
def test_default_redundancy_ignore_names_are_long_options_of_every_release(
        release: str | None) -> None:
    # load_config checks redundancy.ignore against the option table only when a rules.yaml
    # sets it: the defaults must hold for any cluster.slurm_version
    table = option_table(release)
    assert [n for n in RedundancySettings().ignore if n not in table.by_long] == []
