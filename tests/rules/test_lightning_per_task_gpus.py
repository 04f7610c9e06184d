"""lightning-per-task-gpus: per-task GPU binding hides the other GPUs from each Lightning task."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.body.repo import errors, finding, judge
from tests.rules.entries import LIGHTNING_AUTO, SLURM_DDP

FLAGGED = [
    ("--gpus-per-task in the job", """
        #!/bin/bash
        #SBATCH --nodes=1
        #SBATCH --ntasks-per-node=8
        #SBATCH --gpus-per-task=1
        srun python train.py
    """, 4, "--gpus-per-task=1"),
    ("--gpus-per-task on the srun line", """
        #!/bin/bash
        #SBATCH --ntasks-per-node=4 --gres=gpu:4
        srun --gpus-per-task=1 python train.py
    """, 3, "--gpus-per-task=1"),
    ("--gpu-bind", """
        #!/bin/bash
        #SBATCH --ntasks-per-node=4 --gres=gpu:4
        #SBATCH --gpu-bind=closest
        srun python train.py
    """, 3, "--gpu-bind=closest"),
]


@pytest.mark.parametrize(("why", "script", "line", "option"), FLAGGED, ids=[f[0] for f in FLAGGED])
def test_flagged(tmp_path: Path, why: str, script: str, line: int, option: str) -> None:
    result = judge(tmp_path, script, {"train.py": LIGHTNING_AUTO})
    assert errors(result) == {"lightning-per-task-gpus"}, why
    found = finding(result, "lightning-per-task-gpus")
    assert found.line == line and option in found.message
    assert "ValueError" in found.message and "--gpus-per-node=" in found.fix


@pytest.mark.parametrize(("why", "script", "entry"), [
    ("one task per node", """
        #!/bin/bash
        #SBATCH --ntasks-per-node=1 --gpus-per-task=1
        srun python train.py
    """, LIGHTNING_AUTO),
    ("no binding", """
        #!/bin/bash
        #SBATCH --ntasks-per-node=4 --gpus-per-node=4
        srun python train.py
    """, LIGHTNING_AUTO),
    ("--gpu-bind=none", """
        #!/bin/bash
        #SBATCH --ntasks-per-node=4 --gres=gpu:4
        srun --gpu-bind=none python train.py
    """, LIGHTNING_AUTO),
    ("--gpu-bind=none undoes the binding --gpus-per-task adds", """
        #!/bin/bash
        #SBATCH --ntasks-per-node=4 --gpus-per-task=1 --gpu-bind=none
        srun python train.py
    """, LIGHTNING_AUTO),
    ("one device found and no strategy: a SingleDeviceStrategy checks nothing", """
        #!/bin/bash
        #SBATCH --ntasks-per-node=4 --gpus-per-task=1
        srun python train.py
    """, LIGHTNING_AUTO.replace(', strategy="ddp"', "")),
    ("not Lightning: SLURM-native DDP uses its one GPU", """
        #!/bin/bash
        #SBATCH --ntasks-per-node=4 --gpus-per-task=1
        srun python train.py
    """, SLURM_DDP),
])
def test_left_alone(tmp_path: Path, why: str, script: str, entry: str) -> None:
    result = judge(tmp_path, script, {"train.py": entry})
    assert "lightning-per-task-gpus" not in errors(result), why
