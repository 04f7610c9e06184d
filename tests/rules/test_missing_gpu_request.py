"""missing-gpu-request where the cluster may hand out GPUs without a request."""

from __future__ import annotations

from pathlib import Path

from tests.body.repo import CLUSTER, errors, finding, judge, rules
from tests.rules.entries import TORCH_DDP

DDP = """
    #!/bin/bash
    #SBATCH --nodes=1
    {extra}
    srun python train.py
"""


def test_exclusive_without_a_request_is_a_warning_saying_why(tmp_path: Path) -> None:
    result = judge(tmp_path, DDP.format(extra="#SBATCH --exclusive"), {"train.py": TORCH_DDP})
    assert "missing-gpu-request" not in errors(result)
    found = finding(result, "missing-gpu-request")
    assert found.severity == "warning"
    assert "--exclusive gives the job whole nodes" in found.message
    assert result.verdict == "keep"


def test_exclusive_on_a_profile_that_says_gpus_are_managed_stays_an_error(
        tmp_path: Path) -> None:
    result = judge(tmp_path, DDP.format(extra="#SBATCH --exclusive"), {"train.py": TORCH_DDP},
                   rules=CLUSTER.replace("cluster:\n", "cluster:\n  gpus_managed: true\n"))
    assert "missing-gpu-request" in errors(result)


def test_a_real_missing_request_stays_an_error(tmp_path: Path) -> None:
    result = judge(tmp_path, DDP.format(extra=""), {"train.py": TORCH_DDP},
                   rules=CLUSTER.replace("cluster:\n", "cluster:\n  gpus_managed: true\n"))
    assert "missing-gpu-request" in errors(result)


def test_no_finding_where_the_profile_says_gpus_are_not_managed(tmp_path: Path) -> None:
    result = judge(tmp_path, DDP.format(extra=""), {"train.py": TORCH_DDP},
                   rules=CLUSTER.replace("cluster:\n", "cluster:\n  gpus_managed: false\n"))
    assert "missing-gpu-request" not in rules(result)


def test_a_node_probe_that_asks_for_zero_gpus(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --gres=gpu:0
        #SBATCH --ntasks=1
        hostname
        nvidia-smi
    """, pins=None)
    assert "missing-gpu-request" not in rules(result)


def test_zero_gpus_with_real_gpu_work_stays_an_error(tmp_path: Path) -> None:
    result = judge(tmp_path, DDP.format(extra="#SBATCH --gres=gpu:0"), {"train.py": TORCH_DDP})
    assert "missing-gpu-request" in errors(result)
