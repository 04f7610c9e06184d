"""With the imported profile, offline ``request-exceeds-node`` agrees with the real cluster.

The profile comes from the local cluster's own slurm.conf (``profile import``;
the same as from scontrol). Then ``scan --sbatch-check`` asks the controller
about every script: the offline rule must flag exactly the scripts the
controller refuses, over requests of many sizes and shapes (CPUs, tasks,
memory in its three forms, GPUs by count and type, partitions).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scriptkeeper.cluster.profile_import import scontrol_config
from scriptkeeper.cluster.sbatch_check import REFUSAL_RULES
from scriptkeeper.rules.config import load_config
from tests.cluster.conftest import disagreements, jobs_named, make_repo, scan_json

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]


def s(*directives: str) -> bytes:
    return b"#!/bin/bash\n" + b"".join(f"#SBATCH {d}\n".encode() for d in directives) + \
        b"srun hostname\n"


# Sizes around the node's limits (128 CPUs, 8 h200 GPUs, 2000G), on both sides.
SIZES: dict[str, bytes] = {
    "one_task": s("--ntasks=1"),
    "tasks_128": s("--ntasks-per-node=128"),
    "tasks_129": s("--ntasks-per-node=129"),
    "ntasks_128": s("--ntasks=128"),
    "ntasks_200_one_node": s("--nodes=1", "--ntasks=200"),
    "cpt_64_x2": s("--ntasks-per-node=2", "--cpus-per-task=64"),
    "cpt_64_x3": s("--ntasks-per-node=3", "--cpus-per-task=64"),
    "cpt_129": s("--cpus-per-task=129"),
    "cpt_16_x8_gpus": s("--ntasks-per-node=8", "--cpus-per-task=16", "--gres=gpu:8"),
    "cpt_17_x8_gpus": s("--ntasks-per-node=8", "--cpus-per-task=17", "--gres=gpu:8"),
    "mem_2000G": s("--mem=2000G"),
    "mem_2001G": s("--mem=2001G"),
    "mem_2048000M": s("--mem=2048000"),
    "mem_2048001M": s("--mem=2048001"),
    "mem_whole_node": s("--mem=0"),
    "mem_3T": s("--mem=3T"),
    "mem_per_cpu_fits": s("--nodes=1", "--ntasks=128", "--mem-per-cpu=16000"),
    "mem_per_cpu_over": s("--nodes=1", "--ntasks=128", "--mem-per-cpu=16001"),
    "mem_per_cpu_x_cpt_fits": s("--cpus-per-task=20", "--mem-per-cpu=100G"),
    "mem_per_cpu_x_cpt_over": s("--cpus-per-task=21", "--mem-per-cpu=100G"),
    "mem_per_gpu_fits": s("--gres=gpu:8", "--mem-per-gpu=250G"),
    "mem_per_gpu_over": s("--gres=gpu:8", "--mem-per-gpu=251G"),
    "gres_8": s("--gres=gpu:h200:8"),
    "gres_9": s("--gres=gpu:h200:9"),
    "gres_untyped_8": s("--gres=gpu:8"),
    "gres_wrong_type": s("--gres=gpu:a100:1"),
    "gres_type_case": s("--gres=gpu:H200:1"),
    "gres_unknown_name": s("--gres=shard:1"),
    "gpus_8": s("--gpus=h200:8"),
    "gpus_9_one_node": s("--nodes=1", "--gpus=9"),
    "gpus_per_node_9": s("--gpus-per-node=9"),
    "gpus_per_task_x8": s("--ntasks-per-node=8", "--gpus-per-task=1"),
    "gpus_per_task_2_x5": s("--ntasks-per-node=5", "--gpus-per-task=2"),
    "ntasks_per_gpu_16": s("--ntasks-per-gpu=16", "--gres=gpu:8"),
    "ntasks_per_gpu_17": s("--ntasks-per-gpu=17", "--gres=gpu:8"),
    "cpus_per_gpu_16": s("--gres=gpu:8", "--cpus-per-gpu=16"),
    "cpus_per_gpu_17": s("--gres=gpu:8", "--cpus-per-gpu=17"),
    "cpus_per_gpu_65_x2": s("--gres=gpu:2", "--cpus-per-gpu=65"),
    "mincpus_128": s("--mincpus=128"),
    "mincpus_129": s("--mincpus=129"),
    "debug_fits": s("--partition=debug", "--ntasks-per-node=128", "--time=30"),
    "debug_over": s("--partition=debug", "--ntasks-per-node=129"),
    "two_partitions": s("--partition=debug,h200", "--cpus-per-task=128"),
    "exclusive_full": s("--exclusive", "--ntasks-per-node=128", "--gres=gpu:8"),
    "array_over": s("--array=0-3", "--ntasks-per-node=129"),
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    repo = make_repo(tmp_path_factory.mktemp("agree") / "repo", SIZES)
    shown = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True,
                           timeout=60, check=True).stdout
    imported = subprocess.run(
        [sys.executable, "-m", "scriptkeeper", "profile", "import",
         scontrol_config(shown)["SLURM_CONF"]],
        cwd=repo, capture_output=True, text=True, timeout=120, check=False)
    assert imported.returncode == 0, imported.stderr
    via_scontrol = subprocess.run(
        [sys.executable, "-m", "scriptkeeper", "profile", "import", "--from-scontrol",
         "--dry-run", "-c", str(repo / "absent.yaml")],
        cwd=repo, capture_output=True, text=True, timeout=120, check=False)
    assert via_scontrol.stdout == (repo / "rules.yaml").read_text()  # one profile, two ways
    cluster = load_config(repo / "rules.yaml").cluster
    assert cluster is not None and cluster.partitions
    _, scripts = scan_json(repo, "--sbatch-check")
    assert jobs_named(set(SIZES)) == []  # nothing was queued
    return scripts


def rules_of(script: dict[str, object]) -> set[str]:
    findings = script["findings"]
    assert isinstance(findings, list)
    return {f["rule"] for f in findings}


def test_corpus_is_varied_enough(report: dict[str, dict[str, object]]) -> None:
    refused = [n for n, s in report.items() if "sbatch-refuses" in rules_of(s)]
    assert len(report) >= 20
    assert len(refused) >= 10 and len(report) - len(refused) >= 10


@pytest.mark.parametrize("name", sorted(SIZES))
def test_offline_verdict_agrees_with_the_cluster(name: str,
                                                 report: dict[str, dict[str, object]]) -> None:
    script = report[name]
    rules = rules_of(script)
    refused = "sbatch-refuses" in rules
    flagged = "request-exceeds-node" in rules
    findings = script["findings"]
    assert refused == flagged, f"cluster {'refused' if refused else 'accepted'}, offline " \
                               f"{'flagged' if flagged else 'did not flag'}: {findings}"
    # no other offline rule predicts a refusal: request-exceeds-node alone is compared
    assert rules & REFUSAL_RULES <= {"request-exceeds-node"}, findings
    assert disagreements(script) == []


# Requests the profile cannot describe (node count, sockets, cores, threads, local
# disk, a job spread over more nodes than the partition has): the cluster refuses
# them, scriptkeeper offline cannot know, and the report says so in a note instead of
# staying silent.
BEYOND_THE_PROFILE: dict[str, bytes] = {
    "two_nodes": s("--nodes=2"),
    "three_sockets": s("--sockets-per-node=3"),
    "65_cores_per_socket": s("--cores-per-socket=65"),
    "two_threads_per_core": s("--threads-per-core=2"),
    "local_disk": s("--tmp=1G"),
    # without --nodes SLURM may spread tasks and --gpus over several nodes: on this
    # one-node cluster it cannot, but on most clusters it can, so offline stays silent
    "ntasks_200_spread": s("--ntasks=200"),
    "gpus_9_spread": s("--gpus=9"),
    "gpus_per_task_x9_spread": s("--ntasks=9", "--gpus-per-task=1"),
    "mem_per_cpu_spread": s("--ntasks=128", "--mem-per-cpu=16001"),
}


def test_requests_beyond_the_profile_are_noted(tmp_path: Path) -> None:
    shown = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True,
                           timeout=60, check=True).stdout
    repo = make_repo(tmp_path / "repo", BEYOND_THE_PROFILE)
    imported = subprocess.run(
        [sys.executable, "-m", "scriptkeeper", "profile", "import",
         scontrol_config(shown)["SLURM_CONF"]],
        cwd=repo, capture_output=True, text=True, timeout=120, check=False)
    assert imported.returncode == 0, imported.stderr
    _, scripts = scan_json(repo, "--sbatch-check")
    for name, script in scripts.items():
        rules = rules_of(script)
        assert "sbatch-refuses" in rules and not rules & REFUSAL_RULES, name
        assert any("offline checks predicted sbatch would accept" in note
                   for note in disagreements(script)), name
