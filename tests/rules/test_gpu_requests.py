"""visible-gpus-exceed-request and missing-gpu-request: the GPUs the script asks for."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.body.repo import CLUSTER, errors, finding, judge
from tests.rules.entries import CPU_ONLY, LIGHTNING_AUTO, MAYBE_GPU, TORCH_DDP


def test_cuda_visible_devices_beyond_the_request(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --gres=gpu:h200:1
        #SBATCH --ntasks=1

        export CUDA_VISIBLE_DEVICES=0,1,2,3,4,5,6,7
        python train.py
    """, {"train.py": LIGHTNING_AUTO})
    assert errors(result) == {"visible-gpus-exceed-request"}
    found = finding(result, "visible-gpus-exceed-request")
    assert found.line == 5
    assert "names 8 GPUs but the job requests 1" in found.message
    assert "--gres=gpu:8" in found.fix


def test_gpu_numbers_beyond_the_request(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --gres=gpu:2
        CUDA_VISIBLE_DEVICES=6,7 python train.py
    """, {"train.py": TORCH_DDP})
    assert "visible-gpus-exceed-request" in errors(result)


@pytest.mark.parametrize(("why", "script", "rules"), [
    ("within the request", """
        #!/bin/bash
        #SBATCH --gres=gpu:4
        export CUDA_VISIBLE_DEVICES=0,1
        python train.py
    """, None),
    ("srun sets the variable again for its tasks", """
        #!/bin/bash
        #SBATCH --gres=gpu:1 --ntasks=1
        export CUDA_VISIBLE_DEVICES=0,1,2,3
        srun python train.py
    """, None),
    ("a value the script cannot know", """
        #!/bin/bash
        #SBATCH --gres=gpu:1
        export CUDA_VISIBLE_DEVICES=$GPU_LIST
        python train.py
    """, None),
    ("a cluster that does not manage GPUs", """
        #!/bin/bash
        #SBATCH --gres=gpu:1
        export CUDA_VISIBLE_DEVICES=0,1,2,3
        python train.py
    """, CLUSTER.replace("cluster:\n", "cluster:\n  gpus_managed: false\n")),
])
def test_visible_gpus_left_alone(tmp_path: Path, why: str, script: str,
                                 rules: str | None) -> None:
    result = judge(tmp_path, script, {"train.py": TORCH_DDP}, rules=rules)
    assert "visible-gpus-exceed-request" not in errors(result), why


MISSING = [
    ("Lightning accelerator=gpu with no request", """
        #!/bin/bash
        #SBATCH --ntasks-per-node=8
        srun python train.py
    """, LIGHTNING_AUTO, 3, 'accelerator="gpu" in train.py:3'),
    ("nccl in the entry point", """
        #!/bin/bash
        #SBATCH -c 8
        torchrun --standalone --nproc_per_node=2 train.py
    """, TORCH_DDP, 3, '"nccl" in train.py:5'),
    ("the deepspeed launcher", """
        #!/bin/bash
        #SBATCH -c 8
        deepspeed train.py
    """, CPU_ONLY, 3, "the deepspeed launcher"),
    ("nvidia-smi", """
        #!/bin/bash
        #SBATCH -c 8
        nvidia-smi
        python train.py
    """, CPU_ONLY, 3, "nvidia-smi"),
    ("setting CUDA_VISIBLE_DEVICES", """
        #!/bin/bash
        #SBATCH -c 8
        export CUDA_VISIBLE_DEVICES=0
        python train.py
    """, CPU_ONLY, 3, "CUDA_VISIBLE_DEVICES=0"),
]


@pytest.mark.parametrize(("why", "script", "entry", "line", "evidence"), MISSING,
                         ids=[m[0] for m in MISSING])
def test_missing_gpu_request(tmp_path: Path, why: str, script: str, entry: str, line: int,
                             evidence: str) -> None:
    result = judge(tmp_path, script, {"train.py": entry})
    assert "missing-gpu-request" in errors(result), why
    found = [f for f in result.findings if f.rule == "missing-gpu-request"]
    assert len(found) == 1  # one report for the script, not one per step
    assert found[0].line == line
    assert evidence in found[0].message
    assert "#SBATCH --gres=gpu:" in found[0].fix


def test_a_gpu_request_after_the_first_command_counts_as_none(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --nodes=1
        #SBATCH --ntasks-per-node=8
        module purge
        module load cuda/12.1
        #SBATCH --gres=gpu:8
        #SBATCH --cpus-per-task=16

        srun python train.py
    """, {"train.py": LIGHTNING_AUTO})
    assert errors(result) == {"directive-after-command", "missing-gpu-request"}
    found = finding(result, "missing-gpu-request")
    assert found.line == 6
    assert found.fix.startswith("move `#SBATCH --gres=gpu:8` (line 6) above the first command")


@pytest.mark.parametrize(("why", "script", "entry", "rules"), [
    ("a CPU job", """
        #!/bin/bash
        #SBATCH -c 8
        python train.py
    """, CPU_ONLY, None),
    ("GPU only when available", """
        #!/bin/bash
        #SBATCH -c 8
        python train.py
    """, MAYBE_GPU, None),
    ("GPUs requested", """
        #!/bin/bash
        #SBATCH --gpus-per-node=2
        torchrun --standalone --nproc_per_node=2 train.py
    """, TORCH_DDP, None),
    ("an exclusive node: the batch shell sees every GPU", """
        #!/bin/bash
        #SBATCH --exclusive
        torchrun --standalone --nproc_per_node=8 train.py
    """, TORCH_DDP, CLUSTER),
    ("a cluster that does not manage GPUs", """
        #!/bin/bash
        #SBATCH -c 8
        torchrun --standalone --nproc_per_node=8 train.py
    """, TORCH_DDP, CLUSTER.replace("cluster:\n", "cluster:\n  gpus_managed: false\n")),
    ("DeepSpeed on its CPU accelerator", """
        #!/bin/bash
        #SBATCH -c 8
        export DS_ACCELERATOR=cpu
        deepspeed train.py
    """, CPU_ONLY, None),
    ("CUDA_VISIBLE_DEVICES emptied to hide GPUs", """
        #!/bin/bash
        #SBATCH -c 8
        export CUDA_VISIBLE_DEVICES=
        python train.py
    """, CPU_ONLY, None),
])
def test_gpu_request_left_alone(tmp_path: Path, why: str, script: str, entry: str,
                                rules: str | None) -> None:
    result = judge(tmp_path, script, {"train.py": entry}, rules=rules)
    assert "missing-gpu-request" not in errors(result), why


def test_an_exclusive_job_srun_step_sees_no_gpu(tmp_path: Path) -> None:
    # an error only where the profile says SLURM manages GPUs; without that key the whole
    # nodes of --exclusive may come with their GPUs: a warning (tests/rules)
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --exclusive --ntasks-per-node=1
        srun torchrun --standalone --nproc_per_node=8 train.py
    """, {"train.py": TORCH_DDP},
        rules=CLUSTER.replace("cluster:\n", "cluster:\n  gpus_managed: true\n"))
    assert "missing-gpu-request" in errors(result)
