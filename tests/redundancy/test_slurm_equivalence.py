"""The signature's equivalences checked against real SLURM (the local 22.05 cluster).

For each pair of directive sets: the signature says "same job" exactly when
SLURM gives both the same allocation (``scontrol show job`` of a held job)
and the same environment to the batch script and to an ``srun`` step in it
(variables that always differ between two jobs, such as the job id, left
out).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from scriptkeeper.pipeline.analyze import analyze_script
from scriptkeeper.redundancy.signature import signature
from scriptkeeper.rules.config import load_config
from tests.support import slurm

pytestmark = pytest.mark.slurm

# the job's own allocation, as the controller records it
_ALLOCATION = ("NumNodes", "NumCPUs", "NumTasks", "CPUs/Task", "TRES", "TresPerNode",
               "TresPerJob", "TresPerTask", "MinMemoryNode", "MinMemoryCPU", "Partition",
               "TimeLimit", "OverSubscribe", "ReqNodeList", "Features")
# variables that differ between any two jobs, whatever they ask for
_PER_JOB = ("SLURM_JOB_ID", "SLURM_JOBID", "SLURM_JOB_NAME", "SLURM_TASK_PID",
            "SLURM_JOB_START_TIME", "SLURM_JOB_END_TIME", "SLURM_STEP_ID", "SLURM_STEPID",
            "SLURM_SUBMIT_DIR", "SLURMD_TRES_FREQ", "SLURM_SCRIPT_CONTEXT",
            "SLURM_SRUN_COMM_PORT", "SLURM_STEP_LAUNCHER_PORT")
_BODY = ("env | grep -E '^(SLURM_|CUDA_VISIBLE|GPU_DEVICE)' | sort | sed 's/^/batch /'\n"
         "srun -n 1 bash -c 'env | grep -E \"^(CUDA_VISIBLE|SLURM_)\" "
         "| sort | sed \"s/^/step /\"'\n")
# --gres, --gpus-per-node and --gpus give the same GPUs, but each sets its own
# variable: SLURM_GPUS_PER_NODE, SLURM_GPUS or neither. The signature folds
# the forms only for a script that does not name these variables (see
# test_gpu_variables_keep_the_forms_apart), so they are left out here.
_GPU_FORM_VARIABLES = ("SLURM_GPUS_PER_NODE", "SLURM_GPUS", "SLURM_TRES_PER_TASK")
_IGNORE = ("job-name", "output", "error")  # the time limit counts here

Pair = tuple[tuple[str, ...], tuple[str, ...]]

EQUAL: list[Pair] = [
    (("-c 32", "-n 1", "--mem=262144M", "-t 8:00:00"),
     ("--cpus-per-task=32", "--ntasks=1", "--mem=256G", "--time=08:00:00")),
    (("-t 60",), ("--time=01:00:00",)),
    (("--mem=4096",), ("--mem=4G",)),
    (("-N 1-1",), ("--nodes=1",)),
    (("--gres=gpu:2", "--ntasks-per-node=2"), ("--gpus-per-node=2", "--ntasks-per-node=2")),
    (("--gres=gpu:h200:2",), ("--gpus-per-node=h200:2",)),
    (("-N 1", "--gpus=2"), ("-N 1", "--gres=gpu:2")),
]

DIFFERENT: list[Pair] = [
    (("--ntasks=1",), ()),
    (("--gres=gpu:h200:1",), ("--gres=gpu:1",)),
    (("--gpus=2",), ("--gres=gpu:2",)),
    (("-n 2", "--gpus-per-task=1"), ("-n 2", "--gres=gpu:2")),
    (("--ntasks=2",), ("--ntasks-per-node=2",)),
    (("--mem=8G",), ("--mem-per-cpu=8G",)),
]


def _script(folder: Path, name: str, directives: tuple[str, ...]) -> Path:
    lines = ["#!/bin/bash", f"#SBATCH --output={folder}/{name}.out",
             *(f"#SBATCH {d}" for d in directives), "", _BODY]
    path = folder / f"{name}.slurm"
    path.write_text("\n".join(lines))
    return path


def _digest(path: Path) -> bytes:
    result = analyze_script(path.parent, path.name, path.read_bytes(), load_config(None))
    assert not result.broken, [f.message for f in result.findings]
    return signature(result, _IGNORE).digest


def _allocation(path: Path) -> dict[str, str]:
    record = slurm.held_job(path)
    allocation = {k: record.get(k, "") for k in _ALLOCATION}
    if allocation["NumNodes"] == "1-1" and not allocation["TresPerNode"]:
        # a job held to exactly one node gets all its per-job GPUs on that node
        allocation["TresPerNode"], allocation["TresPerJob"] = allocation["TresPerJob"], ""
    return allocation


def _environment(path: Path) -> list[str]:
    done = subprocess.run(["sbatch", "--wait", "--quiet", str(path)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    out = path.with_suffix(".out").read_text().splitlines()
    return sorted(line for line in out
                  if line.split("=")[0].split()[-1] not in (*_PER_JOB, *_GPU_FORM_VARIABLES))


def _what_slurm_gives(path: Path) -> tuple[dict[str, str], list[str]]:
    return _allocation(path), _environment(path)


@pytest.mark.parametrize("pair", EQUAL, ids=[" ".join(a) for a, _ in EQUAL])
def test_what_the_signature_equates_slurm_runs_the_same(
        slurm_cluster: None, tmp_path: Path,
        pair: Pair) -> None:
    first, second = _script(tmp_path, "a", pair[0]), _script(tmp_path, "b", pair[1])
    assert _digest(first) == _digest(second)
    assert _what_slurm_gives(first) == _what_slurm_gives(second)


@pytest.mark.parametrize("pair", DIFFERENT, ids=[" ".join(a) or "-" for a, _ in DIFFERENT])
def test_what_the_signature_tells_apart_slurm_runs_differently(
        slurm_cluster: None, tmp_path: Path,
        pair: Pair) -> None:
    first, second = _script(tmp_path, "a", pair[0]), _script(tmp_path, "b", pair[1])
    assert _digest(first) != _digest(second)
    assert _what_slurm_gives(first) != _what_slurm_gives(second)


def test_gpu_variables_keep_the_forms_apart(slurm_cluster: None, tmp_path: Path) -> None:
    """A script that reads SLURM_GPUS_PER_NODE sees it only with --gpus-per-node."""
    body = "echo \"gpus=$SLURM_GPUS_PER_NODE\"\n"
    first, second = tmp_path / "a.slurm", tmp_path / "b.slurm"
    for path, option in ((first, "--gres=gpu:2"), (second, "--gpus-per-node=2")):
        path.write_text(f"#!/bin/bash\n#SBATCH --output={path.with_suffix('.out')}\n"
                        f"#SBATCH {option}\n{body}")
    assert _digest(first) != _digest(second)
    outputs = []
    for path in (first, second):
        subprocess.run(["sbatch", "--wait", "--quiet", str(path)], check=True, timeout=120)
        outputs.append(path.with_suffix(".out").read_text().strip())
    assert outputs == ["gpus=", "gpus=2"]
