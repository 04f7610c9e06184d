"""gpus-unused (warning): more GPUs requested than the launch lines start processes for."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.body.repo import finding, judge, rules
from tests.rules.entries import LIGHTNING_4, LIGHTNING_AUTO, MAYBE_GPU, TORCH_DDP


@pytest.mark.parametrize(("why", "script", "entry", "used"), [
    ("torchrun 4 on 8 GPUs", """
        #!/bin/bash
        #SBATCH --gres=gpu:8
        torchrun --standalone --nproc_per_node=4 train.py
    """, TORCH_DDP, 4),
    ("Lightning devices=4, 4 tasks per node, 8 GPUs", """
        #!/bin/bash
        #SBATCH --gres=gpu:8 --ntasks-per-node=4
        srun python train.py
    """, LIGHTNING_4, 4),
    ("torchrun's default of one process", """
        #!/bin/bash
        #SBATCH --gres=gpu:4
        torchrun --standalone train.py
    """, TORCH_DDP, 1),
])
def test_flagged(tmp_path: Path, why: str, script: str, entry: str, used: int) -> None:
    result = judge(tmp_path, script, {"train.py": entry})
    assert rules(result) == {"gpus-unused"}, why
    found = finding(result, "gpus-unused")
    assert found.severity == "warning" and found.line == 2
    assert f"at most {used}" in found.message
    assert result.verdict == "keep"


@pytest.mark.parametrize(("why", "script", "entry"), [
    ("every GPU used", """
        #!/bin/bash
        #SBATCH --gres=gpu:8 --ntasks-per-node=8
        srun python train.py
    """, LIGHTNING_AUTO),
    ("one process whose GPU use cannot be told", """
        #!/bin/bash
        #SBATCH --gres=gpu:4
        python train.py
    """, MAYBE_GPU),
    ("a step that uses them all next to a small one", """
        #!/bin/bash
        #SBATCH --gres=gpu:8
        nvidia-smi
        torchrun --standalone --nproc_per_node=1 smoke.py
        torchrun --standalone --nproc_per_node=8 train.py
    """, TORCH_DDP),
    ("launcher options from an array the script cannot expand", """
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks=2 --gres=gpu:8
        ARGS=(--nproc_per_node 8 --nnodes 2)
        srun torchrun ${ARGS[@]} --tee 3 train.py
    """, TORCH_DDP),
    ("the error already says it", """
        #!/bin/bash
        #SBATCH --gres=gpu:8 --ntasks=1
        python train.py
    """, LIGHTNING_AUTO),
])
def test_left_alone(tmp_path: Path, why: str, script: str, entry: str) -> None:
    result = judge(tmp_path, script, {"train.py": entry, "smoke.py": entry})
    assert "gpus-unused" not in rules(result), why


# gpus-unused when the launcher is out of sight: unknown is not zero processes.

GPUS4_HEAD = "#!/bin/bash\n#SBATCH --gres=gpu:4\nnvidia-smi\n"


@pytest.mark.parametrize(("why", "body"), [
    ("a launcher line chosen in a branch, run from a variable",
     'if [ "$NODES" -gt 1 ]; then\n  RUN="srun torchrun --nproc-per-node=4"\n'
     'else\n  RUN="torchrun --standalone --nproc-per-node=$NGPU"\nfi\n$RUN -m pkg.train'),
    ("the interpreter in a variable",
     '"${PY_BIN}" -m torch.distributed.run --standalone --nproc_per_node=4 train.py'),
    ("eval of a line built from an unknown variable",
     'eval "$LAUNCH_PREFIX train.py --epochs 3"'),
    ("a wrapper shell script", "bash run_training.sh"),
    ("a console script installed by the project", "trainctl fit --config cfg.yaml"),
])
def test_unknown_launcher_is_not_zero(tmp_path: Path, why: str, body: str) -> None:
    files = {"train.py": TORCH_DDP, "run_training.sh": "torchrun --nproc_per_node=4 train.py\n"}
    result = judge(tmp_path, GPUS4_HEAD + body + "\n", files)
    assert "gpus-unused" not in rules(result), why


@pytest.mark.parametrize(("why", "body", "used"), [
    ("nvidia-smi and plain utilities only", 'echo "start"\nmkdir -p out\ndate', 0),
    ("a launcher held in a known variable", 'CMD="torchrun --standalone --nproc_per_node=2"\n'
                                            "$CMD train.py", 2),
])
def test_still_flagged(tmp_path: Path, why: str, body: str, used: int) -> None:
    result = judge(tmp_path, GPUS4_HEAD + body + "\n", {"train.py": TORCH_DDP})
    assert f"at most {used}" in finding(result, "gpus-unused").message, why
