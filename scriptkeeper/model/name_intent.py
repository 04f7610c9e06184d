"""What a job script's file name says it asks for, against the request (model stage).

A name such as ``train_4node_16gpu.slurm`` is its author's statement of intent.
Only explicit count tokens are read: ``<N>gpu``/``<N>gpus``, ``<N>node``/``<N>nodes``
and ``<N>n<M>g`` (N nodes of M GPUs each). Model sizes (``llama_7b``, ``gpt2_8b``),
GPU types (``a100``, ``v100``) and multipliers (``4x``) say nothing of the request
and are never read. A GPU count agrees with the request when it is the GPUs per node
or the job's total (``8gpu`` on 2 nodes of 4 agrees). The ``name-contradicts-request``
fact is made here; rules.yaml judges it.
"""

from __future__ import annotations

import re

from scriptkeeper.model.jobmodel import JobModel
from scriptkeeper.parse.value_grammar import ValueProblem, parse_gpus
from scriptkeeper.records import Fact
from scriptkeeper.rules import fact_kinds

FACTS = fact_kinds.declare(__name__, "name-contradicts-request")

# a count not glued to a longer number, then the unit, not followed by another letter
_GPUS = re.compile(r"(?<![0-9])([0-9]{1,4})[-_]?gpus?(?![a-z])")
_NODES = re.compile(r"(?<![0-9])([0-9]{1,4})[-_]?nodes?(?![a-z])")
_NODES_GPUS = re.compile(r"(?<![0-9a-z])([0-9]{1,4})n([0-9]{1,4})g(?:pus?)?(?![a-z])")


def _stem(name: str) -> str:
    """The name without its last suffix ('.slurm', '.sh'), in lower case."""
    stem, dot, _ = name.lower().rpartition(".")
    return stem if dot and stem else name.lower()


def stated(name: str) -> tuple[int | None, int | None, int | None]:
    """(nodes, GPUs in all or per node, GPUs per node) the file name states, each or None.

    Two different counts of the same unit in one name state nothing.
    """
    stem = _stem(name)
    nodes = {int(m.group(1)) for m in _NODES.finditer(stem)}
    gpus = {int(m.group(1)) for m in _GPUS.finditer(stem)}
    per_node = set()
    for m in _NODES_GPUS.finditer(stem):
        nodes.add(int(m.group(1)))
        per_node.add(int(m.group(2)))
    return (next(iter(nodes)) if len(nodes) == 1 else None,
            next(iter(gpus)) if len(gpus) == 1 else None,
            next(iter(per_node)) if len(per_node) == 1 else None)


def _job_gpus(job: JobModel) -> tuple[set[int], int | None]:
    """The GPU counts the request can be read as (per node, in all), and the total if known."""
    per_node = job.gpus_per_node if job.gpu_request else 0
    readings = {per_node}
    total: int | None = per_node * job.nodes if job.nodes == job.nodes_max else None
    gpus = job.options.get("gpus")
    if gpus:
        try:
            total = parse_gpus(gpus).count
        except ValueProblem:
            return set(), None
    if job.gpus_per_task and job.ntasks:
        total = job.gpus_per_task * job.ntasks
    if total is not None:
        readings.add(total)
    return readings, total


def facts(name: str, job: JobModel) -> list[Fact]:
    """A ``name-contradicts-request`` fact when the file name's counts disagree with the job."""
    low = name.lower()
    if "gpu" not in low and "node" not in low and not _NODES_GPUS.search(low):
        return []
    nodes, gpus, per_node = stated(name)
    if nodes is None and gpus is None and per_node is None:
        return []
    said: list[str] = []
    got: list[str] = []
    line = 0
    # without --nodes, SLURM picks as many nodes as --ntasks needs: the count is not known
    nodes_known = job.nodes == job.nodes_max and ("nodes" in job.options or not job.ntasks
                                                   or job.ntasks == 1)
    if nodes is not None and nodes_known and nodes != job.nodes:
        said.append(f"{nodes} node{'s' if nodes != 1 else ''}")
        got.append(f"{job.nodes} node{'s' if job.nodes != 1 else ''}"
                   + ("" if "nodes" in job.options else " (no --nodes)"))
        line = job.lines.get("nodes", 0)
    readings, total = _job_gpus(job)
    if readings:
        shown = _gpu_text(job, total)
        if gpus is not None and gpus not in readings:
            said.append(f"{gpus} GPU{'s' if gpus != 1 else ''}")
            got.append(shown)
            line = line or job.gpu_request_line
        if per_node is not None and per_node != (job.gpus_per_node if job.gpu_request else 0):
            said.append(f"{per_node} GPUs per node")
            got.append(shown)
            line = line or job.gpu_request_line
    if not said:
        return []
    asked = ", ".join(dict.fromkeys(got))
    if not line:  # nothing asked for it: the first directive line, where a request goes
        line = min(job.lines.values(), default=1)
    return [Fact(
        "name-contradicts-request", line,
        f"the file name '{name}' says {' and '.join(said)}, but the script asks for {asked}: "
        f"the job runs with what the #SBATCH lines ask, not what its name says",
        "make the request match the name (or rename the file to what it asks for)",
        data={"name_nodes": nodes, "name_gpus": gpus, "name_gpus_per_node": per_node})]


def _gpu_text(job: JobModel, total: int | None) -> str:
    if not job.gpu_request:
        return "no GPU"
    per = job.gpus_per_node
    if job.nodes == 1 or total is None:
        return f"{per} GPU{'s' if per != 1 else ''}" + (" per node" if job.nodes > 1 else "")
    return f"{per} GPUs per node on {job.nodes} nodes ({total} in all)"
