"""early-expanded-rank against torchrun's rendezvous: only the static one takes --node_rank."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.body.repo import errors, judge
from tests.rules.entries import ACCELERATE, TORCH_DDP

HEAD = "#!/bin/bash\n#SBATCH --nodes=2 --ntasks-per-node=1 --gres=gpu:8\n"


@pytest.mark.parametrize(("why", "body", "entry"), [
    ("c10d, underscore spelling",
     "srun torchrun --nnodes=2 --nproc_per_node=8 --node_rank=$SLURM_NODEID "
     "--rdzv_backend=c10d --rdzv_endpoint=$MASTER_ADDR:29500 train.py", TORCH_DDP),
    ("etcd, dash spelling, values as separate words",
     "srun torchrun --nnodes 2 --nproc-per-node 8 --node-rank $SLURM_PROCID "
     "--rdzv-backend etcd --rdzv-endpoint etcd.local:2379 train.py", TORCH_DDP),
    ("the launcher held in a variable and run by bash -c",
     'RUN="python -m torch.distributed.run --nnodes 2 --nproc_per_node 8 --rdzv_backend c10d '
     '--rdzv_endpoint node1:29400"\nsrun bash -c "$RUN --node_rank $SLURM_PROCID train.py"',
     TORCH_DDP),
    ("the backend from torchrun's environment variable",
     "export PET_RDZV_BACKEND=c10d\n"
     "srun torchrun --nnodes=2 --nproc_per_node=8 --node_rank=$SLURM_NODEID train.py",
     TORCH_DDP),
    ("accelerate launch hands machine_rank to torchrun as node_rank",
     'srun bash -c "accelerate launch --multi_gpu --num_machines 2 --num_processes 16 '
     '--machine_rank $SLURM_PROCID --main_process_ip node1 --main_process_port 29500 '
     '--rdzv_backend c10d train.py"', ACCELERATE),
    ("a template whose placeholders the shell splits",
     'LAUNCH="torchrun --nproc_per_node={{ gpus }} --nnodes={{ nodes }} '
     '--node_rank=$SLURM_NODEID --rdzv_endpoint node1:29400 --rdzv_backend c10d"\n'
     "srun $LAUNCH train.py --config {{ config }}", TORCH_DDP),
])
def test_dynamic_rendezvous_ignores_the_node_rank(tmp_path: Path, why: str, body: str,
                                                  entry: str) -> None:
    result = judge(tmp_path, HEAD + body + "\n", {"train.py": entry})
    assert "early-expanded-rank" not in errors(result), why


@pytest.mark.parametrize(("why", "body"), [
    ("no backend: static, the default",
     "srun torchrun --nnodes=2 --nproc_per_node=8 --node_rank=$SLURM_NODEID "
     "--master_addr=node1 train.py"),
    ("static named",
     "srun torchrun --nnodes=2 --nproc_per_node=8 --node_rank=$SLURM_NODEID "
     "--rdzv_backend=static --rdzv_endpoint=node1:29500 train.py"),
    ("an endpoint alone keeps the static rendezvous",
     "srun torchrun --nnodes=2 --nproc_per_node=8 --node_rank=$SLURM_NODEID "
     "--rdzv_endpoint=node1:29500 train.py"),
    ("c10d, but the rank also goes to the training script",
     "srun torchrun --nnodes=2 --nproc_per_node=8 --node_rank=$SLURM_NODEID "
     "--rdzv_backend=c10d --rdzv_endpoint=node1:29500 train.py --shard $SLURM_PROCID"),
])
def test_static_rendezvous_still_flagged(tmp_path: Path, why: str, body: str) -> None:
    result = judge(tmp_path, HEAD + body + "\n", {"train.py": TORCH_DDP})
    assert "early-expanded-rank" in errors(result), why
