"""SARIF 2.1.0 (report stage): findings for GitHub code scanning and other SARIF viewers.

One run; the driver lists every rule of the configuration (its summary, its
documentation page as help, its severity as default level) and each finding
becomes a result at its file and line, the file relative to ``%SRCROOT%``
(the repository root, which GitHub maps to the checkout). A redundant script
is a ``note`` under the pseudo-rule ``redundant``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from scriptkeeper import __version__
from scriptkeeper.report.issues import REDUNDANT, Issue, issues
from scriptkeeper.rules.config import FIXED_RULES, Rule

if TYPE_CHECKING:
    from scriptkeeper.records import ScanReport

SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
          "sarif-schema-2.1.0.json")
INFORMATION_URI = "https://pypi.org/project/scriptkeeper/"
SRCROOT = "%SRCROOT%"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def _plain_help(rule: Rule) -> str:
    parts = [rule.summary]
    if rule.doc.what.strip():
        parts.append(rule.doc.what.strip())
    if rule.doc.fixed.strip():
        parts.append("Fixed example:\n" + rule.doc.fixed.rstrip("\n"))
    if rule.doc.suppress.strip():
        parts.append("When to suppress: " + rule.doc.suppress.strip())
    if rule.name not in FIXED_RULES:
        parts.append(f"Suppress one line with '# scriptkeeper: disable={rule.name}'.")
    return "\n\n".join(p for p in parts if p)


def _descriptor(rule: Rule) -> dict[str, Any]:
    from scriptkeeper.rules.pages import family, rule_page

    tags = ["slurm"]
    kind = family(rule.code)
    if kind:
        tags.append(kind)
    if not rule.builtin:
        tags.append("user rule")
    return {
        "id": rule.name,
        "name": rule.code,
        "shortDescription": {"text": rule.summary or rule.name},
        "fullDescription": {"text": " ".join(rule.doc.what.split()) or rule.summary
                            or rule.name},
        "help": {"text": _plain_help(rule), "markdown": rule_page(rule, header=False)},
        "defaultConfiguration": {"level": LEVELS[rule.severity], "enabled": rule.enabled},
        "properties": {"tags": tags},
    }


def _redundant_descriptor() -> dict[str, Any]:
    text = ("the script runs the same job as another script that is kept "
            "(a copy, or the same request written differently)")
    return {
        "id": REDUNDANT,
        "name": REDUNDANT,
        "shortDescription": {"text": "the script is redundant of a kept script"},
        "fullDescription": {"text": text},
        "help": {"text": text, "markdown": text},
        "defaultConfiguration": {"level": "note"},
        "properties": {"tags": ["slurm", "redundancy"]},
    }


def _result(issue: Issue, index: int) -> dict[str, Any]:
    return {
        "ruleId": issue.rule,
        "ruleIndex": index,
        "level": LEVELS[issue.severity],
        "message": {"text": issue.text},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": quote(issue.path, safe="/"), "uriBaseId": SRCROOT},
                "region": {"startLine": issue.line},
            },
        }],
        "partialFingerprints": {"scriptkeeper/v1": issue.fingerprint},
        "properties": {"code": issue.code, "verdict": issue.verdict},
    }


def document(report: ScanReport) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dict."""
    found = issues(report)
    rules = list(report.config.rules.values())
    descriptors = [_descriptor(rule) for rule in rules]
    index = {rule.name: i for i, rule in enumerate(rules)}
    if any(issue.rule == REDUNDANT and REDUNDANT not in index for issue in found):
        index[REDUNDANT] = len(descriptors)
        descriptors.append(_redundant_descriptor())
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "scriptkeeper",
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": INFORMATION_URI,
            "rules": descriptors,
        }},
        "originalUriBaseIds": {SRCROOT: {"uri": report.root.as_uri().rstrip("/") + "/"}},
        "results": [_result(issue, index[issue.rule]) for issue in found],
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render(report: ScanReport, color: bool = False) -> str:
    return json.dumps(document(report), indent=2, ensure_ascii=False) + "\n"
