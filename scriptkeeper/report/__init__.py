"""Report stage: each format module renders a ScanReport one way.

Also here: ``family_tree`` (each keeper with the scripts it makes redundant,
under the table) and ``keeper_diff`` (``scan --diff``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scriptkeeper.records import ScanReport

# format name -> module of this package with a render(report, color) function;
# imported only when chosen, so a JSON scan never loads rich.
_MODULES = {"table": "table", "json": "json_format", "concise": "concise", "github": "github",
            "sarif": "sarif", "gitlab": "gitlab"}
FORMATS = tuple(_MODULES)


def renderer(fmt: str) -> Callable[[ScanReport, bool], str]:
    """The function that renders ``fmt`` (color flag second)."""
    if fmt not in _MODULES:
        raise ValueError(fmt)
    module = importlib.import_module(f"{__name__}.{_MODULES[fmt]}")
    render: Callable[[ScanReport, bool], str] = module.render
    return render
