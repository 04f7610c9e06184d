"""The JSON report (report stage), in the schema of docs/design.md#the-json-report.

One script (and one skipped file) a line, written from its fields with the C
string encoder, in exactly the form ``json.dumps(result.as_json(),
ensure_ascii=False)`` gives (a test holds the two together); ``indent=`` would
use the json module's slow pure-Python encoder (docs/performance.md#the-json-report).
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scriptkeeper.records import Finding, ScanReport, ScriptResult


# one encoder for every line: json.dumps with a keyword argument builds a new one each call
_dumps = json.JSONEncoder(ensure_ascii=False).encode
_FINDING = ('{"code": %s, "rule": %s, "severity": %s, "line": %d, "message": %s, '
            '"fix": %s}')


def _finding(f: Finding) -> str:
    text = encode_basestring
    line = _FINDING % (text(f.code), text(f.rule), text(f.severity), f.line, text(f.message),
                       text(f.fix))
    if f.autofix is None:
        return line
    return line[:-1] + ', "autofix": ' + _dumps(f.autofix.as_json()) + "}"


def script_line(result: ScriptResult) -> str:
    """``result.as_json()`` as the json module writes it, without building the dict."""
    text = encode_basestring
    findings = ", ".join(_finding(f) for f in result.findings)
    keeper = "null" if result.redundant_of is None else text(result.redundant_of)
    line = (f'{{"path": {text(result.path)}, "verdict": {text(result.verdict)}, '
            f'"findings": [{findings}], "redundant_of": {keeper}')
    if result.notes:
        line += ', "notes": [' + ", ".join(map(text, result.notes)) + "]"
    return line + "}"


def _member(key: str, value: Any) -> str:
    if not isinstance(value, list) or not value:
        return f"  {_dumps(key)}: {_dumps(value)}"
    rows = ",\n".join("    " + _dumps(item) for item in value)
    return f"  {_dumps(key)}: [\n{rows}\n  ]"


def render(report: ScanReport, color: bool = False) -> str:
    document = report.as_json(scripts=False)  # the scripts' lines are written below
    members = []
    for key, value in document.items():
        if key != "scripts":
            members.append(_member(key, value))
        elif report.scripts:
            rows = ",\n".join("    " + script_line(r) for r in report.scripts)
            members.append(f'  "scripts": [\n{rows}\n  ]')
        else:
            members.append('  "scripts": []')
    return "{\n" + ",\n".join(members) + "\n}\n"
