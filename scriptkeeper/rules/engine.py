"""Turn facts and the job model into findings with the configured rules (judge stage).

A rule with ``fact:`` reports each fact of that kind; a rule with ``when:``
is evaluated once per script (``scope: job``) or once per launch step
(``scope: step``). Messages and fixes are rendered from templates.

A condition that fails to evaluate for a reason other than an unknown value (a
limit of :mod:`~scriptkeeper.rules.expressions`, an overflow) stops the scan with
a :class:`~scriptkeeper.rules.config.RuleFailure` naming the rule and its file.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from itertools import compress
from typing import TYPE_CHECKING, Any

from scriptkeeper.model.build import JobModel, LaunchStep, ScriptInfo
from scriptkeeper.records import Autofix, Fact, Finding
from scriptkeeper.rules import edit_table, expressions
from scriptkeeper.rules.config import Config, Rule, RuleFailure

if TYPE_CHECKING:
    from scriptkeeper.fix.source import ScriptSource

_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
_NO_FIX = Autofix("none")


def _finding(rule: Rule, line: int, names: dict[str, Any],
             source: ScriptSource | None = None) -> Finding:
    # a fact rule without a fix of its own gives the fix the fact carries
    fix = rule.fix or ("{fact.fix}" if rule.fact is not None else "")
    message = expressions.render(rule.message, names)
    severity = rule.severity
    step = names.get("step")
    if step is not None and step.entry_inferred:
        # the entry point was not read: say what stands in for it, and how sure that is
        message = f"{message} ({step.entry_evidence})"
        if rule.inferred_severity is not None:
            severity = rule.inferred_severity
    return Finding(
        code=rule.code, rule=rule.name, severity=severity, line=max(line, 1),
        message=message, fix=expressions.render(fix, names),
        autofix=_autofix(rule, names, source) if rule.autofix else None,
    )


def _autofix(rule: Rule, names: dict[str, Any], source: ScriptSource | None) -> Autofix | None:
    """The rule's edit for this finding (None: the rule has one, but not for this case)."""
    if rule.autofix == "none":
        return _NO_FIX
    make = edit_table.edit_for(rule.name)
    if make is None or source is None:
        return None
    edits = make(source, names.get("step", names.get("fact")), names.get("job"))
    return None if not edits else Autofix(rule.autofix, edits)


def _line(rule: Rule, names: dict[str, Any], default: int) -> int:
    if rule.line:
        value = expressions.resolve(rule.line, names)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return default


_Entry = tuple[int, Rule, str]  # a condition rule: its place, the rule, its condition


class _Plan:
    """The rules to run for one configuration, sorted out once instead of once per script.

    Fact rules by the fact kind they report; condition rules with the guard of their
    condition (:func:`expressions.guard`). Which rules pass their guards depends only on
    whether a few fields are truthy: that is memoised by those truth values.
    """

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.rules = rules
        self.by_fact: dict[str, list[tuple[int, Rule]]] = {}
        job: list[tuple[_Entry, expressions.Guard]] = []
        step: list[tuple[_Entry, expressions.Guard]] = []
        for index, r in enumerate(rules):
            if not r.enabled:
                continue
            if r.fact is not None:
                self.by_fact.setdefault(r.fact, []).append((index, r))
            elif r.when is not None:
                scope = "step" if r.scope == "step" else "job"
                entry = ((index, r, r.when), expressions.guard(r.when, scope))
                (step if scope == "step" else job).append(entry)
        self.job_rules = tuple(job)
        self.step_rules = tuple(step)
        atoms = sorted({atom for _, guard in job + step for clause in guard for atom in clause})
        # the atoms read once per script (job, cluster, script), and those of each step
        self.script_atoms = tuple(atom for atom in atoms if not atom.startswith("step."))
        self.script_fields = tuple(atom.split(".") for atom in self.script_atoms)
        self.step_atoms = tuple(atom for atom in atoms if atom.startswith("step."))
        # attrgetter of one name gives a value, not a 1-tuple: read one more
        fields = [atom[len("step."):] for atom in self.step_atoms]
        self.step_fields = operator.attrgetter(*fields, "line")
        self._job_memo: dict[tuple[bool, ...], tuple[_Entry, ...]] = {}
        self._step_memo: dict[tuple[bool, ...], tuple[_Entry, ...]] = {}

    def job_entries(self, truth: tuple[bool, ...]) -> tuple[_Entry, ...]:
        found = self._job_memo.get(truth)
        if found is None:
            found = self._job_memo[truth] = self._passing(self.job_rules, self.script_atoms,
                                                          truth)
        return found

    def step_entries(self, truth: tuple[bool, ...]) -> tuple[_Entry, ...]:
        """The step rules whose guards hold; ``truth``: the script's atoms, then the step's."""
        found = self._step_memo.get(truth)
        if found is None:
            if len(self._step_memo) >= 4096:  # bounded: 2 ** atoms keys at most
                self._step_memo.clear()
            found = self._step_memo[truth] = self._passing(
                self.step_rules, self.script_atoms + self.step_atoms, truth)
        return found

    @staticmethod
    def _passing(rules: tuple[tuple[_Entry, expressions.Guard], ...], atoms: tuple[str, ...],
                 truth: tuple[bool, ...]) -> tuple[_Entry, ...]:
        truthy = frozenset(compress(atoms, truth))
        return tuple(entry for entry, guard in rules
                     if not any(map(truthy.isdisjoint, guard)))


_PLAN = _Plan(())


def _plan(config: Config) -> _Plan:
    """The rules to run, read once per configuration instead of once per script."""
    global _PLAN
    rules = tuple(config.rules.values())
    if rules != _PLAN.rules:  # the same Rule objects compare by identity: cheap
        _PLAN = _Plan(rules)
    return _PLAN


def judge(config: Config, facts: Sequence[Fact], job: JobModel | None,
          steps: Sequence[LaunchStep], script: ScriptInfo,
          source: ScriptSource | None = None) -> list[Finding]:
    """The findings of the configured rules; with ``source`` (the script's lines), each
    finding of a rule with an edit carries that edit."""
    # (rule's place, finding): the findings of each rule keep their order through the sort
    found: list[tuple[int, Finding]] = []
    base: dict[str, Any] = {"job": job, "cluster": config.cluster, "script": script}
    plan = _plan(config)
    for fact in facts:
        reporting = plan.by_fact.get(fact.kind)
        if reporting:
            names = dict(base, fact=fact)  # read-only: shared by the rules
            for index, rule in reporting:
                found.append((index, _finding(rule, fact.line, names, source)))
    if job is not None:
        script_truth = tuple(
            bool(obj is not None and getattr(obj, attr))
            for obj, attr in ((base[name], attr) for name, attr in plan.script_fields))
        for index, rule, when in plan.job_entries(script_truth):
            try:
                hit = expressions.evaluate(when, "job", base)
            except Exception as error:
                raise _failure(rule, script, error) from error
            if hit:
                found.append((index, _finding(rule, _line(rule, base, 1), base, source)))
        for step in steps:
            # the rules whose guard fails cannot hold for this step: not evaluated
            entries = plan.step_entries(script_truth + tuple(map(bool, plan.step_fields(step))))
            if not entries:
                continue
            names = dict(base, step=step)  # read-only: shared by the rules
            for index, rule, when in entries:
                condition = expressions.compile_condition(when, "step")  # as evaluate() does
                try:
                    hit = condition(names)
                except expressions.EVALUATION_ERRORS:
                    hit = False
                except Exception as error:
                    raise _failure(rule, script, error) from error
                if hit:
                    found.append((index, _finding(rule, _line(rule, names, step.line), names,
                                                  source)))
    found.sort(key=lambda p: (p[1].line, _SEVERITY_ORDER.get(p[1].severity, 3), p[1].rule,
                              p[0]))
    return _dedupe([finding for _, finding in found])


def _failure(rule: Rule, script: ScriptInfo, error: Exception) -> RuleFailure:
    said = " ".join(str(error).split())[:160]
    return RuleFailure(
        rule.source_file or "rules.yaml", rule.source_line,
        f"rule '{rule.name}' failed while judging {script.path}: {type(error).__name__}"
        + (f": {said}" if said else "") + "; change its condition")


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, int, str]] = set()
    result = []
    for f in findings:
        key = (f.rule, f.line, f.message)
        if key not in seen:
            seen.add(key)
            result.append(f)
    return result
