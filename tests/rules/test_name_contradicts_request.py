"""name-contradicts-request: '..._4node_16gpu_...' with another request is a stale statement."""

from __future__ import annotations

from pathlib import Path

import pytest

from scriptkeeper.model.name_intent import stated
from tests.body.repo import finding, judge, rules


def script(*directives: str) -> str:
    return "#!/bin/bash\n" + "".join(f"#SBATCH {d}\n" for d in directives) + \
        "srun python train.py\n"


# (why, file name, directives, words the message must hold)
FLAGGED = [
    ("4 nodes and 16 GPUs named, 1 node of 8 asked", "train_4node_16gpu_l40s.slurm",
     ("--nodes=1", "--gres=gpu:8"), ("4 nodes", "16 GPUs", "1 node")),
    ("8gpu named, 4 asked", "train_8gpu.slurm", ("--gres=gpu:4",), ("8 GPUs", "4 GPUs")),
    ("2 nodes named, none asked", "run-2nodes.sbatch", ("--gres=gpu:4",),
     ("2 nodes", "no --nodes")),
    ("GPUs named, no GPU asked", "finetune_1gpu.sh", ("--time=10",), ("1 GPU", "no GPU")),
    ("2n8g: 8 per node named, 4 per node asked", "bench_2n8g.slurm",
     ("--nodes=2", "--gpus-per-node=4"), ("8 GPUs per node",)),
    ("8 GPUs named, --gpus=4 in all", "x_8gpus.slurm", ("--nodes=2", "--gpus=4"), ("8 GPUs",)),
]

# (why, file name, directives)
LEFT_ALONE = [
    ("8 GPUs in all on 2 nodes of 4", "train_8gpu.slurm", ("--nodes=2", "--gres=gpu:4")),
    ("8 GPUs per node on 2 nodes", "train_2node_8gpu.slurm", ("--nodes=2", "--gres=gpu:8")),
    ("the same as --gpus in all", "x_16gpu.slurm", ("--nodes=4", "--gpus=16")),
    ("--gpus-per-task times --ntasks", "x_8gpu.slurm", ("--ntasks=8", "--gpus-per-task=1")),
    ("model size, not GPUs", "llama_7b_sft.slurm", ("--gres=gpu:1",)),
    ("model size gpt2_8b", "gpt2_8b.slurm", ("--gres=gpu:1",)),
    ("GPU type a100", "train_a100.slurm", ("--gres=gpu:a100:2",)),
    ("GPU type v100 with a count", "v100x4.slurm", ("--gres=gpu:2",)),
    ("a multiplier prefix", "4x_speedup.slurm", ("--gres=gpu:1",)),
    ("no count at all", "train_gpu.slurm", ("--gres=gpu:1",)),
    ("nodes not fixed: --nodes=2-4", "job_4node.slurm", ("--nodes=2-4",)),
    ("nodes left to SLURM by --ntasks", "job_2node.slurm", ("--ntasks=16",)),
    ("two different counts state nothing", "sweep_1gpu_vs_8gpu.slurm", ("--gres=gpu:2",)),
    ("a count glued to a longer word", "gpu8.slurm", ("--gres=gpu:1",)),
]


@pytest.mark.parametrize(("why", "name", "directives", "words"), FLAGGED,
                         ids=[c[0] for c in FLAGGED])
def test_flagged(tmp_path: Path, why: str, name: str, directives: tuple[str, ...],
                 words: tuple[str, ...]) -> None:
    result = judge(tmp_path, script(*directives), name=name)
    found = finding(result, "name-contradicts-request")
    assert found.severity == "warning", why
    assert all(w in found.message for w in words), found.message


@pytest.mark.parametrize(("why", "name", "directives"), LEFT_ALONE,
                         ids=[c[0] for c in LEFT_ALONE])
def test_left_alone(tmp_path: Path, why: str, name: str, directives: tuple[str, ...]) -> None:
    result = judge(tmp_path, script(*directives), name=name)
    assert "name-contradicts-request" not in rules(result), why


def test_the_line_is_the_request_it_contradicts(tmp_path: Path) -> None:
    text = "#!/bin/bash\n#SBATCH --time=10\n#SBATCH --gres=gpu:4\nsrun python train.py\n"
    assert finding(judge(tmp_path, text, name="a_8gpu.slurm"),
                   "name-contradicts-request").line == 3


@pytest.mark.parametrize(("name", "expected"), [
    ("train_4node_16gpu_l40s.slurm", (4, 16, None)),
    ("a-1-node-2-gpus.sh", (1, 2, None)),
    ("x_2n4g.slurm", (2, None, 4)),
    ("llama_70b_a100_4x.slurm", (None, None, None)),
    ("run.8gpu.v2.sbatch", (None, 8, None)),
    ("gpt2_8b.8nodes", (None, None, None)),  # the last suffix is not read
])
def test_what_a_name_states(name: str, expected: tuple[int | None, ...]) -> None:
    assert stated(name) == expected
