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


def explain_script(path: Path, config_file: Path | None, fixed: bool = False
                   ) -> dict[str, Any]:
    """What ``scriptkeeper explain`` shows for ``path``, as plain data; with ``fixed``, for
    the script ``scriptkeeper fix --unsafe-fixes`` would write (nothing is written), with
    the fixes made and refused under ``fixes``."""
    root, _, config = prepare([path], config_file)
    resolved = path.resolve()
    try:
        relative = resolved.relative_to(root.resolve()).as_posix()
    except ValueError:
        root, relative = resolved.parent, resolved.name
    data = resolved.read_bytes()
    fixes: dict[str, Any] | None = None
    if fixed:
        from scriptkeeper.fix.apply import fix_script

        done = fix_script(root, relative, data, config, unsafe=True)
        data = done.after
        fixes = {"applied": [{"rule": f.rule, "line": f.line} for f in done.applied],
                 "refused": [{"rule": r.finding.rule, "line": r.finding.line,
                              "reason": r.reason} for r in done.refused]}
    shown = _explained(root, relative, data, config)
    if fixes is not None:
        shown["fixes"] = fixes
    return shown


def _explained(root: Path, relative: str, data: bytes, config: Any) -> dict[str, Any]:
    parsed, _, job, steps = analyze.established(root, relative, data, config)
    result = analyze.analyze_script(root, relative, data, config)
    step_rules = frozenset(name for name, rule in config.rules.items() if rule.scope == "step")
    return explanation(relative, parsed, job, steps, result.findings, step_rules)
