"""Lightning with one device and no DDP strategy: no launcher, so no srun rule applies."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.body.repo import errors, judge

ONE_DEVICE = """\
import lightning as L

trainer = L.Trainer(accelerator="gpu", devices=1, max_epochs=3)
trainer.fit(None)
"""

ONE_DEVICE_DDP = """\
import lightning as L

trainer = L.Trainer(accelerator="gpu", devices=1, strategy="ddp")
"""

EIGHT_DDP = """\
import pytorch_lightning as pl

trainer = pl.Trainer(accelerator="gpu", devices=8, strategy="ddp")
"""

FABRIC_ONE = """\
from lightning.fabric import Fabric

fabric = Fabric(accelerator="cuda", devices=1)
"""


@pytest.mark.parametrize(("why", "script", "entry", "rule"), [
    ("tasks per node without srun: nothing waits for peers", """
        #!/bin/bash
        #SBATCH --gres=gpu:1 --ntasks-per-node=4
        python train.py
    """, ONE_DEVICE, "missing-srun"),
    ("tasks per node that differ from devices=1: no launcher compares them", """
        #!/bin/bash
        #SBATCH --gres=gpu:1 --ntasks-per-node=2
        python train.py
    """, ONE_DEVICE, "ntasks-launcher-mismatch"),
    ("under srun, 2 tasks per node and devices=1: no ValueError, validate_settings not run", """
        #!/bin/bash
        #SBATCH --gres=gpu:2 --ntasks-per-node=2
        srun python train.py
    """, ONE_DEVICE, "ntasks-launcher-mismatch"),
    ("Fabric with one device", """
        #!/bin/bash
        #SBATCH --gres=gpu:1 --ntasks-per-node=2
        python train.py
    """, FABRIC_ONE, "missing-srun"),
])
def test_single_device_is_not_flagged(tmp_path: Path, why: str, script: str, entry: str,
                                      rule: str) -> None:
    result = judge(tmp_path, script, {"train.py": entry}, pins="lightning==2.5.0\n")
    assert rule not in errors(result), why


@pytest.mark.parametrize(("why", "script", "entry", "rule"), [
    ("devices=1 with strategy='ddp' still compares devices with the tasks per node", """
        #!/bin/bash
        #SBATCH --gres=gpu:1 --ntasks-per-node=4
        python train.py
    """, ONE_DEVICE_DDP, "ntasks-launcher-mismatch"),
    ("devices=8 ddp with --ntasks=1: world size 1 on 8 GPUs", """
        #!/bin/bash
        #SBATCH --gres=gpu:8 --ntasks=1
        srun python train.py
    """, EIGHT_DDP, "lightning-single-process"),
    ("--ntasks=K without --ntasks-per-node: SLURMEnvironment refuses it at creation", """
        #!/bin/bash
        #SBATCH --gres=gpu:1 --ntasks=4
        srun python train.py
    """, ONE_DEVICE, "ntasks-without-per-node"),
])
def test_still_flagged(tmp_path: Path, why: str, script: str, entry: str, rule: str) -> None:
    result = judge(tmp_path, script, {"train.py": entry}, pins="lightning==2.5.0\n")
    assert rule in errors(result), why
