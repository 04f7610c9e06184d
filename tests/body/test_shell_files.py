"""``bash run.sh`` and ``srun bash run.sh``: a shell file of the repository is read like a
``bash -c`` string, in the environment the batch shell or srun's task gives it."""

from __future__ import annotations

from pathlib import Path

from tests.body.repo import errors, judge, rules
from tests.rules.entries import TORCH_DDP

RUN_TORCHRUN = """\
export MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
torchrun --nnodes=2 --nproc_per_node=4 --rdzv_backend=c10d \\
  --rdzv_endpoint=$MASTER_ADDR:29400 train.py
"""


def test_srun_of_a_shell_file_is_judged_by_what_the_file_launches(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks-per-node=4 --gpus-per-task=1
        srun bash run.sh
    """, {"run.sh": RUN_TORCHRUN, "train.py": TORCH_DDP}, pins=None)
    assert "ntasks-launcher-mismatch" in errors(result)
    (step,) = result.steps
    assert step.launcher == "torchrun" and step.tasks_per_node == 4 and step.srun


def test_the_file_beside_the_script_is_found(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks-per-node=1 --gres=gpu:4
        srun bash run.sh
    """, {"jobs/run.sh": RUN_TORCHRUN, "train.py": TORCH_DDP}, name="jobs/job.slurm",
        pins=None)
    (step,) = result.steps
    assert step.launcher == "torchrun" and step.tasks_per_node == 1
    assert errors(result) == set()


def test_a_file_that_is_not_there_stays_unseen(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --gres=gpu:8
        srun bash run.sh
        torchrun --standalone --nproc_per_node=4 train.py
    """, {"train.py": TORCH_DDP}, pins=None)
    # run.sh may use the other GPUs: gpus-unused cannot be told
    assert "gpus-unused" not in rules(result)


def test_a_file_that_runs_itself_ends(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --gres=gpu:1
        bash loop.sh
    """, {"loop.sh": "bash loop.sh\npython train.py\n", "train.py": TORCH_DDP}, pins=None)
    # followed to the depth limit (3 files deep), each level's python line once
    assert [s.launcher for s in result.steps] == ["python"] * 3
