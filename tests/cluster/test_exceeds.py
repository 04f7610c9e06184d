"""request-exceeds-node: what one node must hold, as the controller counts it.

The cases that the local one-node cluster can judge are also checked against
real sbatch in test_agreement.py; the ones about spreading over several nodes
follow sbatch's documented rule for a job without --nodes ("allocate enough
nodes to satisfy the requested resources as expressed by ... -n, -c and
--gpus"), which a one-node cluster cannot show.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scriptkeeper.pipeline.analyze import analyze_script
from scriptkeeper.rules.config import Config, load_config

PROFILE = """\
cluster:
  default_partition: gpu
  partitions:
    gpu: {cpus_per_node: 128, gpus_per_node: 8, gpu_types: [h200], mem_per_node: 2000G}
"""


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    path = tmp_path_factory.mktemp("exceeds") / "rules.yaml"
    path.write_text(PROFILE)
    return load_config(path)


def exceeds(config: Config, tmp_path: Path, *directives: str) -> str | None:
    data = b"#!/bin/bash\n" + b"".join(f"#SBATCH {d}\n".encode() for d in directives) + \
        b"srun hostname\n"
    result = analyze_script(tmp_path, "job.slurm", data, config)
    found = [f.message for f in result.findings if f.rule == "request-exceeds-node"]
    return found[0] if found else None


@pytest.mark.parametrize(
    ("directives", "says"),
    [
        (("--nodes=1", "--ntasks=200"), "200 CPUs per node (200 tasks x 1 CPUs per task)"),
        (("--nodes=2", "--ntasks=300"), "150 CPUs per node"),
        (("--ntasks=4", "--cpus-per-task=129"), "129 CPUs per node (1 task x 129"),
        (("--ntasks-per-node=16", "--gpus-per-task=1"), "16 GPUs per node"),
        (("--nodes=1", "--gpus=9"), "9 GPUs per node"),
        (("--nodes=2", "--gpus=24"), "12 GPUs per node"),
        (("--gres=gpu:9",), "9 GPUs per node"),
        (("--mincpus=129",), "at least 129 CPUs per node (--mincpus)"),
        (("--gres=gpu:8", "--cpus-per-gpu=17"), "136 CPUs per node (8 GPUs x 17 CPUs per GPU)"),
        (("--gpus-per-node=2", "--cpus-per-gpu=65"), "130 CPUs per node"),
        (("--nodes=1", "--gpus=8", "--cpus-per-gpu=17"), "136 CPUs per node"),
        (("--nodes=1", "--ntasks=128", "--mem-per-cpu=16001"), "2048128 MB of memory"),
        (("--ntasks=2", "--mem-per-cpu=2001G"), "2049024 MB of memory"),
        (("--gres=gpu:8", "--mem-per-gpu=251G"), "2056192 MB of memory"),
    ],
)
def test_flagged(config: Config, tmp_path: Path, directives: tuple[str, ...], says: str) -> None:
    message = exceeds(config, tmp_path, *directives)
    assert message is not None and says in message


@pytest.mark.parametrize(
    "directives",
    [
        ("--ntasks=200",),  # spread over two nodes
        ("--ntasks=1000", "--cpus-per-task=128"),
        ("--gpus=16",),  # two nodes of 8
        ("--ntasks=16", "--gpus-per-task=1"),
        ("--ntasks=256", "--mem-per-cpu=16000"),
        ("--nodes=1-2", "--ntasks=256"),  # up to two nodes: 128 each
        ("--gpus=16", "--cpus-per-gpu=16"),
        ("--nodes=1", "--ntasks=128", "--mem-per-cpu=16000"),
        ("--gres=gpu:8", "--cpus-per-gpu=16", "--mem-per-gpu=250G"),
        ("--mincpus=128",),
        ("--ntasks-per-node=8", "--cpus-per-task=16", "--gres=gpu:h200:8", "--mem=2000G"),
    ],
)
def test_left_alone(config: Config, tmp_path: Path, directives: tuple[str, ...]) -> None:
    assert exceeds(config, tmp_path, *directives) is None
