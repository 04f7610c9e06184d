"""The edits that fix what the parse stage finds (judge stage, for ``scriptkeeper fix``).

Beside the producers of those facts (``parse/header.py``, ``parse/validate.py``):
each function takes the script, the fact and the job model and returns the
edits that fix the fact, or None when no edit is certainly right. Whether a
fix is safe (the job does the same) or unsafe (it changes what the job does)
is declared by the rule in rules.yaml (``autofix:``), never here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from scriptkeeper.fix.source import (
    MAGIC,
    EditMaker,
    Origin,
    ScriptSource,
    delete_line,
    ending,
    replace_line,
    rewrite_option,
)
from scriptkeeper.model.build import JobModel
from scriptkeeper.parse.option_table import OptionSpec, option_table
from scriptkeeper.records import Edit, Fact

_BOM = "\ufeff"
_LOOKALIKE = re.compile(r"[ \t\v\f\r]*#[ \t\v\f\r]*sbatch\b", re.IGNORECASE)


def _fact(origin: Origin) -> Fact | None:
    return origin if isinstance(origin, Fact) else None


def _read_fact(source: ScriptSource, origin: Origin) -> Fact | None:
    """The fact, when sbatch reads the script at all: the directive edits wait until the
    whole-file refusals (CRLF, the '#!' line) are fixed; the script may not be one job."""
    return None if source.parsed.refused else _fact(origin)


def crlf_to_lf(source: ScriptSource, origin: Origin, job: JobModel | None
               ) -> tuple[Edit, ...] | None:
    """Every CRLF line end becomes LF (a lone CR stays: it is not a DOS line break)."""
    edits: list[Edit] = []
    for number, line in enumerate(source.lines, start=1):
        if not line.endswith("\r\n"):
            continue
        last = edits[-1] if edits else None
        if last is not None and last.end_line == number:  # one edit a run of lines
            edits[-1] = Edit(last.line, number + 1, last.content + line[:-2] + "\n")
        else:
            edits.append(replace_line(number, line[:-2] + "\n"))
    return tuple(edits) or None


def shebang_first(source: ScriptSource, origin: Origin, job: JobModel | None
                  ) -> tuple[Edit, ...] | None:
    """The '#!' line moved to line 1 at column 0: a byte order mark dropped, an indented
    '#!' dedented, blank and comment lines before it kept after it. None when there is no
    '#!' line before the first command (the interpreter would be a guess), or #SBATCH
    lines come before it (moving it would make them directives of this job)."""
    lines = source.lines
    if not lines:
        return None
    first = lines[0][1:] if lines[0].startswith(_BOM) else lines[0]
    candidates = [first, *lines[1:]]
    for index, line in enumerate(candidates):
        stripped = line.lstrip(" \t")
        if stripped.startswith("#!"):
            break
        if index == 0 and stripped.startswith("!/"):
            return (replace_line(1, "#" + stripped),)
        if stripped.strip() and not stripped.startswith("#"):
            return None  # a command first: where the '#!' belongs is not ours to guess
        if line.startswith(MAGIC):
            # directives above it (notes of several jobs, say) would become this job's
            return None
    else:
        return None
    if index == 0:
        return (replace_line(1, stripped),)
    moved = stripped if ending(stripped) else stripped + (ending(lines[0]) or "\n")
    before = [first, *lines[1:index]]
    return (Edit(1, index + 2, moved + "".join(before)),)


def drop_overridden(source: ScriptSource, origin: Origin, job: JobModel | None
                    ) -> tuple[Edit, ...] | None:
    """The earlier of two values of an option, which sbatch overrides, removed: the job is
    the same."""
    fact = _read_fact(source, origin)
    earlier = fact.data.get("overridden") if fact is not None else None
    if earlier is None:
        return None
    edit = rewrite_option(source, earlier, "")
    return None if edit is None else (edit,)


def move_into_header(source: ScriptSource, origin: Origin, job: JobModel | None
                     ) -> tuple[Edit, ...] | None:
    """A directive after the first command moved above it, after the directives already
    there (so late directives keep their order when moved one by one)."""
    fact = _read_fact(source, origin)
    first = source.first_command()
    if fact is None or first is None or fact.line <= first:
        return None
    line = source.line(fact.line)
    if not line.startswith(MAGIC):
        return None
    if ending(line):
        return (Edit(first, first, line), delete_line(fact.line))
    # the last line, without a newline: the line before it becomes the last, without one
    before = source.line(fact.line - 1)
    return (Edit(first, first, line + "\n"),
            Edit(fact.line - 1, fact.line + 1, before[:len(before) - len(ending(before))]))


def directive_case(source: ScriptSource, origin: Origin, job: JobModel | None
                   ) -> tuple[Edit, ...] | None:
    """'#sbatch', '# SBATCH' or an indented '#SBATCH' written as the directive '#SBATCH'."""
    fact = _read_fact(source, origin)
    if fact is None:
        return None
    line = source.line(fact.line)
    found = _LOOKALIKE.match(line)
    if found is None:
        return None
    rest = line[found.end():]
    if rest[:1] not in (" ", "\t"):
        return None  # '#sbatch_x', '#SBATCH=': not an option list
    return (replace_line(fact.line, MAGIC + rest),)


def closest_option(source: ScriptSource, origin: Origin, job: JobModel | None
                   ) -> tuple[Edit, ...] | None:
    """A misspelt long option replaced by the one known option close to it (none when no
    option or several are close)."""
    fact = _read_fact(source, origin)
    if fact is None or "option" not in fact.data:
        return None
    name, written = fact.data["option"], fact.data["written"]
    close = _closest(name, option_table(source.release).by_long)
    if close is None:
        return None
    line = source.line(fact.line)
    found = re.compile(r"(?<=\s)" + re.escape(written) + r"(?==|\s|$)").search(line)
    if not line.startswith(MAGIC) or found is None:
        return None
    return (replace_line(fact.line, line[:found.start()] + "--" + close +
                         line[found.end():]),)


def _closest(name: str, known: Mapping[str, OptionSpec]) -> str | None:
    """The one option ``name`` is a slip of: the known options at the smallest edit distance
    (at most 2, and a quarter of the name) must all be the same option (an alias counts
    as it). None when none is that close or two different ones are."""
    wanted = name.replace("_", "-")
    limit = min(2, len(wanted) // 4)
    best: dict[str, int] = {}
    for option, spec in known.items():
        distance = _distance(wanted, option, limit)
        if distance <= limit:
            best[spec.long] = min(distance, best.get(spec.long, distance))
    if not best:
        return None
    nearest = min(best.values())
    chosen = [option for option, distance in best.items() if distance == nearest]
    return chosen[0] if len(chosen) == 1 else None


def _distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (adjacent swaps count one), or limit + 1 when larger."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        before, row = row, current
    return row[-1]


#: rule name -> its edit (rules/edit_table.py names this module for them)
EDITS: dict[str, EditMaker] = {
    "dos-line-endings": crlf_to_lf,
    "missing-shebang": shebang_first,
    "duplicate-option": drop_overridden,
    "directive-after-command": move_into_header,
    "ignored-directive-lookalike": directive_case,
    "unknown-option": closest_option,
}
