"""Inline suppression pragmas (judge stage).

``# scriptkeeper: disable=RULE[,RULE]`` on the finding's line or the line
before it, and ``# scriptkeeper: disable-file=RULE[,RULE]`` anywhere, switch
rules off for one script. ``all`` names every rule.

A pragma that names no rule, or that hides nothing, is a fact of its own
(``unknown-suppression``, ``unused-suppression``), as ruff's unused-noqa: a
typo would otherwise silently leave the finding it meant to hide.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scriptkeeper.records import Fact, Finding
from scriptkeeper.rules import fact_kinds

if TYPE_CHECKING:
    from scriptkeeper.rules.config import Rule

FACTS = fact_kinds.declare(__name__, "unknown-suppression", "unused-suppression")

_PRAGMA = re.compile(r"#\s*scriptkeeper:\s*(disable|disable-file)\s*=\s*([A-Za-z0-9_,\- ]+)")
# rules whose findings come after the per-file analysis (the cluster's answer, with
# --sbatch-check only): a pragma for them hides nothing in a plain scan, rightly
_LATER = frozenset({"sbatch-refuses", "SK150"})


@dataclass(frozen=True)
class Pragma:
    line: int
    name: str
    whole_file: bool


@dataclass(frozen=True)
class Suppressions:
    by_line: dict[int, frozenset[str]]
    whole_file: frozenset[str]
    pragmas: tuple[Pragma, ...] = ()

    def hides(self, finding: Finding) -> bool:
        names = {finding.rule, finding.code, "all"}
        if names & self.whole_file:
            return True
        for line in (finding.line, finding.line - 1):
            if names & self.by_line.get(line, frozenset()):
                return True
        return False


def read(lines: Iterable[str]) -> Suppressions:
    by_line: dict[int, frozenset[str]] = {}
    whole: set[str] = set()
    pragmas: list[Pragma] = []
    if isinstance(lines, list) and "scriptkeeper" not in "\n".join(lines):
        return Suppressions(by_line, frozenset())  # one search instead of one per line
    for number, line in enumerate(lines, start=1):
        if "scriptkeeper" not in line:
            continue
        for match in _PRAGMA.finditer(line):
            rules = [r.strip() for r in match.group(2).split(",") if r.strip()]
            file_wide = match.group(1) == "disable-file"
            pragmas.extend(Pragma(number, r, file_wide) for r in rules)
            if file_wide:
                whole |= set(rules)
            else:
                by_line[number] = by_line.get(number, frozenset()) | frozenset(rules)
    return Suppressions(by_line, frozenset(whole), tuple(pragmas))


def apply(findings: list[Finding], suppressions: Suppressions) -> list[Finding]:
    return [f for f in findings if not suppressions.hides(f)]


def closest_rule(name: str, rules: Mapping[str, object]) -> str | None:
    """The rule name nearest to a mistyped ``name`` (by letters), or None when none is near."""
    near = difflib.get_close_matches(name.lower(), list(rules), n=1, cutoff=0.6)
    return near[0] if near else None


def pragma_facts(suppressions: Suppressions, rules: Mapping[str, Rule],
                 findings: list[Finding]) -> list[Fact]:
    """An ``unknown-suppression`` for each name that is no rule, an ``unused-suppression``
    for each pragma that hides none of ``findings`` (the script's, before suppression)."""
    if not suppressions.pragmas:
        return []
    codes = {rule.code: name for name, rule in rules.items()}
    facts = []
    for pragma in suppressions.pragmas:
        name = pragma.name
        kind = "disable-file" if pragma.whole_file else "disable"
        written = f"'# scriptkeeper: {kind}={name}'"
        if name != "all" and name not in rules and name not in codes:
            near = closest_rule(name, rules)
            facts.append(Fact(
                "unknown-suppression", pragma.line,
                f"{written} names no rule, so it suppresses nothing"
                + (f": did you mean '{near}'?" if near else ""),
                f"write '{kind}={near}'" if near else
                "use a rule name or code from 'scriptkeeper rules'",
                {"name": name, "closest": near}))
            continue
        rule = rules.get(codes.get(name, name))
        if name in _LATER or (rule is not None and not rule.enabled):
            continue
        if not any(_hidden_by(pragma, f) for f in findings):
            where = "in this script" if pragma.whole_file else "on this line or the next"
            facts.append(Fact(
                "unused-suppression", pragma.line,
                f"{written} suppresses nothing: {'no rule' if name == 'all' else name} "
                f"finds nothing {where}",
                "remove it (or move it onto the line of the finding, or the line before)",
                {"name": name}))
    return facts


def _hidden_by(pragma: Pragma, finding: Finding) -> bool:
    if pragma.name not in (finding.rule, finding.code, "all"):
        return False
    return pragma.whole_file or finding.line in (pragma.line, pragma.line + 1)
