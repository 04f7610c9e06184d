"""The launch steps of whole scripts: what each line starts, as far as the script tells."""

from __future__ import annotations

from pathlib import Path

from scriptkeeper.body import steps as launch
from tests.body.repo import errors, judge, only_step
from tests.rules.entries import ACCELERATE, LIGHTNING_AUTO, TORCH_DDP


def test_a_variable_assigned_earlier_gives_the_process_count(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --gres=gpu:4
        GPUS=4
        torchrun --standalone --nproc_per_node=$GPUS train.py
    """, {"train.py": TORCH_DDP})
    step = only_step(result)
    assert (step.launcher, step.procs_per_task, step.gpus_visible, step.line) == (
        "torchrun", 4, 4, 4)
    assert step.entry == "train.py" and step.framework == "torch"


def test_srun_bash_c_steps_run_in_each_task(tmp_path: Path) -> None:
    result = judge(tmp_path, r"""
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks-per-node=1 --gres=gpu:8
        GPUS_PER_NODE=8
        LAUNCHER="python -u -m torch.distributed.run \
            --nproc_per_node $GPUS_PER_NODE \
            --nnodes $SLURM_NNODES \
            --rdzv_backend c10d --max_restarts 0"
        SRUN_ARGS="--wait=60 --kill-on-bad-exit=1 --jobid $SLURM_JOB_ID"
        srun $SRUN_ARGS bash -c "$LAUNCHER --node_rank \$SLURM_PROCID train.py"
    """, {"train.py": TORCH_DDP})
    step = only_step(result)
    assert step.srun and step.launcher == "torchrun"
    assert (step.tasks_per_node, step.nodes, step.procs_per_task, step.launcher_nnodes) == (
        1, 2, 8, 2)
    assert step.line == 9 and step.early_rank_var is None
    assert errors(result) == set()


def test_inside_a_task_the_step_variables_are_known(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks-per-node=1 --gres=gpu:4
        srun bash -c 'torchrun --nnodes $SLURM_NNODES --nproc_per_node $SLURM_GPUS_ON_NODE t.py'
    """, {"t.py": TORCH_DDP})
    step = only_step(result)
    assert (step.launcher_nnodes, step.procs_per_task) == (2, 4)


def test_functions_loops_and_if_blocks(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --ntasks=3 --gres=gpu:3
        run_seed() {
            srun --ntasks=1 --gres=gpu:1 --exclusive python train.py --seed "$1" &
        }
        for seed in 1 2 3; do
            run_seed $seed
        done
        if [ -n "$EVAL" ]; then
            srun --ntasks=1 python eval.py
        fi
        wait
    """, {"train.py": TORCH_DDP, "eval.py": TORCH_DDP})
    first, second = result.steps
    assert (first.line, first.tasks_total, first.gpus_visible, first.in_background) == (
        4, 1, 1, True)
    assert (second.line, second.tasks_total) == (10, 1)


def test_values_that_differ_between_branches_are_not_judged(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --gres=gpu:4
        if [ "$BIG" = 1 ]; then NPROC=8; else NPROC=4; fi
        torchrun --standalone --nproc_per_node=$NPROC train.py
    """, {"train.py": TORCH_DDP})
    assert only_step(result).procs_per_task is None
    assert errors(result) == set()


def test_an_unknown_count_is_not_judged(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --gres=gpu:2 --ntasks-per-node=8
        NGPU=$(nvidia-smi --list-gpus | wc -l)
        srun $LAUNCH_PREFIX torchrun --nproc_per_node=$NGPU train.py
    """, {"train.py": TORCH_DDP})
    step = only_step(result)
    assert step.procs_per_task is None and step.tasks_per_node is None
    assert errors(result) == set()


def test_accelerate_template_with_arithmetic(tmp_path: Path) -> None:
    result = judge(tmp_path, r"""
        #!/bin/bash
        #SBATCH --nodes=4 --ntasks-per-node=1 --gres=gpu:4
        export GPUS_PER_NODE=4
        head_node_ip=$(scontrol show hostnames $SLURM_JOB_NODELIST | head -n 1)
        export LAUNCHER="accelerate launch \
            --num_processes $((SLURM_NNODES * GPUS_PER_NODE)) \
            --num_machines $SLURM_NNODES \
            --rdzv_backend c10d \
            --main_process_ip $head_node_ip \
            --main_process_port 29500"
        export CMD="$LAUNCHER train.py --mixed_precision fp16"
        srun $CMD
    """, {"train.py": ACCELERATE})
    step = only_step(result)
    assert (step.launcher, step.procs_per_task, step.launcher_nnodes, step.tasks_per_node) == (
        "accelerate", 4, 4, 1)
    assert step.framework == "accelerate" and errors(result) == set()


def test_eval_of_a_command_string(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --ntasks-per-node=8 --gres=gpu:8
        CMD="srun python train.py"
        eval $CMD
    """, {"train.py": LIGHTNING_AUTO})
    step = only_step(result)
    assert step.srun and step.lightning_slurm and step.line == 4
    assert errors(result) == set()


def test_line_continuations_point_at_the_first_line(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --ntasks-per-node=8 --gres=gpu:8
        cd $HOME/project
        python train.py \\
            --epochs 10 \\
            --lr 1e-3
    """, {"train.py": LIGHTNING_AUTO})
    step = only_step(result)
    assert (step.line, step.end_line) == (4, 6)
    assert [f.line for f in result.findings if f.rule == "missing-srun"] == [4]


def test_the_scripts_cuda_visible_devices_is_on_the_step(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --gres=gpu:4
        export CUDA_VISIBLE_DEVICES=0,1
        torchrun --standalone --nproc_per_node=2 train.py
    """, {"train.py": TORCH_DDP})
    step = only_step(result)
    assert (step.cvd_count, step.cvd_line, step.gpus_visible) == (2, 3, 2)


def test_steps_through_wrappers_and_containers(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --ntasks-per-node=4 --gres=gpu:4
        srun --container-image=nvcr.io/nvidia/pytorch:24.01-py3 --container-mounts=$PWD:/w \\
            singularity exec --nv img.sif env NCCL_DEBUG=INFO python train.py
    """, {"train.py": LIGHTNING_AUTO})
    step = only_step(result)
    assert step.srun and step.launcher == "python" and step.lightning
    assert (step.tasks_per_node, step.devices) == (4, 4)
    assert errors(result) == set()


def test_commands_that_launch_nothing_are_not_steps(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --time=10
        module load cuda
        source ~/venv/bin/activate
        mkdir -p logs && cd logs
        echo "start $(date)"
    """, pins=None)
    assert result.steps == []


def test_a_lightning_entry_that_builds_its_trainer_elsewhere(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --ntasks-per-node=8 --gres=gpu:8
        python train.py
    """, {"train.py": "from project.trainer import build\nbuild().fit()\n",
          "project/__init__.py": "",
          "project/trainer.py": LIGHTNING_AUTO.replace("trainer = ", "def build():\n    return ")
          .replace("trainer.fit(None)", "")})
    step = only_step(result)
    assert step.framework == "lightning" and step.lightning_slurm
    assert "missing-srun" in errors(result)


def test_bases_are_kept_per_folder_with_or_without_its_trailing_slash() -> None:
    assert launch._bases(None, "/r", "a/b/") == launch._bases(None, "/r", "a/b") == \
        ("/r", "/r/a/b")
    assert launch._bases(None, "/r", "") == ("/r",)  # a script at the root
    assert launch._bases(None, "/r", "/abs/") == ("/r", "/abs")  # an absolute script path
    assert launch._bases("/r/base", "/r", "c/") == ("/r/base", "/r", "/r/c")


def test_the_body_runs_from_its_first_command_to_the_end_of_the_text(tmp_path: Path) -> None:
    for ending in ("", "\n", "\n\n"):
        result = judge(tmp_path, "#!/bin/bash\n#SBATCH --ntasks=2\n\necho start\n"
                       "srun python train.py" + ending, files={"train.py": "print()\n"})
        step = only_step(result)
        assert (step.line, step.command) == (5, "python train.py"), ending
