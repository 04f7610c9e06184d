"""profile import rewrites only the cluster: block of rules.yaml, keeping comments and keys."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from scriptkeeper.cluster.profile_write import ProfileWriteError, mem_text, merge, write
from scriptkeeper.model.cluster_profile import ClusterProfile, PartitionProfile
from scriptkeeper.rules.config import load_config

PROFILE = ClusterProfile(
    slurm_version="22.05", default_partition="h200", gres_types=("gpu",),
    partitions={"h200": PartitionProfile("h200", 128, 8, ("h200",), 2048000),
                "debug": PartitionProfile("debug", 64, 0, (), 515000)})

USER = """\
# Team settings.
scripts: {include: ["scripts/**"]}

# The cluster: keep plugin options here.
cluster:
    # pyxis is installed on every node
    plugin_options: [container-image, container-mounts]   # from plugstack.conf
    gpus_managed: false
    slurm_version: "21.08"
    partitions:
        old: {cpus_per_node: 4}
        # the main partition
        h200: {cpus_per_node: 64, gpus_per_node: 4}  # stale numbers
# about redundancy
redundancy:
  pin:
  - scripts/a.slurm
rules:
  duplicate-option: {severity: info}   # we do this on purpose
"""


def cluster_lines(text: str) -> tuple[list[str], list[str], list[str]]:
    """Lines before the cluster block, the block, and after it."""
    lines = text.splitlines()
    start = lines.index("cluster:")
    end = next(i for i in range(start + 1, len(lines))
               if lines[i] and not lines[i].startswith((" ", "#")))
    while lines[end - 1].startswith("#"):
        end -= 1
    return lines[:start], lines[start:end], lines[end:]


def load(tmp_path: Path, text: str) -> ClusterProfile:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    cluster = load_config(path).cluster
    assert cluster is not None
    return cluster


def test_merge_replaces_owned_keys_and_keeps_the_rest(tmp_path: Path) -> None:
    new = merge(USER, PROFILE)
    before, _, after = cluster_lines(USER)
    new_before, new_block, new_after = cluster_lines(new)
    assert (new_before, new_after) == (before, after)  # every other line byte for byte
    text = "\n".join(new_block)
    for kept in ("# pyxis is installed on every node", "# from plugstack.conf",
                 "gpus_managed: false", "# the main partition"):
        assert kept in text
    assert "old" not in text  # the cluster has no such partition any more
    cluster = load(tmp_path, new)
    assert cluster.partitions == PROFILE.partitions
    assert (cluster.slurm_version, cluster.default_partition, cluster.gres_types) == \
        ("22.05", "h200", ("gpu",))
    assert cluster.plugin_options == ("container-image", "container-mounts")
    assert cluster.gpus_managed is False


def test_merge_is_idempotent() -> None:
    once = merge(USER, PROFILE)
    assert merge(once, PROFILE) == once


def test_unknown_version_keeps_the_one_written(tmp_path: Path) -> None:
    profile = ClusterProfile(default_partition="h200", partitions=PROFILE.partitions)
    cluster = load(tmp_path, merge(USER, profile))
    assert cluster.slurm_version == "21.08"
    assert cluster.gres_types == ()


def test_version_that_looks_like_a_number_stays_a_string(tmp_path: Path) -> None:
    profile = ClusterProfile(slurm_version="23.10", partitions=PROFILE.partitions)
    assert load(tmp_path, merge(None, profile)).slurm_version == "23.10"


def test_new_file(tmp_path: Path) -> None:
    text = merge(None, PROFILE)
    assert text.startswith("# The cluster the jobs run on")
    cluster = load(tmp_path, text)
    assert cluster.partitions == PROFILE.partitions
    assert cluster.default_partition == "h200"


def test_file_without_cluster_gets_one_appended(tmp_path: Path) -> None:
    original = "# mine\nscripts:\n  include: [jobs/**]   # the jobs\n"
    text = merge(original, PROFILE)
    assert text.startswith(original)
    assert load(tmp_path, text).partitions == PROFILE.partitions


def test_flow_style_cluster(tmp_path: Path) -> None:
    original = ("cluster: {gpus_managed: false, partitions: {x: {cpus_per_node: 2}}}\n"
                "rules: {}\n")
    cluster = load(tmp_path, merge(original, PROFILE))
    assert cluster.partitions == PROFILE.partitions
    assert cluster.gpus_managed is False


def test_empty_cluster_key(tmp_path: Path) -> None:
    cluster = load(tmp_path, merge("cluster:\nrules: {}\n", PROFILE))
    assert cluster.partitions == PROFILE.partitions


def test_write_keeps_mode_and_checks_the_result(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(USER)
    path.chmod(0o640)
    written = write(path, PROFILE)
    assert path.read_text() == written
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["rules.yaml"]  # no temporary file left


def test_write_refuses_a_broken_rules_yaml(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("cluster:\n  partitions: {}\nnot_a_section: 1\n")
    with pytest.raises(ProfileWriteError, match="not_a_section"):
        write(path, PROFILE)
    assert path.read_text() == "cluster:\n  partitions: {}\nnot_a_section: 1\n"


def test_write_creates_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    write(path, PROFILE)
    assert load_config(path).cluster == PROFILE


@pytest.mark.parametrize(("mb", "text"), [(2048000, "2000G"), (515000, "515000M"),
                                          (1048576, "1T"), (1536, "1536M"), (1, "1M")])
def test_mem_text(mb: int, text: str) -> None:
    assert mem_text(mb) == text
