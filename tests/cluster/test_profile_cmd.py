"""``scriptkeeper profile import``: from slurm.conf, from the real cluster's scontrol."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scriptkeeper.cluster.profile_import import scontrol_config
from scriptkeeper.model.cluster_profile import PartitionProfile
from scriptkeeper.rules.config import load_config

CONF = """\
ClusterName=elsewhere
GresTypes=gpu
NodeName=g[1-4] CPUs=64 RealMemory=515000 Gres=gpu:a100:4
PartitionName=gpu Nodes=g[1-4] Default=YES
"""


def run(*args: str, cwd: Path, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scriptkeeper", "profile", "import", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
                          env=env)


def test_import_from_file_writes_rules_yaml(tmp_path: Path) -> None:
    (tmp_path / "slurm.conf").write_text(CONF)
    rules = tmp_path / "rules.yaml"
    rules.write_text("# ours\nscripts: {include: [jobs/**]}\n")
    result = run("slurm.conf", "--slurm-version", "23.02", "-c", str(rules), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "gpu (default): 64 CPUs, 4 a100 GPUs, 515000 MB per node" in result.stdout
    assert rules.read_text().startswith("# ours\nscripts: {include: [jobs/**]}\n")
    cluster = load_config(rules).cluster
    assert cluster is not None
    assert cluster.slurm_version == "23.02"
    assert cluster.partitions == {"gpu": PartitionProfile("gpu", 64, 4, ("a100",), 515000)}


def test_dry_run_prints_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "slurm.conf").write_text(CONF)
    result = run("slurm.conf", "--dry-run", "-c", str(tmp_path / "rules.yaml"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "cpus_per_node: 64" in result.stdout
    assert not (tmp_path / "rules.yaml").exists()


@pytest.mark.parametrize(
    ("args", "says"),
    [((), "either a slurm.conf path or --from-scontrol"),
     (("slurm.conf", "--from-scontrol"), "either a slurm.conf path or --from-scontrol"),
     (("missing.conf",), "no such file"),
     (("empty.conf",), "no PartitionName lines")],
)
def test_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...], says: str) -> None:
    (tmp_path / "slurm.conf").write_text(CONF)
    (tmp_path / "empty.conf").write_text("ClusterName=x\n")
    result = run(*args, "-c", str(tmp_path / "rules.yaml"), cwd=tmp_path)
    assert result.returncode == 2
    assert says in result.stderr
    assert not (tmp_path / "rules.yaml").exists()


def test_from_scontrol_without_scontrol_exits_2(tmp_path: Path) -> None:
    env = dict(os.environ, PATH=str(tmp_path))
    result = run("--from-scontrol", "-c", str(tmp_path / "rules.yaml"), cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "scontrol is not on PATH" in result.stderr


def test_refuses_to_write_into_the_builtin_rule_set(tmp_path: Path) -> None:
    from scriptkeeper.rules.config import builtin_text

    (tmp_path / "slurm.conf").write_text(CONF)
    target = tmp_path / "rules.yaml"
    target.write_text(builtin_text())
    result = run("slurm.conf", "-c", str(target), cwd=tmp_path)
    assert result.returncode == 2
    assert "built-in rule set" in result.stderr
    assert target.read_text() == builtin_text()


@pytest.mark.slurm
@pytest.mark.usefixtures("slurm_cluster")
def test_slurm_conf_and_scontrol_give_the_same_profile(tmp_path: Path) -> None:
    """The local cluster's own slurm.conf and its scontrol output: one profile."""
    shown = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True,
                           timeout=60, check=True).stdout
    slurm_conf = scontrol_config(shown)["SLURM_CONF"]
    from_file = tmp_path / "from_file.yaml"
    from_scontrol = tmp_path / "from_scontrol.yaml"
    one = run(slurm_conf, "-c", str(from_file), cwd=tmp_path)
    two = run("--from-scontrol", "-c", str(from_scontrol), cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    assert two.returncode == 0, two.stderr
    assert from_file.read_text() == from_scontrol.read_text()
    cluster = load_config(from_file).cluster
    assert cluster == load_config(from_scontrol).cluster
    assert cluster is not None
    # what .ci/slurm/setup.sh configures, and the release sbatch reports
    version = subprocess.run(["sbatch", "--version"], capture_output=True, text=True,
                             timeout=60, check=True).stdout.split()[-1]
    assert version.startswith(f"{cluster.slurm_version}.")
    assert cluster.default_partition == "h200"
    assert cluster.gres_types == ("gpu",)
    node = (128, 8, ("h200",), 2048000)
    assert {name: (p.cpus_per_node, p.gpus_per_node, p.gpu_types, p.mem_per_node_mb)
            for name, p in cluster.partitions.items()} == {"h200": node, "debug": node}
