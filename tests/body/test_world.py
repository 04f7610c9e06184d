"""The training world of a launch step: size, separate worlds, who ranks, who waits."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.body.repo import LIGHTNING_GPU, judge, only_step
from tests.rules.entries import SLURM_DDP, TORCH_DDP


def world(tmp_path: Path, script: str, entry: str = LIGHTNING_GPU
          ) -> tuple[int | None, int | None, str, int, str, int | None]:
    step = only_step(judge(tmp_path, script, {"train.py": entry}))
    return (step.world_size, step.worlds, step.ranks_by, step.missing_peers, step.wait_message,
            step.gpus_per_proc)


def test_lightning_with_one_task_trains_alone_on_eight_gpus(tmp_path: Path) -> None:
    assert world(tmp_path, """
        #!/bin/bash
        #SBATCH --gres=gpu:8 --ntasks=1
        python train.py
    """) == (1, 1, "task", 0, "", 1)


def test_lightning_without_srun_waits_for_the_tasks_srun_never_starts(tmp_path: Path) -> None:
    assert world(tmp_path, """
        #!/bin/bash
        #SBATCH --gres=gpu:8 --ntasks-per-node=8
        python train.py
    """) == (8, 1, "task", 7, "Initializing distributed: GLOBAL_RANK: 0, MEMBER: 1/8", 1)


def test_lightning_under_srun_one_rank_per_task(tmp_path: Path) -> None:
    assert world(tmp_path, """
        #!/bin/bash
        #SBATCH --nodes=2 --gres=gpu:8 --ntasks-per-node=8
        srun python train.py
    """, LIGHTNING_GPU.replace('strategy="ddp"', 'strategy="ddp", num_nodes=2')
    ) == (16, 1, "task", 0, "", 1)


def test_lightning_without_task_options_starts_its_own_processes(tmp_path: Path) -> None:
    assert world(tmp_path, """
        #!/bin/bash
        #SBATCH --gres=gpu:4
        python train.py
    """) == (4, 1, "worker", 0, "", 1)


def test_lightning_that_stops_at_start_up_forms_no_world(tmp_path: Path) -> None:
    step = only_step(judge(tmp_path, """
        #!/bin/bash
        #SBATCH --gres=gpu:8 --ntasks=8
        srun python train.py
    """, {"train.py": LIGHTNING_GPU}))
    assert step.lightning_start_error.startswith("RuntimeError")
    assert (step.world_size, step.ranks_by, step.missing_peers) == (None, "task", 0)


def test_slurm_driven_ddp_without_srun_waits(tmp_path: Path) -> None:
    size, worlds, ranks, missing, message, _ = world(tmp_path, """
        #!/bin/bash
        #SBATCH --gres=gpu:4 --ntasks-per-node=4
        python train.py
    """, SLURM_DDP)
    assert (size, worlds, ranks, missing) == (4, 1, "task", 3)
    assert "init_process_group" in message


@pytest.mark.parametrize(("launch", "expected"), [
    # one agent per node, standalone: each agent its own world
    ("srun torchrun --standalone --nproc_per_node=8 train.py", (8, 2, "worker", 0)),
    # one rendezvous over both nodes: one world of 16
    ("srun torchrun --nnodes=2 --nproc_per_node=8 --rdzv_backend=c10d "
     "--rdzv_endpoint=h:29500 train.py", (16, 1, "worker", 0)),
    # the batch shell starts one agent of the two the rendezvous waits for
    ("torchrun --nnodes=2 --nproc_per_node=8 --rdzv_backend=c10d --rdzv_endpoint=h:29500 "
     "train.py", (16, 1, "worker", 8)),
])
def test_torchrun_numbers_its_workers(tmp_path: Path, launch: str,
                                      expected: tuple[int, int, str, int]) -> None:
    size, worlds, ranks, missing, message, gpus = world(tmp_path, f"""
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks-per-node=1 --gres=gpu:8
        {launch}
    """, TORCH_DDP)
    assert (size, worlds, ranks, missing) == expected and gpus == 1
    assert bool(message) == bool(missing)


def test_several_agents_per_node_are_left_to_the_rule(tmp_path: Path) -> None:
    step = only_step(judge(tmp_path, """
        #!/bin/bash
        #SBATCH --gres=gpu:8 --ntasks-per-node=8
        srun torchrun --standalone --nproc_per_node=8 train.py
    """, {"train.py": TORCH_DDP}))
    assert step.tasks_effect and (step.world_size, step.ranks_by) == (None, "")


def test_a_utility_forms_no_world(tmp_path: Path) -> None:
    assert world(tmp_path, """
        #!/bin/bash
        #SBATCH --gres=gpu:1 --ntasks-per-node=2
        srun hostname
    """) == (0, 0, "", 0, "", None)


def test_a_plain_python_entry_is_left_unknown(tmp_path: Path) -> None:
    # it may still call init_process_group with its own rank and world size
    assert world(tmp_path, """
        #!/bin/bash
        #SBATCH --gres=gpu:1
        python train.py
    """, "print('hello')\n") == (None, None, "", 0, "", None)
