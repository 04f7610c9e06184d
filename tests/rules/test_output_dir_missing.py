"""output-dir-missing: slurmd cannot open --output/--error in a folder that is not there."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.body.repo import finding, judge, rules, write


def script(*directives: str, body: str = "python train.py\n") -> str:
    return "#!/bin/bash\n" + "".join(f"#SBATCH {d}\n" for d in directives) + body


def git_repo(root: Path, files: dict[str, str]) -> None:
    """A real repository with these files committed (empty folders do not exist in git)."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    write(root, files)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t",
                    "commit", "-q", "-m", "files"], check=True)


# (why, script name, script, other files of the repository, line)
FLAGGED = [
    ("logs/ nowhere", "job.slurm", script("--output=logs/%j.out"), {}, 2),
    ("the job's own mkdir runs too late", "job.slurm",
     script("--output=logs/%x-%j.out", body="mkdir -p logs\npython train.py\n"), {}, 2),
    ("--error too", "jobs/job.slurm", script("--error=errs/%j.err"), {}, 2),
    ("a sibling job script's mkdir is too late as well", "jobs/a.slurm",
     script("-o out/%j.txt"), {"jobs/b.slurm": script("-o out/%j.txt", body="mkdir out\n")}, 2),
    ("ignored log files do not make the folder", "job.slurm", script("--output=logs/%j.out"),
     {".gitignore": "*.out\n"}, 2),
    ("relative to --chdir", "job.slurm", script("--chdir=run", "--output=logs/%j.out"),
     {"logs/.gitkeep": ""}, 3),
]

# (why, script name, script, other files)
LEFT_ALONE = [
    ("the folder is in the repository (.gitkeep)", "job.slurm", script("--output=logs/%j.out"),
     {"logs/.gitkeep": ""}),
    ("beside the script (submitted from its folder)", "jobs/job.slurm",
     script("--output=logs/%j.out"), {"jobs/logs/.gitkeep": ""}),
    ("from a folder between the root and the script's", "exp/scripts/job.slurm",
     script("--output=RESULTS/x.txt"), {"exp/RESULTS/.gitkeep": ""}),
    ("ignored as a folder: made by hand", "job.slurm", script("--output=slurm_logs/%j.out"),
     {".gitignore": "slurm_logs/\n"}),
    ("every file in it ignored", "job.slurm", script("--output=outputs/%j.out"),
     {".gitignore": "outputs/*\n"}),
    ("a submit script makes it before sbatch", "jobs/job.slurm", script("--output=logs/%j.out"),
     {"submit.sh": "#!/bin/bash\nmkdir -p logs\nsbatch jobs/job.slurm\n"}),
    ("the README says to make it", "job.slurm", script("--output=watch/%j.out"),
     {"README.md": "Before submitting: `mkdir watch`\n"}),
    ("a Python submitter makes it", "job.slurm", script("--output=res/%j.out"),
     {"launch.py": "import os\nos.makedirs('res', exist_ok=True)\n"}),
    ("no folder", "job.slurm", script("--output=%x-%j.out"), {}),
    ("a pattern in the folder", "job.slurm", script("--output=logs_%u/%j.out"), {}),
    ("an absolute path", "job.slurm", script("--output=/scratch/me/logs/%j.out"), {}),
    ("a variable (sbatch expands none: another finding's business)", "job.slurm",
     script("--output=$HOME/logs/%j.out"), {}),
    ("outside the repository", "job.slurm", script("--output=../../logs/%j.out"), {}),
    ("an absolute --chdir", "job.slurm", script("--chdir=/scratch/run", "--output=l/%j.out"), {}),
]


@pytest.mark.parametrize(("why", "name", "text", "files", "line"), FLAGGED,
                         ids=[c[0] for c in FLAGGED])
def test_flagged(tmp_path: Path, why: str, name: str, text: str, files: dict[str, str],
                 line: int) -> None:
    git_repo(tmp_path, {"train.py": "x = 1\n", **files})
    result = judge(tmp_path, text, name=name)
    found = finding(result, "output-dir-missing")
    assert found.severity == "warning" and found.line == line, why
    assert "JobLaunchFailure" in found.message and "too late" in found.fix


@pytest.mark.parametrize(("why", "name", "text", "files"), LEFT_ALONE,
                         ids=[c[0] for c in LEFT_ALONE])
def test_left_alone(tmp_path: Path, why: str, name: str, text: str,
                    files: dict[str, str]) -> None:
    git_repo(tmp_path, {"train.py": "x = 1\n", **files})
    result = judge(tmp_path, text, name=name)
    assert "output-dir-missing" not in rules(result), why
