"""The JSON report: the schema fixed in DESIGN.md."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..scan import ScanReport


def render(report: ScanReport, color: bool = False) -> str:
    return json.dumps(report.as_json(), indent=2, ensure_ascii=False) + "\n"
