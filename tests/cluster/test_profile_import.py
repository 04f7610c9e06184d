"""profile import reads slurm.conf and scontrol output into the same cluster profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from scriptkeeper.cluster.profile_import import (
    ProfileImportError,
    from_scontrol,
    from_slurm_conf,
    parse_node_gres,
    read_slurm_conf,
    scontrol_record,
    version_of,
)
from scriptkeeper.model.cluster_profile import ClusterProfile, PartitionProfile

CONF = """\
# A made-up cluster with the shapes real slurm.conf files have.
ClusterName=big
GresTypes=gpu,shard
NodeName=fat1 CPUs=256 Boards=1 SocketsPerBoard=4 CoresPerSocket=32 ThreadsPerCore=2 \\
    RealMemory=4096000 CoreSpecCount=4 MemSpecLimit=8000
NodeName=DEFAULT Boards=1 SocketsPerBoard=2 CoresPerSocket=32 ThreadsPerCore=2 RealMemory=512000
NodeName=cpu[001-004]
nodename=gpu[01-02] CPUs=96 RealMemory=1024000 Gres=gpu:a100:4,gpu:h100:4 Features=hopper,ib
NodeSet=hop Feature=hopper
PartitionName=DEFAULT MaxTime=INFINITE State=UP
PartitionName=cpu Nodes=cpu[001-004] Default=YES   # the default one
PartitionName=gpu Nodes=gpu[01-02],fat1
PartitionName=all Nodes=ALL
PartitionName=hopper Nodes=hop
PartitionName=empty
Include extra.conf
"""

EXTRA = "PartitionName=extra Nodes=cpu001 Hidden=YES\n"


def write_conf(tmp_path: Path, text: str = CONF, extra: str | None = EXTRA) -> Path:
    conf = tmp_path / "slurm.conf"
    conf.write_text(text)
    if extra is not None:
        (tmp_path / "extra.conf").write_text(extra)
    return conf


def test_slurm_conf_partitions_take_their_largest_node(tmp_path: Path) -> None:
    profile, name = from_slurm_conf(write_conf(tmp_path), "23.11")
    assert name == "big"
    assert profile.slurm_version == "23.11"
    assert profile.default_partition == "cpu"
    assert profile.gres_types == ("gpu", "shard")
    parts = profile.partitions
    assert list(parts) == ["cpu", "gpu", "all", "hopper", "empty", "extra"]
    # DEFAULT line: 2 sockets x 32 cores x 2 threads
    assert parts["cpu"] == PartitionProfile("cpu", 128, 0, (), 512000)
    # fat1 has 256 CPUs less 4 specialized cores of 2 threads; gpu nodes have 8 GPUs
    assert parts["gpu"] == PartitionProfile("gpu", 248, 8, ("a100", "h100"), 4096000)
    assert parts["all"] == PartitionProfile("all", 248, 8, ("a100", "h100"), 4096000)
    assert parts["hopper"] == PartitionProfile("hopper", 96, 8, ("a100", "h100"), 1024000)
    assert parts["empty"] == PartitionProfile("empty", None, None, (), None)
    assert parts["extra"] == PartitionProfile("extra", 128, 0, (), 512000)


def test_slurm_conf_nodes(tmp_path: Path) -> None:
    conf = read_slurm_conf(write_conf(tmp_path))
    assert sorted(conf.nodes) == ["cpu001", "cpu002", "cpu003", "cpu004", "fat1", "gpu01",
                                  "gpu02"]
    assert conf.nodes["gpu02"].features == ("hopper", "ib")
    assert conf.partitions[2].nodes[:2] == ("fat1", "cpu001")


def test_cpus_default_to_sockets_cores_threads(tmp_path: Path) -> None:
    conf = write_conf(tmp_path, "NodeName=n1 Sockets=2 CoresPerSocket=8 ThreadsPerCore=2\n"
                                "NodeName=n2\nPartitionName=p Nodes=n[1-2]\n", None)
    nodes = read_slurm_conf(conf).nodes
    assert nodes["n1"].cpus == 32
    assert nodes["n2"].cpus == 1 and nodes["n2"].mem_mb == 1  # slurm.conf's defaults


def test_cpu_spec_list_is_subtracted(tmp_path: Path) -> None:
    conf = write_conf(tmp_path, "NodeName=n1 CPUs=64 CpuSpecList=0-1,32-33\n"
                                "PartitionName=p Nodes=n1\n", None)
    assert read_slurm_conf(conf).nodes["n1"].cpus == 60


def test_missing_include_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ProfileImportError, match=r"extra\.conf"):
        from_slurm_conf(write_conf(tmp_path, extra=None))


def test_include_glob_and_relative_path(tmp_path: Path) -> None:
    (tmp_path / "parts.d").mkdir()
    (tmp_path / "parts.d" / "a.conf").write_text("PartitionName=a Nodes=n1\n")
    (tmp_path / "parts.d" / "b.conf").write_text("PartitionName=b Nodes=n1 Default=YES\n")
    conf = write_conf(tmp_path, "NodeName=n1 CPUs=8\ninclude parts.d/*.conf\n", None)
    profile, _ = from_slurm_conf(conf)
    assert list(profile.partitions) == ["a", "b"]
    assert profile.default_partition == "b"


def test_include_loop_is_an_error(tmp_path: Path) -> None:
    conf = write_conf(tmp_path, "Include slurm.conf\n", None)
    with pytest.raises(ProfileImportError, match="loop"):
        from_slurm_conf(conf)


def test_no_partition_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ProfileImportError, match="no PartitionName"):
        from_slurm_conf(write_conf(tmp_path, "NodeName=n1 CPUs=8\n", None))


def test_bad_number_names_the_line(tmp_path: Path) -> None:
    conf = write_conf(tmp_path, "NodeName=n1 CPUs=many\nPartitionName=p Nodes=n1\n", None)
    with pytest.raises(ProfileImportError, match=r"slurm.conf:1: 'many'"):
        from_slurm_conf(conf)


@pytest.mark.parametrize(
    ("gres", "gpus", "types"),
    [
        ("gpu:h200:8", 8, ("h200",)),
        ("gpu:8", 8, ()),
        ("gpu", 1, ()),
        ("gpu:tesla", 1, ("tesla",)),
        ("gpu:a100:4,gpu:h100:2,nvme:1", 6, ("a100", "h100")),
        ("gpu:h200:8(S:0-1)", 8, ("h200",)),
        ("gpu:a100:2(S:0),gpu:a100:2(S:1)", 4, ("a100",)),
        ("gpu:h100:no_consume:4", 4, ("h100",)),
        ("shard:64", 0, ()),
        ("(null)", 0, ()),
    ],
)
def test_node_gres(gres: str, gpus: int, types: tuple[str, ...]) -> None:
    assert parse_node_gres(gres) == (gpus, types)


# Recorded from the local test cluster (.ci/slurm/setup.sh), plus a second node.
NODES = (
    "NodeName=vm Arch=x86_64 CoresPerSocket=64  CPUAlloc=0 CPUEfctv=128 CPUTot=128 "
    "CPULoad=0.43 AvailableFeatures=(null) ActiveFeatures=(null) Gres=gpu:h200:8 "
    "NodeAddr=127.0.0.1 NodeHostName=vm Version=22.05.8 OS=Linux 6.18.44-fc-v782 #1 SMP "
    "PREEMPT_DYNAMIC @0  RealMemory=2048000 AllocMem=0 FreeMem=23004 Sockets=2 Boards=1 "
    "State=IDLE ThreadsPerCore=1 TmpDisk=0 Weight=1 Owner=N/A MCS_label=N/A "
    "Partitions=h200,debug  BootTime=2026-11-24T00:58:27 CfgTRES=cpu=128,mem=2000G,billing=128\n"
    "NodeName=big1 CoresPerSocket=32 CPUAlloc=0 CPUEfctv=60 CPUTot=64 CoreSpecCount=2 "
    "Gres=gpu:a100:4(S:0-1) RealMemory=4096000 Sockets=2 ThreadsPerCore=1 State=IDLE "
    "Partitions=big\n"
)
PARTITIONS = (
    "PartitionName=h200 AllowGroups=ALL Default=YES MaxTime=UNLIMITED Nodes=vm State=UP "
    "TotalCPUs=128 TotalNodes=1 TRES=cpu=128,mem=2000G,node=1,billing=128\n"
    "PartitionName=debug AllowGroups=ALL Default=NO MaxTime=00:30:00 Nodes=vm State=UP\n"
    "PartitionName=big Default=NO Nodes=big1,vm State=UP\n"
    "PartitionName=none Default=NO Nodes=(null) State=UP\n"
)
CONFIG = "Configuration data as of 2026-11-24T01:24:00\nClusterName             = sk\n" \
         "GresTypes               = gpu\n"


def test_scontrol_output() -> None:
    profile = from_scontrol(NODES, PARTITIONS, CONFIG, version_of("slurm-wlm 22.05.8"))
    node = PartitionProfile("h200", 128, 8, ("h200",), 2048000)
    assert profile == ClusterProfile(
        slurm_version="22.05", default_partition="h200",
        partitions={"h200": node, "debug": PartitionProfile("debug", 128, 8, ("h200",), 2048000),
                    "big": PartitionProfile("big", 128, 8, ("a100", "h200"), 4096000),
                    "none": PartitionProfile("none")},
        gres_types=("gpu",))


def test_scontrol_without_cpuefctv_subtracts_core_spec() -> None:
    nodes = "NodeName=n1 CPUTot=64 CoreSpecCount=2 ThreadsPerCore=2 RealMemory=1000\n"
    profile = from_scontrol(nodes, "PartitionName=p Nodes=n1\n")
    assert profile.partitions["p"].cpus_per_node == 60


def test_scontrol_without_partitions_is_an_error() -> None:
    with pytest.raises(ProfileImportError):
        from_scontrol(NODES, "")


def test_scontrol_record_values_with_spaces() -> None:
    record = scontrol_record("NodeName=vm OS=Linux 6.1 #1 SMP RealMemory=10 Reason=a b [root]")
    assert record == {"NodeName": "vm", "OS": "Linux 6.1 #1 SMP", "RealMemory": "10",
                      "Reason": "a b [root]"}


@pytest.mark.parametrize(("text", "version"), [("slurm-wlm 22.05.8", "22.05"),
                                               ("slurm 23.11.4", "23.11"), ("nothing", None)])
def test_version_of(text: str, version: str | None) -> None:
    assert version_of(text) == version
