"""One line a finding: ``path:line: severity rule: message``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scriptkeeper.records import ScanReport


def render(report: ScanReport, color: bool = False) -> str:
    lines = []
    for script in report.scripts:
        for f in script.findings:
            marker = f" [{f.fix_marker}]" if f.fix_marker else ""
            lines.append(f"{script.path}:{f.line}: {f.severity} {f.rule}: {f.message}{marker}")
        if script.verdict == "redundant" and script.redundant_of:
            lines.append(f"{script.path}:1: info redundant: redundant of {script.redundant_of}")
    s = report.summary
    lines.append(f"{len(report.scripts)} scripts: {s['keep']} keep, {s['redundant']} redundant, "
                 f"{s['broken']} broken")
    return "\n".join(lines) + "\n"
