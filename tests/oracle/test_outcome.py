"""The oracle's own judgement: how an observed run is classified (no cluster needed).

The real runs only show the outcomes the shapes happen to produce; these
cases pin down the edges: a surprise must stay unexplained rather than be
forced into an outcome that would make a wrong verdict look right.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .observe import JobRun, Process, expand_ranges, gres_gpus, read_processes
from .outcome import Outcome, Unexplained, classify_lightning, classify_torchrun

pytestmark = pytest.mark.oracle


def proc(pid: int, env: dict[str, str], events: dict[str, dict[str, Any]] | None = None,
         visible: int = 2) -> Process:
    start: dict[str, Any] = {"env": env, "visible_gpus": visible, "time": float(pid)}
    return Process(pid=pid, ppid=1, events={"start": start, **(events or {})})


def run(processes: list[Process], state: str = "COMPLETED", gpus: int = 2,
        output: str = "") -> JobRun:
    return JobRun(shape="s", job_id="1", run_dir=Path("/nonexistent"),
                  scan_dir=Path("/nonexistent"), script_name="s.slurm", state=state,
                  exit_code="0:0", run_time="00:00:10", num_nodes=1, gpus_allocated=gpus,
                  output=output, processes=processes)


def trained(world: int, rank: int) -> dict[str, dict[str, Any]]:
    return {"trainer": {"world_size": world},
            "fit": {"dist_world_size": world, "dist_rank": rank, "allreduce_sum": world},
            "done": {}}


def failed(kind: str, message: str) -> dict[str, Any]:
    return {"type": kind, "message": message}


def test_full_world_on_every_gpu_is_correct() -> None:
    result = classify_lightning(run([proc(1, {}, trained(2, 0)), proc(2, {}, trained(2, 1))]))
    assert result.outcome is Outcome.CORRECT
    assert result.expected_rules == frozenset()


def test_world_size_one_on_two_gpus_is_single_process() -> None:
    result = classify_lightning(run([proc(1, {}, trained(1, 0))]))
    assert result.outcome is Outcome.SINGLE_PROCESS
    assert result.expected_rules == {"lightning-single-process"}


def test_world_size_one_on_one_gpu_is_correct() -> None:
    assert classify_lightning(run([proc(1, {}, trained(1, 0))], gpus=1)).outcome \
        is Outcome.CORRECT


def test_partial_world_is_unexplained() -> None:
    procs = [proc(i, {}, trained(2, i)) for i in range(2)]
    with pytest.raises(Unexplained, match="world size 2, but the job has 4 GPUs"):
        classify_lightning(run(procs, gpus=4))


def test_waiting_for_missing_peers_until_the_time_limit_is_a_hang() -> None:
    waiting = proc(1, {}, {"trainer": {"world_size": 2}})
    result = classify_lightning(run([waiting], state="TIMEOUT",
                                    output="Initializing distributed: GLOBAL_RANK: 0, MEMBER: 1/2"))
    assert result.outcome is Outcome.HANG
    assert "MEMBER: 1/2" in result.evidence


def test_slow_run_with_every_peer_present_is_not_a_hang() -> None:
    procs = [proc(i, {}, {"trainer": {"world_size": 2}}) for i in range(2)]
    with pytest.raises(Unexplained, match="not waiting for missing peers"):
        classify_lightning(run(procs, state="TIMEOUT"))


def test_ntasks_runtime_error() -> None:
    error = failed("RuntimeError", "You set `--ntasks=4` in your SLURM bash script, ...")
    result = classify_lightning(run([proc(i, {}, {"error": error}) for i in range(4)], "FAILED", 4))
    assert result.outcome is Outcome.NTASKS_ERROR


@pytest.mark.parametrize(("visible", "outcome"), [(1, Outcome.PER_TASK_GPUS),
                                                  (4, Outcome.DEVICES_MISMATCH)])
def test_devices_value_error_tells_isolation_from_mismatch(visible: int, outcome: Outcome) -> None:
    error = failed("ValueError", "You set `devices=1` in Lightning, but the number of tasks per "
                                 "node configured in SLURM `--ntasks-per-node=4` does not match")
    procs = [proc(i, {}, {"error": error}, visible=visible) for i in range(4)]
    assert classify_lightning(run(procs, "FAILED", gpus=4)).outcome is outcome


def test_other_failures_are_unexplained() -> None:
    error = failed("RuntimeError", "Gloo connectFullMesh failed")
    with pytest.raises(Unexplained, match="unexpected failure"):
        classify_lightning(run([proc(1, {}, {"error": error})], "FAILED"))


def test_job_failure_without_an_error_record_is_unexplained() -> None:
    with pytest.raises(Unexplained):
        classify_lightning(run([proc(1, {}, trained(2, 0)), proc(2, {}, trained(2, 1))],
                               state="FAILED"))


def worker(pid: int, task: int, tasks: int, port: str, rank: int) -> Process:
    env = {"SLURM_PROCID": str(task), "SLURM_NTASKS": str(tasks), "MASTER_ADDR": "localhost",
           "MASTER_PORT": port, "TORCHELASTIC_RUN_ID": port, "WORLD_SIZE": "2",
           "RANK": str(rank)}
    return proc(pid, env, {"fit": {"dist_world_size": 2, "allreduce_sum": 2}, "done": {}})


def test_one_agent_one_world_is_correct() -> None:
    result = classify_torchrun(run([worker(1, 0, 1, "1", 0), worker(2, 0, 1, "1", 1)]))
    assert result.outcome is Outcome.CORRECT


def test_two_agents_two_worlds_double_the_processes() -> None:
    workers = [worker(i, i // 2, 2, str(i // 2), i % 2) for i in range(4)]
    result = classify_torchrun(run(workers))
    assert result.outcome is Outcome.DUPLICATE_LAUNCHERS
    assert result.expected_rules == {"ntasks-launcher-mismatch"}
    assert "4 worker process(es) in 2 separate world(s)" in result.evidence


def test_an_agent_without_workers_is_a_duplicate_launcher() -> None:
    output = "srun: error: vm: task 1: Exited with exit code 1\n"
    result = classify_torchrun(run([worker(1, 0, 2, "1", 0), worker(2, 0, 2, "1", 1)],
                                   state="FAILED", output=output))
    assert result.outcome is Outcome.DUPLICATE_LAUNCHERS
    assert "task 1: exit 1" in result.evidence


def test_agents_sharing_a_local_rank_on_one_node_are_flagged() -> None:
    workers = []
    for task in (0, 1):
        w = worker(task + 1, task, 2, "1", task)
        w.env.update({"LOCAL_RANK": "0", "GROUP_RANK": str(task)})
        workers.append(w)
    result = classify_torchrun(run(workers))
    assert result.outcome is Outcome.SHARED_LOCAL_RANK
    assert result.expected_rules == {"ntasks-launcher-mismatch"}
    assert "LOCAL_RANK [0] 2 times" in result.evidence


STORE_CLASH = (
    "torch.distributed.DistNetworkError: The server socket has failed to listen on any local "
    "network address. port: 23611, useIpv6: false, code: -98, name: EADDRINUSE, message: "
    "address already in use\nsrun: error: vm: task 1: Exited with exit code 1\n")
STORE_WAIT = ("torch.distributed.DistStoreError: Timed out after 21 seconds waiting for clients. "
              "1/2 clients joined.\nsrun: error: vm: task 0: Exited with exit code 1\n")


def test_two_static_rendezvous_stores_on_one_node_are_a_rank_clash() -> None:
    result = classify_torchrun(run([], state="FAILED", output=STORE_CLASH + STORE_WAIT))
    assert result.outcome is Outcome.RANK_CLASH
    assert result.expected_rules == {"early-expanded-rank", "ntasks-launcher-mismatch"}
    assert "port 23611" in result.evidence and "1/2 clients joined" in result.evidence


def test_a_store_clash_whose_host_then_ends_is_unexplained() -> None:
    # the store's host neither timed out waiting nor was stopped by SLURM
    with pytest.raises(Unexplained, match="no worker process"):
        classify_torchrun(run([], state="FAILED", output=STORE_CLASH))


def test_incomplete_torchrun_world_is_unexplained() -> None:
    with pytest.raises(Unexplained, match="did not form"):
        classify_torchrun(run([worker(1, 0, 1, "1", 0)]))


def test_helpers(tmp_path: Path) -> None:
    assert expand_ranges("0-2,5") == [0, 1, 2, 5]
    assert gres_gpus("gpu:h200:4") == 4
    assert gres_gpus("gpu:4(IDX:0-3)") == 4
    assert gres_gpus("") == 0
    (tmp_path / "vm-7.jsonl").write_text(
        '{"event": "start", "pid": 7, "ppid": 1, "time": 1.0, "env": {"SLURM_PROCID": "3"}}\n'
        '{"event": "done", "pid": 7, "ppid": 1, "time": 2.0}\n')
    (found,) = read_processes(tmp_path)
    assert (found.pid, found.finished, found.env_int("SLURM_PROCID")) == (7, True, 3)


ONE = {"ORACLE_LIGHTNING_DEVICES": "1"}  # the shape fixes Trainer(devices=1)


def alone() -> dict[str, dict[str, Any]]:
    """SingleDeviceStrategy: trained without torch.distributed."""
    return {"trainer": {"world_size": 1},
            "fit": {"trainer_world_size": 1, "dist_world_size": None, "allreduce_sum": 1},
            "done": {}}


def test_one_device_alone_is_correct() -> None:
    assert classify_lightning(run([proc(1, ONE, alone())], gpus=1)).outcome is Outcome.CORRECT


def test_one_device_per_task_is_independent_copies() -> None:
    result = classify_lightning(run([proc(1, ONE, alone()), proc(2, ONE, alone())], gpus=1))
    assert result.outcome is Outcome.INDEPENDENT_COPIES
    assert result.expected_rules == frozenset()


def test_local_rank_beyond_the_devices_is_a_devices_mismatch() -> None:
    # as the ddp_spawn parent records it: torch re-raises the worker's exception
    wrapped = "\n\n-- Process 0 terminated with the following error:\nTraceback (most " \
        "recent call last):\n  ...\nIndexError: list index out of range\n"
    error = {"error": failed("ProcessRaisedException", wrapped)}
    waiting = proc(1, {**ONE, "SLURM_LOCALID": "0"}, {"trainer": {"world_size": 2}})
    result = classify_lightning(run([waiting, proc(2, {**ONE, "SLURM_LOCALID": "1"}, error)],
                                    "TIMEOUT", gpus=1))
    assert result.outcome is Outcome.DEVICES_MISMATCH
    # the same IndexError where the local id is within the devices is no mismatch
    with pytest.raises(Unexplained, match="unexpected failure"):
        classify_lightning(run([proc(1, {**ONE, "SLURM_LOCALID": "0"}, error)], "FAILED",
                               gpus=1))
