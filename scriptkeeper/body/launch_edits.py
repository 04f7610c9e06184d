"""The edits that fix a launch step's layout (judge stage, for ``scriptkeeper fix``).

Beside the launch analysis (``body/steps.py``), which says which task layout
fits a launcher (``LaunchStep.tasks_fix``, and as numbers
``fix_tasks_per_node``/``fix_drop_ntasks``): these functions write that
layout into the #SBATCH lines and put ``srun`` on a launch line. Each returns
None when the edit is not certainly the one the message names (the layout set
on the srun line itself, a launch line that is not a plain command). Whether
the fix is safe or unsafe is declared in rules.yaml.
"""

from __future__ import annotations

import re

from scriptkeeper.fix.source import (
    EditMaker,
    Origin,
    ScriptSource,
    replace_line,
    rewrite_option,
)
from scriptkeeper.model.build import JobModel, LaunchStep
from scriptkeeper.parse.directive import Directive
from scriptkeeper.records import Edit

# a plain command: indentation, then NAME=VALUE words, then the command itself
_PLAIN = re.compile(r"([ \t]*)((?:[A-Za-z_][A-Za-z0-9_]*=[^\s'\"`$;&|()]*[ \t]+)*)")
_TASK_OPTIONS = ("ntasks", "ntasks-per-node")
# options of the launcher that set its processes per node, by launcher
_NPROC = {"torchrun": r"--nproc[_-]per[_-]node", "deepspeed": r"--num[_-]gpus"}


def _step(origin: Origin) -> LaunchStep | None:
    return origin if isinstance(origin, LaunchStep) else None


def srun_prefix(source: ScriptSource, step: LaunchStep) -> Edit | None:
    """``srun`` before the command of the step's line (after its NAME=VALUE words)."""
    line = source.line(step.line)
    first = step.command.split(" ", 1)[0]
    if not first or "$?" in first:
        return None
    plain = _PLAIN.match(line)
    assert plain is not None  # the pattern matches the empty prefix
    rest = line[plain.end():]
    if not re.match(re.escape(first) + r"(\s|$)", rest):
        return None
    return replace_line(step.line, line[:plain.end()] + "srun " + rest)


def add_srun(source: ScriptSource, origin: Origin, job: JobModel | None
             ) -> tuple[Edit, ...] | None:
    step = _step(origin)
    if step is None or step.srun:
        return None
    edit = srun_prefix(source, step)
    return None if edit is None else (edit,)


def task_layout(source: ScriptSource, origin: Origin, job: JobModel | None
                ) -> tuple[Edit, ...] | None:
    """The layout ``tasks_fix`` names written into the #SBATCH lines: ``--ntasks-per-node``
    set (in place of ``--ntasks`` when the fix drops it) with ``--cpus-per-task`` scaled so
    that a node keeps the CPUs it had, or the GPUs per node raised to the tasks; and
    ``srun`` on the launch line when an srun-managed framework has none."""
    step = _step(origin)
    if step is None or job is None or (step.fix_tasks_per_node <= 0
                                       and step.fix_gpus_per_node <= 0):
        return None
    if any(name in step.srun_options for name in ("ntasks", "ntasks-per-node", "nodes")):
        return None  # the srun line sets the layout: not an #SBATCH edit
    if source.parsed.components > 1:
        return None
    component = [d for d in source.parsed.directives if d.component == 0]
    edits = (_gpu_request(source, component, step.fix_gpus_per_node)
             if step.fix_gpus_per_node > 0 else _tasks(source, component, step, job))
    if edits is None or len({e.line for e in edits}) != len(edits):
        return None  # not found, or two changes on one line: left to a person
    if not step.srun and (step.lightning_slurm or step.slurm_driven):
        edit = srun_prefix(source, step)
        if edit is None:
            return None
        edits.append(edit)
    return tuple(edits)


def _tasks(source: ScriptSource, component: list[Directive], step: LaunchStep,
           job: JobModel) -> list[Edit] | None:
    ntasks = [d for d in component if d.option == "ntasks"]
    per_node = [d for d in component if d.option == "ntasks-per-node"]
    new = step.fix_tasks_per_node
    wanted = f"--ntasks-per-node={new}"
    edits: list[Edit | None] = []
    if per_node:
        *earlier, last = per_node
        if earlier:
            return None
        edits.append(rewrite_option(source, last, wanted))
        drop = ntasks if step.fix_drop_ntasks else []
    elif ntasks:
        *drop, last = ntasks
        edits.append(rewrite_option(source, last, wanted))
    else:
        return None  # no task directive to change: where one goes is a choice
    edits.extend(rewrite_option(source, d, "") for d in drop)
    # the CPUs a node had stay: 1 task x 128 CPUs becomes 8 tasks x 16
    old = job.ntasks_per_node or (job.ntasks // max(job.nodes, 1) if job.ntasks else 0)
    cpus = [d for d in component if d.option == "cpus-per-task"]
    if cpus and old and old != new and (old * job.cpus_per_task) % new == 0:
        per_task = old * job.cpus_per_task // new
        edits.append(rewrite_option(source, cpus[-1], f"--cpus-per-task={per_task}"))
    if any(e is None for e in edits):
        return None
    return [e for e in edits if e is not None]


def _gpu_request(source: ScriptSource, component: list[Directive], gpus: int
                 ) -> list[Edit] | None:
    """The one GPU request's count set to ``gpus`` per node (its type kept)."""
    requests = [d for d in component
                if d.option in ("gres", "gpus-per-node", "gpus", "gpus-per-task")]
    d = requests[0] if len(requests) == 1 else None
    if d is None or d.value is None or d.option in ("gpus", "gpus-per-task"):
        return None  # none, several, or not counted per node
    written = d.value
    if d.option == "gres":
        items = written.split(",")
        gpu = [i for i, item in enumerate(items) if item.split(":")[0] == "gpu"]
        if len(gpu) != 1:
            return None
        parts = items[gpu[0]].split(":")
        if len(parts) > 1 and parts[-1].isdigit():
            parts[-1] = str(gpus)
        else:
            parts.append(str(gpus))
        items[gpu[0]] = ":".join(parts)
        value = ",".join(items)
    else:
        parts = written.split(":")
        if not parts[-1].isdigit():
            return None
        value = ":".join([*parts[:-1], str(gpus)])
    edit = rewrite_option(source, d, f"--{d.option}={value}")
    return None if edit is None else [edit]


def fewer_processes(source: ScriptSource, origin: Origin, job: JobModel | None
                    ) -> tuple[Edit, ...] | None:
    """The launcher's processes per node lowered to the GPUs its processes see."""
    step = _step(origin)
    if step is None or not step.gpus_visible or step.procs_per_task is None:
        return None
    pattern = _NPROC.get(step.launcher)
    if pattern is None:
        return None
    option = re.compile(r"(?<=\s)(" + pattern + r"(?:=|[ \t]+))" + str(step.procs_per_task)
                        + r"(?=\s|$)")
    found: list[tuple[int, str, re.Match[str]]] = []
    for number in range(step.line, max(step.end_line, step.line) + 1):
        line = source.line(number)
        found.extend((number, line, m) for m in option.finditer(line))
    if len(found) != 1:
        return None
    number, line, m = found[0]
    return (replace_line(number, line[:m.start()] + m.group(1) + str(step.gpus_visible)
                         + line[m.end():]),)


#: rule name -> its edit (rules/edit_table.py names this module for them)
EDITS: dict[str, EditMaker] = {
    "missing-srun": add_srun,
    "lightning-single-process": task_layout,
    "ntasks-without-per-node": task_layout,
    "ntasks-launcher-mismatch": task_layout,
    "nproc-exceeds-gpus": fewer_processes,
}
