"""gpus-unused when the launcher is out of sight: unknown is not zero processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.launch.repo import finding, judge, rules
from tests.launch.rules.entries import TORCH_DDP

HEAD = "#!/bin/bash\n#SBATCH --gres=gpu:4\nnvidia-smi\n"


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
    result = judge(tmp_path, HEAD + body + "\n", files)
    assert "gpus-unused" not in rules(result), why


@pytest.mark.parametrize(("why", "body", "used"), [
    ("nvidia-smi and plain utilities only", 'echo "start"\nmkdir -p out\ndate', 0),
    ("a launcher held in a known variable", 'CMD="torchrun --standalone --nproc_per_node=2"\n'
                                            "$CMD train.py", 2),
])
def test_still_flagged(tmp_path: Path, why: str, body: str, used: int) -> None:
    result = judge(tmp_path, HEAD + body + "\n", {"train.py": TORCH_DDP})
    assert f"at most {used}" in finding(result, "gpus-unused").message, why
