"""One line a finding, ``path:line: severity rule: message``, and its fix indented below.

The path is relative to the current folder (:mod:`scriptkeeper.report.places`).

The default when standard output is no terminal (a CI log): the fix stays, on one
line that starts with spaces, so tools that read ``path:line:`` lines skip it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scriptkeeper.records import ScanReport


def render(report: ScanReport, color: bool = False) -> str:
    from scriptkeeper.report.places import from_here

    place = from_here(report.root)
    lines = []
    for script in report.scripts:
        path = place(script.path)
        for f in script.findings:
            marker = f" [{f.fix_marker}]" if f.fix_marker else ""
            lines.append(f"{path}:{f.line}: {f.severity} {f.rule}: {f.message}{marker}")
            if f.fix:
                lines.append("    fix: " + " ".join(f.fix.split()))
        if script.verdict == "redundant" and script.redundant_of:
            lines.append(f"{path}:1: info redundant: redundant of "
                         f"{place(script.redundant_of)}")
    s = report.summary
    accepted = s["broken"] - report.failing
    lines.append(f"{len(report.scripts)} scripts: {s['keep']} keep, {s['redundant']} redundant, "
                 f"{s['broken']} broken" + (f" ({accepted} baselined)" if accepted else ""))
    return "\n".join(lines) + "\n"
