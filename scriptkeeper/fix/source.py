"""One script's lines as the edit producers see them, and the helpers they share (judge stage).

An edit producer (``parse/sbatch_edits.py``, ``body/launch_edits.py``) gets a
:class:`ScriptSource`: the bytes split into lines that keep their line ends,
decoded so that encoding them again gives the same bytes, and the parsed
header. It returns :class:`~scriptkeeper.records.Edit` s over those lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Union

from scriptkeeper.records import Edit, Fact

if TYPE_CHECKING:
    from scriptkeeper.model.build import JobModel, LaunchStep
    from scriptkeeper.parse.directive import Directive
    from scriptkeeper.parse.header import ParsedScript

#: what an edit producer is given: the fact a fact rule reports, or the step of a step rule
Origin = Union[Fact, "LaunchStep", None]
#: an edit producer: the edits that fix one finding, or None when no edit is right here
EditMaker = Callable[["ScriptSource", Origin, "JobModel | None"], "tuple[Edit, ...] | None"]

MAGIC = "#SBATCH"


def decode(data: bytes) -> str:
    """The bytes as text that encodes back to the same bytes (:func:`encode`)."""
    return data.decode("utf-8", errors="surrogateescape")


def encode(text: str) -> bytes:
    return text.encode("utf-8", errors="surrogateescape")


class ScriptSource:
    """A script's lines (with their line ends) and its parsed header."""

    def __init__(self, data: bytes, parsed: ParsedScript, release: str | None = None) -> None:
        self.data = data
        self.parsed = parsed
        self.release = release  # the SLURM release whose sbatch options apply
        self._lines: list[str] | None = None

    @property
    def lines(self) -> list[str]:
        """The lines with their line ends (split when an edit first asks: most scripts have
        no finding with an edit)."""
        if self._lines is None:
            self._lines = split_lines(self.data)
        return self._lines

    def line(self, number: int) -> str:
        """Line ``number`` (1-based) with its line end; '' past the end."""
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""

    def first_command(self) -> int | None:
        return self.parsed.first_command_line


def split_lines(data: bytes) -> list[str]:
    """The lines of ``data`` with their line ends; at \n only, as sbatch and bash split
    (str.splitlines also splits at \r, \f, ...)."""
    lines = [part + "\n" for part in decode(data).split("\n")]
    last = lines.pop()
    if last != "\n":
        lines.append(last[:-1])
    return lines


def replace_line(number: int, content: str) -> Edit:
    return Edit(number, number + 1, content)


def delete_line(number: int) -> Edit:
    return Edit(number, number + 1, "")


def ending(line: str) -> str:
    """The line end of ``line`` ('' for a last line without one)."""
    if line.endswith("\r\n"):
        return "\r\n"
    return "\n" if line.endswith("\n") else ""


def option_span(line: str, d: Directive) -> tuple[int, int] | None:
    """Where directive ``d`` (with its value) is written on its #SBATCH line, or None."""
    if not line.startswith(MAGIC):
        return None
    at = line.find(d.written, len(MAGIC))
    while at > 0 and not line[at - 1].isspace():
        at = line.find(d.written, at + 1)
    if at < 0:
        return None
    end = at + len(d.written)
    if d.value is not None and not d.written.endswith(d.value):
        # the value is the next word ('--ntasks 8', '-n 8')
        found = re.compile(r"[ \t]+" + re.escape(d.value) + r"(?=\s|$)").match(line, end)
        if found is None:
            return None
        end = found.end()
    if end < len(line) and not line[end].isspace():
        return None
    return at, end


def rewrite_option(source: ScriptSource, d: Directive, new: str) -> Edit | None:
    """The edit that writes ``new`` in place of directive ``d``; '' drops it (and its line,
    when nothing but the #SBATCH and a comment would be left)."""
    line = source.line(d.line)
    span = option_span(line, d)
    if span is None:
        return None
    start, end = span
    if new:
        return replace_line(d.line, line[:start] + new + line[end:])
    rest = line[:start].rstrip(" \t") + line[end:]
    if not rest[len(MAGIC):].strip() or rest[len(MAGIC):].lstrip().startswith("#"):
        return delete_line(d.line)
    if rest[len(MAGIC):len(MAGIC) + 1] not in (" ", "\t"):
        rest = MAGIC + " " + rest[len(MAGIC):]
    return replace_line(d.line, rest)


def apply_edits(lines: Sequence[str], edits: Sequence[Edit]) -> list[str] | None:
    """``lines`` with ``edits`` made (in order for edits at the same place); None if two
    edits overlap."""
    ordered = sorted(enumerate(edits), key=lambda p: (p[1].line, p[1].end_line, p[0]))
    out: list[str] = []
    at = 1
    for _, e in ordered:
        if e.line < at or e.end_line < e.line or e.end_line > len(lines) + 1:
            return None
        out.extend(lines[at - 1:e.line - 1])
        out.append(e.content)
        at = e.end_line
    out.extend(lines[at - 1:])
    return out
