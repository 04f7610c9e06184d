"""What one oracle job really did: its SLURM end state and each process's own record.

The entry points (``entrypoints/*_cpu.py``) append JSON lines to
``results/<host>-<pid>.jsonl``; :func:`read_processes` turns them into one
:class:`Process` per pid. :class:`JobRun` adds what the controller says about
the job (state, exit code, GPUs allocated) and the job's output file. No
judgement here: ``outcome.py`` classifies a run.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# "gpu:4", "gpu:h200:4", "gpu:h200:4(IDX:0-3)" in scontrol's JOB_GRES
_GRES_GPU = re.compile(r"(?:^|,)gpu(?::[^:,(]+)?:(\d+)")
# "srun: error: vm: task 1: Exited with exit code 1", "... tasks 0-1: Exited ..."
_SRUN_TASK_EXIT = re.compile(r"srun: error: \S+: tasks? ([\d,\-]+): Exited with exit code (\d+)")


@dataclass(frozen=True)
class Process:
    """One Python process that ran the entry point, with its events by name."""

    pid: int
    ppid: int
    events: dict[str, dict[str, Any]]

    def event(self, name: str) -> dict[str, Any] | None:
        return self.events.get(name)

    @property
    def env(self) -> dict[str, str | None]:
        start = self.events.get("start") or {}
        env: dict[str, str | None] = start.get("env") or {}
        return env

    def env_int(self, key: str) -> int | None:
        value = self.env.get(key)
        return int(value) if value is not None and value.strip().isdigit() else None

    @property
    def error(self) -> dict[str, Any] | None:
        return self.events.get("error")

    @property
    def finished(self) -> bool:
        return "done" in self.events


@dataclass(frozen=True)
class JobRun:
    """One submitted oracle job after it ended (or was given up on)."""

    shape: str
    job_id: str
    run_dir: Path
    scan_dir: Path
    script_name: str
    state: str  # JobState from scontrol: COMPLETED, FAILED, TIMEOUT, ... or UNKNOWN
    exit_code: str
    run_time: str
    num_nodes: int
    gpus_allocated: int  # the job's GPUs on all its nodes (scontrol JOB_GRES)
    output: str
    processes: list[Process] = field(default_factory=list)

    @property
    def gpus_per_node(self) -> int:
        return self.gpus_allocated // max(self.num_nodes, 1)

    def failed_srun_tasks(self) -> dict[int, int]:
        """srun task id -> exit code, for the tasks srun reported as failed."""
        failed: dict[int, int] = {}
        for match in _SRUN_TASK_EXIT.finditer(self.output):
            for task in expand_ranges(match.group(1)):
                failed[task] = int(match.group(2))
        return failed

    def describe(self) -> str:
        """A readable account of the run, for assertion messages and reports."""
        lines = [
            f"job {self.job_id} ({self.script_name}): {self.state}, exit {self.exit_code}, "
            f"ran {self.run_time}, {self.num_nodes} node(s), {self.gpus_allocated} GPU(s)",
            f"  {len(self.processes)} process(es) ran the entry point:",
        ]
        for proc in self.processes:
            env = proc.env
            keys = ("SLURM_PROCID", "SLURM_NTASKS", "SLURM_NTASKS_PER_NODE",
                    "CUDA_VISIBLE_DEVICES", "RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_PORT")
            shown = " ".join(f"{k}={env[k]}" for k in keys if env.get(k) is not None)
            fit = proc.event("fit") or {}
            error = proc.error
            status = ("done" if proc.finished
                      else f"{error['type']}: {error['message']}" if error else "did not finish")
            lines.append(f"    pid {proc.pid} (parent {proc.ppid}) {shown} "
                         f"world_size={fit.get('dist_world_size')} rank={fit.get('dist_rank')} "
                         f"-> {status}")
        tail = "\n".join(self.output.strip().splitlines()[-15:])
        lines.append("  output (tail):\n" + "\n".join("    " + t for t in tail.splitlines()))
        return "\n".join(lines)


def expand_ranges(text: str) -> list[int]:
    """``"0-2,5"`` -> ``[0, 1, 2, 5]``."""
    numbers: list[int] = []
    for part in text.split(","):
        if "-" in part:
            low, high = part.split("-", 1)
            numbers.extend(range(int(low), int(high) + 1))
        elif part:
            numbers.append(int(part))
    return numbers


def gres_gpus(job_gres: str) -> int:
    """The number of GPUs in scontrol's ``JOB_GRES`` value (0 when none)."""
    return sum(int(match.group(1)) for match in _GRES_GPU.finditer(job_gres.strip()))


def read_processes(results: Path) -> list[Process]:
    """Every process that wrote records under ``results``, oldest start first."""
    processes: list[Process] = []
    for path in sorted(results.glob("*.jsonl")) if results.is_dir() else []:
        events: dict[str, dict[str, Any]] = {}
        pid = ppid = -1
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            if pid < 0 or record["event"] == "start":
                # the process that ran the entry point (a ddp_spawn worker writes into
                # the file of the process that started it)
                pid, ppid = int(record["pid"]), int(record["ppid"])
            events.setdefault(str(record["event"]), record)
        processes.append(Process(pid=pid, ppid=ppid, events=events))
    processes.sort(key=lambda p: float((p.event("start") or {}).get("time", 0.0)))
    return processes
