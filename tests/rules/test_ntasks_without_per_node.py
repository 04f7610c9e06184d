"""ntasks-without-per-node: Lightning >= 1.8 refuses --ntasks=K>1 without --ntasks-per-node."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.body.repo import errors, finding, judge
from tests.rules.entries import LIGHTNING_AUTO, TORCH_DDP

FLAGGED = [
    ("--ntasks=8 with srun", """
        #!/bin/bash
        #SBATCH --gres=gpu:8
        #SBATCH --ntasks=8
        srun python train.py
    """, "lightning==2.2.1", 3),
    ("-n 16 on two nodes", """
        #!/bin/bash
        #SBATCH -N 2 -n 16 --gres=gpu:8
        srun python train.py
    """, "lightning==1.9.5", 2),
    ("srun -n 4 in a job without task options", """
        #!/bin/bash
        #SBATCH --gres=gpu:4
        srun -n 4 python train.py
    """, "lightning==2.2.1", 3),
]


@pytest.mark.parametrize(("why", "script", "pin", "line"), FLAGGED, ids=[f[0] for f in FLAGGED])
def test_flagged(tmp_path: Path, why: str, script: str, pin: str, line: int) -> None:
    result = judge(tmp_path, script, {"train.py": LIGHTNING_AUTO}, pins=pin + "\n")
    assert "ntasks-without-per-node" in errors(result), why
    found = finding(result, "ntasks-without-per-node")
    assert found.line == line
    assert "RuntimeError: You set --ntasks=" in found.message
    assert "--ntasks-per-node=" in found.fix


LEFT_ALONE = [
    ("one task", """
        #!/bin/bash
        #SBATCH --ntasks=1 --gres=gpu:1
        srun python train.py
    """, LIGHTNING_AUTO, "lightning==2.2.1"),
    ("--ntasks with --ntasks-per-node", """
        #!/bin/bash
        #SBATCH --ntasks=8 --ntasks-per-node=8 --gres=gpu:8
        srun python train.py
    """, LIGHTNING_AUTO, "lightning==2.2.1"),
    ("srun sets SLURM_NTASKS_PER_NODE itself", """
        #!/bin/bash
        #SBATCH --ntasks=8 --gres=gpu:8
        srun --ntasks=8 --ntasks-per-node=8 python train.py
    """, LIGHTNING_AUTO, "lightning==2.2.1"),
    ("Lightning 1.7 had no such check", """
        #!/bin/bash
        #SBATCH --ntasks=8 --gres=gpu:8
        srun python train.py
    """, LIGHTNING_AUTO, "pytorch-lightning==1.7.7"),
    ("not Lightning", """
        #!/bin/bash
        #SBATCH --ntasks=8 --gres=gpu:8
        srun python train.py
    """, TORCH_DDP, "lightning==2.2.1"),
    ("job named bash", """
        #!/bin/bash
        #SBATCH --job-name=bash --ntasks=8 --gres=gpu:8
        python train.py
    """, LIGHTNING_AUTO, "lightning==2.2.1"),
]


@pytest.mark.parametrize(("why", "script", "entry", "pin"), LEFT_ALONE,
                         ids=[f[0] for f in LEFT_ALONE])
def test_left_alone(tmp_path: Path, why: str, script: str, entry: str, pin: str) -> None:
    result = judge(tmp_path, script, {"train.py": entry}, pins=pin + "\n")
    assert "ntasks-without-per-node" not in errors(result), why
