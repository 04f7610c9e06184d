"""One script through parse -> model -> judge, laid out for ``explain`` (pipeline).

The same analysis as a scan (:mod:`scriptkeeper.pipeline.analyze`, the
configuration found the same way), for one file, with the parsed directives
kept for the request's lines; no cache, no grouping.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scriptkeeper.pipeline import analyze
from scriptkeeper.pipeline.scan import prepare
from scriptkeeper.report.launch_layout import explanation


def explain_script(path: Path, config_file: Path | None) -> dict[str, Any]:
    """What ``scriptkeeper explain`` shows for ``path``, as plain data."""
    root, _, config = prepare([path], config_file)
    resolved = path.resolve()
    try:
        relative = resolved.relative_to(root.resolve()).as_posix()
    except ValueError:
        root, relative = resolved.parent, resolved.name
    data = resolved.read_bytes()
    parsed, _, job, steps = analyze.established(root, relative, data, config)
    result = analyze.analyze_script(root, relative, data, config)
    step_rules = frozenset(name for name, rule in config.rules.items() if rule.scope == "step")
    return explanation(relative, parsed, job, steps, result.findings, step_rules)
