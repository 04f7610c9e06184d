"""missing-srun: SLURM tasks for Lightning or SLURM-native DDP, but no srun: it hangs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.body.repo import errors, finding, judge
from tests.rules.entries import (
    LIGHTNING_4,
    LIGHTNING_AUTO,
    LIGHTNING_CUSTOM_ENV,
    SLURM_DDP,
    TORCH_DDP,
)

FLAGGED = [
    ("8 tasks per node, 8 GPUs", """
        #!/bin/bash
        #SBATCH --gres=gpu:8
        #SBATCH --ntasks-per-node=8
        python train.py
    """, LIGHTNING_AUTO, "lightning==2.2.1"),
    ("two nodes, one task each, Trainer(num_nodes=2)", """
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks-per-node=1 --gres=gpu:1
        python train.py
    """, LIGHTNING_AUTO.replace('devices="auto"', 'devices="auto", num_nodes=2'),
     "lightning==2.2.1"),
    ("SLURM-native DDP", """
        #!/bin/bash
        #SBATCH --ntasks-per-node=4 --gres=gpu:4
        python train.py
    """, SLURM_DDP, None),
    ("Lightning 1.7 when SLURM_NTASKS matches devices", """
        #!/bin/bash
        #SBATCH --ntasks-per-node=4 --gres=gpu:4
        python train.py
    """, LIGHTNING_4, "pytorch-lightning==1.7.7"),
    ("Lightning not pinned", """
        #!/bin/bash
        #SBATCH --ntasks-per-node=8 --gres=gpu:8
        python train.py
    """, LIGHTNING_AUTO, ""),
]


@pytest.mark.parametrize(("why", "script", "entry", "pin"), FLAGGED, ids=[f[0] for f in FLAGGED])
def test_flagged(tmp_path: Path, why: str, script: str, entry: str, pin: str | None) -> None:
    result = judge(tmp_path, script, {"train.py": entry},
                   pins=None if pin is None else pin + "\n")
    assert "missing-srun" in errors(result), why
    found = finding(result, "missing-srun")
    assert "MEMBER: 1/" in found.message and "srun python train.py" in found.fix
    assert found.line == result.steps[0].line


def test_unpinned_lightning_says_the_version_is_assumed(tmp_path: Path) -> None:
    result = judge(tmp_path, FLAGGED[4][1], {"train.py": LIGHTNING_AUTO}, pins="")
    assert "assuming the current 2.x release" in finding(result, "missing-srun").message


LEFT_ALONE = [
    ("srun starts the tasks", """
        #!/bin/bash
        #SBATCH --ntasks-per-node=8 --gres=gpu:8
        srun python train.py
    """, LIGHTNING_AUTO, "lightning==2.2.1"),
    ("no task option: Lightning starts its own processes", """
        #!/bin/bash
        #SBATCH --gres=gpu:8
        python train.py
    """, LIGHTNING_AUTO, "lightning==2.2.1"),
    ("one task", """
        #!/bin/bash
        #SBATCH --ntasks=1 --gres=gpu:1
        python train.py
    """, LIGHTNING_AUTO, "lightning==2.2.1"),
    ("job named interactive: Lightning ignores SLURM", """
        #!/bin/bash
        #SBATCH --job-name=interactive --ntasks-per-node=8 --gres=gpu:8
        python train.py
    """, LIGHTNING_AUTO, "lightning==2.2.1"),
    ("Lightning 1.7 falls back to spawning when the counts differ", """
        #!/bin/bash
        #SBATCH --ntasks-per-node=8 --gres=gpu:8
        python train.py
    """, LIGHTNING_4, "pytorch-lightning==1.7.7"),
    ("a cluster environment of its own", """
        #!/bin/bash
        #SBATCH --ntasks-per-node=8 --gres=gpu:8
        python train.py
    """, LIGHTNING_CUSTOM_ENV, "lightning==2.2.1"),
    ("torchrun starts its workers itself", """
        #!/bin/bash
        #SBATCH --ntasks-per-node=1 --gres=gpu:8
        torchrun --standalone --nproc_per_node=8 train.py
    """, TORCH_DDP, None),
    ("plain torch DDP that does not read SLURM", """
        #!/bin/bash
        #SBATCH --ntasks-per-node=8 --gres=gpu:8
        python train.py
    """, TORCH_DDP, None),
    ("SLURM is only one way the entry finds its rank", """
        #!/bin/bash
        #SBATCH --ntasks-per-node=8 --gres=gpu:8
        python train.py --launcher none
    """, 'import os\nif args.launcher == "slurm":\n    rank = int(os.environ["SLURM_PROCID"])\n',
     None),
    ("SLURM-native DDP entry started by torchrun", """
        #!/bin/bash
        #SBATCH --ntasks-per-node=8 --gres=gpu:8
        torchrun --standalone --nproc_per_node=8 train.py
    """, SLURM_DDP, None),
    ("SLURM_NTASKS unset before the python line", """
        #!/bin/bash
        #SBATCH --ntasks-per-node=8 --gres=gpu:8
        unset SLURM_NTASKS SLURM_NTASKS_PER_NODE SLURM_NPROCS
        python train.py
    """, LIGHTNING_AUTO, "lightning==2.2.1"),
]


@pytest.mark.parametrize(("why", "script", "entry", "pin"), LEFT_ALONE,
                         ids=[f[0] for f in LEFT_ALONE])
def test_left_alone(tmp_path: Path, why: str, script: str, entry: str, pin: str | None) -> None:
    result = judge(tmp_path, script, {"train.py": entry},
                   pins=None if pin is None else pin + "\n")
    assert "missing-srun" not in errors(result), why
