"""Classify what an oracle job really did, and name the rule that outcome calls for.

The classification reads only the observed run (:class:`observe.JobRun`):
processes started, world sizes joined, exceptions raised, the job's end state
and its GPU allocation. The mapping from outcome to scriptkeeper rule is the
one fixed part (:data:`EXPECTED_RULES`). A run that fits no known outcome
raises :class:`Unexplained`, so a surprise fails the test loudly instead of
being forced into a category.
"""

from __future__ import annotations

import enum
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from .observe import JobRun, Process


class Outcome(enum.Enum):
    CORRECT = "trained as one world of the intended size"
    SINGLE_PROCESS = "trained silently with world size 1 on several GPUs"
    INDEPENDENT_COPIES = "each task trained the same model alone, with world size 1"
    HANG = "waited for peers that never came"
    NTASKS_ERROR = "Lightning refused --ntasks without --ntasks-per-node (RuntimeError)"
    DEVICES_MISMATCH = "Lightning refused devices != tasks per node (ValueError)"
    PER_TASK_GPUS = "each task saw fewer GPUs than the job has, Lightning refused (ValueError)"
    DUPLICATE_LAUNCHERS = "several launchers per node: more processes or idle, failing agents"
    SHARED_LOCAL_RANK = "one world, but agents on one node gave workers the same local rank"
    RANK_CLASH = "torchrun agents on one node both took node rank 0: no rendezvous, no worker"
    NODES_MISMATCH = "Lightning refused num_nodes != the job's nodes (ValueError)"
    LONE_AGENT = "one torchrun agent of several nodes waited for the others: no worker"


EXPECTED_RULES: dict[Outcome, frozenset[str]] = {
    Outcome.CORRECT: frozenset(),
    Outcome.SINGLE_PROCESS: frozenset({"lightning-single-process"}),
    # What scriptkeeper says today (no error, verdict keep): every copy trains as its
    # Trainer(devices=1) asks, the tasks just repeat the work. Not a contract of the issue.
    Outcome.INDEPENDENT_COPIES: frozenset(),
    Outcome.HANG: frozenset({"missing-srun"}),
    Outcome.NTASKS_ERROR: frozenset({"ntasks-without-per-node"}),
    Outcome.DEVICES_MISMATCH: frozenset({"ntasks-launcher-mismatch"}),
    Outcome.PER_TASK_GPUS: frozenset({"lightning-per-task-gpus"}),
    Outcome.DUPLICATE_LAUNCHERS: frozenset({"ntasks-launcher-mismatch"}),
    # on GPUs both workers take device LOCAL_RANK: the same GPU (duplicate GPUs)
    Outcome.SHARED_LOCAL_RANK: frozenset({"ntasks-launcher-mismatch"}),
    # the same node rank (early expansion), and two agents' stores on one host
    Outcome.RANK_CLASH: frozenset({"early-expanded-rank", "ntasks-launcher-mismatch"}),
    Outcome.NODES_MISMATCH: frozenset({"num-nodes-mismatch"}),
    Outcome.LONE_AGENT: frozenset({"multinode-without-srun"}),
}
"""The error-level rules scriptkeeper must report for a script with this outcome."""

KEEP = frozenset({Outcome.CORRECT, Outcome.INDEPENDENT_COPIES})
"""The outcomes whose script scriptkeeper must judge ``keep``; every other ``broken``."""

DEVICES_VAR = "ORACLE_LIGHTNING_DEVICES"  # set when the shape fixes Trainer(devices=...)


class Unexplained(AssertionError):
    """The run matches none of the outcomes this tier knows."""


@dataclass(frozen=True)
class Classified:
    outcome: Outcome
    evidence: str  # the observed facts that decided the outcome

    @property
    def expected_rules(self) -> frozenset[str]:
        return EXPECTED_RULES[self.outcome]


def _unexplained(run: JobRun, why: str) -> Unexplained:
    return Unexplained(f"{why}\n{run.describe()}")


def _errors(run: JobRun) -> list[tuple[Process, str, str]]:
    found = []
    for proc in run.processes:
        if proc.error is not None:
            kind, message = str(proc.error["type"]), str(proc.error["message"])
            if kind == "ProcessRaisedException":
                # torch.multiprocessing (ddp_spawn) re-raises a worker's failure in the
                # process that started it: the worker's own exception is the last line
                last = message.strip().splitlines()[-1] if message.strip() else ""
                if ": " in last:
                    kind, message = last.split(": ", 1)
            found.append((proc, kind, message))
    return found


def classify_lightning(run: JobRun) -> Classified:
    """Outcome of a job whose entry point is the Lightning trainer."""
    if not run.processes:
        raise _unexplained(run, "no process ran the entry point")
    procs = run.processes
    errors = _errors(run)
    if errors:
        kinds = {(kind, message) for _, kind, message in errors}
        if len(kinds) != 1:
            raise _unexplained(run, f"processes failed differently: {sorted(kinds)}")
        proc, kind, message = errors[0]
        share = f"{len(errors)}/{len(procs)} processes: {kind}: {message}"
        if kind == "RuntimeError" and "--ntasks=" in message:
            return Classified(Outcome.NTASKS_ERROR, share)
        fixed = proc.env_int(DEVICES_VAR)
        local = proc.env_int("SLURM_LOCALID")
        if kind == "IndexError" and fixed is not None and local is not None and local >= fixed \
                and run.state in ("FAILED", "TIMEOUT"):
            # DDP picks its device by SLURM_LOCALID among `devices`: a task with a local
            # id beyond them finds none (ddp_spawn, which has no validate_settings)
            return Classified(Outcome.DEVICES_MISMATCH,
                              f"{share}; SLURM_LOCALID={local} with devices={fixed}; "
                              f"job {run.state}")
        if kind == "ValueError" and "number of nodes configured in SLURM" in message:
            return Classified(Outcome.NODES_MISMATCH, f"{share}; job {run.state}")
        if kind == "ValueError" and "tasks per node" in message:
            seen = int((proc.event("start") or {}).get("visible_gpus", -1))
            sight = f"; each process saw {seen} of the job's {run.gpus_per_node} GPUs per node"
            if 0 <= seen < run.gpus_per_node:
                return Classified(Outcome.PER_TASK_GPUS, share + sight)
            return Classified(Outcome.DEVICES_MISMATCH, share + sight)
        raise _unexplained(run, f"unexpected failure: {share}")

    if run.state == "TIMEOUT" and not any(p.finished for p in procs):
        # Waiting for peers: the trainer expects a larger world than the
        # processes that exist, and nobody got to train.
        expected = max(int((p.event("trainer") or {}).get("world_size", 0)) for p in procs)
        if expected > len(procs) and not any(p.event("fit") for p in procs):
            member = next((line.strip() for line in run.output.splitlines()
                           if "MEMBER:" in line), "no 'MEMBER:' line")
            return Classified(
                Outcome.HANG,
                f"{len(procs)} process(es) waited for a world of {expected} ({member}); "
                f"SLURM ended the job: {run.state} after {run.run_time}",
            )
        raise _unexplained(run, "timed out, but not waiting for missing peers")

    if run.state != "COMPLETED" or not all(p.finished for p in procs):
        raise _unexplained(run, f"job {run.state} without an error from the entry point")
    # without torch.distributed (SingleDeviceStrategy) the world is the Trainer's own
    worlds = {int((p.event("fit") or {}).get("dist_world_size")
                  or (p.event("fit") or {}).get("trainer_world_size") or 0) for p in procs}
    sums = {int((p.event("fit") or {}).get("allreduce_sum") or 0) for p in procs}
    if len(worlds) != 1 or worlds != sums:
        raise _unexplained(run, f"inconsistent worlds: sizes {worlds}, all-reduce sums {sums}")
    world = worlds.pop()
    fixed = {p.env_int(DEVICES_VAR) for p in procs}
    if len(fixed) != 1:
        raise _unexplained(run, f"processes with different devices: {fixed}")
    devices = fixed.pop()
    # devices="auto": every GPU of the job; else the shape's Trainer(devices=...)
    intended = (run.gpus_per_node if devices is None else devices) * run.num_nodes
    facts = (f"world size {world} with {len(procs)} process(es), all-reduce {world}; "
             f"job {run.state} with {run.gpus_allocated} GPU(s) on {run.num_nodes} node(s)")
    if world == 1 and intended > 1:
        return Classified(Outcome.SINGLE_PROCESS, facts + ", no error")
    if world == intended and len(procs) == world:
        return Classified(Outcome.CORRECT, facts)
    if world == intended == 1 and len(procs) > 1:
        return Classified(Outcome.INDEPENDENT_COPIES,
                          facts + f": {len(procs)} separate trainings, as devices=1 asks")
    raise _unexplained(run, f"trained with world size {world}, but the job has {intended} GPUs")


# torchrun's static rendezvous: the agent with node rank 0 hosts the TCPStore on
# --master_port and waits for --nnodes clients (torch/distributed/elastic/rendezvous/
# static_tcp_rendezvous.py); a second host on the same machine cannot listen there
_STORE_LISTEN = re.compile(r"failed to listen on any local network address\. port: (\d+).*"
                           r"EADDRINUSE")
_STORE_WAIT = re.compile(r"Timed out after \d+ seconds waiting for clients\. \d+/\d+ clients "
                         r"joined\.")


def _rank_clash(run: JobRun) -> Classified | None:
    """No worker, because two agents on the node both hosted the static rendezvous store."""
    listen = _STORE_LISTEN.search(run.output)
    wait = _STORE_WAIT.search(run.output)
    if listen is None or (wait is None and run.state != "TIMEOUT"):
        return None
    failed = run.failed_srun_tasks()
    waited = f"'{wait.group(0)}'" if wait else f"until SLURM ended the job ({run.state})"
    return Classified(
        Outcome.RANK_CLASH,
        f"no worker started; two agents hosted the rendezvous store (only node rank 0 does): "
        f"one could not listen on port {listen.group(1)} (EADDRINUSE), the other waited for "
        f"its clients: {waited}; srun tasks failed: {failed or 'none'}; "
        f"job {run.state} after {run.run_time}")


def _lone_agent(run: JobRun) -> Classified | None:
    """No worker, because the only agent waited for the agents of the other nodes."""
    wait = _STORE_WAIT.search(run.output)
    if _STORE_LISTEN.search(run.output) is not None or run.failed_srun_tasks():
        return None
    if wait is None and run.state != "TIMEOUT":
        return None
    waited = f"'{wait.group(0)}'" if wait else f"until SLURM ended the job ({run.state})"
    return Classified(Outcome.LONE_AGENT,
                      f"no worker started; the one agent hosted the rendezvous store and "
                      f"waited for the other nodes' agents: {waited}; "
                      f"job {run.state} after {run.run_time}")


def classify_torchrun(run: JobRun) -> Classified:
    """Outcome of a job whose launch line runs torchrun (one agent per srun task)."""
    if not run.processes:
        clash = _rank_clash(run)
        if clash is not None:
            return clash
        lone = _lone_agent(run)
        if lone is not None:
            return lone
        raise _unexplained(run, "no worker process ran the entry point")
    errors = _errors(run)
    if errors:
        raise _unexplained(run, f"a worker failed: {errors[0][1]}: {errors[0][2]}")
    # Workers of one training share the rendezvous torchrun gave them.
    worlds: dict[tuple[str | None, ...], list[Process]] = defaultdict(list)
    for proc in run.processes:
        env = proc.env
        worlds[(env.get("MASTER_ADDR"), env.get("MASTER_PORT"),
                env.get("TORCHELASTIC_RUN_ID"))].append(proc)
    for members in worlds.values():
        size = {p.env_int("WORLD_SIZE") for p in members}
        joined = {int((p.event("fit") or {}).get("allreduce_sum") or 0) for p in members}
        if len(size) != 1 or size != joined or len(members) not in size:
            raise _unexplained(run, f"a torchrun world did not form: sizes {size}, "
                                    f"joined {joined}, members {len(members)}")
    # Each srun task runs one torchrun agent.
    agents = {p.env_int("SLURM_NTASKS") for p in run.processes}
    if len(agents) != 1 or None in agents:
        raise _unexplained(run, f"cannot tell the number of srun tasks: {agents}")
    n_agents = agents.pop() or 0
    hosting = {p.env_int("SLURM_PROCID") for p in run.processes}
    idle = sorted(set(range(n_agents)) - {t for t in hosting if t is not None})
    failed = run.failed_srun_tasks()
    world_size = next(iter(worlds.values()))[0].env_int("WORLD_SIZE") or 0
    facts = (f"{len(run.processes)} worker process(es) in {len(worlds)} separate world(s) of "
             f"{world_size} (each torchrun meant {world_size}); {n_agents} torchrun agent(s) "
             f"(srun tasks)")
    if len(worlds) > 1:
        return Classified(Outcome.DUPLICATE_LAUNCHERS, facts + "; every agent ran its own training")
    if idle:
        fates = ", ".join(f"task {t}: " + (f"exit {failed[t]}" if t in failed else "exit 0")
                          for t in idle)
        return Classified(Outcome.DUPLICATE_LAUNCHERS,
                          f"{facts}; agents without workers ({fates}); job {run.state}")
    # a local rank held by more workers than there are nodes is held twice on one node
    local = Counter(p.env_int("LOCAL_RANK") for p in run.processes)
    shared = sorted(r for r, n in local.items() if r is not None and n > run.num_nodes)
    if run.state == "COMPLETED" and not failed and shared:
        groups = sorted({p.env_int("GROUP_RANK") for p in run.processes}, key=str)
        return Classified(Outcome.SHARED_LOCAL_RANK,
                          f"{facts}; agents (GROUP_RANK {groups}) gave workers on "
                          f"{run.num_nodes} node(s) LOCAL_RANK {shared} "
                          f"{max(local.values())} times (on GPUs: the same device); "
                          f"job {run.state}")
    if run.state == "COMPLETED" and not failed:
        return Classified(Outcome.CORRECT, facts + f"; job {run.state}")
    raise _unexplained(run, f"one world, every agent hosted workers, but job {run.state}")


def classify(kind: str, run: JobRun) -> Classified:
    if kind == "lightning":
        return classify_lightning(run)
    if kind == "torchrun":
        return classify_torchrun(run)
    raise ValueError(f"unknown entry point kind {kind!r}")
