"""Plain data passed between the pipeline stages: facts found and findings made.

A :class:`Fact` is something the parser or the analysis established about a
script (a parse problem, a launch mismatch) that a rule in ``rules.yaml`` may
turn into a :class:`Finding`. Findings are what reports show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Fact:
    """A problem the parser or analysis found, keyed by the rule that may report it."""

    kind: str
    line: int
    detail: str
    fix: str = ""
    data: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Finding:
    """A rule's judgement on one script, ready for a report."""

    code: str
    rule: str
    severity: str
    line: int
    message: str
    fix: str

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "rule": self.rule,
            "severity": self.severity,
            "line": self.line,
            "message": self.message,
            "fix": self.fix,
        }
