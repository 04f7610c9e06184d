"""Realistic synthetic job-script repositories for the benchmarks (not a test fixture).

:func:`make_repository` writes ``count`` SLURM job scripts into a folder:
varied option spellings (short and long, units, time formats), launchers
(srun python, torchrun, accelerate, deepspeed, mpirun, python -m), module
loads, exports, continuations, ``if`` blocks and loops, a small share of
broken ones (CRLF, no shebang, a directive after the first command, clashing
memory options), and the entry points and pins they refer to.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_PARTITIONS = ["gpu", "h200", "debug", "a100", "cpu"]
_MODULES = ["cuda/12.1", "cudnn/8.9", "gcc/12.2", "openmpi/4.1.5", "nccl/2.18", "anaconda3"]
_ENTRIES = ["train.py", "src/train_lightning.py", "tools/finetune.py", "eval.py",
            "scripts/pretrain.py"]
_MODULE_ENTRIES = ["navsim.planning.run_training", "model.train"]


def _time(rng: random.Random) -> str:
    return rng.choice(["10", "30:00", "1:00:00", "08:00:00", "2-00:00:00", "1-12", "4:00:00",
                       "infinite", "90"])


def _mem(rng: random.Random) -> str:
    return rng.choice(["16G", "32G", "64000M", "256G", "262144M", "500G", "0", "8000"])


def _directives(rng: random.Random, name: str, gpus: int, nodes: int, tasks: int) -> list[str]:
    d = []
    d.append(rng.choice([f"#SBATCH --job-name={name}", f"#SBATCH -J {name}",
                         f"#SBATCH --job-name {name}"]))
    if rng.random() < 0.7:
        d.append(rng.choice([f"#SBATCH --partition={rng.choice(_PARTITIONS)}",
                             f"#SBATCH -p {rng.choice(_PARTITIONS)}"]))
    d.append(rng.choice([f"#SBATCH --nodes={nodes}", f"#SBATCH -N {nodes}"]))
    if rng.random() < 0.5:
        d.append(f"#SBATCH --ntasks-per-node={tasks}")
    elif rng.random() < 0.5:
        d.append(rng.choice([f"#SBATCH --ntasks={tasks * nodes}", f"#SBATCH -n {tasks * nodes}"]))
    if gpus:
        d.append(rng.choice([f"#SBATCH --gres=gpu:{gpus}", f"#SBATCH --gpus-per-node={gpus}",
                             f"#SBATCH --gres=gpu:h200:{gpus}", f"#SBATCH --gpus={gpus * nodes}"]))
    d.append(rng.choice([f"#SBATCH --cpus-per-task={rng.choice([4, 8, 16, 32])}",
                         f"#SBATCH -c {rng.choice([2, 8, 12])}"]))
    d.append(f"#SBATCH --mem={_mem(rng)}" if rng.random() < 0.8
             else f"#SBATCH --mem-per-cpu={rng.choice(['4G', '8000M'])}")
    d.append(rng.choice([f"#SBATCH --time={_time(rng)}", f"#SBATCH -t {_time(rng)}"]))
    d.append(rng.choice(["#SBATCH --output=logs/%x_%j.out", "#SBATCH -o slurm-%j.out",
                         "#SBATCH --output=/scratch/%u/%x-%A_%a.log"]))
    if rng.random() < 0.3:
        d.append("#SBATCH --error=logs/%x_%j.err")
    if rng.random() < 0.4:
        d.append(f"#SBATCH --account=proj{rng.randint(100, 999)}")
    if rng.random() < 0.2:
        d.append("#SBATCH --mail-type=END,FAIL")
        d.append("#SBATCH --mail-user=someone@example.org")
    if rng.random() < 0.1:
        d.append("#SBATCH --exclusive")
    if rng.random() < 0.1:
        d.append(f"#SBATCH --array=0-{rng.randint(3, 99)}%4")
    if rng.random() < 0.15:
        d.append("#SBATCH --signal=SIGUSR1@90   # let Lightning requeue")
    return d


def _launch(rng: random.Random, gpus: int, nodes: int, tasks: int) -> list[str]:
    entry = rng.choice(_ENTRIES)
    args = " ".join(rng.sample(["--epochs 10", "--lr 3e-4", "--batch-size 64",
                                "trainer.devices=8", "+experiment=base", "--seed $SEED",
                                "--data $DATA_DIR"], k=rng.randint(1, 4)))
    kind = rng.randrange(7)
    if kind == 0:
        return [f"srun python {entry} {args}"]
    if kind == 1:
        return ["srun torchrun \\", f"    --nnodes={nodes} \\",
                f"    --nproc_per_node={max(gpus, 1)} \\",
                "    --rdzv_backend=c10d --rdzv_endpoint=$MASTER_ADDR:29500 \\",
                f"    {entry} {args}"]
    if kind == 2:
        return [f"accelerate launch --num_processes {max(gpus, 1) * nodes} "
                f"--num_machines {nodes} {entry} {args}"]
    if kind == 3:
        return [f"deepspeed --num_gpus {max(gpus, 1)} {entry} --deepspeed ds_config.json"]
    if kind == 4:
        return [f"mpirun -np {tasks * nodes} python {entry} {args}"]
    if kind == 5:
        return [f"python -m {rng.choice(_MODULE_ENTRIES)} {args}"]
    return ["for seed in 1 2 3; do", f"  srun --ntasks=1 python {entry} --seed $seed &",
            "done", "wait"]


def script_text(rng: random.Random, index: int) -> str:
    gpus = rng.choice([0, 1, 1, 2, 4, 8, 8])
    nodes = rng.choice([1, 1, 1, 2, 4])
    tasks = max(gpus, 1) if rng.random() < 0.7 else 1
    lines = ["#!/bin/bash" if rng.random() < 0.9 else "#!/usr/bin/env bash"]
    if rng.random() < 0.3:
        lines.append(f"# experiment {index}: {rng.choice(['baseline', 'ablation', 'sweep'])}")
    lines += _directives(rng, f"job{index}", gpus, nodes, tasks)
    lines.append("")
    lines.append("set -euo pipefail")
    for mod in rng.sample(_MODULES, k=rng.randint(0, 3)):
        lines.append(f"module load {mod}")
    if rng.random() < 0.5:
        lines.append("source ~/miniconda3/etc/profile.d/conda.sh && conda activate train")
    lines.append(f"export SEED={rng.randint(0, 9999)}")
    lines.append("export DATA_DIR=/data/$USER/shards")
    if rng.random() < 0.3:
        lines.append("export MASTER_ADDR=$(scontrol show hostnames $SLURM_JOB_NODELIST "
                     "| head -n 1)")
    if gpus and rng.random() < 0.15:
        lines.append("export CUDA_VISIBLE_DEVICES=" + ",".join(str(i) for i in range(gpus)))
    if rng.random() < 0.2:
        lines.append('if [ -n "${SLURM_RESTART_COUNT:-}" ]; then')
        lines.append('  echo "restart $SLURM_RESTART_COUNT"')
        lines.append("fi")
    lines += _launch(rng, gpus, nodes, tasks)
    if rng.random() < 0.2:
        lines.append('echo "done at $(date)"')
    broken = rng.random()
    if broken < 0.02:
        lines.insert(0, "# forgot the shebang line")
    elif broken < 0.04:
        lines.insert(len(lines) - 1, "#SBATCH --gres=gpu:8")
    elif broken < 0.06:
        lines.insert(3, "#SBATCH --mem-per-cpu=4G")
    text = "\n".join(lines) + "\n"
    if 0.06 <= broken < 0.07:
        text = text.replace("\n", "\r\n")
    return text


def make_repository(root: Path, count: int, seed: int = 1, git: bool = True) -> list[Path]:
    """Write ``count`` job scripts (100 a folder) plus entry points under ``root``."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    for entry in _ENTRIES:
        path = root / entry
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("import lightning as L\n\ntrainer = L.Trainer(accelerator='gpu', "
                        "devices=8, strategy='ddp')\n")
    for module in _MODULE_ENTRIES:
        path = root / (module.replace(".", "/") + ".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("import torch\n")
    (root / "requirements.txt").write_text("lightning==2.2.1\ntorch==2.2.0\n")
    paths = []
    suffixes = [".slurm", ".slurm", ".sbatch", ".sh", ".job"]
    for i in range(count):
        folder = root / "jobs" / f"group{i // 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"run_{i:05d}{rng.choice(suffixes)}"
        path.write_bytes(script_text(rng, i).encode())
        paths.append(path)
    if git:
        env_free = ["-c", "user.name=bench", "-c", "user.email=bench@example.org"]
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
        subprocess.run(["git", "-C", str(root), *env_free, "commit", "-q", "-m", "scripts"],
                       check=True)
    return paths


def compile_package() -> None:
    """Compile the package to bytecode, as an install does, before anything is timed.

    pip compiles a wheel's modules, and an editable install writes the bytecode on first
    import, unless PYTHONDONTWRITEBYTECODE is set (as on the project's machines, where
    every start would then compile the whole package again).
    """
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "0",
                    str(Path(__file__).resolve().parent.parent / "scriptkeeper")], check=True)


@contextmanager
def repository(keep: Path | None, count: int, prefix: str) -> Iterator[Path]:
    """A git repository of ``count`` job scripts: at ``keep`` (made there unless it is a
    repository already, and kept), else in a temporary folder removed afterwards."""
    temp = None
    if keep is None:
        temp = tempfile.mkdtemp(prefix=prefix)
        root = Path(temp) / "repo"
    else:
        root = keep
    try:
        if not (root / ".git").exists():
            make_repository(root, count)
        yield root
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


def analysis_build(python: str = sys.executable) -> str:
    """Whether the analysis ``python`` runs is compiled (pyproject.toml) or not."""
    # body.shell is one of the modules pyproject.toml lets mypyc compile
    # from /, so that the source tree in the current folder does not shadow the install
    file = subprocess.run([python, "-c", "import scriptkeeper.body.shell as m; print(m.__file__)"],
                          capture_output=True, text=True, check=True, cwd="/").stdout.strip()
    return "pure Python (not compiled)" if file.endswith(".py") else "compiled with mypyc"
