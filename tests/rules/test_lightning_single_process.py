"""lightning-single-process: SLURM_NTASKS set but smaller than the devices: silent underuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.body.repo import errors, finding, judge, rules
from tests.rules.entries import LIGHTNING_8, LIGHTNING_AUTO

FLAGGED = [
    ("--ntasks=1 on 8 GPUs, no srun", """
        #!/bin/bash
        #SBATCH --gres=gpu:8
        #SBATCH --ntasks=1
        python train.py
    """, LIGHTNING_AUTO, 3, "world size 1 on 8 GPUs"),
    ("-n 1 wins over --ntasks-per-node=4", """
        #!/bin/bash
        #SBATCH --gres=gpu:4
        #SBATCH -n 1 --ntasks-per-node=4
        python train.py
    """, LIGHTNING_AUTO, 3, "world size 1 on 4 GPUs"),
    ("srun in a job without task options starts one task", """
        #!/bin/bash
        #SBATCH --gres=gpu:4
        srun python train.py
    """, LIGHTNING_AUTO, 3, "world size 1 on 4 GPUs"),
    ("devices=8 in the code", """
        #!/bin/bash
        #SBATCH --gres=gpu:8 --ntasks=1
        python train.py
    """, LIGHTNING_8, 2, "world size 1 on 8 GPUs"),
]


@pytest.mark.parametrize(("why", "script", "entry", "line", "what"), FLAGGED,
                         ids=[f[0] for f in FLAGGED])
def test_flagged(tmp_path: Path, why: str, script: str, entry: str, line: int,
                 what: str) -> None:
    result = judge(tmp_path, script, {"train.py": entry})
    assert errors(result) == {"lightning-single-process"}, why
    found = finding(result, "lightning-single-process")
    assert found.line == line
    assert what in found.message and "nothing fails" in found.message
    assert "--ntasks-per-node=" in found.fix
    assert "gpus-unused" not in rules(result)  # one report of the idle GPUs is enough


LEFT_ALONE = [
    ("no task option at all", """
        #!/bin/bash
        #SBATCH --gres=gpu:8
        python train.py
    """, "lightning==2.2.1"),
    ("job named interactive", """
        #!/bin/bash
        #SBATCH --gres=gpu:8 --ntasks=1 --job-name=interactive
        python train.py
    """, "lightning==2.2.1"),
    ("Lightning 1.7 spawns when SLURM_NTASKS differs", """
        #!/bin/bash
        #SBATCH --gres=gpu:8 --ntasks=1
        python train.py
    """, "pytorch-lightning==1.7.7"),
    ("one task per GPU", """
        #!/bin/bash
        #SBATCH --gres=gpu:8 --ntasks-per-node=8
        srun python train.py
    """, "lightning==2.2.1"),
    ("one GPU", """
        #!/bin/bash
        #SBATCH --gres=gpu:1 --ntasks=1
        python train.py
    """, "lightning==2.2.1"),
    ("unknown devices", """
        #!/bin/bash
        #SBATCH --gres=gpu:8 --ntasks=1
        python cli.py
    """, "lightning==2.2.1"),
]


@pytest.mark.parametrize(("why", "script", "pin"), LEFT_ALONE, ids=[f[0] for f in LEFT_ALONE])
def test_left_alone(tmp_path: Path, why: str, script: str, pin: str) -> None:
    files = {"train.py": LIGHTNING_AUTO,
             "cli.py": "import lightning as L\ntrainer = L.Trainer(**config)\n"}
    result = judge(tmp_path, script, files, pins=pin + "\n")
    assert "lightning-single-process" not in errors(result), why
