"""Smoke test of the real SLURM test cluster started by .ci/slurm/setup.sh.

Skips only when CI is unset and the cluster cannot be started; under CI a
missing cluster fails the test (see tests.support.slurm.require_cluster).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.slurm import (
    held_job,
    parse_scontrol_record,
    require_cluster,
    sbatch_test_only,
)

pytestmark = pytest.mark.slurm

TRIVIAL = "#!/bin/bash\n#SBATCH --time=00:01:00\necho hello\n"


@pytest.fixture(autouse=True)
def _cluster() -> None:
    require_cluster()


def _script(tmp_path: Path, text: str, name: str = "job.sh") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def test_trivial_script_is_accepted(tmp_path: Path) -> None:
    result = sbatch_test_only(_script(tmp_path, TRIVIAL))
    assert result.accepted, result.output
    assert result.returncode == 0
    assert "to start at" in result.stderr
    assert "partition h200" in result.stderr  # the default partition


def test_debug_partition_exists(tmp_path: Path) -> None:
    result = sbatch_test_only(_script(tmp_path, TRIVIAL), "--partition=debug")
    assert result.accepted, result.output


def test_unknown_partition_is_refused(tmp_path: Path) -> None:
    result = sbatch_test_only(_script(tmp_path, TRIVIAL), "--partition=nope")
    assert not result.accepted
    assert result.returncode != 0
    assert "invalid partition" in result.stderr.lower()


def test_crlf_script_is_refused(tmp_path: Path) -> None:
    script = _script(tmp_path, TRIVIAL.replace("\n", "\r\n"))
    result = sbatch_test_only(script)
    assert not result.accepted
    assert "DOS line breaks" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("--ntasks-per-node=129",),
        ("--cpus-per-task=129",),
        ("--mem=3000G",),
        ("--gres=gpu:h200:9",),
    ],
)
def test_request_larger_than_node_is_refused(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = sbatch_test_only(_script(tmp_path, TRIVIAL), *args)
    assert not result.accepted, result.output
    assert "Requested node configuration is not available" in result.stderr


@pytest.mark.parametrize(
    "args",
    [("--ntasks-per-node=128",), ("--mem=2000G",), ("--gres=gpu:h200:8",)],
)
def test_request_filling_node_is_accepted(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = sbatch_test_only(_script(tmp_path, TRIVIAL), *args)
    assert result.accepted, result.output


def test_held_job_shows_gpu_and_task_request(tmp_path: Path) -> None:
    script = _script(
        tmp_path,
        "#!/bin/bash\n"
        "#SBATCH --gres=gpu:h200:2 --ntasks-per-node=2\n"
        '#SBATCH --job-name="smoke held"\n'
        "srun hostname\n",
    )
    fields = held_job(script)
    assert fields["JobName"] == "smoke held"
    assert fields["TresPerNode"] == "gres:gpu:h200:2"
    assert fields["NumTasks"] == "2"
    assert fields["NtasksPerN:B:S:C"].startswith("2:")
    assert fields["Partition"] == "h200"
    assert fields["JobState"] == "PENDING"
    assert fields["Reason"] == "JobHeldUser"
    assert "cpu=2" in fields["TRES"]

    # held_job cancelled the job on the way out.
    show = subprocess.run(
        ["scontrol", "show", "job", "-o", fields["JobId"]],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if show.returncode == 0 and show.stdout.strip():
        assert parse_scontrol_record(show.stdout)["JobState"] == "CANCELLED"


def test_parse_scontrol_record_keeps_spaces_in_values() -> None:
    fields = parse_scontrol_record(
        "JobId=7 JobName=my job AllocNode:Sid=vm:12 Power= TresPerNode=gres:gpu:2 "
    )
    assert fields == {
        "JobId": "7",
        "JobName": "my job",
        "AllocNode:Sid": "vm:12",
        "Power": "",
        "TresPerNode": "gres:gpu:2",
    }
