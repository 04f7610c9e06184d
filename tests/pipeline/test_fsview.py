"""fsview: stat answers kept for one scan only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scriptkeeper.pipeline import fsview


def test_outside_a_scan_every_call_looks_again(tmp_path: Path) -> None:
    path = str(tmp_path / "train.py")
    assert not fsview.isfile(path)
    Path(path).write_text("print()\n")
    assert fsview.isfile(path) and not fsview.isdir(path)
    assert fsview.stat(path).st_size == 8


def test_inside_a_scan_the_first_answer_holds_until_the_scan_ends(tmp_path: Path) -> None:
    path = str(tmp_path / "train.py")
    with fsview.one_scan():
        assert not fsview.isfile(path)
        Path(path).write_text("print()\n")
        assert not fsview.isfile(path)  # as the scan first saw it
        with fsview.one_scan():  # nested: the same view
            assert not fsview.isfile(path)
        with pytest.raises(OSError):
            fsview.stat(path)
    assert fsview.isfile(path)  # the next scan looks again
    os.unlink(path)
    with fsview.one_scan():
        assert not fsview.isfile(path)


def test_folders_and_odd_paths(tmp_path: Path) -> None:
    assert fsview.isdir(str(tmp_path)) and not fsview.isfile(str(tmp_path))
    assert not fsview.isfile(str(tmp_path / "a\0b")) and not fsview.isdir("")


def test_per_scan_answers_hold_for_one_scan_only(tmp_path: Path) -> None:
    calls: list[str] = []

    @fsview.per_scan
    def size(path: str) -> int:
        calls.append(path)
        return len(Path(path).read_text())

    path = str(tmp_path / "requirements.txt")
    Path(path).write_text("torch\n")
    assert size(path) == size(path) == 6 and len(calls) == 2  # outside: worked out each time
    with fsview.one_scan():
        assert size(path) == 6
        Path(path).write_text("torch==2.1\n")
        assert size(path) == 6 and len(calls) == 3  # as the scan first saw it
    assert size(path) == 11  # the next scan, or no scan, works it out again
    with fsview.one_scan():
        assert size(path) == 11 and len(calls) == 5
