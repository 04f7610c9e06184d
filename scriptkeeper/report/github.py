"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` a finding."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scriptkeeper.records import ScanReport

_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: ScanReport, color: bool = False) -> str:
    lines = []
    for script in report.scripts:
        for f in script.findings:
            title = _escape_property(f"{f.rule} ({f.code})")
            message = _escape_data(f"{f.message}. Fix: {f.fix}" if f.fix else f.message)
            lines.append(f"::{_LEVEL[f.severity]} file={_escape_property(script.path)},"
                         f"line={f.line},title={title}::{message}")
    return "\n".join(lines) + ("\n" if lines else "")
