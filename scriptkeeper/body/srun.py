"""What SLURM gives one launch line: tasks, nodes, GPUs and SLURM_* variables (model stage).

A line without srun runs once, in the batch shell on the first node, with
the batch environment. An srun line starts tasks the way srun resolves its
options inside an allocation (reproduced on SLURM 22.05, see
``.ci/slurm/README.md`` and ``tests/body/test_srun_cluster.py``):

- srun reads ``SLURM_NTASKS`` (or ``SLURM_NPROCS``) and
  ``SLURM_NTASKS_PER_NODE`` from its environment like ``-n`` and
  ``--ntasks-per-node``; its own options win.
- ``--ntasks-per-node=T`` with a task count ``n`` that T x nodes cannot hold
  is ignored with a warning ("can't honor --ntasks-per-node"): still ``n``
  tasks. Inside a job with ``--ntasks-per-node=8``, ``srun
  --ntasks-per-node=1`` alone starts 8 tasks.
- With no task count at all, srun starts one task per node.
- A step gets all the job's GPUs on its node unless it asks otherwise;
  ``--gpus-per-task``, ``--gpu-bind`` and ``--ntasks-per-gpu`` (the job's
  or the step's) bind each task to its own GPUs; ``--gres=none`` gives none;
  SLURM sets ``CUDA_VISIBLE_DEVICES`` for a step with GPUs, overriding the
  script's. An ``--exclusive`` job without a GPU request: the batch shell
  sees every GPU of the node, an srun step none.

The SLURM facts relied on here: docs/launch-contracts.md §2.3, §2.5 and §2.6.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

from scriptkeeper.body.shell import UNKNOWN, Env, as_int
from scriptkeeper.model.build import JobModel
from scriptkeeper.model.cluster_profile import ClusterProfile
from scriptkeeper.parse.c_numbers import LONG_MAX, clamped
from scriptkeeper.parse.value_grammar import ValueProblem, parse_gpus, parse_gres, parse_nodes


class Layout(NamedTuple):
    """Tasks, nodes and GPUs of one launch line, and what its processes see.

    (A NamedTuple, not a frozen dataclass: that one's ``__init__`` sets each of the
    twelve fields through ``object.__setattr__``, for every launch line.)
    """

    srun: bool
    tasks_total: int | None
    tasks_per_node: int | None
    nodes: int | None
    slurm_ntasks: int | None  # SLURM_NTASKS the process sees; 0: not set
    slurm_ntasks_per_node: int | None  # SLURM_NTASKS_PER_NODE; 0: not set
    slurm_nnodes: int | None
    job_name: str | None
    gpus_visible: int | None  # GPUs each task sees
    gpu_isolated: bool  # each task bound to its own GPUs
    isolation_option: str  # the option that binds them ("--gpus-per-task=1")
    step_gpu_request: bool  # the srun line asks for GPUs itself


def _env_int(env: Env, name: str) -> int | None:
    """A variable's value as a number: 0 when not set, None when unknown."""
    var = env.get(name)
    if var is None:
        return None
    if not var.is_set:
        return 0
    return as_int(var.value)


def _opt_int(options: dict[str, str | None], name: str) -> int | None:
    value = options.get(name)
    number = as_int(value)
    return number if number is not None and number > 0 else None


def _known(value: str | None) -> bool:
    return value is not None and UNKNOWN not in value


def user_cvd(env: Env) -> tuple[int | None, int, str] | None:
    """The CUDA_VISIBLE_DEVICES the script set: (GPUs it names, line, value), or None."""
    var = env.get("CUDA_VISIBLE_DEVICES")
    if var is None or var.line == 0:
        return None
    if not var.is_set:
        return None
    if var.value is None:
        return None, var.line, UNKNOWN
    return cvd_count(var.value), var.line, var.value


@functools.lru_cache(maxsize=1024)
def cvd_count(value: str) -> int | None:
    """How many GPUs a CUDA_VISIBLE_DEVICES value makes a process need (ids count from 0)."""
    if UNKNOWN in value:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        return 0
    if any(v.startswith("-") for v in items):
        return 0
    if all(v.isascii() and v.isdigit() for v in items):
        # read in bounded work: an index of thousands of digits is just more than any node
        return max(len(items), max(clamped(v, LONG_MAX) for v in items) + 1)
    return len(items)  # UUIDs or MIG names


def _bind_count(value: str) -> tuple[bool, int | None]:
    """(binds each task, GPUs per task) for a --gpu-bind value."""
    parts = [p for p in value.split(",") if p and p not in ("verbose", "quiet")]
    if not parts or parts[0].startswith("none"):
        return False, None
    kind = parts[0]
    if kind.startswith(("single:", "map_gpu:", "map:")):
        return True, 1
    if kind.startswith("per_task:"):
        return True, as_int(kind.split(":", 1)[1])
    return True, None


def _step_gpus(options: dict[str, str | None], job: JobModel, nodes: int | None
               ) -> tuple[bool, int | None, bool, str]:
    """(the step asks for GPUs itself, GPUs per node or task, isolated, option)."""
    try:
        gres = options.get("gres")
        if gres is not None:
            if not _known(gres):
                return True, None, False, f"--gres={gres}"
            if gres.strip() == "none":
                return True, 0, False, "--gres=none"
            gpu = parse_gres(gres).get("gpu")
            return True, (gpu.count if gpu else 0), False, f"--gres={gres}"
        per_task = options.get("gpus-per-task")
        if per_task is not None:
            if not _known(per_task):
                return True, None, True, "--gpus-per-task"
            return True, parse_gpus(per_task).count, True, f"--gpus-per-task={per_task}"
        per_node = options.get("gpus-per-node")
        if per_node is not None:
            if not _known(per_node):
                return True, None, False, "--gpus-per-node"
            return True, parse_gpus(per_node).count, False, f"--gpus-per-node={per_node}"
        total = options.get("gpus")
        if total is not None:
            if not _known(total) or nodes is None:
                return True, None, False, "--gpus"
            return True, -(-parse_gpus(total).count // max(nodes, 1)), False, \
                f"--gpus={total}"
    except ValueProblem:
        return True, None, False, ""
    return False, None, False, ""


def _tasks(options: dict[str, str | None] | None, env: Env, job: JobModel, unknown: bool
           ) -> tuple[int | None, int | None, int | None, int | None]:
    """(tasks, tasks per node, nodes, SLURM_NTASKS_PER_NODE) of an srun line."""
    if unknown or options is None:
        return None, None, None, None
    n_env = _env_int(env, "SLURM_NTASKS")
    if n_env == 0:
        n_env = _env_int(env, "SLURM_NPROCS")
    t_env = _env_int(env, "SLURM_NTASKS_PER_NODE")
    nodes_env = _env_int(env, "SLURM_NNODES")
    if nodes_env is None or nodes_env == 0:
        nodes_env = job.nodes if job.nodes == job.nodes_max else None
    if "tasks-per-node" in options and "ntasks-per-node" not in options:
        options = {**options, "ntasks-per-node": options["tasks-per-node"]}  # srun's alias
    n = _opt_int(options, "ntasks") if "ntasks" in options else n_env
    t = _opt_int(options, "ntasks-per-node") if "ntasks-per-node" in options else t_env
    nodes: int | None = nodes_env
    if "nodes" in options:
        value = options["nodes"]
        try:
            nodes = parse_nodes(value)[0] if _known(value) and value else None
        except ValueProblem:
            nodes = None
    # srun -N 0 inside an allocation: not worked out here (and no division by it)
    if n is None or t is None or not nodes:
        return None, None, None, None
    explicit_t = "ntasks-per-node" in options
    if n > 0:
        if nodes > n:
            nodes = n
        if t > 0 and t * nodes < n:
            t_seen = t_env if explicit_t else t  # srun ignores its own --ntasks-per-node
            return n, -(-n // nodes), nodes, t_seen
        per_node = -(-n // nodes)
        if t > 0:
            per_node = min(per_node, t)
        return n, per_node, nodes, t
    if t > 0:
        return t * nodes, t, nodes, t
    return nodes, 1, nodes, t


def layout(job: JobModel, env: Env, srun_options: dict[str, str | None] | None,
           srun_unknown: bool, cluster: ClusterProfile | None) -> Layout:
    """Tasks, nodes and GPUs of a launch line run with the variables ``env``."""
    managed = cluster is None or cluster.gpus_managed
    part_gpus = job.partition_profile.gpus_per_node if job.partition_profile else None
    name_var = env.get("SLURM_JOB_NAME")
    job_name: str | None = job.name if name_var is None else name_var.value
    if job_name is not None and UNKNOWN in job_name:
        job_name = None
    cvd = user_cvd(env)

    if srun_options is None:
        # the batch shell: one process on the first node
        if not managed:
            visible = cvd[0] if cvd is not None else part_gpus
        elif job.gpu_request:
            visible = job.gpus_per_node
            if job.exclusive and part_gpus:  # the whole node's GPUs, asked or not (§2.3)
                visible = max(visible, part_gpus)
            if cvd is not None:
                count = cvd[0]
                visible = count if count is not None and count <= visible else None
        elif job.exclusive:
            visible = part_gpus
        else:
            visible = 0
        nnodes = _env_int(env, "SLURM_NNODES")
        return Layout(
            srun=False, tasks_total=1, tasks_per_node=1, nodes=1,
            slurm_ntasks=_env_int(env, "SLURM_NTASKS"),
            slurm_ntasks_per_node=_env_int(env, "SLURM_NTASKS_PER_NODE"),
            slurm_nnodes=nnodes if nnodes else (job.nodes if job.nodes == job.nodes_max
                                                else None),
            job_name=job_name, gpus_visible=visible, gpu_isolated=False,
            isolation_option="", step_gpu_request=False)

    tasks, per_node, nodes, t_seen = _tasks(srun_options, env, job, srun_unknown)
    if "job-name" in srun_options:
        job_name = srun_options["job-name"]
        if not _known(job_name):
            job_name = None
    asked, step_count, isolated, option = _step_gpus(srun_options, job, nodes)
    if srun_unknown:
        asked, step_count = True, None
    if not asked:
        # inherited from the job
        if job.gpus_per_task is not None:
            isolated, step_count = True, job.gpus_per_task
            option = f"--gpus-per-task={job.options.get('gpus-per-task')}"
        elif job.options.get("ntasks-per-gpu") is not None:
            isolated, step_count = True, 1
            option = f"--ntasks-per-gpu={job.options.get('ntasks-per-gpu')}"
        elif job.gpu_request:
            step_count = job.gpus_per_node
        else:
            step_count = 0
    bind = srun_options.get("gpu-bind") or job.options.get("gpu-bind")
    if bind is not None and _known(bind):
        binds, per_task = _bind_count(bind)
        if not binds and isolated and bind.split(",")[0].startswith("none"):
            # an explicit --gpu-bind=none undoes the binding --gpus-per-task adds: the tasks
            # get no CUDA_VISIBLE_DEVICES, and what they see is up to the node's cgroups (§2.6)
            isolated, option, step_count = False, f"--gpu-bind={bind}", None
        if binds:
            isolated = True
            option = f"--gpu-bind={bind}"
            if per_task is not None:
                step_count = per_task if step_count is None else min(step_count, per_task)
            elif not (asked and "gpus-per-task" in srun_options):
                step_count = None
    elif bind is not None:
        isolated, step_count, option = True, None, "--gpu-bind"
    if not managed:
        step_count = cvd[0] if cvd is not None else part_gpus
        isolated = False
    slurm_nnodes = nodes
    return Layout(
        srun=True, tasks_total=tasks, tasks_per_node=per_node, nodes=nodes,
        slurm_ntasks=tasks, slurm_ntasks_per_node=t_seen, slurm_nnodes=slurm_nnodes,
        job_name=job_name, gpus_visible=step_count, gpu_isolated=isolated,
        isolation_option=option, step_gpu_request=asked)
