"""The training world a launch step forms: its size, who numbers the ranks, who waits (model stage).

Read from the launch step's other facts once the launch analysis has them
(:mod:`scriptkeeper.body.steps` calls :func:`world_fields` last). The same
contracts as the rules (docs/launch-contracts.md): Lightning and SLURM-driven
code take world size and rank from SLURM (one process per task, rank
SLURM_PROCID); torchrun, accelerate and deepspeed number their own workers
(one agent per node, rank node x workers + local rank); a Lightning Trainer
that sees no SLURM tasks starts one process per device itself. Anything else
is left unknown (``None`` / ``""``), never guessed.
"""

from __future__ import annotations

from typing import Any

from scriptkeeper.model.jobmodel import LaunchStep

# what Lightning prints while its process group waits for the other ranks
_LIGHTNING_WAIT = "Initializing distributed: GLOBAL_RANK: 0, MEMBER: 1/{world}"


def _agents(step: LaunchStep) -> int | None:
    """The launcher processes the step starts: one per srun task, one without srun."""
    return step.tasks_total if step.srun else 1


def world_fields(step: LaunchStep) -> dict[str, Any]:
    """``world_size``, ``worlds``, ``ranks_by``, ``missing_peers``, ``wait_message`` and
    ``gpus_per_proc`` of one launch step (LaunchStep documents each)."""
    unknown: dict[str, Any] = {"world_size": None, "worlds": None, "ranks_by": "",
                               "missing_peers": 0, "wait_message": "", "gpus_per_proc": None}
    if step.lightning:
        return _lightning(step, unknown)
    if step.slurm_driven:
        return _from_slurm(step, "waits in torch.distributed.init_process_group for "
                                 "{missing} ranks that never start")
    if step.per_node_launcher:
        return _per_node(step, unknown)
    if step.launcher in ("mpirun", "horovodrun") and step.mpi_np:
        return {**unknown, "world_size": step.mpi_np, "worlds": 1, "ranks_by": "mpi",
                "gpus_per_proc": 1 if step.launcher == "horovodrun" else None}
    if step.launcher == "nvidia-smi" or (step.launcher == "other" and step.gpus_used == 0):
        # a probe or a utility (hostname, echo, ...): each process runs on its own
        return {**unknown, "world_size": 0, "worlds": 0}
    return unknown  # a plain Python entry may still set up torch.distributed from env


def _lightning(step: LaunchStep, unknown: dict[str, Any]) -> dict[str, Any]:
    if step.lightning_start_error:
        return {**unknown, "ranks_by": "task" if step.lightning_slurm else ""}
    if step.lightning_single_device:  # every process trains alone on its one device
        agents = _agents(step)
        return {**unknown, "world_size": 1, "worlds": agents, "ranks_by": "alone",
                "gpus_per_proc": 1}
    if step.srun_managed:
        return _from_slurm(step, _LIGHTNING_WAIT)
    if step.spawns and step.procs_per_task:  # Lightning starts one process per device
        return {**unknown, "world_size": step.procs_per_task, "worlds": 1,
                "ranks_by": "worker", "gpus_per_proc": 1}
    if not step.srun and step.devices == 1:
        return {**unknown, "world_size": 1, "worlds": 1, "ranks_by": "alone",
                "gpus_per_proc": 1}
    return unknown


def _from_slurm(step: LaunchStep, wait: str) -> dict[str, Any]:
    """World size SLURM_NTASKS, one process per task, rank SLURM_PROCID."""
    world = step.slurm_ntasks if step.slurm_ntasks else None
    started = _agents(step)
    missing = world - started if world is not None and started is not None and \
        world > started else 0
    return {"world_size": world, "worlds": 1 if world else None, "ranks_by": "task",
            "missing_peers": missing,
            "wait_message": wait.format(world=world, missing=missing) if missing else "",
            "gpus_per_proc": 1 if step.uses_gpu and not step.cpu_only else None}


def _per_node(step: LaunchStep, unknown: dict[str, Any]) -> dict[str, Any]:
    """torchrun, accelerate, deepspeed: one agent per task starts its workers."""
    procs = step.procs_per_task
    agents = _agents(step)
    if procs is None or agents is None or step.tasks_effect:
        return unknown  # several agents per node: the rule's text says what they do
    gpus = None if step.cpu_only else 1
    nnodes = step.launcher_nnodes
    if step.standalone or nnodes == 1 or (nnodes is None and step.launcher == "deepspeed"):
        # each agent holds a world of its own (one training per agent)
        return {**unknown, "world_size": procs, "worlds": agents, "ranks_by": "worker",
                "gpus_per_proc": gpus}
    if nnodes is None or agents > nnodes:
        return unknown
    missing = procs * (nnodes - agents)
    wait = (f"{step.launcher} waits at the rendezvous for {nnodes - agents} more "
            f"node(s) until its timeout") if missing else ""
    return {**unknown, "world_size": procs * nnodes, "worlds": 1, "ranks_by": "worker",
            "missing_peers": missing, "wait_message": wait, "gpus_per_proc": gpus}
