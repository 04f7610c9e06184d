"""The baseline: findings accepted as they are today (between judge and group).

``scriptkeeper baseline`` writes ``.scriptkeeper-baseline.json`` at the root
with every current finding, keyed by the script's path, the rule and a hash of
the offending line's content (stripped of surrounding white space), not its
number: lines added above it do not wake a baselined finding, an edit of the
line itself does. A key may hold several findings (``count``): the same rule
on two identical lines. ``line`` and ``message`` are written for the reader
only and never matched.

Limits: a rule that points at line 1 (a job-wide judgement with no better
line) is keyed to the ``#!`` line, so it stays baselined while the rest of the
script changes; a renamed script loses its baseline.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scriptkeeper.rules.config import ConfigError

if TYPE_CHECKING:
    from scriptkeeper.records import Finding, ScriptResult

BASELINE_NAME = ".scriptkeeper-baseline.json"
FORMAT = 1

Key = tuple[str, str, str]


def line_hash(data: bytes, line: int) -> str:
    """The hash of line ``line`` (1-based) of ``data``, ignoring surrounding white space."""
    lines = data.split(b"\n")
    text = lines[line - 1] if 0 < line <= len(lines) else b""
    return hashlib.sha256(text.strip()).hexdigest()[:16]


def _key(result: ScriptResult, finding: Finding) -> Key:
    return result.path, finding.rule, line_hash(result.data, finding.line)


@dataclass(frozen=True)
class Baseline:
    counts: dict[Key, int]
    path: Path | None = None

    def __len__(self) -> int:
        return sum(self.counts.values())


# a finding that says the analysis raised is no judgment to accept: never baselined
_NEVER = "internal-error"


def build(results: Iterable[ScriptResult]) -> Baseline:
    counts: Counter[Key] = Counter()
    for result in results:
        for finding in result.findings:
            if finding.rule != _NEVER:
                counts[_key(result, finding)] += 1
    return Baseline(dict(counts))


def render(results: Sequence[ScriptResult]) -> str:
    """The baseline file for ``results``: sorted, one entry a key, stable for diffs."""
    first: dict[Key, Finding] = {}
    for result in results:
        for finding in result.findings:
            if finding.rule != _NEVER:
                first.setdefault(_key(result, finding), finding)
    counts = build(results).counts
    entries = [{"path": k[0], "rule": k[1], "line_hash": k[2], "count": counts[k],
                "line": first[k].line, "message": first[k].message}
               for k in sorted(counts)]
    return json.dumps({"scriptkeeper_baseline": FORMAT, "findings": entries}, indent=2,
                      ensure_ascii=False) + "\n"


def write(root: Path, results: Sequence[ScriptResult]) -> Path:
    path = root / BASELINE_NAME
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(render(results), encoding="utf-8")
    os.replace(temp, path)
    return path


def load(root: Path) -> Baseline | None:
    """The baseline at ``root``, None without one; ConfigError if it is not one."""
    path = root / BASELINE_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(str(path), 1, f"cannot read the baseline: {error}") from error
    try:
        raw = json.loads(text)
    except ValueError as error:
        raise ConfigError(str(path), getattr(error, "lineno", 1),
                          "not valid JSON; write it again with 'scriptkeeper baseline'") from error
    if not isinstance(raw, dict) or raw.get("scriptkeeper_baseline") != FORMAT \
            or not isinstance(raw.get("findings"), list):
        raise ConfigError(str(path), 1, "not a scriptkeeper baseline (format "
                                        f"{FORMAT}); write it again with 'scriptkeeper baseline'")
    counts: dict[Key, int] = {}
    for number, entry in enumerate(raw["findings"], start=1):
        try:
            key = (entry["path"], entry["rule"], entry["line_hash"])
            count = entry.get("count", 1)
        except (TypeError, KeyError, AttributeError) as error:
            raise ConfigError(str(path), 1, f"entry {number} needs path, rule and "
                                            f"line_hash") from error
        if not all(isinstance(part, str) for part in key) or type(count) is not int \
                or count < 1:
            raise ConfigError(str(path), 1, f"entry {number}: path, rule and line_hash must "
                                            f"be strings and count a whole number >= 1")
        counts[key] = counts.get(key, 0) + count
    return Baseline(counts, path)


def apply(results: Iterable[ScriptResult], baseline: Baseline) -> int:
    """Drop the baselined findings from ``results``; the number dropped.

    A broken script whose every error was baselined stays broken (the baseline silences
    the exit status, not the verdict): it is marked :func:`baselined`, with a note.
    """
    left = dict(baseline.counts)
    paths = {key[0] for key in left}
    hidden = 0
    for result in results:
        if result.path not in paths:
            continue
        kept = []
        for finding in result.findings:
            key = _key(result, finding)
            if left.get(key, 0) > 0 and finding.rule != _NEVER:
                left[key] -= 1
                hidden += 1
            else:
                kept.append(finding)
        if len(kept) != len(result.findings):
            result.findings = kept
            if result.verdict == "broken" and not result.broken:
                result.extra["baselined"] = True
                result.notes.append(BASELINED_NOTE)
    return hidden


BASELINED_NOTE = (f"broken (baselined): its errors are accepted by {BASELINE_NAME} "
                  f"(--no-baseline shows them)")


def baselined(result: ScriptResult) -> bool:
    """Broken, with every error accepted by the baseline: it does not fail a scan."""
    return result.extra.get("baselined") is True
