"""The layout fixes run for real: after ``scriptkeeper fix --unsafe-fixes`` the job trains
with one world of as many processes as the devices it asked for.

Each shape whose scan reports a layout error with an edit (world size 1 on 2 GPUs,
the training started without srun, ``--ntasks`` without ``--ntasks-per-node``, two
torchrun agents on a node) is fixed as scriptkeeper would fix it in its repository
(the ``scan/`` folder); the fixed script then runs in the ``run/`` folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scriptkeeper.fix.apply import fix_script
from scriptkeeper.pipeline.analyze import analyze_script
from scriptkeeper.rules.config import load_config

from .observe import JobRun
from .runner import Submitted, _run, cancel, collect, wait
from .shapes import BY_NAME, materialise

pytestmark = [pytest.mark.slurm, pytest.mark.oracle]

# shape -> the rule its scan reports, fixed; the world the fixed job must train in
FIXED = {
    "ntasks1-no-srun": ("lightning-single-process", 2),
    "tpn-no-srun": ("missing-srun", 2),
    "ntasks4-without-tpn": ("ntasks-without-per-node", 4),
    "torchrun-standalone-tpn2": ("ntasks-launcher-mismatch", 2),
}


@pytest.fixture(scope="module")
def fixed_runs(oracle_python: Path, slurm_cluster: None,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, JobRun]]:
    base = tmp_path_factory.mktemp("fixed")
    config = load_config(None)
    submitted: list[Submitted] = []
    try:
        for name, (rule, _) in FIXED.items():
            shape = BY_NAME[name]
            run_dir, scan_dir = materialise(shape, base, oracle_python)
            data = (scan_dir / shape.script_name).read_bytes()
            done = fix_script(scan_dir, shape.script_name, data, config, unsafe=True)
            assert rule in {f.rule for f in done.applied}, (name, done.applied, done.refused)
            assert not [f for f in done.remaining if f.severity == "error"], done.remaining
            for folder in (run_dir, scan_dir):
                (folder / shape.script_name).write_bytes(done.after)
            proc = _run(["sbatch", "--parsable", shape.script_name], cwd=run_dir,
                        extra_env=shape.env)
            assert proc.returncode == 0, proc.stdout + proc.stderr
            submitted.append(Submitted(shape, proc.stdout.strip().split(";", 1)[0], run_dir,
                                       scan_dir))
        records = wait([job.job_id for job in submitted])
    except BaseException:
        cancel(job.job_id for job in submitted)
        raise
    yield {job.shape.name: collect(job, records.get(job.job_id)) for job in submitted}


@pytest.mark.parametrize("name", sorted(FIXED))
def test_the_fixed_job_trains_in_one_world_of_its_devices(name: str,
                                                          fixed_runs: dict[str, JobRun]) -> None:
    run = fixed_runs[name]
    _, world = FIXED[name]
    assert run.state == "COMPLETED", run.describe()
    fits = [p.event("fit") for p in run.processes if p.event("fit")]
    assert len(fits) == world, run.describe()
    assert {fit.get("dist_world_size") for fit in fits if fit} == {world}, run.describe()
    assert sorted(fit.get("dist_rank") for fit in fits if fit) == list(range(world)), \
        run.describe()
    assert all(p.finished for p in run.processes), run.describe()
    judged = analyze_script(run.scan_dir, run.script_name,
                            (run.scan_dir / run.script_name).read_bytes(), load_config(None))
    assert run.gpus_per_node * run.num_nodes == world
    assert not [f for f in judged.findings if f.severity == "error"], judged.findings
