"""The job model: what SLURM will allocate and what each task will see (model stage).

Built from the directives sbatch applies (never from the ones it ignores),
with values normalised: memory in MB, time in minutes, long option names.
``ntasks`` is what ``SLURM_NTASKS`` will be in the batch environment, or
None when SLURM will not set it; likewise ``ntasks_per_node``. Rules read
this model through the names ``job``, ``step`` and ``cluster``.

The SLURM facts relied on here: docs/launch-contracts.md §1.10 and §2.2.
"""

from __future__ import annotations

from scriptkeeper.model.cluster_profile import ClusterProfile, PartitionProfile
from scriptkeeper.model.jobmodel import JobModel as JobModel
from scriptkeeper.model.jobmodel import LaunchStep as LaunchStep
from scriptkeeper.model.jobmodel import ScriptInfo as ScriptInfo
from scriptkeeper.model.jobmodel import new_frozen as new_frozen
from scriptkeeper.parse.directive import Directive
from scriptkeeper.parse.header import ParsedScript
from scriptkeeper.parse.validate import last_values
from scriptkeeper.parse.value_grammar import (
    ValueProblem,
    count_value,
    parse_gpus,
    parse_gres,
    parse_memory,
    parse_nodes,
    parse_time,
)


def _int(d: Directive | None) -> int | None:
    return None if d is None else count_value(d.value)


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
            per_node = max(per_node, -(-g.count // max(nodes, 1)))
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


def _gpus_one_node_needs(final: dict[str, Directive], nodes_max: int,
                         tasks_on_one_node: int) -> int:
    """GPUs one node must hold, whatever nodes SLURM picks (for request-exceeds-node).

    ``--gres=gpu:N`` and ``--gpus-per-node`` are per node; ``--gpus`` is the job's
    total, split over ``--nodes`` when given and over as many nodes as needed when
    not; ``--gpus-per-task`` comes with each task a node holds.
    """
    need = 0
    try:  # not contextlib.suppress: a context manager object for every script
        gres = final.get("gres")
        if gres is not None and gres.value is not None:
            gpu = parse_gres(gres.value).get("gpu")
            if gpu is not None:
                need = max(need, gpu.count)
        d = final.get("gpus-per-node")
        if d is not None and d.value is not None:
            need = max(need, parse_gpus(d.value).count)
        d = final.get("gpus")
        if d is not None and d.value is not None and "nodes" in final:
            need = max(need, -(-parse_gpus(d.value).count // max(nodes_max, 1)))
        d = final.get("gpus-per-task")
        if d is not None and d.value is not None:
            need = max(need, parse_gpus(d.value).count * tasks_on_one_node)
    except ValueProblem:
        pass
    return need


def build(parsed: ParsedScript, path_name: str, profile: ClusterProfile | None,
          final: dict[str, Directive] | None = None) -> JobModel:
    """The job model of the first (or only) component of a parsed script.

    ``final``: ``last_values(parsed.directives, 0)`` when the caller has it already.
    """
    if final is None:
        final = last_values(parsed.directives, 0)
    options = {k: d.value for k, d in final.items()}
    lines = {k: d.line for k, d in final.items()}
    name = options.get("job-name") or path_name

    nodes, nodes_max = 1, 1
    if "nodes" in final and final["nodes"].value:
        try:  # not contextlib.suppress: a context manager object for every script
            nodes, nodes_max = parse_nodes(final["nodes"].value)
        except ValueProblem:
            nodes, nodes_max = 1, 1
    nodes = max(nodes, 1)  # --nodes=0 is accepted and runs on one node
    n = _int(final.get("ntasks"))
    t = _int(final.get("ntasks-per-node"))
    per_gpu = _int(final.get("ntasks-per-gpu"))
    cpus_per_task = _int(final.get("cpus-per-task")) or 1

    if n is not None:
        ntasks: int | None = n
        tasks_per_node = -(-n // nodes)
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

    # What one node must hold. Without --nodes, SLURM gives a job as many nodes as its
    # --ntasks or its total --gpus need ("enough nodes to satisfy the requested
    # resources"): then only one task's share has to fit on a node. The profile does not
    # count a partition's nodes, so a job too big for all of them is left to
    # --sbatch-check (which says so when it disagrees).
    if n is not None and "nodes" not in final:
        one_node_tasks = 1
    elif n is not None:
        one_node_tasks = -(-n // max(nodes_max, 1))
        if t is not None:
            one_node_tasks = min(one_node_tasks, t)
    else:
        one_node_tasks = tasks_per_node
    one_node_gpus = _gpus_one_node_needs(final, nodes_max, one_node_tasks)
    one_node_cpus = one_node_tasks * cpus_per_task
    one_node_mem = mem
    if final.get("mem") is None or final["mem"].value is None:
        try:  # not contextlib.suppress: a context manager object for every script
            if final.get("mem-per-cpu") is not None and final["mem-per-cpu"].value is not None:
                one_node_mem = (parse_memory(final["mem-per-cpu"].value) * cpus_per_task
                                * one_node_tasks)
            elif final.get("mem-per-gpu") is not None and final["mem-per-gpu"].value is not None:
                one_node_mem = parse_memory(final["mem-per-gpu"].value) * max(one_node_gpus, 1)
        except ValueProblem:
            pass

    if part_profile is not None:
        if part_profile.cpus_per_node and one_node_cpus > part_profile.cpus_per_node:
            tasks = f"{one_node_tasks} task{'s' if one_node_tasks != 1 else ''}"
            over(f"{one_node_cpus} CPUs per node ({tasks} x {cpus_per_task} "
                 f"CPUs per task) but a node has {part_profile.cpus_per_node}",
                 "cpus-per-task", "ntasks-per-node", "ntasks")
        # Lower bounds the controller also checks (seen on 22.05: refused with "Requested
        # node configuration is not available"): --mincpus, and --cpus-per-gpu times the
        # GPUs one node must hold.
        mincpus = _int(final.get("mincpus"))
        if part_profile.cpus_per_node and mincpus and mincpus > part_profile.cpus_per_node:
            over(f"at least {mincpus} CPUs per node (--mincpus) but a node has "
                 f"{part_profile.cpus_per_node}", "mincpus")
        per_gpu_cpus = _int(final.get("cpus-per-gpu"))
        if (part_profile.cpus_per_node and per_gpu_cpus and one_node_gpus
                and per_gpu_cpus * one_node_gpus > part_profile.cpus_per_node):
            over(f"{per_gpu_cpus * one_node_gpus} CPUs per node ({one_node_gpus} GPUs x "
                 f"{per_gpu_cpus} CPUs per GPU) but a node has {part_profile.cpus_per_node}",
                 "cpus-per-gpu", "gres", "gpus-per-node", "gpus")
        if part_profile.gpus_per_node is not None and one_node_gpus > part_profile.gpus_per_node:
            over(f"{one_node_gpus} GPUs per node but a node has {part_profile.gpus_per_node}",
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
        if (one_node_mem and part_profile.mem_per_node_mb
                and one_node_mem > part_profile.mem_per_node_mb):
            over(f"{one_node_mem} MB of memory per node but a node has "
                 f"{part_profile.mem_per_node_mb} MB", "mem", "mem-per-cpu", "mem-per-gpu")

    return new_frozen(
        JobModel,
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
