"""The edits beside the launch analysis: srun on the launch line, the task layout a
launcher needs, fewer launcher processes (body/launch_edits.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fix.support import checked, fix, script
from tests.rules.entries import LIGHTNING_4, LIGHTNING_AUTO, SLURM_DDP, TORCH_DDP

FIXED = [
    ("missing-srun", {"train.py": LIGHTNING_AUTO}, script("""
        #!/bin/bash
        #SBATCH --gres=gpu:8
        #SBATCH --ntasks-per-node=8
        echo start
        NCCL_DEBUG=INFO python train.py --epochs 3
     """), script("""
        #!/bin/bash
        #SBATCH --gres=gpu:8
        #SBATCH --ntasks-per-node=8
        echo start
        NCCL_DEBUG=INFO srun python train.py --epochs 3
     """)),
    # the seed's layout: world size 1 on 8 GPUs; a node keeps its 128 CPUs
    ("lightning-single-process", {"train.py": LIGHTNING_AUTO}, script("""
        #!/bin/bash
        #SBATCH --gres=gpu:8
        #SBATCH --ntasks=1
        #SBATCH --cpus-per-task=128
        python train.py
     """), script("""
        #!/bin/bash
        #SBATCH --gres=gpu:8
        #SBATCH --ntasks-per-node=8
        #SBATCH --cpus-per-task=16
        srun python train.py
     """)),
    ("lightning-single-process", {"train.py": LIGHTNING_AUTO}, script("""
        #!/bin/bash
        #SBATCH --gres=gpu:4 -n 1
        srun python train.py
     """), script("""
        #!/bin/bash
        #SBATCH --gres=gpu:4 --ntasks-per-node=4
        srun python train.py
     """)),
    ("ntasks-without-per-node", {"train.py": LIGHTNING_AUTO}, script("""
        #!/bin/bash
        #SBATCH --gres=gpu:8
        #SBATCH --ntasks=8
        srun python train.py
     """), script("""
        #!/bin/bash
        #SBATCH --gres=gpu:8
        #SBATCH --ntasks-per-node=8
        srun python train.py
     """)),
    # torchrun starts the workers: one agent per node, with the node's CPUs
    ("ntasks-launcher-mismatch", {"train.py": TORCH_DDP}, script("""
        #!/bin/bash
        #SBATCH --gres=gpu:8
        #SBATCH --ntasks-per-node=8
        #SBATCH --cpus-per-task=16
        srun torchrun --standalone --nproc_per_node=8 train.py
     """), script("""
        #!/bin/bash
        #SBATCH --gres=gpu:8
        #SBATCH --ntasks-per-node=1
        #SBATCH --cpus-per-task=128
        srun torchrun --standalone --nproc_per_node=8 train.py
     """)),
    # Lightning with devices=4 in the code and 8 tasks per node: the tasks follow the code
    ("ntasks-launcher-mismatch", {"train.py": LIGHTNING_4}, script("""
        #!/bin/bash
        #SBATCH --gres=gpu:4
        #SBATCH --ntasks-per-node=8
        srun python train.py
     """), script("""
        #!/bin/bash
        #SBATCH --gres=gpu:4
        #SBATCH --ntasks-per-node=4
        srun python train.py
     """)),
    # devices="auto" sees the one GPU requested: the request follows the tasks
    ("ntasks-launcher-mismatch", {"train.py": LIGHTNING_AUTO}, script("""
        #!/bin/bash
        #SBATCH --gres=gpu:h200:1
        #SBATCH --ntasks-per-node=8
        srun python train.py
     """), script("""
        #!/bin/bash
        #SBATCH --gres=gpu:h200:8
        #SBATCH --ntasks-per-node=8
        srun python train.py
     """)),
    ("nproc-exceeds-gpus", {"train.py": TORCH_DDP}, script("""
        #!/bin/bash
        #SBATCH --gres=gpu:4
        torchrun --standalone --nproc_per_node=8 train.py
     """), script("""
        #!/bin/bash
        #SBATCH --gres=gpu:4
        torchrun --standalone --nproc_per_node=4 train.py
     """)),
]


@pytest.mark.parametrize(("rule", "files", "before", "after"), FIXED,
                         ids=[f"{f[0]}-{i}" for i, f in enumerate(FIXED)])
def test_fixed(tmp_path: Path, rule: str, files: dict[str, str], before: bytes,
               after: bytes) -> None:
    checked(tmp_path, before, rule, after, files)


LEFT_ALONE = [
    ("srun sets the layout on its own line", "ntasks-launcher-mismatch", {"train.py": TORCH_DDP},
     script("""
        #!/bin/bash
        #SBATCH --gres=gpu:8
        srun --ntasks-per-node=8 torchrun --standalone --nproc_per_node=8 train.py
     """)),
    ("the launch line is not a plain command", "missing-srun", {"train.py": SLURM_DDP},
     script("""
        #!/bin/bash
        #SBATCH --gres=gpu:4
        #SBATCH --ntasks-per-node=4
        if true; then python train.py; fi
     """)),
]


@pytest.mark.parametrize(("why", "rule", "files", "data"), LEFT_ALONE,
                         ids=[c[0] for c in LEFT_ALONE])
def test_left_alone(tmp_path: Path, why: str, rule: str, files: dict[str, str],
                    data: bytes) -> None:
    done = fix(tmp_path, data, files)
    assert rule in {f.rule for f in done.remaining}, (why, done.remaining)
    assert rule not in {f.rule for f in done.applied}, why
