"""``scriptkeeper explain`` as a user runs it: the console script, its formats and errors."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.body.repo import LIGHTNING_GPU, write
from tests.report.conftest import scriptkeeper_command

SCRIPT = """\
#!/bin/bash
#SBATCH --gres=gpu:8
#SBATCH --ntasks=1
python train.py
"""


def run(cwd: Path, *args: str, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*scriptkeeper_command(), "explain", *args], cwd=cwd,
                          capture_output=True, text=True, check=False,
                          env={**os.environ, **(env or {})})


def workspace(root: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    write(root, {"jobs/job.slurm": SCRIPT, "jobs/train.py": LIGHTNING_GPU,
                 "requirements.txt": "lightning==2.2.1\n"})
    return root


def test_json_has_the_same_content_as_the_picture(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    done = run(root / "jobs", "job.slurm", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["schema_version"] == 1 and data["script"] == "jobs/job.slurm"
    (step,) = data["steps"]
    assert (step["world_size"], step["node_detail"][0]["idle_gpus"]) == (1, [1, 2, 3, 4, 5, 6, 7])
    picture = run(root / "jobs", "job.slurm", "--width", "80")
    assert picture.returncode == 0 and "7 of 8 GPUs idle" in picture.stdout


def test_no_color_in_the_environment_gives_plain_text(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    done = run(root, "jobs/job.slurm", env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert done.returncode == 0 and "\x1b" not in done.stdout
    assert max(len(line) for line in done.stdout.splitlines()) <= 200


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    missing = run(root, "nothing.slurm")
    assert missing.returncode == 2 and "no such file" in missing.stderr
    wrong = run(root, "jobs/job.slurm", "--format", "yaml")
    assert wrong.returncode == 2 and "unknown format" in wrong.stderr


def test_fixed_draws_the_script_fix_would_leave_and_writes_nothing(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    before = (root / "jobs/job.slurm").read_bytes()
    done = run(root / "jobs", "job.slurm", "--fixed", "--no-color", "--width", "100")
    assert done.returncode == 0, done.stderr
    first, _, second = done.stdout.partition("after `scriptkeeper fix --unsafe-fixes`: ")
    assert "world size 1" in first and "7 of 8 GPUs idle" in first
    assert second.startswith("lightning-single-process (line 3)")
    assert "world size 8" in second and "every GPU busy" in second
    assert (root / "jobs/job.slurm").read_bytes() == before
    data = json.loads(run(root / "jobs", "job.slurm", "--fixed", "-f", "json").stdout)
    assert set(data) == {"script", "fixed"}
    assert data["fixed"]["fixes"]["applied"] == [{"rule": "lightning-single-process",
                                                   "line": 3}]
