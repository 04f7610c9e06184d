"""Discovery finds job scripts the way a user expects, in and out of git."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from scriptkeeper.pipeline.discover import discover

JOB = b"#!/bin/bash\n#SBATCH -N1\nsrun hostname\n"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def make_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "scripts").mkdir()
    (repo / "scripts" / "a.slurm").write_bytes(b"#!/bin/bash\nhostname\n")  # by name
    (repo / "scripts" / "b.sh").write_bytes(JOB)  # by content
    (repo / "scripts" / "notes.sh").write_bytes(b"#!/bin/bash\necho not a job\n")
    (repo / "README.md").write_text("Our jobs:\n```\n#SBATCH --gres=gpu:8\n```\n")
    return repo


def paths(found: list[str]) -> list[str]:
    return sorted(found)


def test_by_name_and_by_content(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    found = discover([repo])
    assert paths([c.path for c in found.scripts]) == ["scripts/a.slurm", "scripts/b.sh"]
    assert ("scripts/notes.sh", "not a job script") in found.skipped
    assert found.root == repo.resolve() and found.in_git


def test_gitignore_is_honoured(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (repo / ".gitignore").write_text("scripts/b.sh\n")
    assert [c.path for c in discover([repo]).scripts] == ["scripts/a.slurm"]


def test_gitignore_outside_git(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "x.slurm").write_bytes(JOB)
    (folder / "y.slurm").write_bytes(JOB)
    (folder / ".gitignore").write_text("y.slurm\n")
    found = discover([folder])
    assert not found.in_git
    assert [c.path for c in found.scripts] == ["x.slurm"]


def test_include_and_exclude(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (repo / "other").mkdir()
    (repo / "other" / "c.slurm").write_bytes(JOB)
    (repo / "scripts" / "attic").mkdir()
    (repo / "scripts" / "attic" / "d.slurm").write_bytes(JOB)
    found = discover([repo], include=("scripts/**",), exclude=("scripts/attic/",))
    assert paths([c.path for c in found.scripts]) == ["scripts/a.slurm", "scripts/b.sh"]


def test_backup_folders_are_never_scanned(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    backup = repo / "scripts" / "backup_20251016T101500Z" / "scripts"
    backup.mkdir(parents=True)
    (backup / "old.slurm").write_bytes(JOB)
    assert paths([c.path for c in discover([repo]).scripts]) == ["scripts/a.slurm",
                                                                  "scripts/b.sh"]


def test_symlink_out_of_the_repository_is_not_followed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    outside = tmp_path / "secret.slurm"
    outside.write_bytes(JOB)
    os.symlink(outside, repo / "scripts" / "link.slurm")
    os.symlink(repo / "scripts" / "b.sh", repo / "scripts" / "inside.slurm")
    found = discover([repo])
    assert ("scripts/link.slurm", "symlink out of the repository") in found.skipped
    assert "scripts/inside.slurm" in [c.path for c in found.scripts]


def test_explicit_file_and_subfolder(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    found = discover([repo / "scripts" / "b.sh"])
    assert [c.path for c in found.scripts] == ["scripts/b.sh"]
    found = discover([repo / "scripts"])
    assert paths([c.path for c in found.scripts]) == ["scripts/a.slurm", "scripts/b.sh"]


def test_binary_and_huge_files_are_passed_over(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (repo / "model.ckpt").write_bytes(b"\n#SBATCH " + bytes(range(256)))
    (repo / "huge.slurm").write_bytes(JOB + b"#" * (2 << 20))
    found = discover([repo])
    names = [c.path for c in found.scripts]
    assert "model.ckpt" not in names and "huge.slurm" not in names
    assert ("huge.slurm", "larger than 1 MiB") in found.skipped


def test_special_files_are_passed_over_without_blocking(tmp_path: Path) -> None:
    # outside git every file is looked at: a FIFO must not block the scan, a folder,
    # a dangling symlink and a symlink loop are not files
    folder = tmp_path / "jobs"
    folder.mkdir()
    (folder / "a.slurm").write_bytes(JOB)
    os.mkfifo(folder / "pipe.slurm")
    (folder / "dir.slurm").mkdir()
    os.symlink(folder / "missing.slurm", folder / "dangling.slurm")
    os.symlink(folder / "loop2.slurm", folder / "loop1.slurm")
    os.symlink(folder / "loop1.slurm", folder / "loop2.slurm")
    found = discover([folder])
    assert [c.path for c in found.scripts] == ["a.slurm"]
    assert found.skipped == []


def test_a_symlink_to_a_binary_name_out_of_the_repository_is_reported(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (tmp_path / "weights.ckpt").write_bytes(b"\0" * 10)
    os.symlink(tmp_path / "weights.ckpt", repo / "weights.ckpt")
    os.symlink(repo / "scripts" / "b.sh", repo / "inside.ckpt")
    found = discover([repo])
    assert ("weights.ckpt", "symlink out of the repository") in found.skipped
    assert "inside.ckpt" not in [c.path for c in found.scripts]
    assert not any(path == "inside.ckpt" for path, _ in found.skipped)


def test_bytes_are_read_whole(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    big = JOB + b"# padding\n" * 60_000  # 600 kB: more than one read() of a pipe-sized buffer
    (repo / "big.slurm").write_bytes(big)
    found = discover([repo])
    assert next(c.data for c in found.scripts if c.path == "big.slurm") == big
