"""Build a cluster profile from slurm.conf or from ``scontrol`` (``profile import``).

Two readers give the same :class:`~scriptkeeper.model.cluster_profile.ClusterProfile`:

* :func:`from_slurm_conf` reads slurm.conf as slurmctld does: case-insensitive
  keys, ``\\`` line continuations, ``#`` comments, ``Include`` files,
  ``NodeName=DEFAULT`` / ``PartitionName=DEFAULT`` lines, ``NodeSet``, node
  ranges such as ``gpu[001-032]`` and ``Nodes=ALL``.
* :func:`from_scontrol` reads ``scontrol show node -o``, ``scontrol show
  partition -o`` and ``scontrol show config``.

A partition's per-node limits are those of its largest node, dimension by
dimension (a job fits when some node fits, so the profile must never be
smaller than a real node: that would make false positives). CPUs are the
CPUs a job can use (``CPUEfctv``: CPUs less the cores set aside by
``CoreSpecCount``/``CpuSpecList``); memory is ``RealMemory``. Writing the
profile into rules.yaml is :mod:`scriptkeeper.cluster.profile_write`'s job.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from scriptkeeper.cluster import hostlist
from scriptkeeper.model.cluster_profile import ClusterProfile, PartitionProfile

SCONTROL_TIMEOUT = 30.0


class ProfileImportError(Exception):
    """The source cannot be read into a profile (message says where and why)."""


@dataclass(frozen=True)
class NodeSpec:
    """What one node offers to jobs."""

    name: str
    cpus: int
    gpus: int = 0
    gpu_types: tuple[str, ...] = ()
    mem_mb: int = 1
    features: tuple[str, ...] = ()


@dataclass(frozen=True)
class PartitionSpec:
    """A partition: its name, node names and whether it is the default."""

    name: str
    nodes: tuple[str, ...]
    default: bool = False


# ------------------------------------------------------------------ values

_GRES_COUNT = re.compile(r"^(\d+)([KMGTkmgt]?)$")
_GRES_FACTOR = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def _gres_count(text: str) -> int | None:
    match = _GRES_COUNT.match(text)
    if not match:
        return None
    return int(match.group(1)) * _GRES_FACTOR[match.group(2).upper()]


def parse_node_gres(text: str | None) -> tuple[int, tuple[str, ...]]:
    """GPUs and GPU types of a node's ``Gres=`` (``gpu:h200:8,gpu:a100:2(S:0)``)."""
    if not text or text.strip() in ("(null)", "none", "NONE"):
        return 0, ()
    gpus = 0
    types: list[str] = []
    for item in hostlist.split_top(_without_parens(text)):
        fields = item.split(":")
        if fields[0].strip() != "gpu":
            continue
        rest = [f.strip() for f in fields[1:] if f.strip() and f.strip() != "no_consume"]
        count = 1
        gtype: str | None = None
        if rest:
            maybe = _gres_count(rest[-1])
            if maybe is not None:
                count = maybe
                rest = rest[:-1]
            if rest:
                gtype = rest[0]
        gpus += count
        if gtype and gtype not in types:
            types.append(gtype)
    return gpus, tuple(types)


def _without_parens(text: str) -> str:
    """``gpu:h200:8(S:0-1),gpu:a100:2(IDX:0)`` without the ``(...)`` parts."""
    out = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif depth == 0:
            out.append(char)
    return "".join(out)


def _int(value: str | None, default: int, where: str) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as error:
        raise ProfileImportError(f"{where}: '{value}' is not a whole number") from error


def _count_cpu_list(text: str) -> int:
    """How many CPUs a list such as ``0-1,64-65`` names."""
    total = 0
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        low, _, high = item.partition("-")
        total += (int(high) - int(low) + 1) if high else 1
    return total


def version_of(text: str) -> str | None:
    """``22.05`` from ``slurm-wlm 22.05.8`` or ``slurm 23.11.4``."""
    match = re.search(r"(\d+)\.(\d+)", text)
    return f"{match.group(1)}.{match.group(2)}" if match else None


# ------------------------------------------------------------------ profile

def build_profile(nodes: Mapping[str, NodeSpec], partitions: Sequence[PartitionSpec],
                  slurm_version: str | None, gres_types: Iterable[str]) -> ClusterProfile:
    """The profile of these partitions: each one's largest node, dimension by dimension."""
    result: dict[str, PartitionProfile] = {}
    default: str | None = None
    for part in partitions:
        members = [nodes[n] for n in part.nodes if n in nodes]
        types: list[str] = []
        for node in members:
            types.extend(t for t in node.gpu_types if t not in types)
        result[part.name] = PartitionProfile(
            name=part.name,
            cpus_per_node=max((n.cpus for n in members), default=None),
            gpus_per_node=max((n.gpus for n in members), default=None),
            gpu_types=tuple(sorted(types)),
            mem_per_node_mb=max((n.mem_mb for n in members), default=None),
        )
        if part.default:
            default = part.name
    return ClusterProfile(slurm_version=slurm_version, default_partition=default,
                          partitions=result, gres_types=tuple(gres_types))


# ------------------------------------------------------------------ slurm.conf

@dataclass(frozen=True)
class _Record:
    pairs: tuple[tuple[str, str], ...]  # (lower-case key, value), in order
    where: str

    @property
    def kind(self) -> str:
        return self.pairs[0][0]

    @property
    def name(self) -> str:
        return self.pairs[0][1]

    def options(self) -> dict[str, str]:
        return {k: v for k, v in self.pairs[1:]}


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _strip_comment(raw)
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        yield start, pending + line
        pending = ""
    if pending:
        yield start, pending


def _strip_comment(line: str) -> str:
    out = []
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\" and i + 1 < len(line) and line[i + 1] == "#":
            out.append("#")
            i += 2
            continue
        if char == "#":
            break
        out.append(char)
        i += 1
    return "".join(out).rstrip()


def _records(path: Path, seen: set[Path]) -> list[_Record]:
    resolved = path.resolve()
    if resolved in seen:
        raise ProfileImportError(f"{path}: included twice (an Include loop)")
    seen = seen | {resolved}
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise ProfileImportError(f"cannot read {path}: {error.strerror}") from error
    records: list[_Record] = []
    for number, line in _logical_lines(text):
        where = f"{path}:{number}"
        stripped = line.strip()
        if not stripped:
            continue
        head = stripped.split(None, 1)
        if head[0].lower() == "include" and len(head) == 2 and "=" not in head[0]:
            records.extend(_include(path, head[1].strip(), seen, where))
            continue
        try:
            words = shlex.split(stripped, posix=True)
        except ValueError as error:
            raise ProfileImportError(f"{where}: {error}") from error
        pairs: list[tuple[str, str]] = []
        for word in words:
            key, eq, value = word.partition("=")
            if not eq:
                raise ProfileImportError(f"{where}: '{word}' is not KEY=VALUE")
            pairs.append((key.strip().lower(), value.strip()))
        records.append(_Record(tuple(pairs), where))
    return records


def _include(conf: Path, target: str, seen: set[Path], where: str) -> list[_Record]:
    pattern = target if os.path.isabs(target) else str(conf.parent / target)
    matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
    if not matches and not glob.has_magic(pattern):
        raise ProfileImportError(f"{where}: included file {pattern} does not exist")
    records: list[_Record] = []
    for match in matches:
        if not Path(match).is_file():
            raise ProfileImportError(f"{where}: included file {match} does not exist")
        records.extend(_records(Path(match), seen))
    return records


_NODE_SECTION = ("nodename", "partitionname", "nodeset", "downnodes", "frontendname")


def _node_spec(name: str, opts: Mapping[str, str], where: str) -> NodeSpec:
    boards = _int(opts.get("boards"), 1, where)
    if "socketsperboard" in opts:
        sockets = boards * _int(opts.get("socketsperboard"), 1, where)
    else:
        sockets = _int(opts.get("sockets"), 1, where)
    cores = _int(opts.get("corespersocket"), 1, where)
    threads = _int(opts.get("threadspercore"), 1, where)
    cpus = _int(opts.get("cpus", opts.get("procs")), sockets * cores * threads, where)
    # CPUs may count cores (not threads); then a specialized core is one CPU
    per_core = threads if cpus == sockets * cores * threads else 1
    if opts.get("cpuspeclist"):
        cpus -= _count_cpu_list(opts["cpuspeclist"])
    elif opts.get("corespeccount"):
        cpus -= _int(opts["corespeccount"], 0, where) * per_core
    gpus, gpu_types = parse_node_gres(opts.get("gres"))
    features = tuple(f.strip() for f in opts.get("features", opts.get("feature", "")).split(",")
                     if f.strip())
    return NodeSpec(name=name, cpus=max(cpus, 1), gpus=gpus, gpu_types=gpu_types,
                    mem_mb=_int(opts.get("realmemory"), 1, where), features=features)


def _names(expression: str, where: str) -> list[str]:
    try:
        return hostlist.expand(expression)
    except hostlist.HostlistError as error:
        raise ProfileImportError(f"{where}: {error}") from error


@dataclass(frozen=True)
class SlurmConf:
    """What profile import needs from one slurm.conf (and its includes)."""

    cluster_name: str | None
    gres_types: tuple[str, ...]
    nodes: dict[str, NodeSpec]
    partitions: tuple[PartitionSpec, ...]


def read_slurm_conf(path: Path) -> SlurmConf:
    """Read slurm.conf (with its ``Include`` files) into nodes and partitions."""
    records = _records(path, set())
    settings: dict[str, str] = {}
    node_defaults: dict[str, str] = {}
    part_defaults: dict[str, str] = {}
    nodes: dict[str, NodeSpec] = {}
    nodesets: dict[str, tuple[str, dict[str, str]]] = {}
    raw_partitions: list[tuple[str, dict[str, str], str]] = []
    for record in records:
        if record.kind not in _NODE_SECTION:
            for key, value in record.pairs:
                settings[key] = value
            continue
        opts = record.options()
        if record.kind == "nodename":
            if record.name.upper() == "DEFAULT":
                node_defaults.update(opts)
                continue
            merged = {**node_defaults, **opts}
            for name in _names(record.name, record.where):
                nodes[name] = _node_spec(name, merged, record.where)
        elif record.kind == "partitionname":
            if record.name.upper() == "DEFAULT":
                part_defaults.update(opts)
                continue
            raw_partitions.append((record.name, {**part_defaults, **opts}, record.where))
        elif record.kind == "nodeset":
            nodesets[record.name] = (record.where, opts)
    partitions = tuple(_partition(name, opts, where, nodes, nodesets)
                       for name, opts, where in raw_partitions)
    gres = tuple(t.strip() for t in settings.get("grestypes", "").split(",") if t.strip())
    return SlurmConf(cluster_name=settings.get("clustername"), gres_types=gres, nodes=nodes,
                     partitions=partitions)


def _partition(name: str, opts: Mapping[str, str], where: str, nodes: Mapping[str, NodeSpec],
               nodesets: Mapping[str, tuple[str, dict[str, str]]]) -> PartitionSpec:
    members: list[str] = []
    for part in hostlist.split_top(opts.get("nodes", "")) if opts.get("nodes") else []:
        if part.upper() == "ALL":
            members.extend(nodes)
        elif part in nodesets:
            set_where, set_opts = nodesets[part]
            if set_opts.get("nodes"):
                members.extend(_names(set_opts["nodes"], set_where))
            feature = set_opts.get("feature")
            if feature:
                members.extend(n.name for n in nodes.values() if feature in n.features)
        else:
            members.extend(_names(part, where))
    unique = tuple(dict.fromkeys(members))
    return PartitionSpec(name=name, nodes=unique,
                         default=opts.get("default", "NO").upper() == "YES")


def from_slurm_conf(path: Path,
                    slurm_version: str | None = None) -> tuple[ClusterProfile, str | None]:
    """The profile a slurm.conf describes, and its ClusterName."""
    conf = read_slurm_conf(path)
    if not conf.partitions:
        raise ProfileImportError(f"{path}: no PartitionName lines: nothing to import")
    profile = build_profile(conf.nodes, conf.partitions, slurm_version, conf.gres_types)
    return profile, conf.cluster_name


# ------------------------------------------------------------------ scontrol

# A key in `scontrol show ... -o` output starts a word and ends at '='.
_KEY = re.compile(r"(?:^|(?<=\s))([A-Za-z][A-Za-z0-9_/:.()-]*)=")


def scontrol_record(line: str) -> dict[str, str]:
    """One ``scontrol show ... -o`` line as a dict; a value runs to the next ``Key=``."""
    fields: dict[str, str] = {}
    matches = list(_KEY.finditer(line))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        fields.setdefault(match.group(1), line[match.end() : end].strip())
    return fields


def scontrol_config(text: str) -> dict[str, str]:
    """``scontrol show config`` (``Key = value`` lines) as a dict."""
    result: dict[str, str] = {}
    for line in text.splitlines():
        key, eq, value = line.partition("=")
        if eq and key.strip() and " " not in key.strip():
            result.setdefault(key.strip(), value.strip())
    return result


def _null(value: str | None) -> str | None:
    return None if value in (None, "", "(null)", "N/A") else value


def from_scontrol(node_text: str, partition_text: str, config_text: str = "",
                  slurm_version: str | None = None) -> ClusterProfile:
    """The profile of the outputs of ``scontrol show node -o`` / ``partition -o`` / ``config``."""
    nodes: dict[str, NodeSpec] = {}
    for line in node_text.splitlines():
        if not line.strip():
            continue
        rec = scontrol_record(line)
        name = rec.get("NodeName")
        if not name:
            continue
        where = f"scontrol show node {name}"
        cpus = _int(_null(rec.get("CPUEfctv")) or _null(rec.get("CPUTot")), 1, where)
        if rec.get("CPUEfctv") is None and _null(rec.get("CoreSpecCount")):
            cpus -= _int(rec.get("CoreSpecCount"), 0, where) * _int(rec.get("ThreadsPerCore"),
                                                                     1, where)
        gpus, types = parse_node_gres(_null(rec.get("Gres")))
        features = tuple(f for f in (_null(rec.get("AvailableFeatures")) or "").split(",") if f)
        nodes[name] = NodeSpec(name=name, cpus=max(cpus, 1), gpus=gpus, gpu_types=types,
                               mem_mb=_int(_null(rec.get("RealMemory")), 1, where),
                               features=features)
    partitions: list[PartitionSpec] = []
    for line in partition_text.splitlines():
        if not line.strip():
            continue
        rec = scontrol_record(line)
        name = rec.get("PartitionName")
        if not name:
            continue
        expr = _null(rec.get("Nodes"))
        members = tuple(_names(expr, f"scontrol show partition {name}")) if expr else ()
        partitions.append(PartitionSpec(name=name, nodes=members,
                                        default=rec.get("Default", "NO").upper() == "YES"))
    if not partitions:
        raise ProfileImportError("scontrol show partition listed no partitions: nothing to "
                                 "import")
    config = scontrol_config(config_text)
    gres = tuple(t.strip() for t in (_null(config.get("GresTypes")) or "").split(",")
                 if t.strip())
    return build_profile(nodes, partitions, slurm_version, gres)


def _run(argv: list[str], timeout: float) -> str:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as error:
        raise ProfileImportError(f"'{' '.join(argv)}' did not answer within "
                                 f"{timeout:g} s") from error
    except OSError as error:
        raise ProfileImportError(f"cannot run {argv[0]}: {error.strerror}") from error
    if proc.returncode != 0:
        said = (proc.stderr or proc.stdout).strip()
        raise ProfileImportError(f"'{' '.join(argv)}' failed (exit {proc.returncode}): {said}")
    return proc.stdout


@dataclass(frozen=True)
class ScontrolOutput:
    nodes: str
    partitions: str
    config: str
    version: str


def read_scontrol(timeout: float = SCONTROL_TIMEOUT) -> ScontrolOutput:
    """Ask the running cluster: nodes (also FUTURE ones), all partitions (also hidden), config."""
    scontrol = shutil.which("scontrol")
    if scontrol is None:
        raise ProfileImportError("scontrol is not on PATH: run this on a login node of the "
                                 "cluster, or import its slurm.conf instead")
    return ScontrolOutput(
        nodes=_run([scontrol, "--all", "--future", "--oneliner", "show", "node"], timeout),
        partitions=_run([scontrol, "--all", "--oneliner", "show", "partition"], timeout),
        config=_run([scontrol, "show", "config"], timeout),
        version=_run([scontrol, "--version"], timeout),
    )


def local_version_for(cluster_name: str | None, timeout: float = SCONTROL_TIMEOUT) -> str | None:
    """The local SLURM release, if the local controller is the cluster named ``cluster_name``.

    slurm.conf does not say which release reads it. When ``scontrol show
    config`` names the same ClusterName, the local ``scontrol --version`` is
    that cluster's release; otherwise the release stays unknown.
    """
    scontrol = shutil.which("scontrol")
    if scontrol is None or not cluster_name:
        return None
    try:
        config = scontrol_config(_run([scontrol, "show", "config"], timeout))
        if config.get("ClusterName") != cluster_name:
            return None
        return version_of(_run([scontrol, "--version"], timeout))
    except ProfileImportError:
        return None
