"""Findings flattened for the CI formats (report stage): one issue a finding or redundancy.

SARIF and GitLab Code Quality both want a flat list of located issues with a
fingerprint that survives unrelated edits. The fingerprint hashes the path,
the rule, the message and the rank among identical issues in the file: not
the line, so moving a finding down the file keeps its identity, and two
identical findings in one file still get two fingerprints. A redundant
script's explanation (the notes) is shown but not hashed: its fingerprint
stays while the differences from its keeper change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scriptkeeper.records import ScanReport

REDUNDANT = "redundant"
"""The rule name under which a redundant script is reported (it is a verdict, not a rule)."""


@dataclass(frozen=True)
class Issue:
    path: str
    rule: str
    code: str
    severity: str
    line: int  # 1-based, at least 1
    message: str
    fix: str
    verdict: str
    fingerprint: str
    detail: str = ""  # said after the message, not part of the fingerprint

    @property
    def text(self) -> str:
        """The message, its detail and its fix as one line of prose."""
        said = f"{self.message} ({self.detail})" if self.detail else self.message
        if not self.fix:
            return said
        stop = "" if said.endswith((".", "!", "?")) else "."
        return f"{said}{stop} Fix: {self.fix}"


def _fingerprint(path: str, rule: str, message: str, rank: int) -> str:
    text = "\0".join((path, rule, message, str(rank)))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def issues(report: ScanReport) -> list[Issue]:
    """Every finding of every script, then one issue for each redundant script."""
    result: list[Issue] = []
    for script in report.scripts:
        seen: dict[tuple[str, str], int] = {}
        entries = [(f.rule, f.code, f.severity, f.line, f.message, f.fix, "")
                   for f in script.findings]
        if script.verdict == "redundant" and script.redundant_of:
            entries.append((REDUNDANT, REDUNDANT, "info", 1,
                            f"redundant of {script.redundant_of}",
                            "keep one of the two; 'scriptkeeper clean' moves this one into a "
                            "backup folder", "; ".join(script.notes)))
        for rule, code, severity, line, message, fix, detail in entries:
            rank = seen.get((rule, message), 0)
            seen[(rule, message)] = rank + 1
            result.append(Issue(path=script.path, rule=rule, code=code, severity=severity,
                                line=max(1, line), message=message, fix=fix,
                                verdict=script.verdict, detail=detail,
                                fingerprint=_fingerprint(script.path, rule, message, rank)))
    return result
