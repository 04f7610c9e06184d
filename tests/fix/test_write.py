"""Writing a fixed script: atomic, mode kept, never through a symlink out of the repository."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from scriptkeeper.fix.write import WriteRefused, write_atomic


def test_the_new_bytes_replace_the_old_and_the_mode_stays(tmp_path: Path) -> None:
    script = tmp_path / "job.slurm"
    script.write_bytes(b"old\n")
    script.chmod(0o751)
    write_atomic(tmp_path, "job.slurm", b"old\n", b"new\n")
    assert script.read_bytes() == b"new\n"
    assert stat.S_IMODE(script.stat().st_mode) == 0o751
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job.slurm"]  # no temporary left


def test_the_file_is_replaced_by_rename_not_rewritten(tmp_path: Path) -> None:
    script = tmp_path / "job.slurm"
    script.write_bytes(b"old\n")
    before = script.stat().st_ino
    write_atomic(tmp_path, "job.slurm", b"old\n", b"new\n")
    assert script.stat().st_ino != before  # a new inode: the old one was never half written


def test_a_script_that_changed_since_it_was_read_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "job.slurm").write_bytes(b"edited meanwhile\n")
    with pytest.raises(WriteRefused, match="changed"):
        write_atomic(tmp_path, "job.slurm", b"old\n", b"new\n")
    assert (tmp_path / "job.slurm").read_bytes() == b"edited meanwhile\n"


def test_a_symlink_out_of_the_repository_is_never_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "outside.slurm"
    outside.write_bytes(b"old\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "job.slurm").symlink_to(outside)
    with pytest.raises(WriteRefused, match="outside the repository"):
        write_atomic(repo, "job.slurm", b"old\n", b"new\n")
    assert outside.read_bytes() == b"old\n"


def test_a_symlink_inside_the_repository_changes_its_target_and_stays_a_link(
        tmp_path: Path) -> None:
    (tmp_path / "real.slurm").write_bytes(b"old\n")
    (tmp_path / "job.slurm").symlink_to("real.slurm")
    write_atomic(tmp_path, "job.slurm", b"old\n", b"new\n")
    assert os.readlink(tmp_path / "job.slurm") == "real.slurm"
    assert (tmp_path / "real.slurm").read_bytes() == b"new\n"
