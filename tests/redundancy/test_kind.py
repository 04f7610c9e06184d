"""The kind of job: allocation shape and launch steps, for the superseded relation."""

from __future__ import annotations

from pathlib import Path

import pytest

from scriptkeeper.model.build import LaunchStep
from scriptkeeper.pipeline.analyze import analyze_script
from scriptkeeper.records import ScriptResult
from scriptkeeper.redundancy.body import body_text, canonical
from scriptkeeper.redundancy.kind import launch_key, resource_kind
from scriptkeeper.rules.config import load_config


def result(body: str, *directives: str) -> ScriptResult:
    text = "\n".join(["#!/bin/bash", *(f"#SBATCH {d}" for d in directives), body])
    return analyze_script(Path("/nonexistent"), "job.slurm", text.encode(), load_config(None))


def key(body: str) -> tuple[tuple[bool, str, str], ...]:
    r = result(body)
    r.steps = []  # the fallback: what the body says
    return launch_key(r, canonical(body_text(r.data)))


@pytest.mark.parametrize(("body", "expected"), [
    ("python train.py --lr=1\n", ((False, "python", "train.py"),)),
    ("python3.11 -u ./train.py\n", ((False, "python", "train.py"),)),
    ("python -m pkg.train x=1\n", ((False, "python", "-m pkg.train"),)),
    ("srun python train.py\n", ((True, "python", "train.py"),)),
    ("srun -n 8 --ntasks-per-node 8 -c4 --mpi=pmix python train.py\n",
     ((True, "python", "train.py"),)),
    ("srun --export ALL python train.py\n", ((True, "python", "train.py"),)),
    ("torchrun --nproc_per_node 8 train.py\n", ((False, "torchrun", "train.py"),)),
    ("python -m torch.distributed.run --nproc-per-node=8 train.py\n",
     ((False, "torchrun", "train.py"),)),
    ("accelerate launch --num_processes 8 train.py\n", ((False, "accelerate", "train.py"),)),
    ("deepspeed --num_gpus 8 train.py --deepspeed ds.json\n",
     ((False, "deepspeed", "train.py"),)),
    ("mpirun -np 8 python train.py\n", ((False, "mpirun", "train.py"),)),
    ("OMP_NUM_THREADS=4 exec python train.py\n", ((False, "python", "train.py"),)),
    ("env A=1 python train.py\n", ((False, "python", "train.py"),)),
    ("bash run.sh\n", ((False, "shell", "run.sh"),)),
    ("./bin/train --steps 10\n", ((False, "program", "bin/train"),)),
    ("srun hostname\n", ((True, "program", "hostname"),)),
    ("module load cuda\ncd /x && python a.py; python b.py\n",
     ((False, "python", "a.py"), (False, "python", "b.py"))),
    ("echo start\nmkdir -p logs\n", ()),
])
def test_launch_steps_from_the_body(body: str, expected: tuple[object, ...]) -> None:
    assert key(body) == expected


def test_launch_steps_from_the_launch_analysis_win() -> None:
    r = result("python train.py\n")
    r.steps = [LaunchStep(line=3, text="srun torchrun x.py", srun=True, launcher="torchrun",
                          entry="x.py")]
    assert launch_key(r, canonical(body_text(r.data))) == ((True, "torchrun", "x.py"),)


def test_resource_kind_counts_the_shape_not_the_size() -> None:
    base = resource_kind(result("x\n", "--gres=gpu:1", "--mem=10G", "-c 4", "-t 10"))
    assert base == resource_kind(result("x\n", "--gres=gpu:1", "--mem=20G", "-c 8", "-t 99"))
    for other in (("--gres=gpu:4",), ("--gres=gpu:a100:1",), ("--gres=gpu:1", "-N 2"),
                  ("--gres=gpu:1", "--ntasks-per-node=2"), ("--gres=gpu:1", "-n 1"),
                  ("--gres=gpu:1", "-p debug")):
        assert resource_kind(result("x\n", *other)) != base, other
