"""unknown-suppression and unused-suppression: a pragma that names no rule, or hides nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from scriptkeeper.pipeline.analyze import analyze_script
from scriptkeeper.rules.config import load_config

BAD_MEM = "#SBATCH --mem=1.5G"  # invalid-value on its line


def found(text: str, tmp_path: Path, config_text: str | None = None
          ) -> list[tuple[str, int, str]]:
    config = None
    if config_text is not None:
        (tmp_path / "rules.yaml").write_text(config_text)
        config = tmp_path / "rules.yaml"
    result = analyze_script(tmp_path, "job.slurm", text.encode(), load_config(config))
    return [(f.rule, f.line, f.message) for f in result.findings]


def rules(text: str, tmp_path: Path, config_text: str | None = None) -> list[tuple[str, int]]:
    return [(r, line) for r, line, _ in found(text, tmp_path, config_text)]


@pytest.mark.parametrize("pragma", ["disable=invalid-valeu", "disable-file=invalid-valeu",
                                    "disable=SK0l2"])
def test_flags_a_name_that_is_no_rule(tmp_path: Path, pragma: str) -> None:
    text = f"#!/bin/bash\n{BAD_MEM} # scriptkeeper: {pragma}\nsrun hostname\n"
    got = found(text, tmp_path)
    assert ("invalid-value", 2) in [(r, n) for r, n, _ in got]
    [unknown] = [m for r, n, m in got if r == "unknown-suppression"]
    assert unknown.startswith(f"'# scriptkeeper: {pragma}' names no rule")
    if "valeu" in pragma:
        assert unknown.endswith("did you mean 'invalid-value'?")


def test_flags_one_bad_name_among_good_ones(tmp_path: Path) -> None:
    text = f"#!/bin/bash\n{BAD_MEM} # scriptkeeper: disable=invalid-value, missing-srn\n"
    assert rules(text, tmp_path) == [("unknown-suppression", 2)]


@pytest.mark.parametrize("text", [
    # a stale pragma: the line was fixed
    "#!/bin/bash\n#SBATCH --mem=2G # scriptkeeper: disable=invalid-value\nsrun hostname\n",
    # two lines above the finding: out of its reach
    f"#!/bin/bash\n# scriptkeeper: disable=invalid-value\n\n{BAD_MEM}\n",
    "#!/bin/bash\n# scriptkeeper: disable-file=duplicate-option\n#SBATCH -t 1\nsrun hostname\n",
    "#!/bin/bash\n#SBATCH -t 1 # scriptkeeper: disable=all\nsrun hostname\n",
])
def test_flags_a_pragma_that_hides_nothing(tmp_path: Path, text: str) -> None:
    line = next(i for i, t in enumerate(text.split("\n"), 1) if "scriptkeeper:" in t)
    assert ("unused-suppression", line) in rules(text, tmp_path)


@pytest.mark.parametrize("text", [
    f"#!/bin/bash\n{BAD_MEM} # scriptkeeper: disable=invalid-value\nsrun hostname\n",
    f"#!/bin/bash\n# scriptkeeper: disable=SK012\n{BAD_MEM}\nsrun hostname\n",
    f"#!/bin/bash\n# scriptkeeper: disable-file=invalid-value\n\n\n{BAD_MEM}\n",
    f"#!/bin/bash\n{BAD_MEM} # scriptkeeper: disable=all\nsrun hostname\n",
    # only scan --sbatch-check reports sbatch-refuses: the pragma waits for it
    "#!/bin/bash\n#SBATCH -p gpu-long # scriptkeeper: disable=sbatch-refuses\nsrun hostname\n",
    "#!/bin/bash\n#SBATCH -t 1\nsrun hostname\n",  # no pragma at all
])
def test_leaves_a_working_pragma_alone(tmp_path: Path, text: str) -> None:
    assert rules(text, tmp_path) == []


def test_leaves_alone_a_pragma_for_a_rule_switched_off(tmp_path: Path) -> None:
    text = "#!/bin/bash\n#SBATCH -t 1 # scriptkeeper: disable=duplicate-option\nsrun hostname\n"
    assert rules(text, tmp_path, "rules:\n  duplicate-option: {enabled: false}\n") == []
    assert rules(text, tmp_path, "rules: {}\n") == [("unused-suppression", 2)]
