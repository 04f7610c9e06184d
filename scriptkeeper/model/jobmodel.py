"""The job model's records: the script, its launch steps and its allocation (model stage).

:mod:`scriptkeeper.model.build` builds them; they live here, in a module that stays
plain Python (not compiled with mypyc), because the pipeline makes and
decodes them by filling their instance ``__dict__`` (:func:`new_frozen`,
``resultcodec``), and a compiled class has no ``__dict__``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from scriptkeeper.model.cluster_profile import PartitionProfile

_T = TypeVar("_T")


_Plan = tuple[dict[str, Any], tuple[tuple[str, Callable[[], Any]], ...], frozenset[str]]
_PLANS: dict[type, _Plan] = {}


def _init_plan(cls: type) -> _Plan:
    if hasattr(cls, "__post_init__") or any(not f.init for f in dataclasses.fields(cls)):
        raise TypeError(f"new_frozen() cannot build {cls.__name__}: it has more than fields")
    defaults: dict[str, Any] = {}
    factories: list[tuple[str, Callable[[], Any]]] = []
    required: list[str] = []
    for f in dataclasses.fields(cls):
        defaults[f.name] = None if f.default is dataclasses.MISSING else f.default
        if f.default_factory is not dataclasses.MISSING:
            factories.append((f.name, f.default_factory))
        elif f.default is dataclasses.MISSING:
            required.append(f.name)
    return defaults, tuple(factories), frozenset(required)


def new_frozen(cls: type[_T], **values: Any) -> _T:
    """``cls(**values)`` for a frozen dataclass of this module, with its instance dict filled
    at once.

    A frozen dataclass's generated ``__init__`` sets each field through
    ``object.__setattr__``: ~10 us for the 58 fields of a LaunchStep. The result is the
    same object (same fields, defaults and fresh default factories, in field order).
    """
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _init_plan(cls)
    defaults, factories, required = plan
    state = dict(defaults)
    for name, factory in factories:
        if name not in values:
            state[name] = factory()
    state.update(values)
    if len(state) != len(defaults) or not values.keys() >= required:
        raise TypeError(f"{cls.__name__}() got unknown or missing fields: {sorted(values)}")
    obj: _T = object.__new__(cls)
    obj.__dict__.update(state)
    return obj


@dataclass(frozen=True)
class ScriptInfo:
    """The script itself, for rules: its repository-relative path and file name."""

    path: str  # the script's path from the repository root ('jobs/train.slurm')
    name: str  # its file name ('train.slurm')


@dataclass(frozen=True)
class LaunchStep:
    """One launch step of the body: what starts how many processes on which GPUs.

    Filled by the launch analysis (``scriptkeeper.body.steps``). ``None`` means
    unknown (built from something the analysis cannot follow): rules must
    not judge unknowns. For the SLURM variables a process sees, 0 means "not
    set" (SLURM never sets them to 0).
    """

    line: int  # the line the launch command starts on
    text: str  # that line as written (its first 200 characters)
    srun: bool = False  # srun starts the command
    # the options srun is given on the line: value by long name
    srun_options: dict[str, str | None] = field(default_factory=dict)
    # the program that starts the processes: python, torchrun, accelerate, deepspeed,
    # mpirun, horovodrun, nvidia-smi or other
    launcher: str = "other"
    tasks_per_node: int | None = 1  # tasks srun starts per node (1 without srun)
    tasks_total: int | None = 1  # tasks srun starts in all (1 without srun)
    nodes: int | None = 1  # nodes the step runs on
    procs_per_task: int | None = 1  # processes each task's launcher starts
    procs_per_node: int | None = 1  # processes per node: tasks per node x processes per task
    gpus_visible: int | None = None  # GPUs each task sees
    entry: str | None = None  # the Python file or module the step runs, as messages show it
    entry_exists: bool | None = None  # that file is in the repository (None: cannot tell)
    # the training framework the entry point uses: lightning, pytorch_lightning, fabric,
    # accelerate, deepspeed, horovod or torch
    framework: str | None = None
    framework_version: str | None = None  # its version as shown: '2.2.1', or '2.x'
    framework_version_assumed: bool = False  # no pin found: the current release is assumed
    devices: int | None = None  # devices the framework will use per node
    uses_gpu: bool = False  # the step needs a GPU (why: gpu_evidence)
    standalone: bool = False  # torchrun --standalone
    mpi_np: int | None = None  # the ranks mpirun or horovodrun -np asks for
    # a per-task SLURM variable ('SLURM_PROCID') the batch shell expands on the srun line
    early_rank_var: str | None = None
    in_background: bool = False  # the command runs in the background ('&')
    extra: dict[str, Any] = field(default_factory=dict)  # the analysis' own notes
    # --- the launcher analysis (scriptkeeper.body.steps) -----------------------------------
    end_line: int = 0  # the line the launch command ends on (after continued lines)
    command: str = ""  # the command srun runs (or the line without srun), shortened
    version: tuple[int, ...] | None = None  # the framework's version as numbers
    version_text: str = ""  # where the version comes from, for messages
    slurm_ntasks: int | None = None  # SLURM_NTASKS the process sees (0: not set)
    slurm_ntasks_per_node: int | None = None  # SLURM_NTASKS_PER_NODE it sees (0: not set)
    slurm_nnodes: int | None = None  # SLURM_NNODES it sees (0: not set)
    job_name: str | None = None  # SLURM_JOB_NAME it sees
    tasks_line: int = 0  # the directive or srun line that sets the task layout
    tasks_option: str = ""  # that option as written, e.g. '--ntasks=1'
    lightning: bool = False  # a Lightning Trainer/Fabric entry with SLURM detection intact
    lightning_slurm: bool = False  # Lightning takes its world size from SLURM
    lightning_start_error: str = ""  # the error Lightning raises at start-up, if any
    lightning_single_device: bool = False  # devices=1, no strategy: no launcher, no DDP
    slurm_driven: bool = False  # the entry reads SLURM_PROCID/SLURM_NTASKS itself
    spawns: bool = False  # the launcher itself starts procs_per_task processes
    launcher_nnodes: int | None = None  # --nnodes / --num_machines / --num_nodes (minimum)
    nproc_option: str = ""  # the option that sets procs_per_task ('--nproc_per_node=8')
    gpu_isolated: bool = False  # each task bound to its own GPUs
    isolation_option: str = ""  # the option binding them ('--gpus-per-task=1')
    isolation_line: int = 0  # the line of that option
    gpu_evidence: str = ""  # why this step needs a GPU ('accelerator="gpu" in train.py')
    cpu_only: bool = False  # the launcher or the entry point is set to run on CPUs only
    cvd_count: int | None = None  # GPUs the script's CUDA_VISIBLE_DEVICES names
    cvd_value: str = ""  # its value as written ('0,1,2,3')
    cvd_line: int = 0  # the line that sets it
    mpi_slots: int | None = None  # task slots mpirun finds in the allocation
    # mpirun may start more ranks than task slots (--oversubscribe), or has hosts of its own
    mpi_oversubscribe: bool = False
    gpus_used: int | None = None  # GPUs per node this step keeps busy (one per process)
    script_gpus_used: int | None = None  # the most any step of the script uses; None: unknown
    script_gpu_evidence: str = ""  # the script's first GPU work, for messages
    gpu_request_line: int = 0  # the ignored GPU directive, else the first GPU line
    gpu_request_ignored: str = ""  # that ignored directive as written
    gpus_wanted: int | None = None  # GPUs per node the script's GPU steps would use
    tasks_effect: str = ""  # what the launcher does with a task layout that does not fit it
    tasks_fix: str = ""  # the task layout that fits the launcher
    # the entry point's facts come from other evidence than the file the step runs
    entry_inferred: bool = False
    # that evidence and how strong it is, for messages ('' when the file itself was read)
    entry_evidence: str = ""
    num_nodes: int | None = None  # Lightning's num_nodes (Trainer, config or override)
    num_nodes_source: str = ""  # where that value comes from, for messages
    # that layout as `scriptkeeper fix` writes it: --ntasks-per-node (0: no single layout)
    fix_tasks_per_node: int = 0
    fix_drop_ntasks: bool = False  # and --ntasks dropped (the per-node count replaces it)
    fix_gpus_per_node: int = 0  # or the GPUs per node it requests instead (0: none)
    # --- the training world (scriptkeeper.body.world) --------------------------------------
    # processes in each training world the step forms (torch.distributed's world size);
    # 0: the processes form none (each runs on its own); None: cannot tell
    world_size: int | None = None
    worlds: int | None = None  # separate worlds the step starts (more than 1: separate trainings)
    # who numbers the ranks: 'task' (SLURM_PROCID, one process per task), 'worker' (the
    # launcher numbers its workers), 'alone' (each process is rank 0 of its own world),
    # 'mpi' (mpirun's ranks), '' (cannot tell)
    ranks_by: str = ""
    missing_peers: int = 0  # ranks the world waits for that no process fills (it hangs)
    wait_message: str = ""  # what a process prints while it waits for them
    gpus_per_proc: int | None = None  # GPUs each process drives (None: cannot tell)

    @property
    def per_node_launcher(self) -> bool:
        """torchrun, accelerate or deepspeed: one launcher per node starts the workers."""
        return self.launcher in ("torchrun", "accelerate", "deepspeed")

    @property
    def srun_managed(self) -> bool:
        """SLURM must start one process per task for this entry point (Lightning, SLURM DDP)."""
        # one device without a DDP strategy trains alone: docs/launch-contracts.md §3.2
        return (self.lightning_slurm and not self.lightning_single_device) or self.slurm_driven

    @property
    def framework_label(self) -> str:
        """The framework and where its version comes from, for messages."""
        names = {"lightning": "Lightning", "pytorch_lightning": "PyTorch Lightning",
                 "fabric": "Lightning Fabric", "accelerate": "Accelerate",
                 "deepspeed": "DeepSpeed", "horovod": "Horovod", "torch": "torch.distributed"}
        name = names.get(self.framework or "", "the entry point")
        return f"{name} {self.version_text}".strip()

    @property
    def spawner(self) -> str:
        """Who starts this step's processes: the launcher, or Lightning itself."""
        return "Lightning" if self.lightning and self.launcher == "python" else self.launcher

    @property
    def launch_text(self) -> str:
        """The launch line, shortened: the command, with 'srun ' before it when srun starts it."""
        return f"srun {self.command}" if self.srun else self.command

    @property
    def idle_devices(self) -> int | None:
        """Devices a world size of SLURM_NTASKS leaves idle: devices - SLURM_NTASKS."""
        if self.devices is None or self.slurm_ntasks is None:
            return None
        return self.devices - self.slurm_ntasks

    @property
    def gpu_request_fix(self) -> str:
        """How to get the GPUs: move the ignored GPU directive up, or request them."""
        if self.gpu_request_ignored:
            return (f"move `{self.gpu_request_ignored}` (line {self.gpu_request_line}) above the "
                    f"first command: sbatch reads no directive after it")
        count = self.gpus_wanted or "N"
        return (f"request the GPUs before the first command: `#SBATCH --gres=gpu:{count}` (or "
                f"`--gpus-per-node={count}`)")

    @property
    def waiting_peers(self) -> int | None:
        """The ranks a single process waits for: SLURM_NTASKS - 1."""
        return None if self.slurm_ntasks is None else self.slurm_ntasks - 1


@dataclass(frozen=True)
class JobModel:
    """The allocation one job script asks for, as SLURM will read it."""

    name: str  # --job-name, else the script's file name
    options: dict[str, str | None]  # the options sbatch applies: value by long name
    lines: dict[str, int]  # the line of each of those options
    partition: str | None  # --partition as written (None: the cluster's default)
    account: str | None  # --account
    nodes: int  # the fewest nodes --nodes asks for (1 without it)
    nodes_max: int  # the most nodes --nodes accepts ('--nodes=2-4': 4)
    ntasks: int | None  # SLURM_NTASKS, None when SLURM will not set it
    ntasks_per_node: int | None  # SLURM_NTASKS_PER_NODE, likewise
    tasks_per_node: int  # tasks srun starts on each node by default
    cpus_per_task: int  # --cpus-per-task (1 without it)
    cpus_per_node: int  # tasks per node x CPUs per task
    mem_per_node_mb: int | None  # memory per node in MB (None: the partition default)
    gpus_per_node: int  # GPUs per node from --gres, --gpus-per-node, --gpus or --gpus-per-task
    gpu_type: str | None  # the GPU type they name ('--gres=gpu:a100:4': 'a100')
    gpus_per_task: int | None  # --gpus-per-task
    gpu_request: bool  # the job asks for GPUs
    gpu_request_line: int  # the line of that request (0 without one)
    time_minutes: int | None  # --time in minutes
    exclusive: bool  # --exclusive
    ignored_options: tuple[str, ...]  # options of the #SBATCH lines sbatch ignores
    components: int  # the components of a heterogeneous job (1 for a plain job)
    partition_profile: PartitionProfile | None  # the partition's nodes in the cluster profile
    partition_known: bool  # the cluster profile lists the partition (true without a profile)
    exceeds: tuple[str, ...] = ()  # what one node of the partition cannot hold
    exceeds_line: int = 1  # the line of the option behind the first of those
    extra: dict[str, Any] = field(default_factory=dict)  # free for later stages (empty)

    @property
    def exceeds_text(self) -> str:
        """``exceeds`` in one text, for messages."""
        return "; ".join(self.exceeds)

    @property
    def partition_line(self) -> int:
        """The line of --partition (1 without it)."""
        return self.lines.get("partition", 1)

    @property
    def task_line(self) -> int:
        """The line of --ntasks, else --ntasks-per-node, else --nodes (1 without them)."""
        for option in ("ntasks", "ntasks-per-node"):
            if option in self.lines:
                return self.lines[option]
        return self.lines.get("nodes", 1)
