"""GitLab Code Quality (report stage): a JSON array of issues for the merge request widget.

Each finding (and each redundant script) is one issue with ``description``,
``check_name`` (the rule), a stable ``fingerprint``, a ``severity`` on
GitLab's scale and ``location.path`` / ``location.lines.begin``. Use it as
``artifacts: reports: codequality:`` in ``.gitlab-ci.yml``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from scriptkeeper.report.issues import REDUNDANT, Issue, issues

if TYPE_CHECKING:
    from scriptkeeper.records import ScanReport

SEVERITIES = {"error": "critical", "warning": "major", "info": "info"}
"""scriptkeeper severity -> GitLab's info/minor/major/critical/blocker."""


def _entry(issue: Issue) -> dict[str, Any]:
    return {
        "type": "issue",
        "description": issue.text,
        "check_name": issue.rule,
        "categories": ["Duplication" if issue.rule == REDUNDANT else "Bug Risk"],
        "fingerprint": issue.fingerprint,
        "severity": SEVERITIES[issue.severity],
        "location": {"path": issue.path, "lines": {"begin": issue.line}},
    }


def document(report: ScanReport) -> list[dict[str, Any]]:
    """The Code Quality report as a JSON-ready list."""
    return [_entry(issue) for issue in issues(report)]


def render(report: ScanReport, color: bool = False) -> str:
    return json.dumps(document(report), indent=2, ensure_ascii=False) + "\n"
