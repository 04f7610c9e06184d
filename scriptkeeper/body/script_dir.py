"""A batch script that finds its own folder through ``$0`` (body stage).

SLURM runs a copy of the batch script from slurmd's spool folder: ``$0`` and
``${BASH_SOURCE[0]}`` are ``/var/spool/slurmd/jobNNNNN/slurm_script``
(docs/launch-contracts.md §2.10), so ``cd "$(dirname "$0")"`` or
``SCRIPT_DIR=$(dirname "$(readlink -f "$0")")`` name a folder that holds only that
copy. This module reads the body's lines for those forms and says whether anything
after them depends on the folder: a relative path used after such a ``cd``, a path
built from such a variable (``$SCRIPT_DIR/train.py``), or the form used inline as a
path (``python `dirname $0`/x.py``). ``batch-script-dir`` is made when something
does, ``batch-script-dir-fragile`` when the folder is only computed. Scripts that
guard it (``${SLURM_SUBMIT_DIR:-...}``, an ``if`` on ``SLURM_JOB_ID``, ``scontrol
show job`` for the submitted path, a check for ``slurmd`` in the path) near the
line are left alone.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from scriptkeeper.fix.source import EditMaker, Origin, ScriptSource, replace_line
from scriptkeeper.parse import embedded
from scriptkeeper.records import Edit, Fact
from scriptkeeper.rules import fact_kinds

if TYPE_CHECKING:
    from scriptkeeper.model.build import JobModel

FACTS = fact_kinds.declare(__name__, "batch-script-dir", "batch-script-dir-fragile")

_SELF = r"(?:\$\{?0\}?(?![0-9])|\$\{?BASH_SOURCE(?:\[0\])?\}?)"
# the script's own folder: dirname/readlink -f/realpath of $0 or BASH_SOURCE, ${0%/*}
_SELF_DIR = re.compile(
    r"(?:dirname|readlink|realpath)\b[^\n;|&]*?" + _SELF
    + r"|\$\{(?:0|BASH_SOURCE(?:\[0\])?)%/\*\}")
_GUARD = re.compile(r"SLURM_SUBMIT_DIR|SLURM_JOB_?ID|scontrol\s+show\s+job|slurmd|slurm_script")
_ASSIGN = re.compile(r"^\s*(?:export\s+|local\s+|declare\s+(?:-\w+\s+)?|readonly\s+)?"
                     r"([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
_CD = re.compile(r"^\s*(?:builtin\s+)?(?:cd|pushd)\s+(.*)$")
# a relative path as a word: ./x, ../x, dir/x, or a file name with a data or code suffix
_RELATIVE = re.compile(
    r"^(?:\.{1,2}/\S*|[A-Za-z0-9_][A-Za-z0-9_.+-]*/[^\s$]*|[A-Za-z0-9_][A-Za-z0-9_.+-]*\."
    r"(?:py|sh|bash|yaml|yml|json|txt|cfg|conf|toml|csv|R|jl|ipynb|sif))$")
_GUARD_BEFORE = 8
_GUARD_AFTER = 5


def _guarded(lines: list[str], index: int) -> bool:
    window = lines[max(0, index - _GUARD_BEFORE): index + _GUARD_AFTER + 1]
    return any(_GUARD.search(line) for line in window)


def _code(line: str) -> str:
    """The line without a trailing comment (a '#' after a space) and surrounding space."""
    stripped = line.strip()
    if stripped.startswith("#"):
        return ""
    cut = re.search(r"\s#", stripped)
    return stripped[:cut.start()] if cut else stripped


def _uses(var: str) -> re.Pattern[str]:
    return re.compile(r"\$\{?" + var + r"\}?(?![A-Za-z0-9_])")


def _builds_path(var: str) -> re.Pattern[str]:
    return re.compile(r"\$\{?" + var + r"\}?[\"']?/")


def _words(code: str) -> list[str]:
    return [w.strip("\"'") for w in re.split(r"[\s;|&()]+", code) if w]


def facts(text: str, lines: list[str], start: int) -> list[Fact]:
    """The script-dir facts of the body ``lines[start:]`` (line numbers 1-based); ``text``:
    the whole script, for a quick look first."""
    if "$0" not in text and "{0" not in text and "BASH_SOURCE" not in text:
        return []
    found: list[Fact] = []
    body = [_code(line) for line in lines]
    held: frozenset[int] | None = None
    for index in range(start, len(lines)):
        code = body[index]
        if not code or not _SELF_DIR.search(code) or _guarded(lines, index):
            continue
        if held is None:  # a here-document's lines belong to the file it writes
            held = embedded.held_lines(lines, False) or frozenset()
        if index + 1 in held:
            continue
        number = index + 1
        assigned = _ASSIGN.match(code)
        cd = _CD.match(code)
        later = range(index + 1, len(lines))
        if assigned and not cd:
            name = assigned.group(1)
            depends = _depends_on_var(body, later, name)
            form = f"`{code[:80]}`"
            what = f"{name} is the spool folder /var/spool/slurmd/jobNNNNN"
            if depends is not None:
                found.append(_fact("batch-script-dir", number, form, what, depends))
            else:
                found.append(_fact("batch-script-dir-fragile", number, form, what, None))
        elif cd:
            depends = _relative_after_cd(body, later)
            form = f"`{code[:80]}`"
            what = "the working directory becomes the spool folder /var/spool/slurmd/jobNNNNN"
            kind = "batch-script-dir" if depends is not None else "batch-script-dir-fragile"
            found.append(_fact(kind, number, form, what, depends))
        elif re.search(r"(?:`|\$\()\s*(?:dirname|realpath|readlink)[^`)]*" + _SELF
                       + r"[^`)]*(?:`|\))[\"']?/", code):
            # used inline as a path: python `dirname $0`/x.py
            found.append(_fact("batch-script-dir", number, f"`{code[:80]}`",
                               "the path it builds starts in the spool folder "
                               "/var/spool/slurmd/jobNNNNN", (number, code)))
    return found


def _depends_on_var(body: list[str], later: range, name: str) -> tuple[int, str] | None:
    """The first later line that builds a path from ``name`` (or a variable made from it)."""
    names = {name}
    for index in later:
        code = body[index]
        if not code:
            continue
        assigned = _ASSIGN.match(code)
        if assigned and assigned.group(1) in names and not any(
                _uses(n).search(assigned.group(2)) for n in names):
            names.discard(assigned.group(1))  # set again from something else
            continue
        for var in list(names):
            if _builds_path(var).search(code) or re.search(
                    r"^\s*(?:builtin\s+)?(?:cd|pushd)\s+[\"']?\$\{?" + var + r"\}?[\"']?\s*$",
                    code):
                return index + 1, code
            if assigned and _uses(var).search(assigned.group(2)) and not \
                    _GUARD.search(code):
                names.add(assigned.group(1))
    return None


def _relative_after_cd(body: list[str], later: range) -> tuple[int, str] | None:
    """The first later line that uses a relative path, before another cd."""
    for index in later:
        code = body[index]
        if not code:
            continue
        if _CD.match(code):
            return None  # the next cd decides where later paths point
        words = _words(code)
        if words and words[0] in ("echo", "printf", "export", "module", "ml"):
            continue  # prints or names, opens nothing
        if words and words[0].startswith(("./", "../")):
            return index + 1, code  # a program run from the folder
        for word in words[1:]:
            value = word.split("=", 1)[1] if word.startswith("-") and "=" in word else word
            if _RELATIVE.match(value) and "://" not in value:
                return index + 1, code
    return None


def _fact(kind: str, line: int, form: str, what: str, depends: tuple[int, str] | None) -> Fact:
    if depends is not None:
        at, code = depends
        detail = (f"{form}: SLURM runs a copy of the batch script from its spool folder, so "
                  f"{what}, which holds nothing but that copy; line {at} (`{code[:60]}`) "
                  f"looks there for files that are not there")
    else:
        detail = (f"{form}: SLURM runs a copy of the batch script from its spool folder, so "
                  f"{what}, not this script's folder; nothing after it reads a relative path "
                  f"yet, but any that does will miss")
    fix = ("use \"$SLURM_SUBMIT_DIR\" (the folder sbatch was run from) or an absolute path "
           "instead of the script's own location")
    data = {"depends_line": depends[0] if depends else 0}
    if kind == "batch-script-dir":
        return Fact("batch-script-dir", line, detail, fix, data=data)
    return Fact("batch-script-dir-fragile", line, detail, fix, data=data)


def _first_word(text: str) -> int | None:
    """The length of the shell word at the start of ``text`` (quotes and ``$(...)``
    balanced), or None when it does not end on this line."""
    depth, quote, i = 0, "", 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if quote == "'":
            quote = "" if c == "'" else quote
        elif text.startswith("$(", i):
            depth += 1
            i += 1
        elif c == ")" and depth:
            depth -= 1
        elif c in "\"'" and not depth and (not quote or c == quote):
            quote = "" if quote else c
        elif c == '"' and depth and quote != "'":
            pass  # quotes inside $(...) balance on their own
        elif c in " \t;&|" and not depth and not quote:
            return i
        i += 1
    return None if depth or quote else i


_CD_LINE = re.compile(r"^(\s*(?:builtin\s+)?(?:cd|pushd)\s+)")
_ASSIGN_LINE = re.compile(r"^(\s*(?:export\s+|local\s+|readonly\s+)?[A-Za-z_][A-Za-z0-9_]*=)")


def submit_dir(source: ScriptSource, origin: Origin, job: JobModel | None
               ) -> tuple[Edit, ...] | None:
    """The script's own folder replaced by ``"$SLURM_SUBMIT_DIR"`` where the whole word is
    it: ``cd "$(dirname "$0")"`` and ``DIR=$(cd "$(dirname "$0")" && pwd)``; any other form
    is left to a person."""
    if not isinstance(origin, Fact):
        return None
    line = source.line(origin.line)
    body = line.rstrip("\r\n")
    end = line[len(body):]
    head = _CD_LINE.match(body) or _ASSIGN_LINE.match(body)
    if head is None:
        return None
    rest = body[head.end():]
    size = _first_word(rest)
    if size is None or not size:
        return None
    word, tail = rest[:size], rest[size:]
    if not _SELF_DIR.search(word) or _uses("0").search(tail) or "BASH_SOURCE" in tail:
        return None
    return (replace_line(origin.line, head.group(1) + '"$SLURM_SUBMIT_DIR"' + tail + end),)


#: rule name -> its edit (rules/edit_table.py names this module for them)
EDITS: dict[str, EditMaker] = {"batch-script-dir": submit_dir}
