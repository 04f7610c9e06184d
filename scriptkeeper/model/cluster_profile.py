"""The cluster profile: partitions and node limits from rules.yaml ``cluster:``.

Read by the model stage for ``request-exceeds-node`` and
``unknown-partition``. Written by ``scriptkeeper profile import``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scriptkeeper.parse.value_grammar import ValueProblem, parse_memory


@dataclass(frozen=True)
class PartitionProfile:
    """The nodes of one partition, from rules.yaml ``cluster.partitions``."""

    name: str  # the partition's name
    cpus_per_node: int | None = None  # CPUs a node has (None: not known)
    gpus_per_node: int | None = None  # GPUs a node has (None: not known)
    gpu_types: tuple[str, ...] = ()  # the GPU types of its nodes ('a100')
    mem_per_node_mb: int | None = None  # memory a node has, in MB (None: not known)


@dataclass(frozen=True)
class ClusterProfile:
    """The cluster the scripts run on, from rules.yaml ``cluster:``."""

    slurm_version: str | None = None  # its SLURM release ('23.11'): the options sbatch knows
    default_partition: str | None = None  # where a job without --partition runs
    # the partitions' nodes, by partition name
    partitions: dict[str, PartitionProfile] = field(default_factory=dict)
    plugin_options: tuple[str, ...] = ()  # sbatch options its SPANK plugins add
    gpus_managed: bool = True  # SLURM gives each job its own GPUs (false: all GPUs visible)
    gres_types: tuple[str, ...] = ()  # GresTypes of slurm.conf: empty means not known
    gpus_managed_known: bool = False  # the profile says gpus_managed (true or false) itself

    @property
    def has_partitions(self) -> bool:
        """The profile lists partitions."""
        return bool(self.partitions)

    def lookup(self, partition: str | None) -> tuple[PartitionProfile | None, bool]:
        """The partition's profile and whether the name is known to the profile."""
        if not self.partitions:
            return None, True
        if partition is None:
            name = self.default_partition
            if name is None:
                return None, True
            return self.partitions.get(name), True
        # a job may list several partitions: judge against the largest known one
        known = [self.partitions[p] for p in partition.split(",") if p in self.partitions]
        if not known:
            return None, False
        return max(known, key=lambda p: (p.cpus_per_node or 0, p.gpus_per_node or 0)), True


def memory_mb(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        return parse_memory(str(value))
    except ValueProblem:
        return None
