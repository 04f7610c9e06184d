"""The srun layout model against a live srun on the local SLURM 22.05 cluster.

Each job runs the srun variants of ``test_srun.OBSERVED`` with a task that
prints what it sees; the test compares the tasks started, SLURM_NTASKS,
SLURM_NTASKS_PER_NODE and the GPUs in CUDA_VISIBLE_DEVICES with
:func:`scriptkeeper.body.srun.layout` for the same job and line.
"""

from __future__ import annotations

import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from tests.body.test_srun import OBSERVED, lay

pytestmark = pytest.mark.slurm

PROBE = ("bash -c 'echo \"{case}|$SLURM_PROCID|$SLURM_NTASKS|$SLURM_NTASKS_PER_NODE|"
         "$CUDA_VISIBLE_DEVICES\"'")


def run_job(folder: Path, directives: str, cases: list[tuple[int, str]]) -> str:
    out = folder / "out.txt"
    lines = ["#!/bin/bash", f"#SBATCH {directives}", "#SBATCH --time=2",
             f"#SBATCH --output={out}"]
    for case, options in cases:
        lines.append(f"srun {options} {PROBE.format(case=case)} || true")
    script = folder / "job.sh"
    script.write_text("\n".join(lines) + "\n")
    done = subprocess.run(["sbatch", "--wait", str(script)], capture_output=True, text=True,
                          timeout=120, check=False, cwd=folder)
    assert done.returncode == 0, done.stderr
    return out.read_text()


def test_srun_layout_matches_a_live_srun(slurm_cluster: None, tmp_path: Path) -> None:
    jobs: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for case, (directives, options, *_rest) in enumerate(OBSERVED):
        jobs[directives].append((case, options))
    seen: dict[int, list[list[str]]] = defaultdict(list)
    for index, (directives, cases) in enumerate(jobs.items()):
        folder = tmp_path / f"job{index}"
        folder.mkdir()
        for line in run_job(folder, directives, cases).splitlines():
            parts = line.split("|")
            if len(parts) == 5 and parts[0].isdigit():
                seen[int(parts[0])].append(parts[1:])
    for case, (directives, options, *_rest) in enumerate(OBSERVED):
        tasks = seen[case]
        predicted = lay("#SBATCH " + directives, options)
        gpus = {len([g for g in t[3].split(",") if g]) for t in tasks}
        observed = (len(tasks), {int(t[1]) for t in tasks}, {int(t[2] or 0) for t in tasks},
                    gpus)
        expected = (predicted.tasks_total, {predicted.slurm_ntasks},
                    {predicted.slurm_ntasks_per_node}, {predicted.gpus_visible})
        assert observed == expected, f"srun {options} in a job with {directives}"
