"""Why a script is redundant, in words (group stage).

A duplicate names what differs from its keeper (options left out of the
signature, values written differently, layout); a superseded script names
its family and the dates that decided which version is the newest.
"""

from __future__ import annotations

from scriptkeeper.records import ScriptResult
from scriptkeeper.redundancy.family import Name
from scriptkeeper.redundancy.file_dates import Dates


def _short(value: str | None) -> str:
    if value is None:
        return "unset"
    return value if len(value) <= 40 else value[:37] + "..."


def _spellings(data: bytes, ignore: tuple[str, ...]) -> dict[str, str]:
    """How each option sbatch applies is written: its short or long form."""
    from scriptkeeper.parse.header import (
        parse,  # only for the duplicates that are not byte-identical
    )

    spelled: dict[str, str] = {}
    for d in parse(data).directives:
        if d.option not in ignore:
            spelled[d.option] = d.written.split("=", 1)[0] if d.written.startswith("--") \
                else d.written[:2]
    return spelled


def duplicate(script: ScriptResult, keeper: ScriptResult, ignore: tuple[str, ...]) -> str:
    """What differs between two scripts with the same signature."""
    if script.data == keeper.data:
        return f"byte-identical to {keeper.path}"
    mine = script.job.options if script.job else {}
    theirs = keeper.job.options if keeper.job else {}
    ignored: list[str] = []
    written: list[str] = []
    for option in sorted(mine.keys() | theirs.keys()):
        a, b = mine.get(option), theirs.get(option)
        present = (option in mine, option in theirs)
        if a == b and present[0] == present[1]:
            continue
        shown = f"--{option} ({_short(a)} vs {_short(b)})"
        (ignored if option in ignore else written).append(shown)
    parts = []
    if ignored:
        parts.append("differs only in " + ", ".join(ignored))
    layout = []
    if written:
        layout.append("values written differently: " + ", ".join(written))
    forms_a, forms_b = _spellings(script.data, ignore), _spellings(keeper.data, ignore)
    forms = [f"{forms_a[o]} vs {forms_b[o]}" for o in sorted(forms_a.keys() & forms_b.keys())
             if forms_a[o] != forms_b[o]]
    if forms:
        layout.append("options written in another form: " + ", ".join(forms))
    from scriptkeeper.redundancy.body import body_text

    if body_text(script.data) != body_text(keeper.data):
        layout.append("body laid out differently (line breaks, spacing, quoting, comments)")
    parts.extend(layout)
    if not parts:
        parts.append("differs only in comments")
    return f"the same job as {keeper.path}: " + "; ".join(parts)


def superseded(script: ScriptResult, newest: ScriptResult, name: Name,
               mine: Dates, theirs: Dates, newest_name: Name, dropped: bool = False,
               same_moment: bool = False) -> str:
    """Why ``newest`` supersedes ``script`` in their family: the first thing that told them
    apart in the election (``group._elect``)."""
    if dropped:
        why = ("SLURM silently drops some of this one's directives (a line that looks like "
               f"#SBATCH but is a comment), {newest.path} has none")
    elif newest_name.standing != name.standing:
        why = (f"this one's name marks it as an older copy ({', '.join(name.markers)})"
               if name.standing < 0 and newest_name.standing <= 0 else
               f"{newest.path}'s name marks it as the better version "
               f"({', '.join(newest_name.markers)}), whatever the dates")
    elif not same_moment and theirs.last > mine.last:
        source = theirs.source if theirs.source == mine.source else \
            f"{mine.source} and {theirs.source}"
        why = (f"last changed {Dates.show(mine.last)}, {newest.path} last changed "
               f"{Dates.show(theirs.last)} ({source}{_since(mine)}{_since(theirs)})")
    elif newest_name.version != name.version:
        why = f"same date, {newest.path} has the higher version (v{newest_name.version})"
    else:
        why = f"same date, {newest.path} has the later date in its name"
    return f"superseded by {newest.path}, a newer version in family '{name.family}': {why}"


def _since(dates: Dates) -> str:
    """What a date means when it is not simply the last commit touching the file."""
    return f"; {dates.note}" if dates.note else ""
