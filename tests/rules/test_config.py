"""rules.yaml is read strictly: every mistake is an error with its file and line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scriptkeeper.rules.config import ConfigError, builtin_rules, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    return path


def error_of(tmp_path: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    return caught.value


def test_builtin_rules_have_codes_severities_and_docs() -> None:
    rules = builtin_rules()
    for name in ("missing-shebang", "dos-line-endings", "empty-script", "unknown-option",
                 "invalid-directive", "invalid-value", "conflicting-options",
                 "directive-after-command", "ignored-directive-lookalike", "duplicate-option",
                 "shell-syntax-error", "missing-entrypoint", "request-exceeds-node",
                 "unknown-partition"):
        rule = rules[name]
        assert rule.code.startswith("SK") and rule.severity in ("error", "warning", "info")
        assert rule.doc.what and rule.doc.example and rule.doc.fixed
    codes = [r.code for r in rules.values()]
    assert len(codes) == len(set(codes)), "rule codes must be unique"


def test_unknown_top_level_key(tmp_path: Path) -> None:
    error = error_of(tmp_path, "scripts: {include: [a]}\nclustr: {}\n")
    assert error.line == 2 and "clustr" in str(error) and str(tmp_path) in str(error)


def test_unknown_rule_name(tmp_path: Path) -> None:
    error = error_of(tmp_path, "rules:\n  no-such-rule: {severity: warning}\n")
    assert error.line == 2 and "unknown rule 'no-such-rule'" in str(error)


def test_bad_severity_and_unknown_override_key(tmp_path: Path) -> None:
    assert error_of(tmp_path, "rules:\n  duplicate-option:\n    severity: fatal\n").line == 3
    assert error_of(tmp_path, "rules:\n  duplicate-option:\n    when: 'True'\n").line == 3


def test_bad_expression_syntax_and_unknown_attribute(tmp_path: Path) -> None:
    text = "rules:\n  mine:\n    when: 'job.ntasks >'\n    message: m\n"
    assert "syntax error" in str(error_of(tmp_path, text))
    text = "rules:\n  mine:\n    when: 'job.ntask > 1'\n    message: m\n"
    error = error_of(tmp_path, text)
    assert error.line == 3 and "no attribute 'ntask'" in str(error)


def test_no_python_escape_hatches(tmp_path: Path) -> None:
    for expr in ("job.__class__", "__import__('os')", "open('/etc/passwd')",
                 "[x for x in job.options]"):
        text = f'rules:\n  mine:\n    when: "{expr}"\n    message: m\n'
        assert error_of(tmp_path, text).line == 3


def test_bad_placeholder_in_message(tmp_path: Path) -> None:
    text = "rules:\n  mine:\n    when: 'True'\n    message: 'x {job.nope}'\n"
    assert error_of(tmp_path, text).line == 4


def test_unknown_fact_kind_in_a_user_rule(tmp_path: Path) -> None:
    # a typo of a kind loaded and never fired: the rule reported nothing
    text = "rules:\n  crlf:\n    fact: dos-line-ending\n    message: '{fact.detail}'\n"
    error = error_of(tmp_path, text)
    assert error.line == 3 and str(tmp_path / "rules.yaml") in str(error)
    assert str(error).endswith("unknown fact kind 'dos-line-ending' in rule 'crlf' "
                               "(did you mean 'dos-line-endings'?)")
    error = error_of(tmp_path, text.replace("dos-line-ending", "crlf"))
    assert "(the kinds: batch-script-dir, batch-script-dir-fragile, conflicting-options," \
        in str(error)


def test_unknown_step_field_in_a_user_step_rule(tmp_path: Path) -> None:
    text = ("rules:\n  mine:\n    scope: step\n    when: \"step.no_such_field > 1\"\n"
            "    message: m\n")
    error = error_of(tmp_path, text)
    assert error.line == 4 and "'step' has no attribute 'no_such_field'" in str(error)
    text = "rules:\n  mine:\n    when: 'True'\n    message: '{job.nope}'\n"
    error = error_of(tmp_path, text)
    assert error.line == 4 and "'job' has no attribute 'nope'" in str(error)
    text = "rules:\n  mine:\n    when: 'True'\n    message: m\n    line: step.tasks_line\n"
    assert "unknown name 'step'" in str(error_of(tmp_path, text))  # job scope: no step


def test_unknown_fact_kind_is_exit_2_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "job.slurm").write_text("#!/bin/bash\nsrun hostname\n")
    write(tmp_path, "rules:\n  crlf:\n    fact: dos-line-ending\n    message: m\n")
    out = subprocess.run([sys.executable, "-m", "scriptkeeper", "scan", "."], cwd=tmp_path,
                         capture_output=True, text=True, check=False)
    assert out.returncode == 2
    assert "rules.yaml:3: unknown fact kind 'dos-line-ending'" in out.stderr


def test_not_yaml(tmp_path: Path) -> None:
    error = error_of(tmp_path, "rules: [\n")
    assert "not valid YAML" in str(error)


def test_cluster_profile_validation(tmp_path: Path) -> None:
    text = "cluster:\n  partitions:\n    gpu: {cpus_per_node: -1}\n"
    assert error_of(tmp_path, text).line == 3
    text = "cluster:\n  default_partition: cpu\n  partitions:\n    gpu: {cpus_per_node: 8}\n"
    assert error_of(tmp_path, text).line == 2
    text = "cluster:\n  partitions:\n    gpu: {mem_per_node: lots}\n"
    assert error_of(tmp_path, text).line == 3


def test_overrides_and_user_rules(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, """\
cluster:
  slurm_version: "23.11"
  partitions:
    gpu: {cpus_per_node: 64, gpus_per_node: 4, mem_per_node: 500G}
rules:
  duplicate-option: {severity: error}
  ignored-directive-lookalike: {enabled: false}
  require-account:
    when: "not job.account"
    severity: error
    message: "every job must name an account (--account)"
    fix: "add '#SBATCH --account=<your project>'"
"""))
    assert config.rules["duplicate-option"].severity == "error"
    assert not config.rules["ignored-directive-lookalike"].enabled
    mine = config.rules["require-account"]
    assert not mine.builtin and mine.when == "not job.account"
    assert config.cluster is not None and config.cluster.partitions["gpu"].mem_per_node_mb == 512000
    assert config.slurm_version == "23.11"


def test_hook_redundancy_off_unquoted(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "hook: {redundancy: off}\n")).hook_redundancy == "off"
    assert load_config(write(tmp_path, "hook: {redundancy: error}\n")).hook_redundancy == "error"
    assert error_of(tmp_path, "hook:\n  redundancy: true\n").line == 2


def test_fast_reader_of_the_builtin_rules_reads_the_same() -> None:
    from scriptkeeper.rules.config import builtin_text
    from scriptkeeper.rules.yamlsource import load, load_fast

    assert load_fast(builtin_text()) == load(builtin_text())
