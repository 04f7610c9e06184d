"""Dates of scripts: one git log for all files, file times outside git."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from scriptkeeper.redundancy import file_dates
from scriptkeeper.redundancy.file_dates import dates

from .repo import Repo


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


def test_first_add_and_last_change_from_git(repo: Repo) -> None:
    repo.commit("2024-01-10T10:00:00+00:00", {"a.slurm": "1\n", "dir/b c.slurm": "1\n"})
    repo.commit("2024-02-10T10:00:00+00:00", {"a.slurm": "2\n"})
    repo.commit("2024-03-10T10:00:00+00:00", {"other.txt": "x\n"})
    found = dates(repo.path, ["a.slurm", "dir/b c.slurm"], True)
    assert found["a.slurm"] == file_dates.Dates(_epoch("2024-01-10T10:00:00"),
                                             _epoch("2024-02-10T10:00:00"), "git")
    assert found["dir/b c.slurm"] == file_dates.Dates(_epoch("2024-01-10T10:00:00"),
                                                   _epoch("2024-01-10T10:00:00"), "git")


def test_names_git_would_quote_are_read_exactly(repo: Repo) -> None:
    repo.commit("2024-01-10T10:00:00+00:00", {"träin (copy).slurm": "1\n", "t\"q.slurm": "1\n"})
    found = dates(repo.path, ["träin (copy).slurm", "t\"q.slurm"], True)
    assert {d.source for d in found.values()} == {"git"}


def test_untracked_and_outside_git_use_the_file_time(repo: Repo, tmp_path: Path) -> None:
    repo.commit("2024-01-10T10:00:00+00:00", {"a.slurm": "1\n"})
    new = repo.write("new.slurm", "1\n")
    os.utime(new, (1_000_000_000, 1_000_000_000))
    found = dates(repo.path, ["a.slurm", "new.slurm", "missing.slurm"], True)
    assert found["new.slurm"] == file_dates.Dates(1_000_000_000, 1_000_000_000, "file time")
    assert found["missing.slurm"] == file_dates.UNKNOWN
    outside = tmp_path / "plain"
    outside.mkdir()
    (outside / "x.slurm").write_text("1\n")
    os.utime(outside / "x.slurm", (2_000_000_000, 2_000_000_000))
    assert dates(outside, ["x.slurm"], False)["x.slurm"].last == 2_000_000_000


def test_a_repository_without_commits_uses_file_times(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "a.slurm").write_text("1\n")
    assert dates(tmp_path, ["a.slurm"], True)["a.slurm"].source == "file time"


def test_one_git_call_for_all_files(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    names = {f"s{i}/job{i}.slurm": f"{i}\n" for i in range(30)}
    repo.commit("2024-01-10T10:00:00+00:00", names)
    calls: list[list[str]] = []
    real = subprocess.run

    def counting(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        calls.append(list(args))
        return real(args, **kwargs)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(subprocess, "run", counting)
    found = dates(repo.path, list(names), True)
    assert len(calls) == 1 and "log" in calls[0]
    assert {d.source for d in found.values()} == {"git"}
