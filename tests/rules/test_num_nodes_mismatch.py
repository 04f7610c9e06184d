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
