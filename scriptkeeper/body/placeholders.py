"""Placeholders left on a launch line: ``/path/to/...``, ``<script>``, ``YOUR_...`` (body stage).

Read on the words the shell walk gives a command, after the script's own variables
are set (a ``$YOUR_DIR`` the script assigns is its value by then; one that comes
from outside stays unknown and is never a placeholder). Only what certainly fails
is a fact: the program or the entry point a launch line runs, or a path argument of
a launch step that is literally ``/path/to/...`` or ``path/to/...``. A placeholder in
another argument (``--project <name>``) may never be read, and is left alone.
"""

from __future__ import annotations

import os
import re

from scriptkeeper.body.launchers import Invocation
from scriptkeeper.body.shell import UNKNOWN
from scriptkeeper.records import Fact
from scriptkeeper.rules import fact_kinds

FACTS = fact_kinds.declare(__name__, "placeholder-path")

# a path of the documentation kind: '/path/to/x', 'path/to/x' (also after a variable)
_PATH_TO = re.compile(r"(?:^|[/=\x00])path/to/", re.IGNORECASE)
_ANGLE = re.compile(r"<[A-Za-z_][^<>\s]*(?:\s[^<>]*)?>")
# an unquoted '<name>' after a space: bash reads '<name' as input from a file 'name'
_REDIRECTED = re.compile(r"(?:^|\s)(<[A-Za-z_][\w./-]*>)")
_YOUR = re.compile(r"(?<![A-Za-z0-9])(?:YOUR[_-][A-Z0-9_]+|your[_-]?(?:user(?:name)?|name|path|"
                   r"dir|directory|folder|project|script|file|account|home|repo|env|code)"
                   r"(?![a-z]))")


def placeholder(word: str) -> str | None:
    """The placeholder in ``word``, or None."""
    for pattern in (_PATH_TO, _ANGLE, _YOUR):
        found = pattern.search(word)
        if found is not None:
            return found.group(0).strip("/=\x00")
    return None


def facts(inv: Invocation, words: list[str], line: int, bases: tuple[str, ...],
          raw: str = "") -> list[Fact]:
    """A ``placeholder-path`` fact for the launch line's program, entry point or path argument.

    ``raw``: the line as written, where an unquoted ``<name>`` is still to be seen (the
    shell walk takes it for a redirection).
    """
    if not words:
        return []
    redirected = _redirected(raw, bases) if "<" in raw and (
        inv.launcher != "other" or inv.srun is not None) else None
    if redirected is not None:
        return [Fact(
            "placeholder-path", line,
            f"`{raw.strip()[:60]}`: `{redirected}` is a placeholder left from a template, "
            f"and bash reads it as an input redirection from a file "
            f"`{redirected[1:-1]}` that does not exist: the command fails at once (\"No such "
            f"file or directory\") and the launch never runs",
            "put the real path in place of the placeholder",
            data={"placeholder": redirected})]
    program = words[0]
    shown = " ".join(w.replace(UNKNOWN, "$?") for w in words[:4])
    what = ""
    word = ""
    if placeholder(program) and "/" in program:
        what, word = "the program it runs", program
    elif inv.entry is not None and inv.entry.kind == "file" and placeholder(inv.entry.target):
        if not _exists(inv.entry.target, bases):
            what, word = "the script it runs", inv.entry.target
    elif inv.launcher != "other":
        for arg in words[1:]:
            value = arg.split("=", 1)[1] if "=" in arg else arg
            if _PATH_TO.match(value) or value.lower().startswith(("/path/to/", "path/to/")):
                what, word = "a path it is given", value
                break
    if not what:
        return []
    word = word.replace(UNKNOWN, "$?")
    return [Fact(
        "placeholder-path", line,
        f"`{shown}`: {what}, `{word}`, is a placeholder left from a template "
        f"(`{placeholder(word)}`): the job waits in the queue, then fails at once on a file "
        f"that does not exist",
        "put the real path in place of the placeholder",
        data={"placeholder": word})]


def _redirected(raw: str, bases: tuple[str, ...]) -> str | None:
    """An unquoted ``<name>`` on the line whose file ``name`` is not there, or None."""
    for found in _REDIRECTED.finditer(raw):
        before = raw[:found.start(1)]
        if before.count('"') % 2 or before.count("'") % 2 or "#" in before:
            continue  # quoted (the words have it), or in a comment
        if not _exists(found.group(1)[1:-1], bases):
            return found.group(1)
    return None


def _exists(target: str, bases: tuple[str, ...]) -> bool:
    if UNKNOWN in target:
        return False
    return any(os.path.isfile(os.path.join(b, target)) for b in bases)
