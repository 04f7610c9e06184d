"""standalone-multinode and early-expanded-rank: multi-node launches that do not join up."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.body.repo import errors, finding, judge
from tests.rules.entries import DEEPSPEED, SLURM_DDP, TORCH_DDP


@pytest.mark.parametrize(("why", "script"), [
    ("srun on two nodes", """
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks-per-node=1 --gres=gpu:8
        srun torchrun --standalone --nproc_per_node=8 train.py
    """),
    ("--nnodes=2 on one rendezvous that is local", """
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks-per-node=1 --gres=gpu:8
        torchrun --standalone --nnodes=2 --nproc_per_node=8 train.py
    """),
])
def test_standalone_on_several_nodes(tmp_path: Path, why: str, script: str) -> None:
    result = judge(tmp_path, script, {"train.py": TORCH_DDP})
    assert "standalone-multinode" in errors(result), why
    assert "--rdzv_backend=c10d" in finding(result, "standalone-multinode").fix


@pytest.mark.parametrize(("why", "script"), [
    ("one node", """
        #!/bin/bash
        #SBATCH --nodes=1 --ntasks-per-node=1 --gres=gpu:8
        srun torchrun --standalone --nproc_per_node=8 train.py
    """),
    ("a shared rendezvous", """
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks-per-node=1 --gres=gpu:8
        srun torchrun --nnodes=2 --nproc_per_node=8 --rdzv_backend=c10d \\
            --rdzv_endpoint=$MASTER_ADDR:29500 train.py
    """),
])
def test_standalone_left_alone(tmp_path: Path, why: str, script: str) -> None:
    result = judge(tmp_path, script, {"train.py": TORCH_DDP})
    assert "standalone-multinode" not in errors(result), why


EARLY = [
    ("--node_rank=$SLURM_NODEID on the srun line", """
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks-per-node=1 --gres=gpu:8
        srun torchrun --nnodes=2 --node_rank=$SLURM_NODEID --nproc_per_node=8 train.py
    """, TORCH_DDP, "SLURM_NODEID"),
    ("$SLURM_PROCID inside double quotes", """
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks-per-node=1 --gres=gpu:8
        srun bash -c "deepspeed --num_gpus 8 --node_rank $SLURM_PROCID train.py"
    """, DEEPSPEED, "SLURM_PROCID"),
    ("a variable copied from $SLURM_NODEID", """
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks-per-node=1 --gres=gpu:8
        NODE_RANK=$SLURM_NODEID
        srun torchrun --nnodes=2 --node_rank=$NODE_RANK --nproc_per_node=8 train.py
    """, TORCH_DDP, "NODE_RANK"),
    ("rank as a script argument", """
        #!/bin/bash
        #SBATCH --ntasks-per-node=4 --gres=gpu:4
        srun python train.py --rank $SLURM_PROCID --local-rank ${SLURM_LOCALID}
    """, SLURM_DDP, "SLURM_PROCID"),
]


@pytest.mark.parametrize(("why", "script", "entry", "name"), EARLY, ids=[e[0] for e in EARLY])
def test_early_expanded_rank(tmp_path: Path, why: str, script: str, entry: str,
                             name: str) -> None:
    result = judge(tmp_path, script, {"train.py": entry})
    assert "early-expanded-rank" in errors(result), why
    found = finding(result, "early-expanded-rank")
    assert f"${name}" in found.message and found.line == result.steps[0].line
    assert "\\$SLURM_PROCID" in found.fix


@pytest.mark.parametrize(("why", "script"), [
    ("single quotes", """
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks-per-node=1 --gres=gpu:8
        srun bash -c 'torchrun --nnodes=2 --node_rank=$SLURM_NODEID --nproc_per_node=8 train.py'
    """),
    ("escaped in double quotes", """
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks-per-node=1 --gres=gpu:8
        LAUNCHER="torchrun --nnodes=2 --nproc_per_node=8"
        srun bash -c "$LAUNCHER --node_rank \\$SLURM_PROCID train.py"
    """),
    ("not an srun line", """
        #!/bin/bash
        #SBATCH --nodes=1 --gres=gpu:8
        torchrun --nnodes=1 --node_rank=$SLURM_NODEID --nproc_per_node=8 train.py
    """),
    ("a per-job variable", """
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks-per-node=1 --gres=gpu:8
        srun torchrun --nnodes=2 --rdzv_id=$SLURM_JOB_ID --nproc_per_node=8 train.py
    """),
])
def test_early_rank_left_alone(tmp_path: Path, why: str, script: str) -> None:
    result = judge(tmp_path, script, {"train.py": TORCH_DDP})
    assert "early-expanded-rank" not in errors(result), why
