"""``scan`` says what it could not judge: a summary line, the path when it was named, exit 2
when every named file was skipped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

GOOD = b"#!/bin/bash\n#SBATCH -N1 --time=10\nsrun hostname\n"
# a job script past the 1 MiB limit: a header, then a long embedded table
BIG = GOOD + b"# " + b"x" * 80 + b"\n" * 1 + (b"# " + b"y" * 78 + b"\n") * 14000


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scriptkeeper", "scan", "--no-cache", *args],
                          cwd=cwd, capture_output=True, text=True, check=False,
                          env={**os.environ, "NO_COLOR": "1"})


def repo(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    (jobs / "good.slurm").write_bytes(GOOD)
    (jobs / "big.sh").write_bytes(BIG)
    (tmp_path / "data.csv").write_bytes(b"a,b\n" * 400_000)  # large, and no job script
    outside = tmp_path.parent / f"{tmp_path.name}-outside.sh"
    outside.write_bytes(GOOD)
    (jobs / "linked.sh").symlink_to(outside)
    return tmp_path


def test_a_scan_counts_what_it_could_not_judge(tmp_path: Path) -> None:
    assert len(BIG) > 1 << 20
    out = run(repo(tmp_path), ".")
    assert out.returncode == 0, out.stderr
    assert ("scriptkeeper: skipped 2 files that may be job scripts: 1 larger than 1 MiB, "
            "1 symlink out of the repository (--verbose names them)") in out.stderr.splitlines()
    assert "data.csv" not in out.stderr


def test_verbose_names_each_file(tmp_path: Path) -> None:
    err = run(repo(tmp_path), ".", "--verbose").stderr.splitlines()
    assert "scriptkeeper: skipped jobs/big.sh: larger than 1 MiB" in err
    assert "scriptkeeper: skipped jobs/linked.sh: symlink out of the repository" in err


def test_a_named_file_that_is_skipped_is_named_and_exits_2(tmp_path: Path) -> None:
    root = repo(tmp_path)
    for name, reason in (("jobs/big.sh", "larger than 1 MiB"),
                         ("jobs/linked.sh", "symlink out of the repository")):
        out = run(root, name)
        assert out.returncode == 2, (name, out.stdout, out.stderr)
        assert f"scriptkeeper: skipped {name}: {reason}" in out.stderr.splitlines()


def test_a_named_fifo_is_named(tmp_path: Path) -> None:
    root = repo(tmp_path)
    os.mkfifo(root / "jobs" / "pipe.sh")
    out = run(root, "jobs/pipe.sh")
    assert out.returncode == 2
    assert "scriptkeeper: skipped jobs/pipe.sh: not a regular file" in out.stderr


def test_one_named_file_judged_is_enough(tmp_path: Path) -> None:
    out = run(repo(tmp_path), "jobs/big.sh", "jobs/good.slurm")
    assert out.returncode == 0
    assert "scriptkeeper: skipped jobs/big.sh: larger than 1 MiB" in out.stderr
    assert "1 scripts: 1 keep" in out.stdout


def test_a_named_symlink_first_keeps_the_repository(tmp_path: Path) -> None:
    # the root is found from the link, not from where it points
    out = run(repo(tmp_path), "jobs/linked.sh", "jobs/good.slurm")
    assert out.returncode == 0 and "1 scripts: 1 keep" in out.stdout, out.stderr
