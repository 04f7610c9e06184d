"""ntasks-launcher-mismatch: the tasks per node do not fit the launcher."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.body.repo import errors, finding, judge
from tests.rules.entries import (
    ACCELERATE,
    DEEPSPEED,
    LIGHTNING_4,
    LIGHTNING_AUTO,
    SLURM_DDP,
    TORCH_DDP,
)

FLAGGED = [
    ("Lightning: 8 tasks per node on 1 GPU", """
        #!/bin/bash
        #SBATCH --gres=gpu:1 --nodes=1
        #SBATCH --ntasks-per-node=8
        srun python train.py
    """, LIGHTNING_AUTO, 3, "does not match"),
    ("Lightning: devices=4 in the code, 2 tasks per node", """
        #!/bin/bash
        #SBATCH --gres=gpu:4
        #SBATCH --ntasks-per-node=2
        srun python train.py
    """, LIGHTNING_4, 3, "devices=4"),
    ("Lightning: --ntasks smaller than nodes x tasks per node", """
        #!/bin/bash
        #SBATCH --nodes=2 --gres=gpu:4
        #SBATCH --ntasks=4 --ntasks-per-node=4
        srun python train.py
    """, LIGHTNING_4, 3, "world size 4"),
    ("torchrun under srun with 8 tasks per node", """
        #!/bin/bash
        #SBATCH --gres=gpu:8
        #SBATCH --ntasks-per-node=8
        srun torchrun --standalone --nproc_per_node=8 train.py
    """, TORCH_DDP, 3, "64 processes per node"),
    ("srun --ntasks-per-node=1 alone is ignored in a job with 8", """
        #!/bin/bash
        #SBATCH --gres=gpu:8
        #SBATCH --ntasks-per-node=8
        srun --ntasks-per-node=1 torchrun --nproc_per_node=8 train.py
    """, TORCH_DDP, 4, "8 torchrun agents"),
    ("accelerate under srun with 4 tasks per node", """
        #!/bin/bash
        #SBATCH --gres=gpu:4 --ntasks-per-node=4
        srun accelerate launch --num_processes 4 train.py
    """, ACCELERATE, 2, "accelerate agents"),
    ("deepspeed under srun with 2 tasks per node", """
        #!/bin/bash
        #SBATCH --gres=gpu:2 --ntasks=2
        srun deepspeed --num_gpus 2 train.py
    """, DEEPSPEED, 2, "deepspeed agents"),
    ("mpirun asks for more ranks than task slots", """
        #!/bin/bash
        #SBATCH --ntasks=8
        mpirun -np 16 python train.py
    """, TORCH_DDP, 3, "not enough slots"),
    ("SLURM-native DDP: 8 tasks per node on 4 GPUs", """
        #!/bin/bash
        #SBATCH --gres=gpu:4
        #SBATCH --ntasks-per-node=8
        srun python train.py
    """, SLURM_DDP, 3, "invalid device ordinal"),
]


@pytest.mark.parametrize(("why", "script", "entry", "line", "what"), FLAGGED,
                         ids=[f[0] for f in FLAGGED])
def test_flagged(tmp_path: Path, why: str, script: str, entry: str, line: int,
                 what: str) -> None:
    result = judge(tmp_path, script, {"train.py": entry})
    assert "ntasks-launcher-mismatch" in errors(result), why
    found = finding(result, "ntasks-launcher-mismatch")
    assert found.line == line
    assert what in found.message
    assert found.fix


LEFT_ALONE = [
    ("Lightning: one task per GPU", """
        #!/bin/bash
        #SBATCH --gres=gpu:8 --ntasks-per-node=8
        srun python train.py
    """, LIGHTNING_AUTO),
    ("Lightning: devices=4 with 4 tasks per node on 8 GPUs", """
        #!/bin/bash
        #SBATCH --gres=gpu:8 --ntasks-per-node=4
        srun python train.py
    """, LIGHTNING_4),
    ("torchrun with one task per node", """
        #!/bin/bash
        #SBATCH --nodes=2 --gres=gpu:8 --ntasks-per-node=1
        srun torchrun --nnodes=2 --nproc_per_node=8 --rdzv_backend=c10d train.py
    """, TORCH_DDP),
    ("srun -n 1 in a job with 8 tasks", """
        #!/bin/bash
        #SBATCH --gres=gpu:8 --ntasks-per-node=8
        srun -n 1 torchrun --standalone --nproc_per_node=8 train.py
    """, TORCH_DDP),
    ("torchrun without srun runs once", """
        #!/bin/bash
        #SBATCH --gres=gpu:8 --ntasks-per-node=8
        torchrun --standalone --nproc_per_node=8 train.py
    """, TORCH_DDP),
    ("mpirun within the slots", """
        #!/bin/bash
        #SBATCH --ntasks=16
        mpirun -np 16 python train.py
    """, TORCH_DDP),
    ("mpirun told to oversubscribe", """
        #!/bin/bash
        #SBATCH --ntasks=4
        mpirun --oversubscribe -np 16 python train.py
    """, TORCH_DDP),
    ("mpirun with a host list", """
        #!/bin/bash
        #SBATCH --ntasks=4
        mpirun -np 16 -H a:8,b:8 python train.py
    """, TORCH_DDP),
    ("srun options built from an unknown variable", """
        #!/bin/bash
        #SBATCH --gres=gpu:8 --ntasks-per-node=8
        srun $SRUN_ARGS torchrun --nproc_per_node=8 train.py
    """, TORCH_DDP),
    ("SLURM-native DDP with one GPU per task", """
        #!/bin/bash
        #SBATCH --gres=gpu:8 --ntasks-per-node=8
        srun python train.py
    """, SLURM_DDP),
]


@pytest.mark.parametrize(("why", "script", "entry"), LEFT_ALONE, ids=[f[0] for f in LEFT_ALONE])
def test_left_alone(tmp_path: Path, why: str, script: str, entry: str) -> None:
    result = judge(tmp_path, script, {"train.py": entry})
    assert "ntasks-launcher-mismatch" not in errors(result), why
