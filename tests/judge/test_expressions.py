"""The rule expression language: what it computes, and what it refuses."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from scriptkeeper.expressions import ExpressionError, compile_condition, evaluate, render
from scriptkeeper.model import ScriptInfo


class Job:
    ntasks = 8
    gpus_per_node = 4
    partition = None
    options: ClassVar[dict[str, str]] = {"gres": "gpu:4"}
    exceeds = ("a", "b")


NAMES: dict[str, Any] = {"job": Job(), "script": ScriptInfo("scripts/a.slurm", "a.slurm"),
                         "cluster": None}


@pytest.mark.parametrize(("text", "expected"), [
    ("job.ntasks > job.gpus_per_node", True),
    ("1 < job.gpus_per_node <= 4", True),
    ("1 < job.gpus_per_node < 4", False),
    ("job.ntasks == 8 and not job.partition", True),
    ("job.partition or 'none'", "none"),
    ("'gres' in job.options and job.options['gres'] == 'gpu:4'", True),
    ("len(job.exceeds) == 2", True),
    ("job.ntasks // job.gpus_per_node", 2),
    ("script.name in ('a.slurm', 'b.slurm')", True),
    ("job.ntasks if job.partition else -1", -1),
    ("cluster.partitions", None),  # an attribute of an absent object is None
    ("job.partition > 3", False),  # None against a number: the rule does not apply
    ("max(job.ntasks, 10) - min(1, 2)", 9),
])
def test_values(text: str, expected: Any) -> None:
    assert evaluate(text, "job", NAMES) == expected


@pytest.mark.parametrize("text", [
    "job.__class__", "__import__('os')", "open('x')", "[x for x in job.exceeds]",
    "lambda: 1", "job.options.get('gres')", "len(*job.exceeds)", "step.line", "job.ntask",
    "(x := 1)", "job.ntasks @ 2", "print",
])
def test_refused(text: str) -> None:
    with pytest.raises(ExpressionError):
        compile_condition(text, "job")


def test_step_scope_allows_step_and_checks_its_attributes() -> None:
    compile_condition("step.srun and step.tasks_per_node > 1", "step")
    with pytest.raises(ExpressionError):
        compile_condition("step.no_such_field", "step")


def test_render_templates() -> None:
    assert render("{job.ntasks} tasks on {job.partition}: {job.exceeds}", NAMES) == (
        "8 tasks on unset: a, b")
