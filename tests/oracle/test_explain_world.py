"""The world the explain picture draws is the world real Lightning and torchrun formed.

The oracle jobs (Lightning DDP on CPU, torchrun with gloo) run on the local
cluster; for each, ``explain`` on the scanned copy of the script must draw
the world size and the ranks the processes really had (Lightning's Trainer,
torch.distributed), processes that wait as waiting (the job ran into its time
limit, nothing finished), and processes that stop at start-up as stopping
(each raised).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from scriptkeeper.pipeline.explain import explain_script

from .observe import JobRun, Process

pytestmark = [pytest.mark.slurm, pytest.mark.oracle]

SHAPES = ("ntasks1-no-srun", "no-task-options-no-srun", "tpn-equals-devices-srun",
          "tpn-no-srun", "gpus-per-task", "one-device-auto-srun", "torchrun-standalone-tpn1")


def _world(proc: Process) -> tuple[int | None, int | None]:
    """(world size, rank) a process had: Lightning's Trainer, else torch.distributed."""
    trainer = proc.event("trainer")
    if trainer is not None:
        return trainer.get("world_size"), trainer.get("global_rank")
    fit = proc.event("fit") or {}
    return fit.get("dist_world_size"), fit.get("dist_rank")


def _drawn(step: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for node in step["node_detail"] for t in node["tasks"]
            for p in t["processes"] or []]


@pytest.mark.parametrize("name", SHAPES)
def test_drawn_world_is_the_real_one(name: str, oracle_runs: dict[str, JobRun]) -> None:
    run = oracle_runs[name]
    data = explain_script(run.scan_dir / run.script_name, None)
    (step,) = data["steps"]
    drawn = _drawn(step)
    real = [p for p in run.processes if p.event("start") is not None]
    assert len(drawn) == len(real), run.describe()
    if step["start_error"]:
        assert {p["state"] for p in drawn} == {"stops"}
        assert all(p.error is not None for p in real), run.describe()
        return
    if step["missing_peers"]:
        assert {p["state"] for p in drawn} == {"waits"}
        assert run.state == "TIMEOUT" and not any(p.finished for p in real), run.describe()
    else:
        assert all(p.finished for p in real), run.describe()
    worlds = [_world(p) for p in real]
    assert {size for size, _ in worlds} == {step["world_size"]}, run.describe()
    assert Counter(rank for _, rank in worlds) == Counter(p["rank"] for p in drawn), \
        run.describe()
