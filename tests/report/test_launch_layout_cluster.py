"""The explain picture's tasks, GPU visibility and world size against real jobs on the cluster.

Each layout is a real job script submitted to the suite's one-node cluster;
its entry point (``train.py``) reads like a Lightning DDP trainer to
scriptkeeper, but when run it only writes the environment of each process
(``dumps/<pid>.json``). For every launch step the picture draws, the tasks it
draws on node 0 must be the SLURM_PROCIDs that really ran, each with the
CUDA_VISIBLE_DEVICES drawn, and the world size drawn must be SLURM_NTASKS as
the processes see it (what Lightning takes its world size from; the oracle
tier, tests/oracle/test_explain_world.py, checks that against Lightning
itself). Each folder has the cluster profile that `scriptkeeper profile
import --from-scontrol` writes (an --exclusive job gets every GPU of the
node). The two-node layout cannot run on one node: sbatch must refuse it, and
its first node must be drawn as the one-node job that ran.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scriptkeeper.pipeline.explain import explain_script
from tests.conftest import in_ci
from tests.oracle.runner import cancel, submit_env, wait
from tests.report.conftest import scriptkeeper_command

pytestmark = pytest.mark.slurm

ENTRY = '''\
import json
import os

KEYS = ("SLURM_PROCID", "SLURM_LOCALID", "SLURM_NODEID", "SLURM_NTASKS", "SLURM_STEP_ID",
        "CUDA_VISIBLE_DEVICES", "RANK", "WORLD_SIZE", "LOCAL_RANK")
os.makedirs("dumps", exist_ok=True)  # one file per process: concurrent lines interleave
with open(f"dumps/{os.getpid()}.json", "w") as out:
    json.dump({key: os.environ.get(key) for key in KEYS}, out)

if os.environ.get("TRAIN_FOR_REAL"):  # what scriptkeeper reads: a Lightning DDP trainer
    import lightning as L

    trainer = L.Trainer(accelerator="gpu", devices="auto", strategy="ddp")
    trainer.fit(L.LightningModule())
'''
PINS = "lightning==2.5.0\n"

# name -> (#SBATCH options, launch lines)
LAYOUTS: dict[str, tuple[str, list[str]]] = {
    "one-task-8-gpus": ("--ntasks=1 --gres=gpu:8", ["python3 train.py"]),
    "8-tasks-no-srun": ("--ntasks-per-node=8 --gres=gpu:8", ["python3 train.py"]),
    "8-tasks-srun": ("--ntasks-per-node=8 --gres=gpu:8", ["srun python3 train.py"]),
    "gpus-per-task": ("--ntasks-per-node=8 --gpus-per-task=1", ["srun python3 train.py"]),
    "one-node-x-4": ("--nodes=1 --ntasks-per-node=4 --gres=gpu:4", ["srun python3 train.py"]),
    "exclusive": ("--exclusive --ntasks=1", ["python3 train.py", "srun python3 train.py"]),
    "exclusive-2-gpus": ("--exclusive --ntasks=1 --gres=gpu:2",
                         ["python3 train.py", "srun python3 train.py"]),
    "srun-n1-in-8-tasks": ("--ntasks-per-node=8 --gres=gpu:8",
                           ["srun -n 1 python3 train.py", "srun python3 train.py"]),
}
TWO_NODES = ("--nodes=2 --ntasks-per-node=4 --gres=gpu:4", ["srun python3 train.py"])


def cluster_profile(folder: Path) -> None:
    """rules.yaml with the cluster's profile, as a user writes it (the real command)."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([*scriptkeeper_command(), "profile", "import", "--from-scontrol"],
                          cwd=folder, capture_output=True, text=True, check=False,
                          env=submit_env(), timeout=60)
    assert done.returncode == 0, done.stderr


def write_layout(folder: Path, options: str, lines: list[str], entry: str = ENTRY) -> Path:
    cluster_profile(folder)
    (folder / "train.py").write_text(entry, encoding="utf-8")
    (folder / "requirements.txt").write_text(PINS, encoding="utf-8")
    script = folder / "job.slurm"
    directives = "".join(f"#SBATCH {option}\n" for option in options.split())
    script.write_text(f"#!/bin/bash\n{directives}#SBATCH --time=1\n#SBATCH --output=out.txt\n"
                      + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    return script


def sbatch(folder: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sbatch", "--parsable", *extra, "job.slurm"], cwd=folder,
                          capture_output=True, text=True, check=False, env=submit_env(),
                          stdin=subprocess.DEVNULL, timeout=60)


def dumps(folder: Path) -> list[dict[str, Any]]:
    """The environment each process of the job wrote (``dumps/<pid>.json``)."""
    return [json.loads(path.read_text(encoding="utf-8"))
            for path in sorted((folder / "dumps").glob("*.json"))]


@pytest.fixture(scope="module")
def runs(slurm_cluster: None, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[dict[str, tuple[Path, list[dict[str, Any]]]]]:
    """Every layout submitted at once, run to its end: script and the processes' dumps."""
    base = tmp_path_factory.mktemp("explain-layouts")
    submitted: dict[str, tuple[Path, str]] = {}
    try:
        for name, (options, lines) in LAYOUTS.items():
            script = write_layout(base / name, options, lines)
            done = sbatch(script.parent)
            assert done.returncode == 0, f"sbatch refused {name}: {done.stderr}"
            submitted[name] = (script, done.stdout.strip().split(";")[0])
        wait([job for _, job in submitted.values()], deadline=240.0)
    finally:
        cancel(job for _, job in submitted.values())
    yield {name: (script, dumps(script.parent))
           for name, (script, _) in submitted.items()}


def by_step(processes: list[dict[str, Any]], srun_index: int | None) -> dict[int, dict[str, Any]]:
    """The processes of one step (the batch shell: None) by SLURM_PROCID."""
    wanted = None if srun_index is None else str(srun_index)
    return {int(p["SLURM_PROCID"]): p for p in processes if p["SLURM_STEP_ID"] == wanted}


def check_step(step: dict[str, Any], seen: dict[int, dict[str, Any]]) -> None:
    """Drawn tasks, their GPUs and the world size equal what the step's processes saw."""
    node = step["node_detail"][0]
    drawn = {task["task"]: task for task in node["tasks"]}
    assert sorted(drawn) == sorted(seen), (step["launch"], sorted(drawn), sorted(seen))
    for task_id, task in drawn.items():
        real = seen[task_id].get("CUDA_VISIBLE_DEVICES") or ""
        assert task["cuda_visible_devices"] == real, (step["launch"], task_id, real)
        assert [p["rank"] for p in task["processes"]] == [task_id]  # rank = SLURM_PROCID
    ntasks = {int(p["SLURM_NTASKS"]) for p in seen.values() if p["SLURM_NTASKS"]}
    assert step["ranks_by"] == "task"
    if step["start_error"]:  # Lightning stops before it has a world (the oracle tier runs it)
        assert step["world_size"] is None
        assert {p["state"] for t in node["tasks"] for p in t["processes"]} == {"stops"}
        return
    assert {step["world_size"]} == ntasks, (step["launch"], step["world_size"], ntasks)
    assert step["missing_peers"] == step["world_size"] - len(seen)


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_drawn_layout_is_what_the_job_saw(
        name: str, runs: dict[str, tuple[Path, list[dict[str, Any]]]]) -> None:
    script, processes = runs[name]
    assert processes, f"{name}: no process reported (job output missing)"
    data = explain_script(script, None)
    assert len(data["steps"]) == len(LAYOUTS[name][1])
    srun_index = 0
    for step in data["steps"]:
        check_step(step, by_step(processes, srun_index if step["srun"] else None))
        if step["srun"]:
            srun_index += 1


def test_idle_gpus_of_one_task_on_8_gpus(
        runs: dict[str, tuple[Path, list[dict[str, Any]]]]) -> None:
    """One process sees all 8 GPUs and is rank 0 of world 1: 7 drawn idle."""
    script, processes = runs["one-task-8-gpus"]
    (seen,) = processes
    assert seen["CUDA_VISIBLE_DEVICES"] == "0,1,2,3,4,5,6,7" and seen["SLURM_NTASKS"] == "1"
    node = explain_script(script, None)["steps"][0]["node_detail"][0]
    assert node["idle_gpus"] == [1, 2, 3, 4, 5, 6, 7]


def test_two_nodes_first_node_drawn_as_one_node_run(
        runs: dict[str, tuple[Path, list[dict[str, Any]]]], tmp_path: Path) -> None:
    """2 nodes x 4 tasks: the cluster has one node, so sbatch refuses the job; what can be
    compared is node 0 (tasks 0-3, each seeing GPUs 0-3) with the one-node job that ran.
    SLURM_NTASKS (8 against 4) and the ranks of node 1 cannot be observed here."""
    # Trainer(num_nodes=2): with Lightning's default of 1 the job would stop at start-up
    # (num-nodes-mismatch) and form no world to draw
    script = write_layout(tmp_path / "two", *TWO_NODES,
                          entry=ENTRY.replace('strategy="ddp"', 'strategy="ddp", num_nodes=2'))
    refused = sbatch(script.parent, "--test-only")
    assert refused.returncode != 0, "the one-node cluster accepted a two-node job"
    two = explain_script(script, None)["steps"][0]
    assert two["world_size"] == 8 and two["other_nodes"] == {
        "nodes": 1, "tasks": 4, "processes": 4, "ranks": "4-7"}
    one_script, processes = runs["one-node-x-4"]
    seen = by_step(processes, 0)
    first = two["node_detail"][0]
    assert [t["task"] for t in first["tasks"]] == sorted(seen)
    assert [t["cuda_visible_devices"] for t in first["tasks"]] == \
        [seen[t]["CUDA_VISIBLE_DEVICES"] for t in sorted(seen)]
    assert first == explain_script(one_script, None)["steps"][0]["node_detail"][0]


def _torchrun() -> Path | None:
    beside = Path(sys.executable).parent / "torchrun"
    if beside.is_file():
        return beside
    found = shutil.which("torchrun")
    return Path(found) if found else None


@pytest.mark.oracle
def test_srun_torchrun_workers(slurm_cluster: None, tmp_path: Path) -> None:
    """srun + torchrun --standalone --nproc_per_node=8 on one task: 8 workers, world size 8,
    rank r on GPU r (their LOCAL_RANK among the task's CUDA_VISIBLE_DEVICES)."""
    torchrun = _torchrun()
    if torchrun is None:
        message = "torchrun is not installed (bash .ci/oracle/install.sh VENV)"
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    script = write_layout(tmp_path, "--ntasks-per-node=1 --gres=gpu:8 --cpus-per-task=8",
                          [f"srun {torchrun} --standalone --nproc_per_node=8 train.py"])
    done = sbatch(tmp_path)
    assert done.returncode == 0, done.stderr
    job = done.stdout.strip().split(";")[0]
    try:
        wait([job], deadline=180.0)
    finally:
        cancel([job])
    workers = [p for p in dumps(tmp_path) if p["RANK"] is not None]
    step = explain_script(script, None)["steps"][0]
    (task,) = step["node_detail"][0]["tasks"]
    drawn = {p["rank"]: p["gpu"] for p in task["processes"]}
    assert step["world_size"] == 8 and step["worlds"] == 1
    assert {int(w["WORLD_SIZE"]) for w in workers} == {step["world_size"]}
    real = {int(w["RANK"]): int(w["CUDA_VISIBLE_DEVICES"].split(",")[int(w["LOCAL_RANK"])])
            for w in workers}
    assert drawn == real
    assert task["cuda_visible_devices"] == workers[0]["CUDA_VISIBLE_DEVICES"]
