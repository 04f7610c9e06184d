"""The job shapes the oracle tier runs for real, and the files each one needs.

A shape is a job script template in ``jobs/<name>.slurm`` plus the kind of
entry point it launches. Nothing here says what a shape will do: the tests
find that out by running it (``runner.py``) and classifying the run
(``outcome.py``).

Each shape gets two folders with the same job script and requirements.txt:
``run/`` holds the entry point that really runs on this GPU-less machine
(``entrypoints/<kind>_cpu.py``), ``scan/`` the GPU version of the same
training that scriptkeeper reads (``entrypoints/<kind>_gpu.py``).
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
)
TORCHRUN_SHAPES = (
    Shape("torchrun-standalone-tpn2", "torchrun"),
    Shape("torchrun-standalone-tpn1", "torchrun"),
    Shape("torchrun-rdzv-tpn2", "torchrun"),
    Shape("torchrun-static-early-rank", "torchrun"),
    Shape("torchrun-c10d-early-rank", "torchrun"),
)
ALL_SHAPES = LIGHTNING_SHAPES + TORCHRUN_SHAPES
BY_NAME = {shape.name: shape for shape in ALL_SHAPES}


def requirements(kind: str) -> str:
    """Pins of the installed versions, the way the job's repository would pin them."""
    names = ("torch", "lightning") if kind == "lightning" else ("torch",)
    pins = []
    for name in names:
        try:
            pins.append(f"{name}=={version(name).split('+', 1)[0]}")
        except PackageNotFoundError:
            pins.append(name)
    return "\n".join(pins) + "\n"


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
        entry = (ENTRYPOINTS / f"{shape.kind}_{variant}.py").read_text(encoding="utf-8")
        (target / ENTRY_NAME).write_text(entry, encoding="utf-8")
        folders.append(target)
    return folders[0], folders[1]
