"""The rule expression language: what it computes, and what it refuses."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from scriptkeeper.model.build import ScriptInfo
from scriptkeeper.rules.expressions import ExpressionError, compile_condition, evaluate, render


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


# --- guards: what judge skips a rule on --------------------------------------------------

# each condition with its guard: clauses that must all hold, each naming fields of which
# one at least is truthy
_GUARDED = [
    ("step.lightning and step.tasks_per_node != step.gpus_used", [{"step.lightning"}]),
    ("step.uses_gpu and step.cvd_count > 2", [{"step.uses_gpu"}, {"step.cvd_count"}]),
    ("step.cvd_count > 2 or step.lightning", [{"step.cvd_count", "step.lightning"}]),
    ("step.cvd_count >= 1", [{"step.cvd_count"}]),
    ("step.cvd_count == 2", [{"step.cvd_count"}]),
]


@pytest.mark.parametrize(("text", "clauses"), _GUARDED)
def test_a_guard_names_the_fields_one_of_which_must_be_truthy(text: str,
                                                              clauses: list[set[str]]) -> None:
    from scriptkeeper.rules.expressions import guard

    assert [set(clause) for clause in guard(text, "step")] == clauses


@pytest.mark.parametrize("text", [
    "not step.lightning",  # true when the field is falsy: no guard
    "step.cvd_count > -1",  # 0 > -1
    "step.cvd_count != 2",
    "step.cvd_count == 0",
    "job.ntasks > 1",  # a field of the job, which the step guards do not read
])
def test_no_guard_where_a_falsy_field_may_make_the_condition_true(text: str) -> None:
    from scriptkeeper.rules.expressions import guard

    assert not any("step." in atom for clause in guard(text, "step") for atom in clause)


_ANY: list[Any] = [None, 0, False, "", 1, 2, 3, True, "x"]


@pytest.mark.parametrize("text", [t for t, _ in _GUARDED])
def test_a_condition_whose_guard_fails_is_false(text: str) -> None:
    # the promise judge relies on: with every field of a clause falsy, the condition is false
    import dataclasses
    import itertools

    from scriptkeeper.model.build import LaunchStep
    from scriptkeeper.rules.expressions import guard

    fields = ("lightning", "uses_gpu", "cvd_count")
    for values in itertools.product(_ANY, repeat=len(fields)):
        chosen = dict(zip(fields, values, strict=True))
        step = dataclasses.replace(LaunchStep(line=1, text=""), **chosen)
        truthy = {f"step.{name}" for name, value in chosen.items() if value}
        holds = all(not clause.isdisjoint(truthy) for clause in guard(text, "step"))
        if not holds:
            assert not evaluate(text, "step", {"step": step}), (text, chosen)


@pytest.mark.parametrize("text", [
    "len('a' * 99999999999) > 0",
    "len(99999999999 * 'a') > 0",
    "len((1, 2) * 6000) > 0",
    "len('x' * 5000 + 'y' * 5001) > 0",
    "job.ntasks * " + " * ".join(["9" * 60] * 25) + " > 0",  # 5,000 bits
])
def test_conditions_cannot_build_huge_values(text: str) -> None:
    from scriptkeeper.rules.expressions import RuleLimit

    with pytest.raises(RuleLimit):
        evaluate(text, "job", NAMES)


@pytest.mark.parametrize("text", [
    "len('ab' * 5000) == 10000",  # at the limit: allowed
    "len((job.ntasks,) * 3) == 3",
    "'x' * -4 == ''",
])
def test_repetition_within_the_limit_still_works(text: str) -> None:
    assert evaluate(text, "job", NAMES) is True


@pytest.mark.parametrize(("text", "said"), [
    ("not " * 100000 + "True", "characters (at most 4000)"),
    ("1+" * 500 + "1 > 0", "nested too deeply"),
    ("9" * 4400 + " > 0", "characters (at most 4000)"),
    ("[x for x in job.exceeds]", "is not allowed"),  # no loops, no comprehensions
    ("2 ** 99999999", "is not allowed"),  # no power
])
def test_conditions_python_cannot_parse_safely_are_refused_when_loaded(text: str,
                                                                        said: str) -> None:
    with pytest.raises(ExpressionError, match=said.replace("(", r"\(").replace(")", r"\)")):
        compile_condition(text, "job")
