"""The shipped navsim workspace: its redundant scripts and its broken copy (EXPECTED.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scriptkeeper.pipeline.scan import run_scan
from scriptkeeper.records import ScriptResult
from tests.conftest import EXAMPLE

from .repo import Repo

KEEPER = "scripts/cache_ray_1gpu.slurm"
COPY = "scripts/train_8gpu_ddp (copy).slurm"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ScriptResult]:
    """The example as a clone of its own repository: one commit of every file."""
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("SCRIPTKEEPER_NO_CACHE", "1")
    folder = tmp_path_factory.mktemp("navsim") / "navsim-workspace"
    shutil.copytree(EXAMPLE, folder)
    Repo(folder).commit("2025-05-01T12:00:00")
    report = run_scan([folder])
    monkeypatch.undo()
    return {s.path: s for s in report.scripts}


def test_the_three_cache_copies_are_redundant_of_the_pinned_original(
        workspace: dict[str, ScriptResult]) -> None:
    redundant = {p: s.redundant_of for p, s in workspace.items() if s.verdict == "redundant"}
    assert redundant == {
        "scripts/cache_ray_1gpu_old.slurm": KEEPER,
        "scripts/cache_ray_1gpu_backup.slurm": KEEPER,
        "scripts/cache_features.slurm": KEEPER,
    }
    assert workspace[KEEPER].verdict == "keep"
    assert workspace["scripts/torch_train_1gpu.slurm"].verdict == "keep"


def test_each_redundant_cache_script_says_why(workspace: dict[str, ScriptResult]) -> None:
    assert workspace["scripts/cache_ray_1gpu_backup.slurm"].notes == [
        f"byte-identical to {KEEPER}"]
    old = workspace["scripts/cache_ray_1gpu_old.slurm"].notes[0]
    assert "--job-name" in old and "--output" in old and "--time (06:00:00 vs 08:00:00)" in old
    features = workspace["scripts/cache_features.slurm"].notes[0]
    for part in ("--mem (262144M vs 256G)", "-c vs --cpus-per-task", "-n vs --ntasks",
                 "--time (8:00:00 vs 08:00:00)", "body laid out differently"):
        assert part in features


def test_the_copy_of_the_broken_ddp_script_is_broken_and_says_it_is_a_copy(
        workspace: dict[str, ScriptResult]) -> None:
    copy = workspace[COPY]
    assert (copy.verdict, copy.redundant_of) == ("broken", None)
    assert copy.notes == ["also a copy of scripts/train_8gpu_ddp.slurm"]
    assert workspace["scripts/train_8gpu_ddp.slurm"].notes == []


def test_scanned_in_place_the_paths_start_at_the_repository(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    monkeypatch.setenv("SCRIPTKEEPER_NO_CACHE", "1")
    report = run_scan([EXAMPLE])
    prefix = EXAMPLE.relative_to(report.root).as_posix() + "/"
    redundant = {s.path: s.redundant_of for s in report.scripts if s.verdict == "redundant"}
    assert redundant == {prefix + p: prefix + KEEPER for p in (
        "scripts/cache_ray_1gpu_old.slurm", "scripts/cache_ray_1gpu_backup.slurm",
        "scripts/cache_features.slurm")}
