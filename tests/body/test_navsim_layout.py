"""The NAVSIM layout: a Hydra entry point building Trainer(**cfg.trainer.params), its
configs and pins in the repository, and job scripts that cd into a checkout elsewhere.

The code and configs are this project's own re-creation of the pattern.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scriptkeeper.records import ScriptResult
from tests.body.repo import judge

ENTRY = """\
import hydra
import pytorch_lightning as pl

CONFIG_PATH = "config/training"
CONFIG_NAME = "default_training"


@hydra.main(config_path=CONFIG_PATH, config_name=CONFIG_NAME, version_base=None)
def main(cfg):
    model = hydra.utils.instantiate(cfg.agent)
    trainer = pl.Trainer(**cfg.trainer.params, callbacks=[])
    trainer.fit(model)


if __name__ == "__main__":
    main()
"""
CODE = {
    "navsim/planning/script/run_training.py": ENTRY,
    "navsim/planning/script/config/training/default_training.yaml": """\
        hydra:
          searchpath:
            - pkg://navsim.planning.script.config.common
        defaults:
          - default_common
          - agent: mlp_agent
          - _self_
        trainer:
          params:
            max_epochs: 100
            accelerator: gpu
            strategy: ddp
            precision: 16-mixed
            num_nodes: 1
    """,
    "navsim/planning/script/config/common/default_common.yaml": """\
        defaults:
          - split: ???
          - _self_
        seed: 0
    """,
    "navsim/planning/script/config/common/split/navtrain.yaml": "logs: [a, b]\n",
    "navsim/planning/script/config/common/agent/mlp_agent.yaml": "_target_: x.Agent\nlr: 1\n",
    "navsim/__init__.py": "",
}
PINS = "hydra-core==1.2.0\npytorch-lightning==2.2.1\n"
OUTSIDE = """\
    export ROOT=/scratch/me/navsim
    cd "${ROOT}"
"""
RUN = "python ${ROOT}/navsim/planning/script/run_training.py agent=mlp_agent split=navtrain"

SCRIPTS = {
    # the seed: one task, eight GPUs, a plain python line
    "seed_ntasks1.slurm": ("#SBATCH --gres=gpu:8\n#SBATCH --ntasks=1\n", RUN, {
        "lightning-single-process": ("error", "world size 1 on 8 GPUs")}),
    "multinode_no_srun.slurm": (
        "#SBATCH --nodes=2\n#SBATCH --ntasks-per-node=4\n#SBATCH --gres=gpu:4\n",
        RUN + " trainer.params.num_nodes=2", {"missing-srun": ("error", "MEMBER: 1/8")}),
    "eight_tasks_one_gpu.slurm": (
        "#SBATCH --ntasks-per-node=8\n#SBATCH --gres=gpu:1\n", "srun " + RUN, {
            "ntasks-launcher-mismatch": ("warning", "ValueError: You set `devices=1`")}),
    "num_nodes_4_on_2.slurm": (
        "#SBATCH --nodes=2\n#SBATCH --ntasks-per-node=4\n#SBATCH --gres=gpu:4\n",
        "srun " + RUN + " trainer.params.num_nodes=4", {
            "num-nodes-mismatch": ("error", "num_nodes=4 in Lightning")}),
    "working_srun.slurm": (
        "#SBATCH --ntasks-per-node=4\n#SBATCH --gres=gpu:4\n", "srun " + RUN, {}),
    "working_two_nodes.slurm": (
        "#SBATCH --nodes=2\n#SBATCH --ntasks-per-node=4\n#SBATCH --gres=gpu:4\n",
        "srun " + RUN + " trainer.params.num_nodes=$SLURM_NNODES", {}),
}


def scan(root: Path, name: str, files: dict[str, str], where: str = OUTSIDE) -> ScriptResult:
    header, run, _ = SCRIPTS[name]
    script = "#!/bin/bash\n" + header + where + run + "\n"
    return judge(root, script, files, name=f"scripts/{name}", pins=PINS)


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_each_failure_with_its_consequence(tmp_path: Path, name: str) -> None:
    result = scan(tmp_path, name, CODE)
    wanted = SCRIPTS[name][2]
    got = {f.rule: f for f in result.findings if f.severity in ("error", "warning")}
    assert set(got) == set(wanted), [(f.rule, f.message) for f in result.findings]
    for rule, (severity, words) in wanted.items():
        assert got[rule].severity == severity
        assert words in got[rule].message
        # the evidence: the repository's copy, read in place of the file outside
        assert "read as its copy navsim/planning/script/run_training.py" in got[rule].message


def test_inside_the_repository_nothing_is_inferred(tmp_path: Path) -> None:
    header = SCRIPTS["eight_tasks_one_gpu.slurm"][0]
    script = "#!/bin/bash\n" + header + \
        "srun python navsim/planning/script/run_training.py agent=mlp_agent split=navtrain\n"
    result = judge(tmp_path, script, CODE, name="scripts/in_repo.slurm", pins=PINS)
    (found,) = [f for f in result.findings if f.rule == "ntasks-launcher-mismatch"]
    assert found.severity == "error" and "inferred" not in found.message


@pytest.mark.parametrize(("name", "rule", "severity"), [
    ("seed_ntasks1.slurm", "lightning-single-process", "error"),
    ("num_nodes_4_on_2.slurm", "num-nodes-mismatch", "error"),
    ("eight_tasks_one_gpu.slurm", "ntasks-launcher-mismatch", "warning"),
])
def test_without_any_code_the_pins_and_overrides_still_tell(
        tmp_path: Path, name: str, rule: str, severity: str) -> None:
    # the scripts' split= / agent= / trainer.* arguments and the pinned Lightning
    header, run, _ = SCRIPTS[name]
    # without the configs the strategy is unknown: a SingleDeviceStrategy would check nothing
    script = "#!/bin/bash\n" + header + OUTSIDE + run + " trainer.params.strategy=ddp\n"
    result = judge(tmp_path, script, {}, name=f"scripts/{name}", pins=PINS)
    (found,) = [f for f in result.findings if f.rule == rule]
    assert found.severity == severity
    assert "pins pytorch-lightning==2.2.1 in requirements.txt" in found.message


def test_without_code_or_trainer_arguments_nothing_is_guessed(tmp_path: Path) -> None:
    header, _, _ = SCRIPTS["seed_ntasks1.slurm"]
    script = "#!/bin/bash\n" + header + OUTSIDE + \
        "python ${ROOT}/navsim/planning/script/run_training.py agent=mlp_agent\n"
    result = judge(tmp_path, script, {}, name="scripts/seed.slurm", pins=PINS)
    assert [f.rule for f in result.findings if f.severity != "info"] == []


def test_without_code_or_pins_lightning_only_arguments_still_tell(tmp_path: Path) -> None:
    # the first commit of such a repository: scripts only, no code, no requirements
    header, _, _ = SCRIPTS["seed_ntasks1.slurm"]
    script = "#!/bin/bash\n" + header + OUTSIDE + RUN + \
        " ~trainer.params.strategy trainer.params.limit_train_batches=1.0\n"
    result = judge(tmp_path, script, {}, name="scripts/seed.slurm", pins=None)
    (found,) = [f for f in result.findings if f.rule == "lightning-single-process"]
    assert found.severity == "error"
    assert "without the entry point's code or a pin" in found.message
    assert "(limit_train_batches, strategy)" in found.message
    assert "assuming the current" in found.message


@pytest.mark.parametrize(("why", "arguments"), [
    ("Trainer arguments every trainer has", "trainer.max_epochs=3 trainer.seed=1"),
    ("a Hugging Face Trainer's", "trainer.num_train_epochs=3 trainer.fp16=true"),
    ("a spawning strategy starts its own processes", "trainer.strategy=ddp_spawn"),
])
def test_without_code_or_pins_other_arguments_are_not_lightning(
        tmp_path: Path, why: str, arguments: str) -> None:
    header, _, _ = SCRIPTS["seed_ntasks1.slurm"]
    script = "#!/bin/bash\n" + header + OUTSIDE + \
        f"python ${{ROOT}}/train.py {arguments}\n"
    result = judge(tmp_path, script, {}, name="scripts/seed.slurm", pins=None)
    assert [f.rule for f in result.findings if f.severity != "info"] == [], why


def test_without_code_an_unknown_strategy_on_one_visible_gpu_is_not_judged(
        tmp_path: Path) -> None:
    header, run, _ = SCRIPTS["eight_tasks_one_gpu.slurm"]
    script = "#!/bin/bash\n" + header + OUTSIDE + run + " trainer.params.max_epochs=1\n"
    result = judge(tmp_path, script, {}, name="scripts/eight.slurm", pins=PINS)
    # strategy unset may be Lightning's auto: one device, no launcher, no devices check
    assert "ntasks-launcher-mismatch" not in {f.rule for f in result.findings}


def test_an_entry_point_left_as_a_template_placeholder(tmp_path: Path) -> None:
    script = ("#!/bin/bash\n#SBATCH --ntasks-per-node=8\n#SBATCH --gres=gpu:8\n" + OUTSIDE +
              "srun python -u /path/to/your/training_script.py --config-name=your_config\n")
    result = judge(tmp_path, script, CODE, name="scripts/h200.slurm", pins=PINS)
    (found,) = [f for f in result.findings if f.rule == "placeholder-path"]
    assert found.severity == "error" and "/path/to/your/training_script.py" in found.message
