"""Report formats (report stage): each module renders a ScanReport one way."""

from __future__ import annotations

from collections.abc import Callable

from ..scan import ScanReport


def renderer(fmt: str) -> Callable[[ScanReport, bool], str]:
    """The function that renders ``fmt`` (color flag second)."""
    if fmt == "json":
        from . import json_format

        return json_format.render
    if fmt == "concise":
        from . import concise

        return concise.render
    if fmt == "github":
        from . import github

        return github.render
    if fmt == "table":
        from . import table

        return table.render
    if fmt == "sarif":
        from . import sarif

        return sarif.render
    if fmt == "gitlab":
        from . import gitlab

        return gitlab.render
    raise ValueError(fmt)


FORMATS = ("table", "json", "concise", "github", "sarif", "gitlab")
