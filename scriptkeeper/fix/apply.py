"""Make the edits rules declare, one finding at a time, re-judging after each (fix stage).

:func:`fix_script` takes one script's bytes to its fixed bytes: it judges the
script, makes the edit of the first finding it may fix (safe fixes first;
unsafe ones only when asked), judges the result again, and keeps the edit only
when the finding went away and no error appeared that was not there before.
Otherwise the edit is refused, with the reason, and the next finding is tried.
It stops when no finding it may fix is left, so a second run changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from scriptkeeper.fix.source import apply_edits, encode, split_lines
from scriptkeeper.records import Finding
from scriptkeeper.rules.config import Config

_ROUNDS = 200  # a bound, never reached: each kept edit removes a finding


@dataclass
class Refusal:
    """A fix that was not made, and why."""

    finding: Finding
    reason: str


@dataclass
class ScriptFix:
    """What fixing one script did."""

    path: str
    before: bytes
    after: bytes
    applied: list[Finding] = field(default_factory=list)  # as judged before each edit
    refused: list[Refusal] = field(default_factory=list)
    unsafe_left: int = 0  # findings an unsafe fix would change (without --unsafe-fixes)
    remaining: list[Finding] = field(default_factory=list)  # the findings after fixing

    @property
    def changed(self) -> bool:
        return self.after != self.before


def selected(finding: Finding, select: Collection[str] | None) -> bool:
    return not select or finding.rule in select or finding.code in select


def fixable(finding: Finding, unsafe: bool, select: Collection[str] | None = None) -> bool:
    """Whether ``fix`` (with ``--unsafe-fixes`` when ``unsafe``) makes this finding's edit."""
    autofix = finding.autofix
    return (autofix is not None and bool(autofix.edits) and selected(finding, select)
            and (autofix.applicability == "safe"
                 or (unsafe and autofix.applicability == "unsafe")))


def _errors(findings: list[Finding]) -> Counter[str]:
    return Counter(f.rule for f in findings if f.severity == "error")


def _key(finding: Finding, lines: list[str]) -> tuple[str, str, str]:
    # the line's text, not its number: edits above it move it
    text = lines[finding.line - 1] if 0 < finding.line <= len(lines) else ""
    return finding.rule, text, finding.message.split(":", 1)[0]


def fix_script(root: Path, path: str, data: bytes, config: Config, unsafe: bool = False,
               select: Collection[str] | None = None) -> ScriptFix:
    from scriptkeeper.pipeline.analyze import analyze_script

    result = analyze_script(root, path, data, config)
    done = ScriptFix(path, data, data)
    refused: set[tuple[str, str, str]] = set()
    current, findings = data, result.findings
    for _ in range(_ROUNDS):
        lines = split_lines(current)
        candidates = [f for f in findings
                      if fixable(f, unsafe, select) and _key(f, lines) not in refused]
        if not candidates:
            break
        finding = min(candidates, key=lambda f: (f.autofix is not None
                                                 and f.autofix.applicability != "safe",
                                                 f.line))
        assert finding.autofix is not None
        edited = apply_edits(lines, finding.autofix.edits)
        reason = ""
        if edited is None:
            reason = "its edits overlap"
            after = findings
        else:
            candidate = encode("".join(edited))
            after = analyze_script(root, path, candidate, config).findings
            new = _errors(after) - _errors(findings)
            if new:
                reason = "it would leave a new error: " + ", ".join(sorted(new))
            elif Counter(f.rule for f in after)[finding.rule] >= \
                    Counter(f.rule for f in findings)[finding.rule]:
                reason = "the finding would stay"
        if reason:
            refused.add(_key(finding, lines))
            done.refused.append(Refusal(finding, reason))
            continue
        done.applied.append(finding)
        current, findings = candidate, after
    done.after = current
    done.remaining = findings
    if not unsafe:
        done.unsafe_left = sum(
            1 for f in findings if f.autofix is not None and f.autofix.edits
            and f.autofix.applicability == "unsafe" and selected(f, select))
    return done
