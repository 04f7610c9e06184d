"""nproc-exceeds-gpus: a launcher starts more processes per node than it has GPUs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.body.repo import errors, finding, judge
from tests.rules.entries import ACCELERATE, DEEPSPEED, HOROVOD, LIGHTNING_8, TORCH_DDP

FLAGGED = [
    ("torchrun 8 on 4 GPUs", """
        #!/bin/bash
        #SBATCH --gres=gpu:4
        torchrun --standalone --nproc_per_node=8 train.py
    """, TORCH_DDP, "torchrun starts 8"),
    ("python -m torch.distributed.launch 4 on 2 GPUs", """
        #!/bin/bash
        #SBATCH --gpus-per-node=2
        python -m torch.distributed.launch --nproc_per_node 4 --use_env train.py
    """, TORCH_DDP, "torchrun starts 4"),
    ("deepspeed --num_gpus 8 on 2", """
        #!/bin/bash
        #SBATCH --gres=gpu:2
        deepspeed --num_gpus 8 train.py --deepspeed ds.json
    """, DEEPSPEED, "deepspeed starts 8"),
    ("accelerate 8 processes on 1 machine with 4 GPUs", """
        #!/bin/bash
        #SBATCH --gres=gpu:4
        accelerate launch --multi_gpu --num_processes=8 train.py
    """, ACCELERATE, "accelerate starts 8"),
    ("Lightning starts devices=8 itself on 4 GPUs", """
        #!/bin/bash
        #SBATCH --gres=gpu:4
        python train.py
    """, LIGHTNING_8, "Lightning starts 8"),
    ("horovodrun -np 4 on 2 GPUs", """
        #!/bin/bash
        #SBATCH --gres=gpu:2
        horovodrun -np 4 python train.py
    """, HOROVOD, "horovodrun starts 4"),
    ("the script narrows the GPUs", """
        #!/bin/bash
        #SBATCH --gres=gpu:8
        export CUDA_VISIBLE_DEVICES=0,1
        torchrun --standalone --nproc_per_node=8 train.py
    """, TORCH_DDP, "see 2 GPUs"),
]


@pytest.mark.parametrize(("why", "script", "entry", "what"), FLAGGED, ids=[f[0] for f in FLAGGED])
def test_flagged(tmp_path: Path, why: str, script: str, entry: str, what: str) -> None:
    result = judge(tmp_path, script, {"train.py": entry})
    assert "nproc-exceeds-gpus" in errors(result), why
    found = finding(result, "nproc-exceeds-gpus")
    assert what in found.message and "invalid device ordinal" in found.message
    assert found.line == result.steps[0].line


LEFT_ALONE = [
    ("one process per GPU", """
        #!/bin/bash
        #SBATCH --gres=gpu:4
        torchrun --standalone --nproc_per_node=4 train.py
    """, TORCH_DDP),
    ("--nproc_per_node=gpu", """
        #!/bin/bash
        #SBATCH --gres=gpu:4
        torchrun --standalone --nproc_per_node=gpu train.py
    """, TORCH_DDP),
    ("a count the script cannot know", """
        #!/bin/bash
        #SBATCH --gres=gpu:4
        N=$(nvidia-smi -L | wc -l)
        torchrun --standalone --nproc_per_node=$N train.py
    """, TORCH_DDP),
    ("a count from the environment", """
        #!/bin/bash
        #SBATCH --gres=gpu:4
        torchrun --standalone --nproc_per_node=${NPROC:-8} train.py
    """, TORCH_DDP),
    ("accelerate on CPUs", """
        #!/bin/bash
        #SBATCH -c 32
        accelerate launch --cpu --num_processes 8 train.py
    """, ACCELERATE),
    ("torchrun on a CPU job", """
        #!/bin/bash
        #SBATCH -c 16
        torchrun --standalone --nproc_per_node=4 train.py
    """, TORCH_DDP),
    ("deepspeed on every visible GPU by default", """
        #!/bin/bash
        #SBATCH --gres=gpu:4
        deepspeed train.py --deepspeed ds.json
    """, DEEPSPEED),
    ("accelerate over two machines", """
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks-per-node=1 --gres=gpu:4
        srun accelerate launch --num_processes 8 --num_machines 2 train.py
    """, ACCELERATE),
]


@pytest.mark.parametrize(("why", "script", "entry"), LEFT_ALONE, ids=[f[0] for f in LEFT_ALONE])
def test_left_alone(tmp_path: Path, why: str, script: str, entry: str) -> None:
    result = judge(tmp_path, script, {"train.py": entry})
    assert "nproc-exceeds-gpus" not in errors(result), why
