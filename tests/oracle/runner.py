"""Submit the oracle jobs with real sbatch, wait for them, and collect what they did.

All shapes are submitted at once and run side by side as far as the node's
8 (fake) GPUs allow; each job asks for one CPU per task and a 2-minute limit,
so a job that hangs is ended by SLURM itself (state TIMEOUT). Jobs still
unfinished at the deadline are cancelled, by id, and reported as such.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.support.slurm import parse_scontrol_record

from .observe import JobRun, gres_gpus, read_processes
from .shapes import Shape, materialise

TERMINAL = frozenset({
    "COMPLETED", "FAILED", "TIMEOUT", "CANCELLED", "NODE_FAIL", "OUT_OF_MEMORY",
    "PREEMPTED", "BOOT_FAIL", "DEADLINE",
})
DEADLINE = 480.0  # seconds for the whole batch: the 2-minute limit plus queueing
POLL = 2.0
# Variables of the submitting shell that would change what the job sees.
_LEAKY = ("SLURM_", "SBATCH_", "SRUN_", "CUDA_VISIBLE_DEVICES", "MASTER_ADDR", "MASTER_PORT",
          "WORLD_SIZE", "RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "NODE_RANK", "GROUP_RANK",
          "TORCHELASTIC_", "PL_", "LIGHTNING_", "OMP_NUM_THREADS", "ORACLE_LIGHTNING_")


@dataclass(frozen=True)
class Submitted:
    shape: Shape
    job_id: str
    run_dir: Path
    scan_dir: Path


def submit_env() -> dict[str, str]:
    """The test's environment without anything that would leak into the job."""
    return {key: value for key, value in os.environ.items()
            if key == "SLURM_CONF" or not key.startswith(_LEAKY)}


def _run(argv: list[str], cwd: Path | None = None,
         extra_env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = submit_env()
    env.update(extra_env or {})
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False,
                          stdin=subprocess.DEVNULL, env=env, timeout=60)


def submit(shape: Shape, base: Path, python: Path) -> Submitted:
    run_dir, scan_dir = materialise(shape, base, python)
    # the shape's Trainer choice reaches the job through sbatch's default --export=ALL
    proc = _run(["sbatch", "--parsable", shape.script_name], cwd=run_dir, extra_env=shape.env)
    if proc.returncode != 0:
        raise RuntimeError(f"sbatch refused {shape.script_name}: {proc.stdout}{proc.stderr}")
    return Submitted(shape, proc.stdout.strip().split(";", 1)[0], run_dir, scan_dir)


def job_record(job_id: str) -> dict[str, str] | None:
    """``scontrol show job -d -o`` as a dict; None when the controller forgot the job.

    Raises :class:`subprocess.SubprocessError` when scontrol fails otherwise
    (the caller asks again at the next poll).
    """
    proc = _run(["scontrol", "show", "job", "-d", "-o", job_id])
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode == 0 and lines:
        return parse_scontrol_record(lines[0])
    if "invalid job id" in proc.stderr.lower():
        return None
    raise subprocess.SubprocessError(f"scontrol show job {job_id}: {proc.stderr.strip()}")


def wait(job_ids: Iterable[str], deadline: float = DEADLINE) -> dict[str, dict[str, str]]:
    """The last record of every job, once all ended or the deadline passed.

    Jobs still running at the deadline are cancelled (by id) and keep the
    state they had when last seen.
    """
    pending = set(job_ids)
    last: dict[str, dict[str, str]] = {}
    end = time.monotonic() + deadline
    while pending and time.monotonic() < end:
        for job_id in sorted(pending):
            try:
                record = job_record(job_id)
            except subprocess.SubprocessError:
                continue  # slurmctld busy or restarting: ask again
            if record is None:
                pending.discard(job_id)  # purged: the last record seen stands
                continue
            last[job_id] = record
            if record.get("JobState", "") in TERMINAL:
                pending.discard(job_id)
        if pending:
            time.sleep(POLL)
    if pending:
        cancel(pending)
    return last


def cancel(job_ids: Iterable[str]) -> None:
    ids = sorted(job_ids)
    if ids:
        _run(["scancel", *ids])


def collect(job: Submitted, record: Mapping[str, str] | None) -> JobRun:
    record = record or {}
    out_path = Path(record.get("StdOut") or job.run_dir / f"slurm-{job.job_id}.out")
    output = out_path.read_text(encoding="utf-8", errors="replace") if out_path.is_file() else ""
    nodes = record.get("NumNodes", "1").split("-", 1)[0]
    return JobRun(
        shape=job.shape.name,
        job_id=job.job_id,
        run_dir=job.run_dir,
        scan_dir=job.scan_dir,
        script_name=job.shape.script_name,
        state=record.get("JobState", "UNKNOWN"),
        exit_code=record.get("ExitCode", "?"),
        run_time=record.get("RunTime", "?"),
        num_nodes=int(nodes) if nodes.isdigit() else 1,
        gpus_allocated=gres_gpus(record.get("JOB_GRES", "")),
        output=output,
        processes=read_processes(job.run_dir / "results"),
    )


def run_all(shapes: Iterable[Shape], base: Path, python: Path,
            deadline: float = DEADLINE) -> dict[str, JobRun]:
    """Submit every shape, wait for all of them, and return each run by shape name."""
    submitted: list[Submitted] = []
    try:
        for shape in shapes:
            submitted.append(submit(shape, base, python))
        records = wait([job.job_id for job in submitted], deadline)
    except BaseException:
        cancel(job.job_id for job in submitted)
        raise
    return {job.shape.name: collect(job, records.get(job.job_id)) for job in submitted}
