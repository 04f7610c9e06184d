"""Entry points: found in the repository, read with ast, missing ones told apart."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from scriptkeeper.body.entrypoints import _ALL, facts, locate, read_source
from scriptkeeper.body.launchers import Entry


def source(text: str):  # type: ignore[no-untyped-def]
    return read_source(textwrap.dedent(text))


@pytest.mark.parametrize(("text", "framework"), [
    ("import lightning as L", "lightning"),
    ("from lightning.pytorch import Trainer", "lightning"),
    ("import pytorch_lightning as pl", "pytorch_lightning"),
    ("from lightning.fabric import Fabric", "fabric"),
    ("from lightning_fabric import Fabric", "fabric"),
    ("from accelerate import Accelerator", "accelerate"),
    ("import deepspeed", "deepspeed"),
    ("import horovod.torch as hvd", "horovod"),
    ("import torch.distributed as dist", "torch"),
    ("from torch.nn.parallel import DistributedDataParallel", "torch"),
    ("import torch\nimport numpy", None),
    ("import lightning as L\nimport deepspeed", "lightning"),
])
def test_framework_from_imports(text: str, framework: str | None) -> None:
    found = source(text).frameworks
    assert (found[0] if found else None) == framework


@pytest.mark.parametrize(("call", "devices", "accelerator", "nodes"), [
    ('Trainer(accelerator="gpu", devices=8, num_nodes=2)', 8, "gpu", 2),
    ("Trainer()", _ALL, "auto", 1),
    ('Trainer(devices="auto")', _ALL, "auto", 1),
    ("Trainer(devices=-1)", _ALL, "auto", 1),
    ('Trainer(devices="0,1,2")', 3, "auto", 1),
    ("Trainer(devices=[0, 1])", 2, "auto", 1),
    ("Trainer(devices=torch.cuda.device_count())", _ALL, "auto", 1),
    ("Trainer(devices=args.gpus)", None, "auto", 1),
    ("Trainer(**cfg.trainer)", None, None, None),
    ('Trainer(**cfg.trainer, devices=1, accelerator="cpu")', 1, "cpu", None),
    ("Trainer(gpus=4)", 4, "gpu", 1),
    ('L.Fabric(accelerator="cuda", devices=4)', 4, "cuda", 1),
])
def test_trainer_arguments(call: str, devices: int | None, accelerator: str | None,
                           nodes: int | None) -> None:
    [trainer] = source(f"import lightning as L\nfrom lightning import Trainer\nt = {call}\n"
                       ).trainers
    assert (trainer.devices, trainer.accelerator, trainer.num_nodes) == (devices, accelerator,
                                                                         nodes)


@pytest.mark.parametrize(("text", "evidence"), [
    ('Trainer(accelerator="gpu")', 'accelerator="gpu" (line 1)'),
    ('dist.init_process_group(backend="nccl")', '"nccl" (line 1)'),
    ("model.cuda()", ".cuda() (line 1)"),
    ('x.to("cuda:0")', 'to("cuda:0") (line 1)'),
    ('device = "cuda" if torch.cuda.is_available() else "cpu"\nmodel.to(device)', ""),
    ('if torch.cuda.is_available():\n    model.cuda()', ""),
    ('dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")', ""),
    ('Trainer(accelerator="cpu")', ""),
    ("import torch", ""),
])
def test_gpu_evidence_must_be_unconditional(text: str, evidence: str) -> None:
    assert source(text).gpu_evidence == evidence


def test_reading_slurm_variables_and_custom_environments() -> None:
    assert source('rank = int(os.environ["SLURM_PROCID"])').reads_slurm
    assert not source('job = os.environ["SLURM_JOB_ID"]').reads_slurm
    # SLURM on one path only: torchrun's variables, or a --launcher choice
    assert not source('rank = int(os.environ.get("RANK", os.environ["SLURM_PROCID"]))'
                      ).reads_slurm
    assert not source('if args.launcher == "slurm":\n    r = os.environ["SLURM_PROCID"]'
                      ).reads_slurm
    assert source('Trainer(strategy="ddp_spawn")').custom_env
    assert not source('Trainer(strategy="ddp")').custom_env
    assert source("Trainer(plugins=[LightningEnvironment()])").custom_env
    assert not source("Trainer(plugins=[SLURMEnvironment(auto_requeue=False)])").custom_env
    assert source("class Env(SLURMEnvironment):\n    pass").custom_env
    assert source('del os.environ["SLURM_NTASKS"]').custom_env
    assert source('os.environ.pop("SLURM_NTASKS", None)').custom_env
    assert source("LightningCLI(Model)").lightning_cli


def test_a_file_that_is_not_python_gives_no_facts(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def (:\n")
    assert facts(bad).frameworks == () and not facts(bad).syntax_ok


def test_facts_follow_file_changes(tmp_path: Path) -> None:
    entry = tmp_path / "train.py"
    entry.write_text("import torch\n")
    assert facts(entry).frameworks == ()
    entry.write_text("import lightning\n# longer now\n")
    assert facts(entry).frameworks == ("lightning",)


def tree(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("import torch\n")


def test_locate_relative_to_each_base(tmp_path: Path) -> None:
    tree(tmp_path, "repo/src/train.py", "repo/jobs/eval.py", "repo/pkg/sub/mod.py",
         "repo/pkg/app/__main__.py")
    root = tmp_path / "repo"
    bases = [root, root / "jobs"]
    assert locate(Entry("file", "src/train.py"), bases, "", root).shown == "src/train.py"
    assert locate(Entry("file", "eval.py"), bases, "", root).shown == "jobs/eval.py"
    assert locate(Entry("file", "./src/train.py"), bases, "", root).exists
    assert locate(Entry("module", "pkg.sub.mod"), bases, "", root).shown == "pkg/sub/mod.py"
    assert locate(Entry("module", "pkg.app"), bases, "", root).shown == "pkg/app/__main__.py"
    assert locate(Entry("file", "train.py"), bases, "src", root).shown == "src/train.py"


def test_missing_only_when_the_folder_exists(tmp_path: Path) -> None:
    tree(tmp_path, "src/train.py")
    bases = [tmp_path]
    gone = locate(Entry("file", "src/train_old.py"), bases, "", tmp_path)
    assert (gone.exists, gone.folder) == (False, "src")
    assert locate(Entry("module", "src.gone"), bases, "", tmp_path).exists is False
    # not judged: no folder here, a bare name, absolute, built from a variable, installed
    for entry in (Entry("file", "elsewhere/train.py"), Entry("file", "train_old.py"),
                  Entry("file", "/opt/app/train.py"), Entry("file", "\x00/train.py"),
                  Entry("module", "torch.distributed.run"), Entry("code", "print(1)")):
        assert locate(entry, bases, "", tmp_path).exists is None, entry


def test_a_file_the_script_writes_is_not_missing(tmp_path: Path) -> None:
    tree(tmp_path, "src/train.py")
    entry = Entry("file", "src/generated.py")
    assert locate(entry, [tmp_path], "", tmp_path, frozenset({"src/generated.py"})).exists \
        is None
    assert locate(entry, [tmp_path], "", tmp_path, files_unknown=True).exists is None
