"""Inline suppression pragmas (judge stage).

``# scriptkeeper: disable=RULE[,RULE]`` on the finding's line or the line
before it, and ``# scriptkeeper: disable-file=RULE[,RULE]`` anywhere, switch
rules off for one script. ``all`` names every rule.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from scriptkeeper.records import Finding

_PRAGMA = re.compile(r"#\s*scriptkeeper:\s*(disable|disable-file)\s*=\s*([A-Za-z0-9_,\- ]+)")


@dataclass(frozen=True)
class Suppressions:
    by_line: dict[int, frozenset[str]]
    whole_file: frozenset[str]

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
    if isinstance(lines, list) and "scriptkeeper" not in "\n".join(lines):
        return Suppressions(by_line, frozenset())  # one search instead of one per line
    for number, line in enumerate(lines, start=1):
        if "scriptkeeper" not in line:
            continue
        for match in _PRAGMA.finditer(line):
            rules = frozenset(r.strip() for r in match.group(2).split(",") if r.strip())
            if match.group(1) == "disable-file":
                whole |= rules
            else:
                by_line[number] = by_line.get(number, frozenset()) | rules
    return Suppressions(by_line, frozenset(whole))


def apply(findings: list[Finding], suppressions: Suppressions) -> list[Finding]:
    return [f for f in findings if not suppressions.hides(f)]


def closest_rule(name: str, rules: Mapping[str, object]) -> str | None:
    """The rule name nearest to a mistyped ``name`` (by letters), or None when none is near."""
    near = difflib.get_close_matches(name.lower(), list(rules), n=1, cutoff=0.6)
    return near[0] if near else None
