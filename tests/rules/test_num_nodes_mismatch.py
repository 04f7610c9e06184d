"""num-nodes-mismatch: Lightning's num_nodes against the nodes SLURM gives the job."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.body.repo import errors, finding, judge, rules
from tests.rules.entries import LIGHTNING_AUTO

TWO_NODES = LIGHTNING_AUTO.replace('devices="auto"', 'devices="auto", num_nodes=2')
FROM_CONFIG = """\
import hydra
import lightning as L


@hydra.main(config_path="conf", config_name="train", version_base=None)
def main(cfg):
    L.Trainer(**cfg.trainer).fit(None)
"""
CONFIG = {"conf/train.yaml": "trainer:\n  accelerator: gpu\n  num_nodes: 1\n"}

FLAGGED = [
    ("Trainer(num_nodes=2) on one node", """
        #!/bin/bash
        #SBATCH --ntasks-per-node=2 --gres=gpu:2
        srun python train.py
    """, {"train.py": TWO_NODES}, "`num_nodes=2` (from the Trainer call"),
    ("an override on the launch line", """
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks-per-node=2 --gres=gpu:2
        srun python train.py trainer.num_nodes=4
    """, {"train.py": FROM_CONFIG, **CONFIG}, "`trainer.num_nodes` on the launch line"),
    ("Lightning's default of one node against two", """
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks-per-node=2 --gres=gpu:2
        srun python train.py
    """, {"train.py": LIGHTNING_AUTO}, "Lightning's default: the Trainer call (line 3) does not"),
    ("the config's value against two nodes", """
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks-per-node=2 --gres=gpu:2
        srun python train.py
    """, {"train.py": FROM_CONFIG, **CONFIG}, "`trainer.num_nodes` in the configs of conf"),
]

LEFT_ALONE = [
    ("the override follows SLURM", """
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks-per-node=2 --gres=gpu:2
        srun python train.py trainer.num_nodes=$SLURM_NNODES
    """, {"train.py": FROM_CONFIG, **CONFIG}, "lightning==2.2.1"),
    ("an override from a variable the analysis cannot read", """
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks-per-node=2 --gres=gpu:2
        srun python train.py trainer.num_nodes=$NODES
    """, {"train.py": FROM_CONFIG, **CONFIG}, "lightning==2.2.1"),
    ("Lightning 2.0 does not compare them", """
        #!/bin/bash
        #SBATCH --ntasks-per-node=2 --gres=gpu:2
        srun python train.py
    """, {"train.py": TWO_NODES}, "lightning==2.0.9"),
    ("an interactive job name: Lightning does not use SLURM", """
        #!/bin/bash
        #SBATCH --job-name=bash --ntasks-per-node=2 --gres=gpu:2
        srun python train.py
    """, {"train.py": TWO_NODES}, "lightning==2.2.1"),
    ("matching values", """
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks-per-node=2 --gres=gpu:2
        srun python train.py trainer.num_nodes=2
    """, {"train.py": FROM_CONFIG, **CONFIG}, "lightning==2.2.1"),
    ("an interpolated value in the config", """
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks-per-node=2 --gres=gpu:2
        srun python train.py
    """, {"train.py": FROM_CONFIG,
          "conf/train.yaml": "nodes: 1\ntrainer:\n  num_nodes: ${nodes}\n"}, "lightning==2.2.1"),
]


@pytest.mark.parametrize(("why", "script", "files", "source"), FLAGGED,
                         ids=[c[0] for c in FLAGGED])
def test_flagged(tmp_path: Path, why: str, script: str, files: dict[str, str],
                 source: str) -> None:
    result = judge(tmp_path, script, files)
    assert "num-nodes-mismatch" in errors(result), why
    found = finding(result, "num-nodes-mismatch")
    assert source in found.message and "ValueError" in found.message
    assert "lightning-single-process" not in rules(result)  # the run stops first


@pytest.mark.parametrize(("why", "script", "files", "pin"), LEFT_ALONE,
                         ids=[c[0] for c in LEFT_ALONE])
def test_left_alone(tmp_path: Path, why: str, script: str, files: dict[str, str],
                    pin: str) -> None:
    result = judge(tmp_path, script, files, pins=pin + "\n")
    assert "num-nodes-mismatch" not in rules(result), why


SINGLE = LIGHTNING_AUTO.replace('strategy="ddp"', 'devices=1, num_nodes=1').replace(
    'devices="auto", ', "")
INSTANTIATED = """\
import hydra
import lightning as L


@hydra.main(config_path="conf", config_name="train.yaml", version_base="1.3")
def main(cfg):
    trainer: L.Trainer = hydra.utils.instantiate(cfg.trainer, callbacks=[])
    trainer.fit(None)
"""


def test_a_single_device_trainer_never_compares_the_nodes(tmp_path: Path) -> None:
    # SingleDeviceStrategy: no launcher, so no validate_settings (launch-contracts 3.2)
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --nodes=2 --ntasks-per-node=1 --gres=gpu:1
        srun python train.py
    """, {"train.py": SINGLE})
    assert "num-nodes-mismatch" not in rules(result)


def test_a_trainer_instantiated_from_its_config(tmp_path: Path) -> None:
    files = {"train.py": INSTANTIATED, "conf/train.yaml": "defaults:\n  - trainer: ddp\n",
             "conf/trainer/ddp.yaml": "_target_: lightning.pytorch.trainer.Trainer\n"
                                      "accelerator: gpu\ndevices: 4\nnum_nodes: 1\n"
                                      "strategy: ddp\n"}
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --nodes=4 --ntasks-per-node=4 --gres=gpu:4
        srun python train.py
    """, files)
    assert "num-nodes-mismatch" in errors(result)
    # another class under the same key is not a Trainer
    (tmp_path / "conf/trainer/ddp.yaml").write_text("_target_: mylib.Loop\nnum_nodes: 1\n")
    result = judge(tmp_path / "x", """
        #!/bin/bash
        #SBATCH --nodes=4 --ntasks-per-node=4 --gres=gpu:4
        srun python train.py
    """, {**files, "conf/trainer/ddp.yaml": "_target_: mylib.Loop\nnum_nodes: 1\n"})
    assert "num-nodes-mismatch" not in rules(result)


def test_a_hydra_multirun_trains_in_the_jobs_it_submits(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --ntasks-per-node=1
        python train.py -m hydra/launcher=submitit_slurm hydra.launcher.nodes=2 trainer.num_nodes=2
    """, {"train.py": FROM_CONFIG, **CONFIG})
    assert "num-nodes-mismatch" not in rules(result)
