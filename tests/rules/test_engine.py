"""Rules turn facts and the model into findings; pragmas switch them off."""

from __future__ import annotations

from pathlib import Path

from scriptkeeper.pipeline.analyze import analyze_script
from scriptkeeper.rules.config import Config, load_config

ROOT = Path("/nonexistent")


def findings(data: bytes, config: Config | None = None) -> list[tuple[str, int, str]]:
    result = analyze_script(ROOT, "scripts/job.slurm", data, config or load_config(None))
    return [(f.rule, f.line, f.severity) for f in result.findings]


def test_user_rule_flags_and_leaves_alone(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("""\
rules:
  require-account:
    when: "not job.account"
    severity: error
    message: "job {job.name} names no account"
    fix: "add --account"
""")
    config = load_config(path)
    assert findings(b"#!/bin/bash\n#SBATCH -N1\necho\n", config) == [
        ("require-account", 1, "error")]
    assert findings(b"#!/bin/bash\n#SBATCH -A proj\necho\n", config) == []
    result = analyze_script(ROOT, "scripts/job.slurm", b"#!/bin/bash\n#SBATCH -J x\n", config)
    assert result.findings[0].message == "job x names no account"
    assert result.verdict == "broken"


def test_severity_change_changes_verdict(tmp_path: Path) -> None:
    script = b"#!/bin/bash\n#SBATCH --time=1\n#SBATCH --time=2\necho\n"
    assert findings(script) == [("duplicate-option", 3, "warning")]
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  duplicate-option: {severity: error}\n")
    result = analyze_script(ROOT, "x.slurm", script, load_config(path))
    assert result.verdict == "broken"


def test_disabled_rule_reports_nothing(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  invalid-value: {enabled: false}\n")
    assert findings(b"#!/bin/bash\n#SBATCH --mem=1.5G\necho\n", load_config(path)) == []
    assert findings(b"#!/bin/bash\n#SBATCH --mem=1.5G\necho\n") == [
        ("invalid-value", 2, "error")]


def test_inline_pragma_on_line_and_line_before() -> None:
    same = b"#!/bin/bash\n#SBATCH --mem=1.5G # scriptkeeper: disable=invalid-value\necho\n"
    assert findings(same) == []
    before = (b"#!/bin/bash\n# scriptkeeper: disable=invalid-value\n#SBATCH --mem=1.5G\n"
              b"echo\n")
    assert findings(before) == []
    other_rule = b"#!/bin/bash\n#SBATCH --mem=1.5G # scriptkeeper: disable=duplicate-option\n"
    # the pragma hides nothing, and says so (unused-suppression, as ruff's unused-noqa)
    assert findings(other_rule) == [("invalid-value", 2, "error"),
                                    ("unused-suppression", 2, "info")]
    two_lines_away = (b"#!/bin/bash\n# scriptkeeper: disable=invalid-value\n\n"
                      b"#SBATCH --mem=1.5G\n")
    assert findings(two_lines_away) == [("unused-suppression", 2, "info"),
                                        ("invalid-value", 4, "error")]


def test_file_pragma() -> None:
    script = (b"#!/bin/bash\n# scriptkeeper: disable-file=invalid-value,duplicate-option\n"
              b"#SBATCH --mem=1.5G\n#SBATCH -t 1\n#SBATCH -t 2\n")
    assert findings(script) == []


def test_request_exceeds_node_needs_a_profile(tmp_path: Path) -> None:
    script = b"#!/bin/bash\n#SBATCH --ntasks-per-node=8\n#SBATCH -c 32\nsrun hostname\n"
    assert findings(script) == []
    path = tmp_path / "rules.yaml"
    path.write_text("cluster:\n  default_partition: gpu\n  partitions:\n"
                    "    gpu: {cpus_per_node: 128, gpus_per_node: 8, mem_per_node: 1000G}\n")
    config = load_config(path)
    # the later of the two directives whose product is too large
    assert findings(script, config) == [("request-exceeds-node", 3, "error")]
    fits = b"#!/bin/bash\n#SBATCH --ntasks-per-node=8\n#SBATCH -c 16\nsrun hostname\n"
    assert findings(fits, config) == []
    unknown = b"#!/bin/bash\n#SBATCH -p cpu\nsrun hostname\n"
    assert findings(unknown, config) == [("unknown-partition", 2, "error")]
    assert findings(b"#!/bin/bash\n#SBATCH -p gpu --gres=gpu:9\nhostname\n", config) == [
        ("request-exceeds-node", 2, "error")]


def _greedy(tmp_path: Path, when: str, scope: str = "job") -> Config:
    path = tmp_path / "rules.yaml"
    path.write_text(f"rules:\n  greedy:\n    scope: {scope}\n    when: \"{when}\"\n"
                    f"    message: never\n")
    return load_config(path)


def test_a_rule_past_a_limit_is_a_rule_failure_naming_rule_file_and_script(
        tmp_path: Path) -> None:
    import pytest

    from scriptkeeper.rules.config import RuleFailure

    script = b"#!/bin/bash\n#SBATCH -N1\nsrun python train.py\n"
    for when, scope in (("len('a' * 99999999999) > 0", "job"),
                        ("step.line > 0 and len([0] * 99999) > 0", "step"),
                        # an OverflowError of its own (an int too large for a float)
                        ("job.nodes > 0 and 9" + "9" * 400 + " / 7 > 0", "job")):
        with pytest.raises(RuleFailure) as raised:
            analyze_script(ROOT, "scripts/job.slurm", script, _greedy(tmp_path, when, scope))
        error = raised.value
        assert (error.path, error.line) == (str(tmp_path / "rules.yaml"), 4)
        assert "rule 'greedy' failed while judging scripts/job.slurm" in str(error)
        assert "\n" not in str(error)


def test_none_against_a_number_is_still_the_rule_not_applying(tmp_path: Path) -> None:
    # the design's reading of an unknown: not a failure
    config = _greedy(tmp_path, "job.partition > 3")
    assert findings(b"#!/bin/bash\n#SBATCH -N1\necho\n", config) == []


def test_a_rule_failure_crosses_from_the_worker_processes(tmp_path: Path) -> None:
    import pickle

    import pytest

    from scriptkeeper.pipeline import runner
    from scriptkeeper.pipeline.discover import discover
    from scriptkeeper.rules.config import RuleFailure

    error = RuleFailure("rules.yaml", 4, "rule 'x' failed")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is RuleFailure and str(again) == str(error) and again.line == 4
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    for i in range(runner.CHUNK * 2 + 5):
        (jobs / f"j{i}.slurm").write_text(f"#!/bin/bash\n#SBATCH -N1\nsrun python t.py {i}\n")
    found = discover([jobs])
    with pytest.raises(RuleFailure, match="rule 'greedy' failed while judging"):
        runner.analyze_all(found, _greedy(tmp_path, "len('a' * 99999999999) > 0"),
                           use_cache=False, workers=2)
