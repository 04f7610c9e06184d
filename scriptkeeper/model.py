"""The job model: what SLURM will allocate and what each task will see (model stage).

Built from the directives sbatch applies (never from the ones it ignores),
with values normalised: memory in MB, time in minutes, long option names.
``ntasks`` is what ``SLURM_NTASKS`` will be in the batch environment, or
None when SLURM will not set it; likewise ``ntasks_per_node``. Rules read
this model through the names ``job``, ``step`` and ``cluster``.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from typing import Any

from .directives import Directive, ParsedScript
from .profile import ClusterProfile, PartitionProfile
from .validate import last_values
from .values import ValueProblem, parse_gpus, parse_gres, parse_memory, parse_nodes, parse_time


def _int(d: Directive | None) -> int | None:
    if d is None or d.value is None:
        return None
    try:
        value = int(d.value.strip())
    except ValueError:
        return None
    return value if value > 0 else None


@dataclass(frozen=True)
class ScriptInfo:
    """The script itself, for rules: its repository-relative path and file name."""

    path: str
    name: str


@dataclass(frozen=True)
class LaunchStep:
    """One launch step of the body: what starts how many processes on which GPUs.

    Filled by the launch analysis (``scriptkeeper.launch``). ``None`` means
    unknown (built from something the analysis cannot follow): rules must
    not judge unknowns.
    """

    line: int
    text: str
    srun: bool = False
    srun_options: dict[str, str | None] = field(default_factory=dict)
    launcher: str = "other"  # python, torchrun, accelerate, deepspeed, mpirun, horovodrun, other
    tasks_per_node: int | None = 1  # tasks srun starts per node (1 without srun)
    tasks_total: int | None = 1
    nodes: int | None = 1
    procs_per_task: int | None = 1  # processes each task's launcher starts
    procs_per_node: int | None = 1
    gpus_visible: int | None = None  # GPUs each task sees
    entry: str | None = None
    entry_exists: bool | None = None
    framework: str | None = None  # lightning, fabric, accelerate, deepspeed, horovod, torch
    framework_version: str | None = None
    framework_version_assumed: bool = False
    devices: int | None = None  # devices the framework will use per node
    uses_gpu: bool = False
    standalone: bool = False
    mpi_np: int | None = None
    early_rank_var: str | None = None
    in_background: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class JobModel:
    """The allocation one job script asks for, as SLURM will read it."""

    name: str
    options: dict[str, str | None]
    lines: dict[str, int]
    partition: str | None
    account: str | None
    nodes: int
    nodes_max: int
    ntasks: int | None  # SLURM_NTASKS, None when SLURM will not set it
    ntasks_per_node: int | None  # SLURM_NTASKS_PER_NODE, likewise
    tasks_per_node: int  # tasks srun starts on each node by default
    cpus_per_task: int
    cpus_per_node: int
    mem_per_node_mb: int | None  # None: the partition default
    gpus_per_node: int
    gpu_type: str | None
    gpus_per_task: int | None
    gpu_request: bool
    gpu_request_line: int
    time_minutes: int | None
    exclusive: bool
    ignored_options: tuple[str, ...]
    components: int
    partition_profile: PartitionProfile | None
    partition_known: bool
    exceeds: tuple[str, ...] = ()
    exceeds_line: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def exceeds_text(self) -> str:
        return "; ".join(self.exceeds)

    @property
    def partition_line(self) -> int:
        return self.lines.get("partition", 1)

    @property
    def task_line(self) -> int:
        for option in ("ntasks", "ntasks-per-node"):
            if option in self.lines:
                return self.lines[option]
        return self.lines.get("nodes", 1)


def _gpus(final: dict[str, Directive], nodes: int, tasks_per_node: int
          ) -> tuple[int, str | None, int | None, bool, int]:
    per_node = 0
    gtype: str | None = None
    per_task: int | None = None
    line = 0
    request = False
    try:
        gres = final.get("gres")
        if gres is not None and gres.value is not None:
            gpu = parse_gres(gres.value).get("gpu")
            if gpu is not None and gpu.count > 0:
                per_node, gtype, request, line = gpu.count, gpu.type, True, gres.line
        d = final.get("gpus-per-node")
        if d is not None and d.value is not None and parse_gpus(d.value).count > 0:
            g = parse_gpus(d.value)
            per_node, gtype, request, line = g.count, g.type or gtype, True, d.line
        d = final.get("gpus")
        if d is not None and d.value is not None and parse_gpus(d.value).count > 0:
            g = parse_gpus(d.value)
            per_node = max(per_node, math.ceil(g.count / max(nodes, 1)))
            gtype, request, line = g.type or gtype, True, d.line
        d = final.get("gpus-per-task")
        if d is not None and d.value is not None and parse_gpus(d.value).count > 0:
            g = parse_gpus(d.value)
            per_task = g.count
            per_node = max(per_node, g.count * tasks_per_node)
            gtype, request, line = g.type or gtype, True, d.line
    except ValueProblem:
        pass
    return per_node, gtype, per_task, request, line


def build(parsed: ParsedScript, path_name: str, profile: ClusterProfile | None) -> JobModel:
    """The job model of the first (or only) component of a parsed script."""
    final = last_values(parsed.directives, 0)
    options = {k: d.value for k, d in final.items()}
    lines = {k: d.line for k, d in final.items()}
    name = options.get("job-name") or path_name

    nodes, nodes_max = 1, 1
    if "nodes" in final and final["nodes"].value:
        with contextlib.suppress(ValueProblem):
            nodes, nodes_max = parse_nodes(final["nodes"].value)
    nodes = max(nodes, 1)  # --nodes=0 is accepted and runs on one node
    n = _int(final.get("ntasks"))
    t = _int(final.get("ntasks-per-node"))
    per_gpu = _int(final.get("ntasks-per-gpu"))
    cpus_per_task = _int(final.get("cpus-per-task")) or 1

    if n is not None:
        ntasks: int | None = n
        tasks_per_node = math.ceil(n / nodes)
        if t is not None:
            tasks_per_node = min(tasks_per_node, t)
    elif t is not None:
        ntasks = t * nodes
        tasks_per_node = t
    else:
        ntasks = None
        tasks_per_node = 1

    gpus_per_node, gtype, gpus_per_task, gpu_request, gpu_line = _gpus(final, nodes,
                                                                        tasks_per_node)
    if per_gpu is not None and n is None and gpus_per_node:
        tasks_per_node = per_gpu * gpus_per_node
        ntasks = tasks_per_node * nodes

    mem: int | None = None
    try:
        if final.get("mem") is not None and final["mem"].value is not None:
            mem = parse_memory(final["mem"].value)
        elif final.get("mem-per-cpu") is not None and final["mem-per-cpu"].value is not None:
            mem = parse_memory(final["mem-per-cpu"].value) * cpus_per_task * tasks_per_node
        elif final.get("mem-per-gpu") is not None and final["mem-per-gpu"].value is not None:
            mem = parse_memory(final["mem-per-gpu"].value) * max(gpus_per_node, 1)
    except ValueProblem:
        mem = None

    time_minutes: int | None = None
    if final.get("time") is not None and final["time"].value is not None:
        try:
            time_minutes = parse_time(final["time"].value)
        except ValueProblem:
            time_minutes = None

    partition = options.get("partition")
    part_profile: PartitionProfile | None = None
    known = True
    if profile is not None:
        part_profile, known = profile.lookup(partition)

    cpus_per_node = tasks_per_node * cpus_per_task
    exceeds: list[str] = []
    exceeds_lines: list[int] = []

    def over(text: str, *options: str) -> None:
        exceeds.append(text)
        found = [lines[o] for o in options if o in lines]
        exceeds_lines.append(max(found) if found else 1)

    if part_profile is not None:
        if part_profile.cpus_per_node and cpus_per_node > part_profile.cpus_per_node:
            over(f"{cpus_per_node} CPUs per node ({tasks_per_node} tasks x {cpus_per_task} "
                 f"CPUs per task) but a node has {part_profile.cpus_per_node}",
                 "cpus-per-task", "ntasks-per-node", "ntasks")
        # Lower bounds the controller also checks (seen on 22.05: refused with "Requested
        # node configuration is not available"): --mincpus, and --cpus-per-gpu times the
        # GPUs one node must hold (per-node GPU requests, or --gpus over given --nodes).
        mincpus = _int(final.get("mincpus"))
        if part_profile.cpus_per_node and mincpus and mincpus > part_profile.cpus_per_node:
            over(f"at least {mincpus} CPUs per node (--mincpus) but a node has "
                 f"{part_profile.cpus_per_node}", "mincpus")
        per_gpu_cpus = _int(final.get("cpus-per-gpu"))
        gpus_on_one_node = gpus_per_node if ("gres" in final or "gpus-per-node" in final
                                             or "nodes" in final) else 0
        if (part_profile.cpus_per_node and per_gpu_cpus and gpus_on_one_node
                and per_gpu_cpus * gpus_on_one_node > part_profile.cpus_per_node):
            over(f"{per_gpu_cpus * gpus_on_one_node} CPUs per node ({gpus_on_one_node} GPUs x "
                 f"{per_gpu_cpus} CPUs per GPU) but a node has {part_profile.cpus_per_node}",
                 "cpus-per-gpu", "gres", "gpus-per-node", "gpus")
        if part_profile.gpus_per_node is not None and gpus_per_node > part_profile.gpus_per_node:
            over(f"{gpus_per_node} GPUs per node but a node has {part_profile.gpus_per_node}",
                 "gres", "gpus", "gpus-per-node", "gpus-per-task")
        if (gtype and part_profile.gpu_types and gtype not in part_profile.gpu_types
                and gpu_request):
            over(f"GPU type '{gtype}' but the nodes have {', '.join(part_profile.gpu_types)}",
                 "gres", "gpus", "gpus-per-node", "gpus-per-task")
        if profile is not None and profile.gres_types:
            gres_d = final.get("gres")
            try:
                names = parse_gres(gres_d.value) if gres_d and gres_d.value else {}
            except ValueProblem:
                names = {}
            for gres_name in names:
                if gres_name not in profile.gres_types:
                    over(f"generic resource '{gres_name}', which the cluster does not have "
                         f"(it has {', '.join(profile.gres_types)})", "gres")
        if mem and part_profile.mem_per_node_mb and mem > part_profile.mem_per_node_mb:
            over(f"{mem} MB of memory per node but a node has "
                 f"{part_profile.mem_per_node_mb} MB", "mem", "mem-per-cpu", "mem-per-gpu")

    return JobModel(
        name=name or "",
        options=options,
        lines=lines,
        partition=partition,
        account=options.get("account"),
        nodes=nodes,
        nodes_max=nodes_max,
        ntasks=ntasks,
        ntasks_per_node=t,
        tasks_per_node=tasks_per_node,
        cpus_per_task=cpus_per_task,
        cpus_per_node=cpus_per_node,
        mem_per_node_mb=mem,
        gpus_per_node=gpus_per_node,
        gpu_type=gtype,
        gpus_per_task=gpus_per_task,
        gpu_request=gpu_request,
        gpu_request_line=gpu_line,
        time_minutes=time_minutes,
        exclusive="exclusive" in final,
        ignored_options=tuple(d.option for d in parsed.ignored),
        components=parsed.components,
        partition_profile=part_profile,
        partition_known=known,
        exceeds=tuple(exceeds),
        exceeds_line=exceeds_lines[0] if exceeds_lines else 1,
    )
