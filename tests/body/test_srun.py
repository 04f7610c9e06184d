"""srun inside a job: task counts, SLURM_NTASKS(_PER_NODE) and GPUs, as SLURM 22.05 does it.

The expected values are what real srun did on the local cluster (see
``test_srun_cluster.py``, which checks the same cases against a live srun).
"""

from __future__ import annotations

import textwrap

import pytest

from scriptkeeper.body import srun, steps
from scriptkeeper.body.launchers import parse_srun
from scriptkeeper.body.shell import Var
from scriptkeeper.model import build as model
from scriptkeeper.model.cluster_profile import ClusterProfile, PartitionProfile
from scriptkeeper.parse.header import parse

PROFILE = ClusterProfile(slurm_version="22.05", default_partition="gpu",
                         partitions={"gpu": PartitionProfile("gpu", 128, 8, (), 2_048_000)})


def job_of(directives: str) -> model.JobModel:
    text = "#!/bin/bash\n" + textwrap.dedent(directives).strip() + "\nhostname\n"
    return model.build(parse(text.encode(), "22.05"), "job.slurm", PROFILE)


def lay(directives: str, line: str | None, env: dict[str, Var] | None = None) -> srun.Layout:
    job = job_of(directives)
    batch = {**steps.batch_env(job), **(env or {})}
    if line is None:
        return srun.layout(job, batch, None, False, PROFILE)
    parsed = parse_srun(("srun " + line).split(), frozenset())
    return srun.layout(job, batch, parsed.options, parsed.unknown, PROFILE)


# (job directives, srun options, tasks, SLURM_NTASKS_PER_NODE seen (0 = unset), GPUs per task)
OBSERVED = [
    ("--ntasks-per-node=4 --gres=gpu:2", "", 4, 4, 2),
    ("--ntasks-per-node=4 --gres=gpu:2", "--ntasks-per-node=1", 4, 4, 2),  # ignored
    ("--ntasks-per-node=4 --gres=gpu:2", "-n 1", 1, 4, 2),
    ("--ntasks-per-node=4 --gres=gpu:2", "-n 2", 2, 4, 2),
    ("--ntasks-per-node=4 --gres=gpu:2", "-n 1 --gres=none", 1, 4, 0),
    ("--ntasks-per-node=4 --gres=gpu:2", "-n 2 --gpus-per-task=1", 2, 4, 1),
    ("--ntasks=4 --gres=gpu:2", "", 4, 0, 2),
    ("--ntasks=4 --gres=gpu:2", "--ntasks-per-node=2", 4, 0, 2),  # ignored
    ("--ntasks=4 --gres=gpu:2", "-n 4 --ntasks-per-node=4", 4, 4, 2),
    ("--gres=gpu:2 -c 4", "", 1, 0, 2),
    ("--gres=gpu:2 -c 4", "--ntasks-per-node=2", 2, 2, 2),
    ("--gres=gpu:2 -c 4", "-n 2", 2, 0, 2),
    ("--ntasks-per-node=4 --gpus-per-task=1", "", 4, 4, 1),
    ("--ntasks-per-node=4 --gpus-per-task=1", "-n 1", 1, 4, 1),
    ("--tasks-per-node=2 --gres=gpu:2", "", 2, 2, 2),  # sbatch's alias
    ("--gres=gpu:2 -c 4", "--tasks-per-node=2", 2, 2, 2),  # and srun's
    ("--exclusive", "-n 1", 1, 0, 0),
    ("--exclusive", "-n 1 --gres=gpu:2", 1, 0, 2),
]


@pytest.mark.parametrize(("directives", "line", "tasks", "per_node", "gpus"), OBSERVED)
def test_srun_layout(directives: str, line: str, tasks: int, per_node: int, gpus: int) -> None:
    got = lay("#SBATCH " + directives, line)
    assert (got.tasks_total, got.slurm_ntasks, got.slurm_ntasks_per_node, got.gpus_visible) == (
        tasks, tasks, per_node, gpus)


def test_tasks_per_node_is_another_name_for_ntasks_per_node() -> None:
    job = lay("#SBATCH --nodes=2 --tasks-per-node=4 --gres=gpu:4", None)
    assert (job.slurm_ntasks, job.slurm_ntasks_per_node) == (8, 4)
    step = lay("#SBATCH --gres=gpu:4", "--tasks-per-node=4")
    assert (step.tasks_total, step.slurm_ntasks_per_node) == (4, 4)


def test_srun_reads_the_task_count_from_the_environment() -> None:
    unset = Var("", exported=True, is_set=False)
    both = lay("#SBATCH --ntasks=4 --gres=gpu:2", "", {"SLURM_NTASKS": unset,
                                                       "SLURM_NPROCS": unset})
    assert both.tasks_total == 1
    one = lay("#SBATCH --ntasks=4 --gres=gpu:2", "", {"SLURM_NTASKS": unset})
    assert one.tasks_total == 4  # SLURM_NPROCS still says 4


def test_gpu_binding_isolates_each_task() -> None:
    bound = lay("#SBATCH --ntasks-per-node=4 --gpus-per-task=1", "")
    assert bound.gpu_isolated and bound.isolation_option == "--gpus-per-task=1"
    assert lay("#SBATCH --ntasks-per-node=2 --gres=gpu:2", "--gpu-bind=single:1").gpu_isolated
    assert not lay("#SBATCH --ntasks-per-node=2 --gres=gpu:2", "--gpu-bind=none").gpu_isolated


def test_the_batch_shell_sees_the_whole_node_allocation() -> None:
    assert lay("#SBATCH --ntasks-per-node=4 --gpus-per-task=1", None).gpus_visible == 4
    assert lay("#SBATCH --exclusive", None).gpus_visible == 8  # every GPU of the node
    # also when it asks for fewer (JOB_GRES gpu:h200:8 on the cluster); its steps get 2
    assert lay("#SBATCH --exclusive --gres=gpu:2", None).gpus_visible == 8
    assert lay("#SBATCH --exclusive --gres=gpu:2", "-n 1").gpus_visible == 2
    assert lay("#SBATCH --gres=gpu:2", None).gpus_visible == 2
    plain = lay("#SBATCH --ntasks=1", None)
    assert (plain.gpus_visible, plain.slurm_ntasks, plain.slurm_ntasks_per_node) == (0, 1, 0)
    none = lay("#SBATCH -c 4", None)
    assert none.slurm_ntasks == 0


def test_the_scripts_cuda_visible_devices_limits_the_batch_shell() -> None:
    two = lay("#SBATCH --gres=gpu:4", None,
              {"CUDA_VISIBLE_DEVICES": Var("0,1", exported=True, line=3)})
    assert two.gpus_visible == 2
    beyond = lay("#SBATCH --gres=gpu:1", None,
                 {"CUDA_VISIBLE_DEVICES": Var("0,1,2,3", exported=True, line=3)})
    assert beyond.gpus_visible is None  # devices the job does not have: undefined


def test_unknown_srun_words_make_the_layout_unknown() -> None:
    job = job_of("#SBATCH --ntasks-per-node=4")
    got = srun.layout(job, steps.batch_env(job), {}, True, PROFILE)
    assert got.tasks_total is None and got.tasks_per_node is None


def test_a_node_range_leaves_the_node_count_unknown() -> None:
    assert lay("#SBATCH --nodes=1-4 --ntasks-per-node=2", "").tasks_total is None
    assert lay("#SBATCH --nodes=2 --ntasks-per-node=2", "").tasks_total == 4


def test_unmanaged_gpus_are_what_the_node_has() -> None:
    job = job_of("#SBATCH -c 4")
    free = ClusterProfile(partitions=PROFILE.partitions, default_partition="gpu",
                          gpus_managed=False)
    got = srun.layout(job, steps.batch_env(job), None, False, free)
    assert got.gpus_visible == 8


@pytest.mark.parametrize(("value", "count"), [
    ("0,1,2,3", 4), ("4,5", 6), ("", 0), ("-1", 0), ("GPU-8f1c,GPU-9a2b", 2), ("0", 1)])
def test_cuda_visible_devices_counts(value: str, count: int) -> None:
    assert srun.cvd_count(value) == count
