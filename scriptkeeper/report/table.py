"""The table report for people: rich, grouped by verdict, each finding with its fix."""

from __future__ import annotations

import io
import shutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console

    from scriptkeeper.records import ScanReport

_STYLE = {"broken": "bold red", "redundant": "yellow", "keep": "green"}
_SEV = {"error": "red", "warning": "yellow", "info": "cyan"}


def render(report: ScanReport, color: bool = False) -> str:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from scriptkeeper.report.places import from_here

    place = from_here(report.root)
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=width(),
                      highlight=False)
    for verdict in ("broken", "redundant", "keep"):
        group = [s for s in report.scripts if s.verdict == verdict]
        if verdict == "redundant":
            _families(console, report, len(group), place)
            continue
        if not group:
            continue
        table = Table(title=f"{verdict} ({len(group)})", title_style=_STYLE[verdict],
                      title_justify="left", show_lines=True, expand=True)
        table.add_column("script", style="bold", ratio=2, overflow="fold")
        table.add_column("line", justify="right", width=5)
        table.add_column("finding", ratio=6, overflow="fold")
        for script in group:
            rows: list[tuple[str, str]] = []
            for f in script.findings:
                text = (f"[{_SEV[f.severity]}]{f.severity}[/] [bold]{f.rule}[/] "
                        f"{escape(f.message)}")
                if f.fix:
                    text += f"\n[dim]fix:[/] {escape(f.fix)}"
                if f.fix_marker:
                    text += f" [dim]\\[{f.fix_marker}][/]"
                rows.append((str(f.line), text))
            if script.redundant_of:
                rows.append(("", f"[yellow]redundant of[/] "
                                 f"{escape(place(script.redundant_of))}"))
            for note in script.notes:
                rows.append(("", f"[dim]{escape(note)}[/]"))
            if not rows:
                rows.append(("", "[green]no findings[/]"))
            for i, (line, text) in enumerate(rows):
                table.add_row(escape(place(script.path)) if i == 0 else "", line, text)
        console.print(table)
    if report.skipped:
        console.print(f"[dim]skipped: {len(report.skipped)} file(s): "
                      + escape(", ".join(f"{place(p)} ({r})" for p, r in report.skipped[:10]))
                      + (" ..." if len(report.skipped) > 10 else "") + "[/]")
    s = report.summary
    accepted = s["broken"] - report.failing
    console.print(f"[bold]{len(report.scripts)} scripts:[/] [green]{s['keep']} keep[/], "
                  f"[yellow]{s['redundant']} redundant[/], [red]{s['broken']} broken[/]"
                  + (f" ({accepted} baselined)" if accepted else ""))
    return buffer.getvalue()


def width() -> int:
    """The terminal's columns (``COLUMNS`` first); 120 when not on a terminal, at least 60."""
    return max(60, shutil.get_terminal_size((120, 24)).columns)


def _families(console: Console, report: ScanReport, redundant: int,
              place: Callable[[str], str]) -> None:
    """Redundant scripts as a tree under their keepers (with related broken copies)."""
    from scriptkeeper.report.family_tree import family_tree, related

    if related(report):
        console.print(family_tree(report, f"redundant ({redundant}), by keeper", place))
