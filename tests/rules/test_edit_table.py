"""rules/edit_table.py against the edit modules and rules.yaml's autofix declarations."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from scriptkeeper.rules import edit_table
from scriptkeeper.rules.config import ConfigError, builtin_rules, load_config


def test_every_listed_rule_has_its_edit_in_the_module_named() -> None:
    for rule, module in edit_table.MODULES.items():
        assert rule in importlib.import_module(module).EDITS, (rule, module)


def test_every_edit_is_listed() -> None:
    for module in set(edit_table.MODULES.values()):
        for rule in importlib.import_module(module).EDITS:
            assert edit_table.MODULES.get(rule) == module, rule


def test_the_builtin_rules_declare_an_edit_exactly_where_there_is_one() -> None:
    rules = builtin_rules()
    declared = {name for name, r in rules.items() if r.autofix in ("safe", "unsafe")}
    assert declared == set(edit_table.MODULES)
    assert {name for name, r in rules.items() if r.autofix == "none"} == {
        "conflicting-options", "request-exceeds-node"}
    safe = {name for name, r in rules.items() if r.autofix == "safe"}
    assert safe == {"dos-line-endings", "missing-shebang", "duplicate-option"}


def test_a_user_may_turn_a_fix_off_but_not_invent_one(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  missing-srun: {autofix: none}\n")
    assert load_config(path).rules["missing-srun"].autofix == "none"
    path.write_text("rules:\n  gpus-unused: {autofix: safe}\n")
    with pytest.raises(ConfigError, match="no edit"):
        load_config(path)
    path.write_text("rules:\n  missing-srun: {autofix: sometimes}\n")
    with pytest.raises(ConfigError, match="autofix must be one of"):
        load_config(path)
