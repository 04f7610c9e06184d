"""Real jobs on the local cluster show the failures the new rules predict.

Each job is submitted from a real git repository, as a user would, and waited
for; the outcome SLURM reports is held against the finding scriptkeeper gives
the same script (docs/launch-contracts.md §1.11, §2.10, §2.11).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.support.slurm import parse_scontrol_record

T = TypeVar("T")
ENDED = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
         "BOOT_FAIL", "DEADLINE", "PREEMPTED")


def needs_cluster(test: T) -> T:
    return pytest.mark.slurm(pytest.mark.usefixtures("slurm_cluster")(test))


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if k == "SLURM_CONF" or not k.startswith(("SBATCH_", "SLURM_"))}


def submit(repo: Path, name: str) -> str:
    done = subprocess.run(["sbatch", "--parsable", name], cwd=repo, capture_output=True,
                          text=True, timeout=60, check=True, env=_env())
    return done.stdout.strip().split(";", 1)[0]


def wait(job: str, limit: float = 120) -> dict[str, str]:
    """The job's scontrol record once it has ended."""
    end = time.monotonic() + limit
    while True:
        shown = subprocess.run(["scontrol", "show", "job", "-o", job], capture_output=True,
                               text=True, timeout=60, check=True, env=_env()).stdout
        record = parse_scontrol_record(shown.strip())
        if record.get("JobState") in ENDED:
            return record
        if time.monotonic() > end:
            subprocess.run(["scancel", job], timeout=60, check=False, env=_env())
            raise AssertionError(f"job {job} did not end: {record.get('JobState')}")
        time.sleep(1)


def repo_with(path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    subprocess.run(["git", "init", "-q", str(path)], check=True, timeout=60)
    return path


def findings(repo: Path) -> dict[str, list[dict[str, Any]]]:
    done = subprocess.run([sys.executable, "-m", "scriptkeeper", "scan", "--no-cache",
                           "--exit-zero", "--format", "json", "."], cwd=repo,
                          capture_output=True, text=True, timeout=600, check=True)
    report = json.loads(done.stdout)
    return {s["path"]: s["findings"] for s in report["scripts"]}


def rules_of(found: list[dict[str, Any]]) -> dict[str, str]:
    return {f["rule"]: f["severity"] for f in found}


TRAIN = "print('trained')\n"


@needs_cluster
def test_dollar_zero_is_the_spool_copy(tmp_path: Path) -> None:
    repo = repo_with(tmp_path / "repo", {
        "train.py": TRAIN,
        # cd to the script's folder, then a relative entry point: python cannot open it
        "jobs/spool.slurm": "#!/bin/bash\n#SBATCH --output=spool.out\n"
                            "echo \"0=$0\"\ncd \"$(dirname \"$0\")\"\npython3 train.py\n",
        # the guarded form stays in the submit directory
        "jobs/guarded.slurm": "#!/bin/bash\n#SBATCH --output=guarded.out\n"
                              "cd \"${SLURM_SUBMIT_DIR:-$(dirname \"$0\")}\"\n"
                              "python3 train.py\n",
    })
    spool = wait(submit(repo, "jobs/spool.slurm"))
    guarded = wait(submit(repo, "jobs/guarded.slurm"))
    log = (repo / "spool.out").read_text()
    assert "/slurm_script" in log and "/job" in log, log  # $0: <SlurmdSpoolDir>/jobN/...
    assert str(repo) not in log.split("0=", 1)[1].split("\n", 1)[0]
    assert spool["JobState"] == "FAILED" and "can't open file" in log, (spool, log)
    assert guarded["JobState"] == "COMPLETED"
    assert "trained" in (repo / "guarded.out").read_text()

    found = findings(repo)
    assert rules_of(found["jobs/spool.slurm"]).get("batch-script-dir") == "error"
    assert not {"batch-script-dir", "batch-script-dir-fragile"} & set(
        rules_of(found["jobs/guarded.slurm"]))


@needs_cluster
def test_a_missing_log_folder_fails_the_launch_without_a_log(tmp_path: Path) -> None:
    repo = repo_with(tmp_path / "repo", {
        "train.py": TRAIN,
        # the body's mkdir never runs: slurmd opens the output first
        "missing.slurm": "#!/bin/bash\n#SBATCH --output=no_such_dir/%j.out\n"
                         "mkdir -p no_such_dir\npython3 train.py\n",
        "present.slurm": "#!/bin/bash\n#SBATCH --output=logs/%j.out\npython3 train.py\n",
        "logs/.gitkeep": "",
    })
    missing = wait(submit(repo, "missing.slurm"))
    present = wait(submit(repo, "present.slurm"))
    assert (missing["JobState"], missing["Reason"]) == ("FAILED", "JobLaunchFailure")
    assert not (repo / "no_such_dir").exists()  # no log, and the script never ran
    assert present["JobState"] == "COMPLETED"

    found = findings(repo)
    assert rules_of(found["missing.slurm"]).get("output-dir-missing") == "warning"
    assert "output-dir-missing" not in rules_of(found["present.slurm"])


@needs_cluster
def test_a_placeholder_entry_point_fails_at_once(tmp_path: Path) -> None:
    repo = repo_with(tmp_path / "repo", {
        "placeholder.slurm": "#!/bin/bash\n#SBATCH --output=placeholder.out\n"
                             "python3 /path/to/your/training_script.py\n",
        # unquoted, bash takes '<your_script' for input from a file that is not there
        "redirected.slurm": "#!/bin/bash\n#SBATCH --output=redirected.out\n"
                            "python3 <your_script>.py\n",
    })
    record = wait(submit(repo, "placeholder.slurm"))
    redirected = wait(submit(repo, "redirected.slurm"))
    assert record["JobState"] == "FAILED"
    assert "can't open file" in (repo / "placeholder.out").read_text()
    assert redirected["JobState"] == "FAILED"
    assert "No such file or directory" in (repo / "redirected.out").read_text()
    found = findings(repo)
    assert rules_of(found["placeholder.slurm"]).get("placeholder-path") == "error"
    assert rules_of(found["redirected.slurm"]).get("placeholder-path") == "error"


@needs_cluster
def test_a_misspelled_directive_is_not_applied(tmp_path: Path) -> None:
    repo = repo_with(tmp_path / "repo", {
        "misspelled.slurm": "#!/bin/bash\n#SBTACH --job-name=renamed\n"
                            "#SBATCH --output=misspelled.out\nhostname\n",
    })
    record = wait(submit(repo, "misspelled.slurm"))
    assert record["JobName"] == "misspelled.slurm"  # not 'renamed'
    found = rules_of(findings(repo)["misspelled.slurm"])
    assert found.get("ignored-directive-lookalike") == "warning"
