"""A fixed script against its original as a unified diff (fix stage, ``fix --diff``)."""

from __future__ import annotations

import difflib

from scriptkeeper.fix.source import split_lines

_NO_NEWLINE = "\\ No newline at end of file\n"


def render(path: str, before: bytes, after: bytes) -> str:
    """``diff -u``'s form, with a/ and b/ before the path as git writes it."""
    old, new = split_lines(before), split_lines(after)
    out = []
    for line in difflib.unified_diff(old, new, f"a/{path}", f"b/{path}"):
        out.append(line if line.endswith("\n") else line + "\n" + _NO_NEWLINE)
    # the header lines difflib writes end in "\n" already; a CR shown as is
    return "".join(out)

