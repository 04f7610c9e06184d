"""Human formats print paths from the current folder; JSON and SARIF from the repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BAD = b"#!/bin/bash\n#SBATCH --mem=1.5G\nsrun hostname\n"


def scan(cwd: Path, *args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "scriptkeeper", "scan", "--no-cache", *args],
                         cwd=cwd, capture_output=True, text=True, check=False,
                         env={**os.environ, "NO_COLOR": "1", "COLUMNS": "160"})
    assert out.returncode == 1, out.stderr
    return out.stdout


def repo(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "jobs" / "gpu").mkdir(parents=True)
    (tmp_path / "jobs" / "gpu" / "x.slurm").write_bytes(BAD)
    (tmp_path / "docs").mkdir()
    return tmp_path


def test_concise_and_table_from_a_subfolder(tmp_path: Path) -> None:
    root = repo(tmp_path)
    assert scan(root / "jobs", "-f", "concise").startswith("gpu/x.slurm:2: error invalid-value")
    assert scan(root / "docs", "..", "-f", "concise").startswith(
        "../jobs/gpu/x.slurm:2: error")
    assert "│ gpu/x.slurm " in scan(root / "jobs", "-f", "table")
    assert scan(root, "-f", "concise").startswith("jobs/gpu/x.slurm:2:")


def test_json_and_sarif_stay_repository_relative(tmp_path: Path) -> None:
    root = repo(tmp_path)
    data = json.loads(scan(root / "jobs", "-f", "json"))
    assert [s["path"] for s in data["scripts"]] == ["jobs/gpu/x.slurm"]
    sarif = json.loads(scan(root / "jobs", "-f", "sarif"))
    [result] = sarif["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "jobs/gpu/x.slurm"


def test_from_here(tmp_path: Path) -> None:
    from scriptkeeper.report.places import from_here

    (tmp_path / "a" / "b").mkdir(parents=True)
    assert from_here(tmp_path, tmp_path)("a/b/c.sh") == "a/b/c.sh"
    assert from_here(tmp_path, tmp_path / "a")("a/b/c.sh") == "b/c.sh"
    assert from_here(tmp_path, tmp_path / "a" / "b")("x.sh") == "../../x.sh"
    assert from_here(tmp_path / "a", tmp_path)("b/c.sh") == "a/b/c.sh"  # above the repository
    (tmp_path / "elsewhere").mkdir()
    assert from_here(tmp_path / "a", tmp_path / "elsewhere")("b/c.sh") == "b/c.sh"
