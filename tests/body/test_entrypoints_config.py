"""Entry points whose Trainer comes from a configuration, and entry points outside the
repository read through the repository's copy of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from scriptkeeper.body import entrypoints
from scriptkeeper.body.launchers import Entry
from scriptkeeper.body.shell import UNKNOWN
from scriptkeeper.pipeline import fsview

HYDRA_CONSTANTS = """\
import hydra
import pytorch_lightning as pl

CONFIG_PATH = "config/training"
CONFIG_NAME = "default_training"


@hydra.main(config_path=CONFIG_PATH, config_name=CONFIG_NAME, version_base=None)
def main(cfg):
    pl.Trainer(**cfg.trainer.params, callbacks=[]).fit(None)
"""


def test_hydra_main_through_module_constants_and_the_config_key() -> None:
    facts = entrypoints.read_source(HYDRA_CONSTANTS)
    assert facts.hydra_main == ("config/training", "default_training")
    (trainer,) = facts.trainers
    assert trainer.config_key == "trainer.params"
    assert trainer.explicit == ("callbacks",)
    assert trainer.devices is None and trainer.num_nodes is None  # decided by the config


@pytest.mark.parametrize(("call", "key"), [
    ("L.Trainer(**cfg.trainer)", "trainer"),
    ("L.Trainer(**OmegaConf.to_container(cfg.lightning.trainer))", "lightning.trainer"),
    ("L.Trainer(**dict(cfg.trainer), devices=1)", "trainer"),
    ("L.Trainer(**kwargs)", None),  # a plain dict of the code's own: not a config path
])
def test_config_key_of_a_splatted_trainer(call: str, key: str | None) -> None:
    facts = entrypoints.read_source(f"import lightning as L\n{call}\n")
    assert facts.trainers[0].config_key == key


def test_a_computed_config_path_is_not_guessed() -> None:
    text = "import hydra\n@hydra.main(config_path=os.getcwd())\ndef main(cfg): ...\n"
    assert entrypoints.read_source(text).hydra_main is None


def _tree(root: Path, files: list[str]) -> Path:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("import lightning as L\nL.Trainer(devices=4)\n")
    return root


def _vendored(root: Path, target: str, kind: str = "file", cwd: str | None = None
              ) -> entrypoints.Vendored | None:
    with fsview.one_scan():
        return entrypoints.vendored(Entry(kind, target), root, cwd)


def test_an_absolute_path_outside_is_read_as_the_copy_whose_path_ends_the_same(
        tmp_path: Path) -> None:
    root = _tree(tmp_path, ["vendor/navsim/planning/script/run_training.py",
                            "other/run_training.py"])
    found = _vendored(root, "/scratch/me/navsim/navsim/planning/script/run_training.py")
    assert found is not None and found.shown == "vendor/navsim/planning/script/run_training.py"


def test_after_an_unknown_cd_a_relative_path_and_a_module_are_looked_up(tmp_path: Path) -> None:
    root = _tree(tmp_path, ["code/pkg/train/main.py"])
    assert _vendored(root, "pkg/train/main.py") is not None
    assert _vendored(root, "pkg.train.main", kind="module") is not None
    assert _vendored(root, f"{UNKNOWN}/pkg/train/main.py") is not None


@pytest.mark.parametrize(("why", "target", "cwd"), [
    ("a bare file name says too little", "/scratch/x/train.py", None),
    ("a known folder: locate() decides, not a guess", "pkg/train/main.py", "somewhere"),
    ("nothing ends the same", "/scratch/x/pkg/eval/main.py", None),
    ("an unknown file name", f"/scratch/pkg/train/{UNKNOWN}.py", None),
])
def test_no_copy(tmp_path: Path, why: str, target: str, cwd: str | None) -> None:
    root = _tree(tmp_path, ["code/pkg/train/main.py", "train.py"])
    assert _vendored(root, target, cwd=cwd) is None, why


def test_copies_that_disagree_are_not_used(tmp_path: Path) -> None:
    root = _tree(tmp_path, ["a/pkg/train/main.py", "b/pkg/train/main.py"])
    assert _vendored(root, "/x/pkg/train/main.py") is not None  # identical copies
    (root / "b/pkg/train/main.py").write_text("import lightning as L\nL.Trainer(devices=1)\n")
    assert _vendored(root, "/x/pkg/train/main.py") is None


def test_a_conditional_gpu_choice_reads_as_gpu_but_is_no_evidence_of_need() -> None:
    facts = entrypoints.read_source(
        "import lightning as L\nimport torch\n"
        "L.Trainer(accelerator='gpu' if torch.cuda.is_available() else 'cpu',\n"
        "          devices=torch.cuda.device_count() if torch.cuda.is_available() else None)\n")
    (trainer,) = facts.trainers
    assert trainer.accelerator == "gpu" and trainer.devices == entrypoints._ALL
    assert facts.gpu_evidence == ""
