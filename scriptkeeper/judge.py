"""Turn facts and the job model into findings with the configured rules (judge stage).

A rule with ``fact:`` reports each fact of that kind; a rule with ``when:``
is evaluated once per script (``scope: job``) or once per launch step
(``scope: step``). Messages and fixes are rendered from templates.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from itertools import compress
from typing import Any

from . import expressions
from .config import Config, Rule
from .findings import Fact, Finding
from .model import JobModel, LaunchStep, ScriptInfo

_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def _finding(rule: Rule, line: int, names: dict[str, Any]) -> Finding:
    # a fact rule without a fix of its own gives the fix the fact carries
    fix = rule.fix or ("{fact.fix}" if rule.fact is not None else "")
    return Finding(
        code=rule.code, rule=rule.name, severity=rule.severity, line=max(line, 1),
        message=expressions.render(rule.message, names),
        fix=expressions.render(fix, names),
    )


def _line(rule: Rule, names: dict[str, Any], default: int) -> int:
    if rule.line:
        value = expressions.resolve(rule.line, names)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return default


# (rule, fact kind, condition, once per step, guard) of each rule that can report, in
# rule order
_Entry = tuple[Rule, str | None, str | None, bool, expressions.Guard]


class _Plan:
    """The rules to run, and the fields their guards read, for one configuration."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.rules = rules
        self.entries: tuple[_Entry, ...] = tuple(
            (r, r.fact, r.when, r.scope == "step",
             expressions.guard(r.when, "step" if r.scope == "step" else "job")
             if r.when is not None else ())
            for r in rules if r.enabled and (r.fact is not None or r.when is not None))
        atoms = sorted({atom for entry in self.entries for clause in entry[4]
                        for atom in clause})
        # the atoms read once per script (job, cluster, script), and those of each step
        self.script_atoms = tuple((atom, *atom.split(".")) for atom in atoms
                                  if not atom.startswith("step."))
        self.step_atoms = tuple(atom for atom in atoms if atom.startswith("step."))
        # attrgetter of one name gives a value, not a 1-tuple: read at least two
        fields = [atom[len("step."):] for atom in self.step_atoms] or ["line"]
        self.step_fields = operator.attrgetter(*fields, "line")


_PLAN = _Plan(())


def _plan(config: Config) -> _Plan:
    """The rules to run, read once per configuration instead of once per script."""
    global _PLAN
    rules = tuple(config.rules.values())
    if rules != _PLAN.rules:  # the same Rule objects compare by identity: cheap
        _PLAN = _Plan(rules)
    return _PLAN


def _holds(guard: expressions.Guard, truthy: frozenset[str]) -> bool:
    return not any(map(truthy.isdisjoint, guard))  # map: no generator frame


def judge(config: Config, facts: Sequence[Fact], job: JobModel | None,
          steps: Sequence[LaunchStep], script: ScriptInfo) -> list[Finding]:
    findings: list[Finding] = []
    by_kind: dict[str, list[Fact]] = {}
    for fact in facts:
        by_kind.setdefault(fact.kind, []).append(fact)
    base: dict[str, Any] = {"job": job, "cluster": config.cluster, "script": script}
    plan = _plan(config)
    script_truthy: frozenset[str] | None = None
    step_truthy: list[frozenset[str]] | None = None
    step_names: list[dict[str, Any]] | None = None  # read-only: shared by the step rules
    for rule, fact_kind, when, per_step, guard in plan.entries:
        if fact_kind is not None:
            for fact in by_kind.get(fact_kind, ()):
                names = dict(base, fact=fact)
                findings.append(_finding(rule, fact.line, names))
            continue
        if job is None or when is None:
            continue
        if per_step and not steps:
            continue
        if script_truthy is None:
            script_truthy = frozenset(
                atom for atom, name, attr in plan.script_atoms
                if (obj := base[name]) is not None and getattr(obj, attr))
        if per_step:
            condition = expressions.compile_condition(when, "step")  # as evaluate() does
            if step_truthy is None:
                step_truthy = [script_truthy.union(compress(plan.step_atoms,
                                                            plan.step_fields(step)))
                               for step in steps]
            for i, step in enumerate(steps):
                if guard and not _holds(guard, step_truthy[i]):
                    continue  # the condition is false: a field it needs truthy is not
                if step_names is None:
                    step_names = [dict(base, step=step) for step in steps]
                names = step_names[i]
                try:
                    hit = condition(names)
                except expressions.EVALUATION_ERRORS:
                    hit = False
                if hit:
                    findings.append(_finding(rule, _line(rule, names, step.line), names))
        else:
            if guard and not _holds(guard, script_truthy):
                continue
            if expressions.evaluate(when, "job", base):
                findings.append(_finding(rule, _line(rule, base, 1), base))
    findings.sort(key=lambda f: (f.line, _SEVERITY_ORDER.get(f.severity, 3), f.rule))
    return _dedupe(findings)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, int, str]] = set()
    result = []
    for f in findings:
        key = (f.rule, f.line, f.message)
        if key not in seen:
            seen.add(key)
            result.append(f)
    return result
