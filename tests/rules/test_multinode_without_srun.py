"""multinode-without-srun: a launcher for several nodes started once, from the batch shell."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.body.repo import errors, finding, judge, rules
from tests.rules.entries import TORCH_DDP

FLAGGED = [
    ("torchrun --nnodes=2", """
        #!/bin/bash
        #SBATCH --nodes=2 --gres=gpu:8
        torchrun --nnodes=2 --nproc_per_node=8 train.py
    """, "2 nodes"),
    ("the legacy module with a space", """
        #!/bin/bash
        #SBATCH --nodes=8 --ntasks-per-node=1
        python -m torch.distributed.launch --nproc_per_node 4 --nnodes 8 train.py
    """, "8 nodes"),
    ("accelerate over two machines", """
        #!/bin/bash
        #SBATCH --nodes=2 --gres=gpu:4
        accelerate launch --num_machines 2 --num_processes 8 train.py
    """, "2 nodes"),
    ("a c10d rendezvous waits the same way", """
        #!/bin/bash
        #SBATCH --nodes=2 --gres=gpu:8
        torchrun --nnodes=2 --nproc_per_node=8 --rdzv_backend=c10d \\
          --rdzv_endpoint=localhost:29500 train.py
    """, "2 nodes"),
]

LEFT_ALONE = [
    ("srun starts one agent per node", """
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks-per-node=1 --gres=gpu:8
        srun torchrun --nnodes=2 --nproc_per_node=8 --rdzv_backend=c10d \\
          --rdzv_endpoint=$MASTER_ADDR:29500 train.py
    """),
    ("an elastic minimum of one node", """
        #!/bin/bash
        #SBATCH --nodes=2 --gres=gpu:8
        torchrun --nnodes=1:2 --nproc_per_node=8 train.py
    """),
    ("one node", """
        #!/bin/bash
        #SBATCH --gres=gpu:8
        torchrun --nnodes=1 --nproc_per_node=8 train.py
    """),
    ("--standalone: standalone-multinode says what happens", """
        #!/bin/bash
        #SBATCH --nodes=2 --gres=gpu:8
        torchrun --standalone --nnodes=2 --nproc_per_node=8 train.py
    """),
    ("a node count the analysis cannot read", """
        #!/bin/bash
        #SBATCH --nodes=2 --gres=gpu:8
        torchrun --nnodes=$NODES --nproc_per_node=8 train.py
    """),
]


@pytest.mark.parametrize(("why", "script", "nodes"), FLAGGED, ids=[c[0] for c in FLAGGED])
def test_flagged(tmp_path: Path, why: str, script: str, nodes: str) -> None:
    result = judge(tmp_path, script, {"train.py": TORCH_DDP}, pins=None)
    assert "multinode-without-srun" in errors(result), why
    found = finding(result, "multinode-without-srun")
    assert nodes in found.message and found.fix.startswith("start one agent per node")


@pytest.mark.parametrize(("why", "script"), LEFT_ALONE, ids=[c[0] for c in LEFT_ALONE])
def test_left_alone(tmp_path: Path, why: str, script: str) -> None:
    result = judge(tmp_path, script, {"train.py": TORCH_DDP}, pins=None)
    assert "multinode-without-srun" not in rules(result), why
