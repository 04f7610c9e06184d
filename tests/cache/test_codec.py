"""The cache's JSON codec: exact round trips, and refusal of anything else."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from scriptkeeper.cache import codec
from scriptkeeper.cache import entry as cacheentry
from scriptkeeper.model.build import JobModel, LaunchStep
from scriptkeeper.pipeline.scan import run_scan
from scriptkeeper.records import Detail, Finding, ScriptResult
from tests.hook.repo import example_repo


def _never() -> Detail:
    raise AssertionError("an intact entry must not be analysed again")


def _round_trip(result: ScriptResult) -> ScriptResult:
    text = json.dumps(cacheentry.encode(result, "sha", "config"))
    return cacheentry.decode(result.path, result.data, json.loads(text), _never)


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
    for cls in (JobModel, LaunchStep, Finding):
        assert codec.schema(cls)


def test_a_launch_step_with_every_kind_of_value_round_trips() -> None:
    step = LaunchStep(line=7, text="srun torchrun x.py", srun=True,
                      srun_options={"ntasks": "8", "exact": None}, launcher="torchrun",
                      tasks_per_node=None, entry="x.py", entry_exists=False,
                      extra={"argv": ["a", 1, 2.5, None, True], "nested": {"k": [{}]}})
    stored = json.loads(json.dumps(codec.encode(step)))
    assert codec.decode(LaunchStep, stored) == step


def test_values_that_would_not_come_back_equal_are_refused() -> None:
    finding = Finding("SK001", "missing-shebang", "error", 1, "m", "f")
    with pytest.raises(codec.CodecError):
        codec.encode(replace(finding, line=True))  # a bool is not an int
    step = LaunchStep(line=1, text="x", extra={"pair": (1, 2)})  # a tuple comes back a list
    with pytest.raises(codec.CodecError):
        codec.encode(step)
    with pytest.raises(codec.CodecError):
        codec.encode(LaunchStep(line=1, text="x", extra={1: "int key"}))


@pytest.mark.parametrize("tamper", [
    lambda v: v[:-1],  # a field missing
    lambda v: [*v, "extra"],  # a field too many
    lambda v: [True, *v[1:]],  # code: bool for str
    lambda v: [*v[:3], "4", *v[4:]],  # line: str for int
    lambda v: {"code": v[0]},  # not a list at all
])
def test_decoding_checks_every_value(tamper: Any) -> None:
    stored = codec.encode(Finding("SK001", "missing-shebang", "error", 4, "m", "f"))
    with pytest.raises(codec.CodecError):
        codec.decode(Finding, tamper(stored))


def test_decoding_checks_nested_values(example_results: list[ScriptResult]) -> None:
    result = next(r for r in example_results if r.job is not None and r.job.options)
    assert result.job is not None
    stored = codec.encode(result.job)
    options_at = codec._plan(JobModel).fields.index("options")
    nodes_at = codec._plan(JobModel).fields.index("nodes")
    bad_option = json.loads(json.dumps(stored))
    bad_option[options_at]["time"] = 10  # options hold strings or None
    bad_nodes = json.loads(json.dumps(stored))
    bad_nodes[nodes_at] = "2"
    for tampered in (bad_option, bad_nodes):
        with pytest.raises(codec.CodecError):
            codec.decode(JobModel, tampered)


def test_a_cache_entry_whose_job_model_does_not_decode_is_analysed_again(
        example_results: list[ScriptResult]) -> None:
    result = next(r for r in example_results if r.job is not None and r.job.options)
    entry = json.loads(json.dumps(cacheentry.encode(result, "sha", "config")))
    job, steps = json.loads(entry[5])
    job[codec._plan(JobModel).fields.index("nodes")] = "2"
    entry[5] = json.dumps([job, steps])
    again: list[str] = []

    def fallback() -> Detail:
        again.append(result.path)
        return result.job, result.steps

    decoded = cacheentry.decode(result.path, result.data, entry, fallback)
    assert again == []  # not before the model is wanted
    assert decoded == result and again == [result.path]


@pytest.mark.parametrize("tamper", [
    lambda e: e[:5],
    lambda e: [*e[:2], "redundant", *e[3:]],
    lambda e: [*e[:3], [["SK1", "r", "error", "4", "m", "f"]], *e[4:]],
    lambda e: [*e[:3], [["SK1", "r", "error", 4, "m"]], *e[4:]],
    lambda e: [*e[:3], "findings", *e[4:]],
    lambda e: [*e[:4], "00ff", e[5]],
])
def test_a_malformed_cache_entry_is_refused(example_results: list[ScriptResult],
                                            tamper: Any) -> None:
    result = next(r for r in example_results if r.findings)
    entry = json.loads(json.dumps(cacheentry.encode(result, "sha", "config")))
    with pytest.raises((cacheentry.EntryError, IndexError)):
        cacheentry.decode(result.path, result.data, tamper(entry), _never)


@pytest.mark.parametrize("ref", [["not", "text"], 42, None, [0, 10]])
def test_a_detail_that_names_no_text_is_analysed_again(example_results: list[ScriptResult],
                                                       ref: Any) -> None:
    result = next(r for r in example_results if r.job is not None)
    entry = json.loads(json.dumps(cacheentry.encode(result, "sha", "config")))
    entry[5] = ref  # [0, 10]: a part of a details file this entry has none of
    decoded = cacheentry.decode(result.path, result.data, entry,
                                lambda: (result.job, result.steps))
    assert decoded.job == result.job and decoded.steps == result.steps


def test_a_verdict_that_does_not_follow_from_the_findings_is_refused(
        example_results: list[ScriptResult]) -> None:
    broken = next(r for r in example_results if r.verdict == "broken")
    entry = json.loads(json.dumps(cacheentry.encode(broken, "sha", "config")))
    entry[2] = "keep"
    with pytest.raises(cacheentry.EntryError):
        cacheentry.decode(broken.path, broken.data, entry, _never)


def test_a_type_the_codec_cannot_store_is_refused_when_planned() -> None:
    @dataclass(frozen=True)
    class Odd:
        names: set[str] = field(default_factory=set)

    with pytest.raises(codec.CodecError, match="cannot store"):
        codec.encode(Odd())


@dataclass(frozen=True)
class Checked:
    count: int

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ValueError("count must be >= 0")


def test_a_class_with_post_init_is_built_through_init() -> None:
    assert codec.decode(Checked, [3]) == Checked(3)
    with pytest.raises(ValueError, match="count"):
        codec.decode(Checked, [-1])


def test_decoded_frozen_objects_are_equal_and_hash_alike() -> None:
    finding = Finding("SK001", "missing-shebang", "error", 1, "m", "f")
    decoded = codec.decode(Finding, json.loads(json.dumps(codec.encode(finding))))
    assert decoded == finding and hash(decoded) == hash(finding)
    with pytest.raises(AttributeError):
        decoded.line = 2  # type: ignore[misc]


def test_the_schema_names_nested_classes() -> None:
    text = codec.schema(JobModel)
    assert "PartitionProfile(" in text and "mem_per_node_mb" in text


def test_round_trip_of_a_scan_outside_git(tmp_path: Path) -> None:
    (tmp_path / "a.slurm").write_text("#!/bin/bash\n#SBATCH -N 2 --gres=gpu:4 -t 1-0\n"
                                      "#SBATCH --exclusive\nsrun python x.py\n")
    (result,) = run_scan([tmp_path], redundancy=False, use_cache=False).scripts
    assert result.job is not None and result.job.exclusive and result.job.nodes == 2
    assert _round_trip(result) == result
