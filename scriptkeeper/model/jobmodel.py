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

    path: str
    name: str


@dataclass(frozen=True)
class LaunchStep:
    """One launch step of the body: what starts how many processes on which GPUs.

    Filled by the launch analysis (``scriptkeeper.body.steps``). ``None`` means
    unknown (built from something the analysis cannot follow): rules must
    not judge unknowns. For the SLURM variables a process sees, 0 means "not
    set" (SLURM never sets them to 0).
    """

    line: int
    text: str
    srun: bool = False
    srun_options: dict[str, str | None] = field(default_factory=dict)
    # python, torchrun, accelerate, deepspeed, mpirun, horovodrun, nvidia-smi, other
    launcher: str = "other"
    tasks_per_node: int | None = 1  # tasks srun starts per node (1 without srun)
    tasks_total: int | None = 1
    nodes: int | None = 1
    procs_per_task: int | None = 1  # processes each task's launcher starts
    procs_per_node: int | None = 1
    gpus_visible: int | None = None  # GPUs each task sees
    entry: str | None = None
    entry_exists: bool | None = None
    # lightning, pytorch_lightning, fabric, accelerate, deepspeed, horovod, torch
    framework: str | None = None
    framework_version: str | None = None
    framework_version_assumed: bool = False
    devices: int | None = None  # devices the framework will use per node
    uses_gpu: bool = False
    standalone: bool = False
    mpi_np: int | None = None
    early_rank_var: str | None = None
    in_background: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    # --- the launcher analysis (scriptkeeper.body.steps) -----------------------------------
    end_line: int = 0
    command: str = ""  # the command srun runs (or the line without srun), shortened
    version: tuple[int, ...] | None = None  # the framework's version as numbers
    version_text: str = ""  # where the version comes from, for messages
    slurm_ntasks: int | None = None  # SLURM_NTASKS the process sees (0: not set)
    slurm_ntasks_per_node: int | None = None  # SLURM_NTASKS_PER_NODE it sees (0: not set)
    slurm_nnodes: int | None = None
    job_name: str | None = None  # SLURM_JOB_NAME it sees
    tasks_line: int = 0  # the directive or srun line that sets the task layout
    tasks_option: str = ""  # that option as written, e.g. '--ntasks=1'
    lightning: bool = False  # a Lightning Trainer/Fabric entry with SLURM detection intact
    lightning_slurm: bool = False  # Lightning takes its world size from SLURM
    lightning_start_error: str = ""  # the error Lightning raises at start-up, if any
    slurm_driven: bool = False  # the entry reads SLURM_PROCID/SLURM_NTASKS itself
    spawns: bool = False  # the launcher itself starts procs_per_task processes
    launcher_nnodes: int | None = None  # --nnodes / --num_machines / --num_nodes (minimum)
    nproc_option: str = ""  # the option that sets procs_per_task ('--nproc_per_node=8')
    gpu_isolated: bool = False  # each task bound to its own GPUs
    isolation_option: str = ""  # the option binding them ('--gpus-per-task=1')
    isolation_line: int = 0
    gpu_evidence: str = ""  # why this step needs a GPU ('accelerator="gpu" in train.py')
    cpu_only: bool = False
    cvd_count: int | None = None  # GPUs the script's CUDA_VISIBLE_DEVICES names
    cvd_value: str = ""
    cvd_line: int = 0
    mpi_slots: int | None = None  # task slots mpirun finds in the allocation
    mpi_oversubscribe: bool = False
    gpus_used: int | None = None  # GPUs per node this step keeps busy (one per process)
    script_gpus_used: int | None = None  # the most any step of the script uses; None: unknown
    script_gpu_evidence: str = ""  # the script's first GPU work, for messages
    gpu_request_line: int = 0  # the ignored GPU directive, else the first GPU line
    gpu_request_ignored: str = ""  # that ignored directive as written
    gpus_wanted: int | None = None  # GPUs per node the script's GPU steps would use
    tasks_effect: str = ""  # what the launcher does with a task layout that does not fit it
    tasks_fix: str = ""  # the task layout that fits the launcher

    @property
    def per_node_launcher(self) -> bool:
        """torchrun, accelerate or deepspeed: one launcher per node starts the workers."""
        return self.launcher in ("torchrun", "accelerate", "deepspeed")

    @property
    def srun_managed(self) -> bool:
        """SLURM must start one process per task for this entry point (Lightning, SLURM DDP)."""
        return self.lightning_slurm or self.slurm_driven

    @property
    def framework_label(self) -> str:
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
        return f"srun {self.command}" if self.srun else self.command

    @property
    def idle_devices(self) -> int | None:
        if self.devices is None or self.slurm_ntasks is None:
            return None
        return self.devices - self.slurm_ntasks

    @property
    def gpu_request_fix(self) -> str:
        if self.gpu_request_ignored:
            return (f"move `{self.gpu_request_ignored}` (line {self.gpu_request_line}) above the "
                    f"first command: sbatch reads no directive after it")
        count = self.gpus_wanted or "N"
        return (f"request the GPUs before the first command: `#SBATCH --gres=gpu:{count}` (or "
                f"`--gpus-per-node={count}`)")

    @property
    def waiting_peers(self) -> int | None:
        return None if self.slurm_ntasks is None else self.slurm_ntasks - 1


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
