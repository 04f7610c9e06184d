"""The job shapes the oracle tier runs for real, and the files each one needs.

A shape is a job script template in ``jobs/<name>.slurm`` plus the kind of
entry point it launches. Nothing here says what a shape will do: the tests
find that out by running it (``runner.py``) and classifying the run
(``outcome.py``).

Each shape gets two folders with the same job script and requirements.txt:
``run/`` holds the entry point that really runs on this GPU-less machine
(``entrypoints/<kind>_cpu.py``), ``scan/`` the GPU version of the same
training that scriptkeeper reads (``entrypoints/<kind>_gpu.py``).

A Lightning shape may fix the Trainer's ``devices`` and ``strategy`` instead
of the default ``devices="auto", strategy="ddp"``: the runner passes them to
the CPU entry point through its environment (``Shape.env``), and the scanned
GPU file gets the same arguments written into its ``Trainer(...)`` call
(``strategy="auto"`` there means no ``strategy`` argument at all).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

HERE = Path(__file__).resolve().parent
JOBS = HERE / "jobs"
ENTRYPOINTS = HERE / "entrypoints"
ENTRY_NAME = "train.py"


@dataclass(frozen=True)
class Shape:
    name: str  # test id and the job script's file name without .slurm
    kind: str  # "lightning" or "torchrun": which entry point the job launches
    # Lightning only: a fixed device count and a strategy ("auto": none given,
    # "DDPStrategy": an instance); None keeps devices="auto", strategy="ddp"
    devices: int | None = None
    strategy: str | None = None
    num_nodes: int | None = None  # Lightning only: Trainer(num_nodes=...), else left out

    @property
    def env(self) -> dict[str, str]:
        """What the CPU entry point reads to build the shape's Trainer."""
        env = {}
        if self.devices is not None:
            env["ORACLE_LIGHTNING_DEVICES"] = str(self.devices)
        if self.strategy is not None:
            env["ORACLE_LIGHTNING_STRATEGY"] = self.strategy
        if self.num_nodes is not None:
            env["ORACLE_LIGHTNING_NUM_NODES"] = str(self.num_nodes)
        return env

    @property
    def template(self) -> Path:
        return JOBS / f"{self.name}.slurm"

    @property
    def script_name(self) -> str:
        return f"{self.name}.slurm"


LIGHTNING_SHAPES = (
    Shape("ntasks1-no-srun", "lightning"),
    Shape("no-task-options-no-srun", "lightning"),
    Shape("tpn-equals-devices-srun", "lightning"),
    Shape("tpn-no-srun", "lightning"),
    Shape("n1-with-tpn4", "lightning"),
    Shape("ntasks4-without-tpn", "lightning"),
    Shape("gpus-per-task", "lightning"),
    Shape("tpn-not-devices", "lightning"),
    # Trainer(num_nodes=2) on a one-node job: Lightning compares it with SLURM_NNODES
    Shape("num-nodes-2-on-1", "lightning", num_nodes=2),
)
# Trainer(devices=1) under --ntasks-per-node=2, with and without srun, per strategy.
ONE_DEVICE_SHAPES = tuple(
    Shape(f"one-device-{label}-{launch}", "lightning", devices=1, strategy=strategy)
    for label, strategy in (("auto", "auto"), ("ddp", "ddp"), ("ddp-spawn", "ddp_spawn"),
                            ("ddpstrategy", "DDPStrategy"))
    for launch in ("no-srun", "srun")
)
TORCHRUN_SHAPES = (
    Shape("torchrun-standalone-tpn2", "torchrun"),
    Shape("torchrun-standalone-tpn1", "torchrun"),
    Shape("torchrun-rdzv-tpn2", "torchrun"),
    Shape("torchrun-static-early-rank", "torchrun"),
    Shape("torchrun-c10d-early-rank", "torchrun"),
    Shape("torchrun-nnodes2-no-srun", "torchrun"),
)
ALL_SHAPES = LIGHTNING_SHAPES + ONE_DEVICE_SHAPES + TORCHRUN_SHAPES
BY_NAME = {shape.name: shape for shape in ALL_SHAPES}


def lightning_package() -> str:
    """``lightning``, or ``pytorch-lightning`` when only that one is installed (2.x: the
    same Trainer under the older name; the CPU entry point imports either)."""
    for name in ("lightning", "pytorch-lightning"):
        try:
            version(name)
        except PackageNotFoundError:
            continue
        return name
    return "lightning"


def requirements(kind: str) -> str:
    """Pins of the installed versions, the way the job's repository would pin them."""
    names = ("torch", lightning_package()) if kind == "lightning" else ("torch",)
    pins = []
    for name in names:
        try:
            pins.append(f"{name}=={version(name).split('+', 1)[0]}")
        except PackageNotFoundError:
            pins.append(name)
    return "\n".join(pins) + "\n"


GPU_TRAINER = 'accelerator="gpu", devices="auto", strategy="ddp"'
"""The Trainer's arguments in ``lightning_gpu.py``, replaced per shape by :func:`gpu_entry`."""


def gpu_entry(shape: Shape) -> str:
    """The GPU entry point scriptkeeper reads for ``shape``, with its Trainer arguments."""
    text = (ENTRYPOINTS / f"{shape.kind}_gpu.py").read_text(encoding="utf-8")
    if shape.kind == "lightning" and lightning_package() == "pytorch-lightning":
        text = text.replace("import lightning as L", "import pytorch_lightning as L")
    if shape.devices is None and shape.strategy is None and shape.num_nodes is None:
        return text
    assert GPU_TRAINER in text, f"{shape.kind}_gpu.py no longer calls Trainer({GPU_TRAINER})"
    args = ['accelerator="gpu"', 'devices="auto"' if shape.devices is None
            else f"devices={shape.devices}"]
    if shape.num_nodes is not None:
        args.append(f"num_nodes={shape.num_nodes}")
    strategy = shape.strategy or "ddp"
    if strategy == "DDPStrategy":
        args.append("strategy=DDPStrategy()")
        module = "pytorch_lightning" if "import pytorch_lightning" in text else "lightning.pytorch"
        text = text.replace("import torch\n", "import torch\n"
                            f"from {module}.strategies import DDPStrategy\n", 1)
    elif strategy != "auto":
        args.append(f'strategy="{strategy}"')
    return text.replace(GPU_TRAINER, ", ".join(args))


def render(shape: Shape, python: Path) -> str:
    """The job script: the template with the venv's interpreter and torchrun filled in."""
    text = shape.template.read_text(encoding="utf-8")
    return text.replace("@PYTHON@", str(python)).replace(
        "@TORCHRUN@", str(python.parent / "torchrun"))


def materialise(shape: Shape, base: Path, python: Path | None = None) -> tuple[Path, Path]:
    """Write the shape's ``run/`` and ``scan/`` folders under ``base/<name>``."""
    python = python or Path(sys.executable)
    script = render(shape, python)
    pins = requirements(shape.kind)
    folders = []
    for folder, variant in (("run", "cpu"), ("scan", "gpu")):
        target = base / shape.name / folder
        target.mkdir(parents=True, exist_ok=True)
        (target / shape.script_name).write_text(script, encoding="utf-8")
        (target / "requirements.txt").write_text(pins, encoding="utf-8")
        entry = gpu_entry(shape) if variant == "gpu" else \
            (ENTRYPOINTS / f"{shape.kind}_{variant}.py").read_text(encoding="utf-8")
        (target / ENTRY_NAME).write_text(entry, encoding="utf-8")
        folders.append(target)
    return folders[0], folders[1]
