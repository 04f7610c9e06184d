"""What ``scriptkeeper explain`` shows, as plain data: request, nodes, tasks, ranks (report stage).

Laid out from the job model and the launch steps the rules judge (no model of
its own): per node the tasks srun starts (block distribution, task ``t`` on
node ``t // tasks_per_node``), the GPUs each task sees, and the processes its
launcher starts with their ranks, from the step's world facts
(:mod:`scriptkeeper.body.world`). Without srun the batch shell runs the
command once, on the first node. The first node is laid out in full; the
others are summarised. The JSON format is this data
(docs/explain.md documents it); the picture draws it.
"""

from __future__ import annotations

from typing import Any

from scriptkeeper.model.jobmodel import JobModel, LaunchStep
from scriptkeeper.parse.header import ParsedScript
from scriptkeeper.records import Finding

SCHEMA_VERSION = 1
# past this many tasks on a node, the tasks in the middle are summarised in one row
TASKS_SHOWN = 16

_REQUEST = (  # (key, label, the options the value comes from)
    ("nodes", "nodes", ("nodes",)),
    ("tasks", "tasks", ("ntasks", "ntasks-per-node", "tasks-per-node", "ntasks-per-gpu")),
    ("cpus_per_task", "CPUs per task", ("cpus-per-task",)),
    ("gpus_per_node", "GPUs per node", ("gres", "gpus-per-node", "gpus", "gpus-per-task")),
    ("memory", "memory per node", ("mem", "mem-per-cpu", "mem-per-gpu")),
    ("time", "time limit", ("time",)),
    ("partition", "partition", ("partition",)),
    ("exclusive", "exclusive", ("exclusive",)),
)


def _memory(mb: int | None) -> str:
    if mb is None:
        return "partition default"
    return f"{mb // 1024} GB" if mb % 1024 == 0 else f"{mb} MB"


def _time(minutes: int | None) -> str:
    if minutes is None:
        return "partition default"
    days, rest = divmod(minutes, 24 * 60)
    text = f"{rest // 60:02d}:{rest % 60:02d}:00"
    return f"{days}-{text}" if days else text


def _request_value(key: str, job: JobModel) -> str:
    if key == "nodes":
        return str(job.nodes) if job.nodes == job.nodes_max else f"{job.nodes}-{job.nodes_max}"
    if key == "tasks":
        total = "not set" if job.ntasks is None else str(job.ntasks)
        return f"{total} ({job.tasks_per_node} per node)"
    if key == "cpus_per_task":
        return str(job.cpus_per_task)
    if key == "gpus_per_node":
        kind = f" {job.gpu_type}" if job.gpu_type else ""
        return f"{job.gpus_per_node}{kind}" if job.gpu_request else "none"
    if key == "memory":
        return _memory(job.mem_per_node_mb)
    if key == "time":
        return _time(job.time_minutes)
    if key == "partition":
        return job.partition or "cluster default"
    return "yes" if job.exclusive else "no"


def request(parsed: ParsedScript, job: JobModel) -> dict[str, Any]:
    """Each value of the allocation with the lines it comes from, and the directives that
    do not count (after the first command, or given again later)."""
    values = []
    for key, label, options in _REQUEST:
        sources = sorted((job.lines[o], f"--{o}" + ("" if job.options[o] is None
                                                    else f"={job.options[o]}"))
                         for o in options if o in job.lines)
        values.append({"key": key, "label": label, "value": _request_value(key, job),
                       "from": [{"line": line, "option": text} for line, text in sources]})
    applied = {(d.option, d.line) for d in parsed.directives if d.component == 0
               and job.lines.get(d.option) == d.line}
    ignored: list[dict[str, Any]] = [{"line": d.line, "written": f"#SBATCH {d.written}".strip(),
                "why": "after the first command: sbatch reads no directive there"}
               for d in parsed.ignored]
    ignored += [{"line": d.line, "written": f"#SBATCH {d.written}".strip(),
                 "why": f"given again on line {job.lines[d.option]}: the last one wins"}
                for d in parsed.directives if d.component == 0
                and (d.option, d.line) not in applied and d.option in job.lines]
    ignored.sort(key=lambda item: int(item["line"]))
    return {"values": values, "ignored": ignored}


def _task_gpus(step: LaunchStep, local: int) -> list[int] | None:
    """The node's GPUs task ``local`` sees (SLURM numbers them from 0 on each node)."""
    seen = step.gpus_visible
    if seen is None:
        return None
    if step.gpu_isolated:
        return list(range(local * seen, (local + 1) * seen))
    return list(range(seen))


def _rank(step: LaunchStep, task: int, proc: int) -> tuple[int | None, int]:
    """(rank, world) of process ``proc`` of global task ``task``: rank None when unknown."""
    procs = step.procs_per_task or 1
    if step.ranks_by == "task":
        return task, 0
    if step.ranks_by == "worker":
        if step.worlds == 1:
            return task * procs + proc, 0
        return proc, task
    if step.ranks_by == "alone":
        return 0, task * procs + proc
    return None, 0


def _gpu_used(step: LaunchStep, gpus: list[int] | None, local: int, proc: int,
              ) -> int | str | None:
    """The node GPU a process drives: its number, 'none' beyond the GPUs it sees, or None
    (cannot tell)."""
    if step.gpus_per_proc != 1 or gpus is None:
        return None
    # DDP takes the device of its local rank among the GPUs it sees
    index = local if step.ranks_by == "task" and not step.gpu_isolated else proc
    if step.ranks_by == "alone":
        index = 0
    return gpus[index] if index < len(gpus) else "none"


def _state(step: LaunchStep) -> str:
    if step.lightning_start_error:
        return "stops"
    if step.missing_peers:
        return "waits"
    return "runs"


def _node(step: LaunchStep, node: int, node_gpus: int, tasks_here: int) -> dict[str, Any]:
    """One node of a step in full: its tasks, their GPUs and processes, its idle GPUs."""
    per_node = step.tasks_per_node or 1
    procs = step.procs_per_task
    tasks = []
    used: set[int] = set()
    known = procs is not None and step.gpus_per_proc == 1
    shown = range(tasks_here) if tasks_here <= TASKS_SHOWN else \
        [*range(TASKS_SHOWN // 2), *range(tasks_here - TASKS_SHOWN // 2, tasks_here)]
    for local in range(tasks_here):
        task = node * per_node + local
        gpus = _task_gpus(step, local)
        processes = []
        for proc in range(procs or 0):
            rank, world = _rank(step, task, proc)
            gpu = _gpu_used(step, gpus, local, proc)
            if isinstance(gpu, int):
                used.add(gpu)
            elif gpu is None:
                known = False
            processes.append({"local": proc, "rank": rank, "world": world, "gpu": gpu,
                              "state": _state(step)})
        if local in shown:
            tasks.append({"task": task, "local": local, "gpus": gpus,
                          "cuda_visible_devices": None if gpus is None else
                          ",".join(map(str, gpus)),
                          "processes": processes if procs is not None else None})
    idle = [g for g in range(node_gpus) if g not in used] if known else None
    return {"node": node, "gpus": node_gpus, "tasks_count": tasks_here,
            "tasks": tasks, "tasks_hidden": tasks_here - len(tasks), "idle_gpus": idle}


def _evidence(step: LaunchStep) -> list[str]:
    found = []
    if step.entry:
        found.append(f"entry point {step.entry}" + ("" if step.entry_exists is not False
                                                     else " (not in the repository)"))
    if step.framework_version_assumed:
        found.append("no version pin found: the current release is assumed")
    if step.gpu_evidence:
        found.append(f"GPU use: {step.gpu_evidence}")
    if step.nproc_option:
        found.append(f"processes per task: {step.nproc_option}")
    if step.isolation_option:
        found.append(f"GPUs bound per task: {step.isolation_option}")
    if step.cvd_value:
        again = "; srun sets it again for each task" if step.srun else ""
        found.append(f"the script's CUDA_VISIBLE_DEVICES={step.cvd_value} (line "
                     f"{step.cvd_line}{again})")
    return found


def _lines(step: LaunchStep) -> tuple[int, ...]:
    """The lines a finding about this step may stand on: the step's own, then the
    directive or option lines the rules point at for it."""
    own = tuple(range(step.line, max(step.end_line, step.line) + 1))
    return own + tuple(n for n in (step.tasks_line, step.isolation_line, step.cvd_line,
                                   step.gpu_request_line) if n)


def by_step(steps: list[LaunchStep], findings: list[Finding], step_rules: frozenset[str]
            ) -> tuple[list[list[Finding]], list[Finding]]:
    """The findings of step rules under the first step whose lines they stand on; the rest
    (the script's, the request's) apart."""
    mine: list[list[Finding]] = [[] for _ in steps]
    rest: list[Finding] = []
    for finding in findings:
        owner = None
        if finding.rule in step_rules:
            owner = next((i for i, s in enumerate(steps)
                          if finding.line in range(s.line, max(s.end_line, s.line) + 1)), None)
            if owner is None:
                owner = next((i for i, s in enumerate(steps) if finding.line in _lines(s)),
                             None)
        if owner is None:
            rest.append(finding)
        else:
            mine[owner].append(finding)
    return mine, rest


def step_layout(step: LaunchStep, job: JobModel, number: int,
                findings: list[Finding]) -> dict[str, Any]:
    """One launch step: what starts, where, with which ranks, and what the rules say of it."""
    nodes = (step.nodes or job.nodes) if step.srun else 1
    per_node = step.tasks_per_node if step.srun else 1
    total = step.tasks_total if step.srun else 1
    node_gpus = max(job.gpus_per_node, step.gpus_visible or 0) if job.gpu_request else \
        (step.gpus_visible or 0)
    laid: list[dict[str, Any]] = []
    rest: dict[str, Any] | None = None
    if per_node is not None and total is not None:
        first = min(per_node, total)
        laid.append(_node(step, 0, node_gpus, first))
        if nodes > 1:
            others = total - first
            rest = {"nodes": nodes - 1, "tasks": others,
                    "processes": None if step.procs_per_task is None else
                    others * step.procs_per_task,
                    "ranks": _rest_ranks(step, first, total)}
    idle_nodes = max(job.nodes - nodes, 0)
    return {
        "step": number, "line": step.line, "end_line": step.end_line,
        "launch": step.launch_text, "srun": step.srun, "launcher": step.launcher,
        "spawner": step.spawner,
        "nodes": nodes, "tasks_per_node": per_node, "tasks": total,
        "procs_per_task": step.procs_per_task,
        "framework": step.framework, "framework_label": step.framework_label,
        "framework_version": step.framework_version,
        "version_assumed": step.framework_version_assumed,
        "evidence": _evidence(step),
        "slurm_ntasks": step.slurm_ntasks,
        "world_size": step.world_size, "worlds": step.worlds, "ranks_by": step.ranks_by,
        "missing_peers": step.missing_peers, "wait_message": step.wait_message,
        "start_error": step.lightning_start_error,
        "effect": step.tasks_effect,
        "node_detail": laid, "other_nodes": rest, "nodes_without_step": idle_nodes,
        "findings": [f.as_json() for f in findings],
    }


def _rest_ranks(step: LaunchStep, first: int, total: int) -> str | None:
    """The ranks on the nodes after the first, as 'A-B' (None when not one world)."""
    procs = step.procs_per_task
    if step.worlds != 1 or procs is None or step.ranks_by not in ("task", "worker"):
        return None
    low = first if step.ranks_by == "task" else first * procs
    high = total - 1 if step.ranks_by == "task" else total * procs - 1
    return f"{low}-{high}" if high > low else str(low)


def explanation(path: str, parsed: ParsedScript, job: JobModel, steps: list[LaunchStep],
                findings: list[Finding], step_rules: frozenset[str] = frozenset()
                ) -> dict[str, Any]:
    """Everything ``explain`` shows for one script; ``step_rules``: the rules judged per
    launch step (their findings go under the step)."""
    per_step, rest = by_step(steps, findings, step_rules)
    return {
        "schema_version": SCHEMA_VERSION,
        "script": path,
        "job_name": job.name,
        "refused": parsed.refused,
        "request": request(parsed, job),
        "allocation": {"nodes": job.nodes, "nodes_max": job.nodes_max,
                       "tasks": job.ntasks, "tasks_per_node": job.tasks_per_node,
                       "cpus_per_task": job.cpus_per_task, "gpus_per_node": job.gpus_per_node,
                       "gpu_type": job.gpu_type, "mem_per_node_mb": job.mem_per_node_mb,
                       "time_minutes": job.time_minutes, "partition": job.partition,
                       "exclusive": job.exclusive},
        "steps": [step_layout(s, job, i, mine)
                  for i, (s, mine) in enumerate(zip(steps, per_step, strict=True), 1)],
        "script_findings": [f.as_json() for f in rest],
        "findings": [f.as_json() for f in findings],
    }
