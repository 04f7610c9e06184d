"""Keepers that stay put: dates mean "when this content appeared".

A clean and a restore, or a rename, must not make a script newer and flip the
election; outside git, copies written a moment apart are a tie that the names
decide. Real git repositories; clean and restore run as the CLI.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from scriptkeeper.pipeline.scan import run_scan

from .repo import Repo, one_gpu, verdicts


def _ddp(extra: str) -> str:
    return one_gpu(f"srun python train.py --strategy=ddp {extra}\n")


def _sk(repo: Repo, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "SCRIPTKEEPER_"))}
    env.update({"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
                "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
                "SCRIPTKEEPER_NO_CACHE": "1", "NO_COLOR": "1"})
    done = subprocess.run([sys.executable, "-m", "scriptkeeper", *args], cwd=repo.path,
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return re.sub(r"backup_\d{8}T\d{6}Z(_\d+)?", "backup_STAMP", done.stdout)


def _moves(plan: str) -> list[str]:
    return [line.split()[1] for line in plan.splitlines() if "  ->  " in line]


def test_clean_restore_clean_plans_the_same_moves(repo: Repo) -> None:
    repo.commit("2024-01-10T10:00:00", {"train_8gpu_ddp_v2.slurm": _ddp("--seed=1")})
    repo.commit("2024-03-10T10:00:00", {"train_8gpu_ddp.slurm": _ddp("--seed=2")})
    first = _sk(repo, "clean", "--dry-run")
    assert "train_8gpu_ddp_v2.slurm  ->" in first
    assert "train_8gpu_ddp.slurm  ->" not in first
    _sk(repo, "clean", "--yes")
    _sk(repo, "restore")
    # the restore commit re-added v2 today: its content is still from 2024-01-10
    again = _sk(repo, "clean", "--dry-run")
    assert _moves(again) == _moves(first) == ["train_8gpu_ddp_v2.slurm"]
    results = repo.scan()
    assert verdicts(results)["train_8gpu_ddp_v2.slurm"] == ("redundant",
                                                            "train_8gpu_ddp.slurm")
    note = results["train_8gpu_ddp_v2.slurm"].notes[0]
    assert "last changed 2024-01-10" in note
    assert "later commits only moved or restored it" in note
    # a second real clean moves the same script, and the newest stays
    _sk(repo, "clean", "--yes")
    assert (repo.path / "train_8gpu_ddp.slurm").exists()
    assert not (repo.path / "train_8gpu_ddp_v2.slurm").exists()


def test_a_pure_rename_does_not_make_a_script_newer(repo: Repo) -> None:
    repo.commit("2024-01-10T10:00:00", {"old_name.slurm": _ddp("--seed=1")})
    repo.commit("2024-03-10T10:00:00", {"train.slurm": _ddp("--seed=2")})
    repo.git("mv", "old_name.slurm", "train_v2.slurm")
    repo.commit("2024-05-10T10:00:00")
    results = repo.scan()
    assert verdicts(results) == {"train.slurm": ("keep", None),
                                 "train_v2.slurm": ("redundant", "train.slurm")}
    assert "last changed 2024-01-10" in results["train_v2.slurm"].notes[0]


def test_a_rename_with_an_edit_is_a_change(repo: Repo) -> None:
    repo.commit("2024-01-10T10:00:00", {"old_name.slurm": _ddp("--seed=1 --epochs=1000")})
    repo.commit("2024-03-10T10:00:00", {"train.slurm": _ddp("--seed=2 --epochs=1000")})
    repo.git("mv", "old_name.slurm", "train_v2.slurm")
    repo.write("train_v2.slurm", _ddp("--seed=3 --epochs=1000"))
    repo.commit("2024-05-10T10:00:00")
    assert verdicts(repo.scan()) == {"train.slurm": ("redundant", "train_v2.slurm"),
                                     "train_v2.slurm": ("keep", None)}


def test_diff_shows_the_date_that_decided(repo: Repo) -> None:
    repo.commit("2024-01-10T10:00:00", {"train_8gpu_ddp_v2.slurm": _ddp("--seed=1")})
    repo.commit("2024-03-10T10:00:00", {"train_8gpu_ddp.slurm": _ddp("--seed=2")})
    shown = _sk(repo, "scan", "--diff", "train_8gpu_ddp_v2.slurm")
    assert "last changed 2024-01-10" in shown and "last changed 2024-03-10" in shown


def _outside_git(tmp_path: Path, files: dict[str, str], gaps: dict[str, float]) -> dict[
        str, tuple[str, str | None]]:
    folder = tmp_path / "plain"
    folder.mkdir()
    base = 1_700_000_000.0
    for name, text in files.items():
        (folder / name).write_text(text)
        os.utime(folder / name, (base + gaps[name], base + gaps[name]))
    return {s.path: (s.verdict, s.redundant_of) for s in run_scan([folder]).scripts}


def test_outside_git_copies_a_moment_apart_are_decided_by_the_name(tmp_path: Path) -> None:
    # cp train.slurm train_old.slurm: the copy is 74 microseconds newer
    found = _outside_git(tmp_path, {"train.slurm": _ddp("--seed=2"),
                                    "train_old.slurm": _ddp("--seed=1")},
                         {"train.slurm": 0.0, "train_old.slurm": 0.000074})
    assert found == {"train.slurm": ("keep", None),
                     "train_old.slurm": ("redundant", "train.slurm")}


def test_outside_git_a_tie_with_names_that_cannot_tell_supersedes_nothing(
        tmp_path: Path) -> None:
    found = _outside_git(tmp_path, {"train_a.slurm": _ddp("--seed=2"),
                                    "train_new.slurm": _ddp("--seed=1"),
                                    "train_final.slurm": _ddp("--seed=3")},
                         {"train_a.slurm": 0.0, "train_new.slurm": 1.5,
                          "train_final.slurm": 3.0})
    assert found == {"train_a.slurm": ("keep", None), "train_new.slurm": ("keep", None),
                     "train_final.slurm": ("keep", None)}


def test_outside_git_times_far_apart_still_decide(tmp_path: Path) -> None:
    found = _outside_git(tmp_path, {"train.slurm": _ddp("--seed=2"),
                                    "train_v2.slurm": _ddp("--seed=1")},
                         {"train.slurm": 0.0, "train_v2.slurm": 3600.0})
    assert found == {"train.slurm": ("redundant", "train_v2.slurm"),
                     "train_v2.slurm": ("keep", None)}
