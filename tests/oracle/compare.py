"""Scan an oracle job's script with scriptkeeper and compare with what really happened.

The expected rules come from the classified run (``outcome.py``), never from
the shape: :func:`check` fails when scriptkeeper's error-level findings are
not exactly the rules the observed outcome calls for.
"""

from __future__ import annotations

from typing import Any

from scriptkeeper.pipeline.scan import run_scan

from .observe import JobRun
from .outcome import KEEP, Classified, classify


class Disagreement(AssertionError):
    """scriptkeeper's judgement differs from what the classified run calls for."""


SUMMARY: list[str] = []
"""One line per checked shape, printed at the end of the test session."""


def scan(run: JobRun) -> dict[str, Any]:
    """scriptkeeper's JSON entry for the job script in the shape's ``scan/`` folder."""
    report = run_scan([run.scan_dir]).as_json()
    entries = [s for s in report["scripts"] if s["path"] == run.script_name]
    assert entries, f"scriptkeeper did not judge {run.script_name}: {report}"
    entry: dict[str, Any] = entries[0]
    return entry


def check(kind: str, run: JobRun) -> Classified:
    """Classify the run, scan its script, and assert that the two agree."""
    observed = classify(kind, run)
    entry = scan(run)
    errors = {f["rule"] for f in entry["findings"] if f["severity"] == "error"}
    found = "; ".join(f"{f['severity']} {f['rule']} (line {f['line']}): {f['message']}"
                      for f in entry["findings"]) or "no findings"
    SUMMARY.append(f"{run.shape}: {observed.outcome.name} -- {observed.evidence}\n"
                   f"    scriptkeeper: {entry['verdict']}: {found}")
    account = (f"observed: {observed.outcome.value}: {observed.evidence}\n"
               f"scriptkeeper: {entry['verdict']}: {found}\n{run.describe()}")
    if errors != set(observed.expected_rules):
        raise Disagreement(
            f"expected error rules {sorted(observed.expected_rules)}, got {sorted(errors)}\n"
            + account)
    wanted = "keep" if observed.outcome in KEEP else "broken"
    if entry["verdict"] != wanted:
        raise Disagreement(f"expected verdict {wanted}\n" + account)
    return observed
