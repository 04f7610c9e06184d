"""Real git repositories with dated history, and job scripts to put in them (test helpers)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from scriptkeeper.pipeline.scan import run_scan
from scriptkeeper.records import ScriptResult

ENTRY = """import os

import torch
import torch.distributed as dist


def main() -> None:
    rank = int(os.environ.get("SLURM_PROCID", "0"))
    dist.init_process_group("nccl", rank=rank,
                            world_size=int(os.environ.get("SLURM_NTASKS", "1")))
    torch.cuda.set_device(int(os.environ.get("SLURM_LOCALID", "0")))


if __name__ == "__main__":
    main()
"""


def job(*directives: str, body: str = "python train.py --lr=0.1\n") -> str:
    """A job script: a shebang, the given #SBATCH lines and a body."""
    lines = ["#!/bin/bash", *(f"#SBATCH {d}" for d in directives), ""]
    return "\n".join(lines) + "\n" + body


def one_gpu(body: str = "python train.py --lr=0.1\n", *extra: str) -> str:
    return job("--job-name=train", "--gres=gpu:1", "--ntasks=1", "--cpus-per-task=8",
               "--mem=64G", "--time=04:00:00", *extra, body=body)


class Repo:
    """A git repository in a temporary folder; each commit gets the date it is told."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.write("train.py", ENTRY)

    def git(self, *args: str, date: str | None = None) -> str:
        env = dict(os.environ)
        env.update({"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
                    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com"})
        if date is not None:
            env["GIT_AUTHOR_DATE"] = date
            env["GIT_COMMITTER_DATE"] = date
        done = subprocess.run(["git", *args], cwd=self.path, env=env, check=True,
                              capture_output=True, text=True)
        return done.stdout

    def write(self, name: str, text: str | bytes) -> Path:
        full = self.path / name
        full.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            full.write_bytes(text)
        else:
            full.write_text(text)
        return full

    def commit(self, date: str, files: Mapping[str, str | bytes] | None = None,
               message: str = "change") -> None:
        """Write ``files``, then commit everything at ``date`` (ISO 8601)."""
        for name, text in (files or {}).items():
            self.write(name, text)
        self.git("add", "-A", "--", ".", ":!.scriptkeeper_cache")
        self.git("commit", "-q", "--allow-empty", "-m", message, date=date)

    def scan(self) -> dict[str, ScriptResult]:
        """Scan the whole repository: results by path."""
        report = run_scan([self.path])
        return {s.path: s for s in report.scripts}


def verdicts(results: dict[str, ScriptResult]) -> dict[str, tuple[str, str | None]]:
    return {path: (r.verdict, r.redundant_of) for path, r in results.items()}


# Fixtures of every redundancy test (tests/redundancy/conftest.py) and of the report tests
# that judge the same repositories (tests/report/test_keeper_diff.py, test_family_tree.py).


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Redundancy tests judge fresh repositories: no result cache between runs."""
    monkeypatch.setenv("SCRIPTKEEPER_NO_CACHE", "1")


@pytest.fixture(name="repo")
def repo_fixture(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "work")
