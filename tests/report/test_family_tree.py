"""The table report shows redundant scripts as a tree under their keepers."""

from __future__ import annotations

import pytest

from scriptkeeper.pipeline.scan import run_scan
from scriptkeeper.report import table

# the fixtures of the redundancy tests: no result cache, a fresh repo
from tests.redundancy.repo import Repo, _no_cache, job, one_gpu, repo_fixture  # noqa: F401


def test_redundant_scripts_hang_under_their_keeper(repo: Repo) -> None:
    text = one_gpu()
    version = one_gpu("python train.py --lr=0.5\n")
    broken = one_gpu("python train.py --lr=0.1\n", "--time=1.5h")
    repo.commit("2024-01-10T10:00:00", {"run.slurm": job("--gres=gpu:1", body="python a.py\n"),
                                        "a.py": "print(1)\n"})
    repo.commit("2024-02-10T10:00:00", {"train.slurm": text, "train_backup.slurm": text,
                                        "train_copy.slurm": broken})
    repo.commit("2024-03-10T10:00:00", {"train_v2.slurm": version})
    out = table.render(run_scan([repo.path]), color=False)
    tree = out[out.index("redundant (2), by keeper"):]
    tree = tree[:tree.index("keep (")]
    lines = [line.rstrip() for line in tree.splitlines()]
    assert lines[1] == "└── train_v2.slurm keep"
    assert "    ├── train.slurm superseded" in lines
    assert "    ├── train_backup.slurm duplicate" in lines
    assert any("train.slurm is itself redundant" in line for line in lines)
    # the broken copy keeps its verdict but hangs under the same keeper, with its relation
    assert "    └── train_copy.slurm broken, copy" in lines
    assert ("        ├── also a copy of train.slurm (itself redundant of train_v2.slurm)"
            in lines)
    assert not any(line.startswith("└── train.slurm") for line in lines)
    # a redundant script is not listed a second time in a table of its own
    assert "redundant (2)\n" not in out


@pytest.mark.parametrize("scripts", [{"a.slurm": one_gpu()}])
def test_no_tree_without_relations(repo: Repo, scripts: dict[str, str]) -> None:
    repo.commit("2024-01-10T10:00:00", dict(scripts))
    out = table.render(run_scan([repo.path]), color=False)
    assert "by keeper" not in out
