"""ignored-directive-lookalike: a usage comment naming the sbatch command is no lookalike."""

from __future__ import annotations

import pytest

from scriptkeeper.parse.header import parse


def _lookalikes(comment: str) -> list[int]:
    data = f"#!/bin/bash\n{comment}\n#SBATCH --time=10\nhostname\n".encode()
    return [f.line for f in parse(data).facts if f.kind == "ignored-directive-lookalike"]


@pytest.mark.parametrize("comment", [
    "# sbatch job.slurm",
    "#   sbatch --nodes 2 --gres=gpu:4 scripts/train.sh",
    "# sbatch --array=1-5 task.R.slurm",
    "# sbatch \\",
    "# sbatch ${JOBS}/eval.slurm",
])
def test_a_usage_comment_is_not_reported(comment: str) -> None:
    assert _lookalikes(comment) == []


@pytest.mark.parametrize("comment", [
    "# SBATCH --mem 8G",
    "#sbatch --partition=gpu",
    "  #SBATCH --nodes=1",
    "# sbatch --mem 8G",
    "# sbatch --gres=gpu:1  <- uncomment to use",
])
def test_a_directive_lookalike_is_still_reported(comment: str) -> None:
    assert _lookalikes(comment) == [2]
