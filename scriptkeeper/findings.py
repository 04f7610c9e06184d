"""Plain data passed between the pipeline stages: facts found and findings made.

A :class:`Fact` is something the parser or the analysis established about a
script (a parse problem, a launch mismatch) that a rule in ``rules.yaml`` may
turn into a :class:`Finding`. Findings are what reports show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True, init=False)
class Fact:
    """A problem the parser or analysis found, keyed by the rule that may report it."""

    kind: str
    line: int
    detail: str
    fix: str = ""
    data: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __init__(self, kind: str, line: int, detail: str, fix: str = "",
                 data: dict[str, Any] | None = None) -> None:
        # written out: the generated __init__ of a frozen dataclass sets each field through
        # object.__setattr__ (several facts and findings a script)
        self.__dict__.update(kind=kind, line=line, detail=detail, fix=fix,
                             data={} if data is None else data)


@dataclass(frozen=True, init=False)
class Finding:
    """A rule's judgement on one script, ready for a report."""

    code: str
    rule: str
    severity: str
    line: int
    message: str
    fix: str

    def __init__(self, code: str, rule: str, severity: str, line: int, message: str,
                 fix: str) -> None:
        self.__dict__.update(code=code, rule=rule, severity=severity, line=line,
                             message=message, fix=fix)

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "rule": self.rule,
            "severity": self.severity,
            "line": self.line,
            "message": self.message,
            "fix": self.fix,
        }
