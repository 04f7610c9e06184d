"""``scriptkeeper fix``: in place, --diff, --unsafe-fixes, --select, refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.hook.repo import example_repo

CRLF = b"#!/bin/bash\r\n#SBATCH --time=10\r\necho hi\r\n"
LATE = b"#!/bin/bash\necho start\n#SBATCH --time=10\n"


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scriptkeeper", "fix", *args], cwd=cwd,
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "SCRIPTKEEPER_NO_CACHE": "1"})


def test_safe_fixes_are_written_and_unsafe_ones_wait(tmp_path: Path) -> None:
    (tmp_path / "a.slurm").write_bytes(CRLF)
    (tmp_path / "b.slurm").write_bytes(LATE)
    done = run(tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "a.slurm").read_bytes() == CRLF.replace(b"\r\n", b"\n")
    assert (tmp_path / "b.slurm").read_bytes() == LATE
    assert "fixed a.slurm: dos-line-endings (line 1)" in done.stdout
    assert "1 more with --unsafe-fixes" in done.stderr
    done = run(tmp_path, "--unsafe-fixes")
    assert (tmp_path / "b.slurm").read_bytes() == b"#!/bin/bash\n#SBATCH --time=10\necho start\n"


def test_diff_writes_nothing_and_exits_1_only_when_something_would_change(
        tmp_path: Path) -> None:
    (tmp_path / "b.slurm").write_bytes(LATE)
    done = run(tmp_path, "--diff", "--unsafe-fixes")
    assert done.returncode == 1
    assert done.stdout == ("--- a/b.slurm\n+++ b/b.slurm\n@@ -1,3 +1,3 @@\n #!/bin/bash\n"
                           "+#SBATCH --time=10\n echo start\n-#SBATCH --time=10\n")
    assert (tmp_path / "b.slurm").read_bytes() == LATE
    assert run(tmp_path, "--diff").returncode == 0  # only an unsafe fix: nothing safe to do


def test_select_limits_the_rules(tmp_path: Path) -> None:
    data = b"# job\n#!/bin/bash\r\necho hi\r\n"
    (tmp_path / "a.slurm").write_bytes(data)
    run(tmp_path, "--select", "SK002")
    assert (tmp_path / "a.slurm").read_bytes() == b"# job\n#!/bin/bash\necho hi\n"
    assert run(tmp_path, "--select", "no-such-rule").returncode == 2


def test_a_refused_fix_is_reported_and_not_made(tmp_path: Path) -> None:
    data = b"#!/bin/bash\necho start\n# SBATCH --time=10\n"
    (tmp_path / "a.slurm").write_bytes(data)
    done = run(tmp_path, "--unsafe-fixes")
    assert done.returncode == 0
    assert ("a.slurm:3: ignored-directive-lookalike: not fixed: it would leave a new error: "
            "directive-after-command") in done.stderr
    assert (tmp_path / "a.slurm").read_bytes() == data


def test_the_example_workspace_after_fixing(tmp_path: Path) -> None:
    """Every error that had a fix is gone, the seed's diff is the expert's, twice is once."""
    # named like the checkout its scripts cd into ($HOME/navsim_workspace): the entry
    # points are read, not inferred
    root = tmp_path / "navsim-workspace"
    example_repo(root)
    seed = root / "scripts/train_8gpu_ddp_CORRECT.slurm"
    diff = run(root, "--unsafe-fixes", "--diff", "scripts/train_8gpu_ddp_CORRECT.slurm")
    changed = [line for line in diff.stdout.splitlines()
               if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == ["-#SBATCH --ntasks=1", "-#SBATCH --cpus-per-task=128",
                       "+#SBATCH --ntasks-per-node=8", "+#SBATCH --cpus-per-task=16",
                       "-python navsim/planning/script/run_training_dense.py \\",
                       "+srun python navsim/planning/script/run_training_dense.py \\"]
    scan = [sys.executable, "-m", "scriptkeeper", "scan", "--no-cache", "-f", "json"]
    before = json.loads(subprocess.run(scan, cwd=root, capture_output=True, text=True).stdout)
    fixable = {(s["path"], f["rule"]) for s in before["scripts"] for f in s["findings"]
               if f["severity"] == "error" and f.get("autofix", {}).get("edits")}
    assert len(fixable) >= 8
    assert run(root, "--unsafe-fixes").returncode == 0
    after = json.loads(subprocess.run(scan, cwd=root, capture_output=True, text=True).stdout)
    left = {(s["path"], f["rule"]) for s in after["scripts"] for f in s["findings"]
            if f["severity"] == "error"}
    assert not (fixable & left), fixable & left
    assert not any(f.get("autofix", {}).get("edits") and f["severity"] == "error"
                   for s in after["scripts"] for f in s["findings"])
    assert b"srun python" in seed.read_bytes()
    again = run(root, "--unsafe-fixes", "--diff")
    assert again.returncode == 0 and again.stdout == ""
