"""Families: a file name without its version and status markers."""

from __future__ import annotations

import pytest

from scriptkeeper.redundancy.family import split_name
from scriptkeeper.rules.config import RedundancySettings

MARKERS = RedundancySettings().marker_table


def family(path: str) -> str:
    return split_name(path, MARKERS).family


@pytest.mark.parametrize("name", [
    "train.slurm", "train_v2.slurm", "train-v3.slurm", "train_old.slurm", "train_new.slurm",
    "train_final.slurm", "train_fixed.slurm", "train_correct.slurm", "train_CORRECT.slurm",
    "train_copy.slurm", "train (copy).slurm", "train_backup.slurm", "train.slurm.bak",
    "train_orig.slurm", "train_tmp.slurm", "train_2024-03-01.slurm", "train_20240301.slurm",
    "train_v2_fixed.slurm", "train_final_v3.slurm", "train (1).slurm", "train copy 2.slurm",
    "train.slurm~", "train (copy 2).slurm", "train.bak.slurm",
])
def test_markers_are_removed(name: str) -> None:
    assert family(f"scripts/{name}") == "scripts/train.slurm"


@pytest.mark.parametrize(("a", "b"), [
    ("sweep_lr_0.001.slurm", "sweep_lr_0.01.slurm"),
    ("seed_1.slurm", "seed_2.slurm"),
    ("train_1gpu.slurm", "train_8gpu.slurm"),
    ("train_8gpu_ddp_pertask.slurm", "train_8gpu_ddp.slurm"),
    ("train.slurm", "train.sh"),
    ("train.slurm", "pretrain.slurm"),
    ("train_old_lr.slurm", "train.slurm"),  # only trailing parts are markers
    ("a/train.slurm", "b/train_v2.slurm"),  # another folder
])
def test_names_that_differ_by_a_value_or_place_are_not_one_family(a: str, b: str) -> None:
    assert family(a) != family(b)


def test_a_name_that_is_only_a_marker_keeps_it() -> None:
    assert family("old.slurm") == "old.slurm"
    assert family("v2.slurm") == "v2.slurm"


def test_version_date_and_staleness() -> None:
    v10 = split_name("run_v10.slurm", MARKERS)
    v9 = split_name("run-v9.slurm", MARKERS)
    assert (v10.version, v9.version) == (10, 9)
    assert v10.rank > v9.rank
    dated = split_name("run_2024-03-01.slurm", MARKERS)
    assert dated.date == "20240301"
    assert dated.rank > split_name("run_20240201.slurm", MARKERS).rank
    assert split_name("run_old.slurm", MARKERS).rank < split_name("run.slurm", MARKERS).rank
    assert split_name("run_new.slurm", MARKERS).rank == split_name("run_final.slurm",
                                                                   MARKERS).rank
    assert not split_name("run.slurm", MARKERS).marked
    assert split_name("run (copy).slurm", MARKERS).marked


def test_markers_come_from_the_settings() -> None:
    assert split_name("train_try2.slurm", MARKERS).family == "train_try2.slurm"
    assert split_name("train_try2.slurm", ("try\\d+",)).family == "train.slurm"
    assert split_name("train_old.slurm", ("try\\d+",)).family == "train_old.slurm"
