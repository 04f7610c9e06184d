"""The cache's JSON codec: exact round trips, and refusal of anything else."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from scriptkeeper import resultcodec
from scriptkeeper.result import ScriptResult
from scriptkeeper.findings import Finding
from scriptkeeper.model import JobModel, LaunchStep
from scriptkeeper.scan import run_scan

from .repo import example_repo

GIVEN = frozenset({"path", "data"})


def _round_trip(result: ScriptResult) -> ScriptResult:
    text = json.dumps(resultcodec.encode(result, GIVEN))
    return resultcodec.decode(ScriptResult, json.loads(text),
                              {"path": result.path, "data": result.data})


@pytest.fixture(scope="module")
def example_results(tmp_path_factory: pytest.TempPathFactory) -> list[ScriptResult]:
    repo = example_repo(tmp_path_factory.mktemp("codec") / "ws")
    return run_scan([repo.path], redundancy=False, use_cache=False).scripts


def test_every_example_result_survives_json_unchanged(example_results: list[ScriptResult]
                                                      ) -> None:
    assert len(example_results) >= 19
    assert any(r.job is not None and r.job.options for r in example_results)
    for result in example_results:
        assert _round_trip(result) == result


def test_every_field_of_the_stored_classes_can_be_stored() -> None:
    # a field added to the model with a type the codec cannot hold fails here, not silently
    for cls in (ScriptResult, JobModel, LaunchStep, Finding):
        assert resultcodec.schema(cls, GIVEN if cls is ScriptResult else frozenset())


def test_a_launch_step_with_every_kind_of_value_round_trips() -> None:
    step = LaunchStep(line=7, text="srun torchrun x.py", srun=True,
                      srun_options={"ntasks": "8", "exact": None}, launcher="torchrun",
                      tasks_per_node=None, entry="x.py", entry_exists=False,
                      extra={"argv": ["a", 1, 2.5, None, True], "nested": {"k": [{}]}})
    stored = json.loads(json.dumps(resultcodec.encode(step)))
    assert resultcodec.decode(LaunchStep, stored) == step


def test_values_that_would_not_come_back_equal_are_refused() -> None:
    finding = Finding("SK001", "missing-shebang", "error", 1, "m", "f")
    with pytest.raises(resultcodec.CodecError):
        resultcodec.encode(replace(finding, line=True))  # a bool is not an int
    step = LaunchStep(line=1, text="x", extra={"pair": (1, 2)})  # a tuple comes back a list
    with pytest.raises(resultcodec.CodecError):
        resultcodec.encode(step)
    with pytest.raises(resultcodec.CodecError):
        resultcodec.encode(LaunchStep(line=1, text="x", extra={1: "int key"}))


@pytest.mark.parametrize("tamper", [
    lambda v: v[:-1],  # a field missing
    lambda v: [*v, "extra"],  # a field too many
    lambda v: [True, *v[1:]],  # code: bool for str
    lambda v: [*v[:3], "4", *v[4:]],  # line: str for int
    lambda v: {"code": v[0]},  # not a list at all
])
def test_decoding_checks_every_value(tamper: Any) -> None:
    stored = resultcodec.encode(Finding("SK001", "missing-shebang", "error", 4, "m", "f"))
    with pytest.raises(resultcodec.CodecError):
        resultcodec.decode(Finding, tamper(stored))


def test_decoding_checks_nested_values(example_results: list[ScriptResult]) -> None:
    result = next(r for r in example_results if r.job is not None and r.job.options)
    stored = resultcodec.encode(result, GIVEN)
    job_at = resultcodec._plan(ScriptResult, GIVEN).fields.index("job")
    options_at = resultcodec._plan(JobModel).fields.index("options")
    nodes_at = resultcodec._plan(JobModel).fields.index("nodes")
    given = {"path": result.path, "data": result.data}
    bad_option = json.loads(json.dumps(stored))
    bad_option[job_at][options_at]["time"] = 10  # options hold strings or None
    bad_nodes = json.loads(json.dumps(stored))
    bad_nodes[job_at][nodes_at] = "2"
    for tampered in (bad_option, bad_nodes):
        with pytest.raises(resultcodec.CodecError):
            resultcodec.decode(ScriptResult, tampered, given)


def test_a_type_the_codec_cannot_store_is_refused_when_planned() -> None:
    @dataclass(frozen=True)
    class Odd:
        names: set[str] = field(default_factory=set)

    with pytest.raises(resultcodec.CodecError, match="cannot store"):
        resultcodec.encode(Odd())


@dataclass(frozen=True)
class Checked:
    count: int

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ValueError("count must be >= 0")


def test_a_class_with_post_init_is_built_through_init() -> None:
    assert resultcodec.decode(Checked, [3]) == Checked(3)
    with pytest.raises(ValueError, match="count"):
        resultcodec.decode(Checked, [-1])


def test_decoded_frozen_objects_are_equal_and_hash_alike() -> None:
    finding = Finding("SK001", "missing-shebang", "error", 1, "m", "f")
    decoded = resultcodec.decode(Finding, json.loads(json.dumps(resultcodec.encode(finding))))
    assert decoded == finding and hash(decoded) == hash(finding)
    with pytest.raises(AttributeError):
        decoded.line = 2  # type: ignore[misc]


def test_the_schema_names_nested_classes() -> None:
    text = resultcodec.schema(JobModel)
    assert "PartitionProfile(" in text and "mem_per_node_mb" in text


def test_round_trip_of_a_scan_outside_git(tmp_path: Path) -> None:
    (tmp_path / "a.slurm").write_text("#!/bin/bash\n#SBATCH -N 2 --gres=gpu:4 -t 1-0\n"
                                      "#SBATCH --exclusive\nsrun python x.py\n")
    (result,) = run_scan([tmp_path], redundancy=False, use_cache=False).scripts
    assert result.job is not None and result.job.exclusive and result.job.nodes == 2
    assert _round_trip(result) == result
