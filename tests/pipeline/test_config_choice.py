"""Which rules.yaml a scan reads: only scriptkeeper's, and ``--verbose`` says which."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

GOOD = "#!/bin/bash\n#SBATCH -N1 --time=10\nsrun hostname\n"
# a job scriptkeeper's own rules.yaml would make broken: a rule of one's own
MINE = ("rules:\n  no-hostname:\n    code: X001\n    severity: error\n"
        "    summary: no hostname\n    scope: job\n    when: \"True\"\n"
        "    message: always\n    fix: none\n")


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scriptkeeper", "scan", "--no-cache", *args],
                          cwd=cwd, capture_output=True, text=True, check=False,
                          env={**os.environ, "NO_COLOR": "1"})


def repo(tmp_path: Path, **files: str) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize("text", [
    "extends: default\nrules:\n  line-length: {max: 120}\n",  # yamllint
    "rules:\n  - id: no-eval\n    pattern: eval(...)\n    message: no\n",  # semgrep
    "- a list\n- of things\n",
])
def test_another_tools_rules_yaml_is_passed_over(tmp_path: Path, text: str) -> None:
    root = repo(tmp_path, **{"configs/lint/rules.yaml": text, "configs/lint/x.slurm": GOOD})
    out = run(root, "configs/lint", "--verbose")
    assert out.returncode == 0, out.stderr
    assert "not scriptkeeper configuration, ignored: configs/lint/rules.yaml" in out.stderr
    assert "configuration: the built-in rules" in out.stderr


def test_the_nearest_scriptkeeper_one_above_it_is_used(tmp_path: Path) -> None:
    root = repo(tmp_path, **{"rules.yaml": MINE, "configs/lint/x.slurm": GOOD,
                             "configs/lint/rules.yaml": "extends: default\n"})
    from scriptkeeper.pipeline.scan import find_config

    used, passed = find_config(root.resolve(), None, root / "configs" / "lint")
    assert used == root.resolve() / "rules.yaml"
    assert [p.name for p, _ in passed] == ["rules.yaml"]
    out = run(root, "configs/lint", "--verbose")
    assert out.returncode == 1 and "no-hostname" in out.stdout
    assert "scriptkeeper: configuration: rules.yaml" in out.stderr.splitlines()


def test_a_typo_in_a_top_level_key_is_still_an_error(tmp_path: Path) -> None:
    root = repo(tmp_path, **{"rules.yaml": "redundnacy: {}\n", "x.slurm": GOOD})
    out = run(root, ".")
    assert out.returncode == 2
    assert "rules.yaml:1: unknown key 'redundnacy'" in out.stderr


def test_the_starter_file_of_init_is_scriptkeepers(tmp_path: Path) -> None:
    root = repo(tmp_path, **{"x.slurm": GOOD})
    done = subprocess.run([sys.executable, "-m", "scriptkeeper", "init"], cwd=root,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "scriptkeeper: configuration: rules.yaml" in run(root, "-v").stderr.splitlines()
