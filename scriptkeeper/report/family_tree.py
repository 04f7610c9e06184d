"""The family tree of the table report: each keeper with the scripts it makes redundant.

One branch per keeper; under it its duplicates and older versions (the
verdict ``redundant``) and the broken or pinned scripts that are copies or
versions of it (their verdict unchanged, shown for the relation).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from scriptkeeper.records import ScanReport, ScriptResult

if TYPE_CHECKING:
    from rich.tree import Tree

_STYLE = {"broken": "bold red", "redundant": "yellow", "keep": "green"}
_SEV = {"error": "red", "warning": "yellow", "info": "cyan"}


def related(report: ScanReport) -> dict[str, list[ScriptResult]]:
    """Keeper path -> the scripts that are redundant of it or related to it, in order."""
    branches: dict[str, list[ScriptResult]] = {}
    for script in report.scripts:
        relation = script.extra.get("redundancy")
        if not relation:
            continue
        keeper = str(relation["of"])
        branches.setdefault(keeper, []).append(script)
    return branches


def family_tree(report: ScanReport, title: str,
                place: Callable[[str], str] = str) -> Tree:
    """``place``: how a repository-relative path is shown."""
    from rich.markup import escape
    from rich.tree import Tree

    verdicts = {s.path: s for s in report.scripts}
    root = Tree(f"[yellow]{escape(title)}[/]", guide_style="dim")
    for keeper_path, members in related(report).items():
        keeper = verdicts.get(keeper_path)
        verdict = keeper.verdict if keeper else "?"
        branch = root.add(f"[bold]{escape(place(keeper_path))}[/] [{_STYLE.get(verdict, '')}]"
                          f"{verdict}[/]")
        for script in members:
            relation = script.extra["redundancy"]
            kind = relation["relation"] if script.redundant_of else f"{script.verdict}, " \
                f"{relation['relation']}"
            label = (f"[bold]{escape(place(script.path))}[/] "
                     f"[{_STYLE.get(script.verdict, '')}]{escape(kind)}[/]")
            node = branch.add(label)
            for note in script.notes:
                node.add(f"[dim]{escape(note)}[/]")
            for f in script.findings:
                node.add(f"[{_SEV[f.severity]}]{f.severity}[/] [bold]{f.rule}[/] "
                         f"{escape(f.message)}")
    return root
