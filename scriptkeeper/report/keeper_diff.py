"""``scriptkeeper scan --diff PATH``: a script against its keeper (report stage).

A unified diff from the keeper (``---``) to the script (``+++``), after a
line saying why the script is redundant. A broken copy is shown against the
script it copies; a kept script has no keeper and says so.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from scriptkeeper.records import ScanReport, ScriptResult


class NotScanned(Exception):
    """PATH is not one of the job scripts the scan judged."""


def find(report: ScanReport, path: Path) -> ScriptResult:
    full = path if path.is_absolute() else Path.cwd() / path
    try:
        rel = full.absolute().relative_to(report.root).as_posix()
    except ValueError:
        try:
            rel = full.resolve().relative_to(report.root).as_posix()
        except ValueError as error:
            raise NotScanned(f"{path} is outside the scanned repository "
                             f"({report.root})") from error
    for script in report.scripts:
        if script.path == rel:
            return script
    raise NotScanned(f"{path} is not among the job scripts scanned")


def _colour(line: str) -> str:
    if line.startswith(("+++", "---")):
        return f"\x1b[1m{line}\x1b[0m"
    if line.startswith("+"):
        return f"\x1b[32m{line}\x1b[0m"
    if line.startswith("-"):
        return f"\x1b[31m{line}\x1b[0m"
    if line.startswith("@@"):
        return f"\x1b[36m{line}\x1b[0m"
    return line


def render(report: ScanReport, path: Path, color: bool = False) -> str:
    """The diff of the script at ``path`` against its keeper, with the reason first."""
    script = find(report, path)
    relation = script.extra.get("redundancy")
    if not relation:
        return (f"{script.path}: {script.verdict}; no other script is the same job or a "
                f"newer version of it, so there is nothing to compare it with\n")
    keeper_path = script.redundant_of or str(relation["via"])
    keeper = next(s for s in report.scripts if s.path == keeper_path)
    head = (f"{script.path}: redundant of {keeper_path}" if script.redundant_of else
            f"{script.path}: {script.verdict}")
    lines = [head, *(f"  {note}" for note in script.notes), ""]
    old = keeper.data.decode("utf-8", errors="replace").splitlines(keepends=True)
    new = script.data.decode("utf-8", errors="replace").splitlines(keepends=True)
    diff = list(difflib.unified_diff(old, new, fromfile=f"a/{keeper_path}",
                                     tofile=f"b/{script.path}"))
    if not diff:
        lines.append("(byte-identical)")
    for line in diff:
        text = line.rstrip("\n")
        lines.append(_colour(text) if color else text)
        if not line.endswith("\n"):
            lines.append("\\ No newline at end of file")
    return "\n".join(lines) + "\n"
