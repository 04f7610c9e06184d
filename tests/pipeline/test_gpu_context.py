"""Repository-wide evidence for missing-gpu-request: applied after the per-file stage."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from scriptkeeper.pipeline.scan import run_scan
from tests.rules.entries import TORCH_DDP

JOB = """\
#!/bin/bash
#SBATCH --nodes=1
{extra}
srun python train.py
"""


def _scan(root: Path, scripts: dict[str, str], rules: str | None = None,
          cache: bool = False) -> dict[str, list[tuple[str, str]]]:
    (root / "train.py").write_text(TORCH_DDP)
    (root / "requirements.txt").write_text("torch==2.3\n")
    for name, text in scripts.items():
        (root / name).write_text(text)
    if rules is not None:
        (root / "rules.yaml").write_text(textwrap.dedent(rules))
    old = Path.cwd()
    os.chdir(root)
    try:
        report = run_scan([root], use_cache=cache)
    finally:
        os.chdir(old)
    return {r.path: [(f.rule, f.severity) for f in r.findings] for r in report.scripts}


def test_no_script_requests_gpus_while_several_use_them(tmp_path: Path) -> None:
    found = _scan(tmp_path, {"a.slurm": JOB.format(extra=""),
                             "b.slurm": JOB.format(extra="#SBATCH --time=10")})
    for path in ("a.slurm", "b.slurm"):
        assert ("missing-gpu-request", "warning") in found[path], found


def test_one_script_that_requests_gpus_keeps_the_others_errors(tmp_path: Path) -> None:
    found = _scan(tmp_path, {"a.slurm": JOB.format(extra=""),
                             "b.slurm": JOB.format(extra="#SBATCH --time=10"),
                             "c.slurm": JOB.format(extra="#SBATCH --gres=gpu:1")})
    assert ("missing-gpu-request", "error") in found["a.slurm"]
    assert ("missing-gpu-request", "error") in found["b.slurm"]


def test_a_single_script_without_a_request_stays_an_error(tmp_path: Path) -> None:
    found = _scan(tmp_path, {"a.slurm": JOB.format(extra="")})
    assert ("missing-gpu-request", "error") in found["a.slurm"]


def test_a_profile_that_says_gpus_are_managed_keeps_errors(tmp_path: Path) -> None:
    found = _scan(tmp_path, {"a.slurm": JOB.format(extra=""),
                             "b.slurm": JOB.format(extra="#SBATCH --time=10")},
                  rules="cluster:\n  gpus_managed: true\n")
    assert ("missing-gpu-request", "error") in found["a.slurm"]


@pytest.mark.parametrize("cache", [True])
def test_the_cache_does_not_keep_the_repository_evidence(tmp_path: Path, cache: bool) -> None:
    scripts = {"a.slurm": JOB.format(extra=""), "b.slurm": JOB.format(extra="#SBATCH --time=10")}
    first = _scan(tmp_path, scripts, cache=cache)
    assert ("missing-gpu-request", "warning") in first["a.slurm"]
    # another script now requests GPUs: a.slurm's cached result must not stay softened
    (tmp_path / "b.slurm").write_text(JOB.format(extra="#SBATCH --gres=gpu:1"))
    again = _scan(tmp_path, {}, cache=cache)
    assert ("missing-gpu-request", "error") in again["a.slurm"]
