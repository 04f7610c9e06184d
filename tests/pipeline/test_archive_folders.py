"""A repository's own archive folders (archive*/, old/, deprecated/, backup_*/): left alone.

Scripts a team has already put aside are skipped by discovery, with the
reason, so scan, clean and the pre-commit hook agree: none of them judges,
groups or moves them. rules.yaml ``scripts.archive`` names other folders, or
none.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scriptkeeper.pipeline.discover import discover
from scriptkeeper.pipeline.scan import run_scan
from tests.hook.repo import BROKEN, GIT_ENV, GOOD, Repo

ENV = {**os.environ, **GIT_ENV, "SCRIPTKEEPER_NO_CACHE": "1"}


def _run(repo: Repo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=repo.path, capture_output=True,
                          text=True, check=False, env=ENV)


def _repo(tmp_path: Path, folder: str) -> Repo:
    repo = Repo(tmp_path / "r", {"train.slurm": GOOD, f"{folder}/train.slurm": GOOD,
                                 f"{folder}/broken.slurm": BROKEN})
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "initial")
    return repo


@pytest.mark.parametrize("folder", ["old", "archive", "Archived_runs", "deprecated",
                                    "backup_2023", "scripts/old"])
def test_scan_skips_them_with_the_reason(tmp_path: Path, folder: str) -> None:
    repo = _repo(tmp_path, folder)
    report = run_scan([repo.path])
    assert [s.path for s in report.scripts] == ["train.slurm"]
    skipped = dict(report.skipped)
    assert skipped[f"{folder}/broken.slurm"] == (
        f"in the archive folder {folder}/ (rules.yaml scripts.archive)")
    # the live script is not "redundant" of its archived copy, nor the other way
    assert report.scripts[0].verdict == "keep"


@pytest.mark.parametrize("folder", ["older", "holdout", "my_backup", "gold"])
def test_folders_that_only_look_alike_are_scanned(tmp_path: Path, folder: str) -> None:
    repo = _repo(tmp_path, folder)
    assert f"{folder}/broken.slurm" in [s.path for s in run_scan([repo.path]).scripts]


def test_clean_and_the_hook_leave_them_alone(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "old")
    plan = _run(repo, "-m", "scriptkeeper", "clean", "--dry-run")
    assert plan.returncode == 0, plan.stderr
    assert "old/" not in plan.stdout
    hook = _run(repo, "-m", "scriptkeeper.hook", "old/broken.slurm", "old/train.slurm")
    assert (hook.returncode, hook.stdout) == (0, "")


def test_scripts_archive_names_the_folders(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "old")
    repo.write("rules.yaml", "scripts:\n  archive: [attic]\n")
    repo.write("attic/broken.slurm", BROKEN)
    report = json.loads(_run(repo, "-m", "scriptkeeper", "scan", "--format", "json",
                             "--exit-zero", ".").stdout)
    verdicts = {s["path"]: s["verdict"] for s in report["scripts"]}
    assert verdicts["old/broken.slurm"] == "broken"
    assert "attic/broken.slurm" not in verdicts
    hook = _run(repo, "-m", "scriptkeeper.hook", "old/broken.slurm")
    assert hook.returncode == 1


def test_discover_without_archive_folders_takes_everything(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "old")
    found = discover([repo.path], root=repo.path, in_git=True, archive=())
    assert "old/broken.slurm" in [c.path for c in found.scripts]
