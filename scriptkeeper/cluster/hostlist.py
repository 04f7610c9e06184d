"""SLURM hostlist expressions: ``gpu[001-032]``, ``a[1-3,7]b[1-2]``, ``n1,n2`` (profile import).

Used by :mod:`scriptkeeper.cluster.profile_import` to tell which nodes of slurm.conf
or ``scontrol`` belong to which partition. Zero padding follows the lower
bound as SLURM's hostlist does (``[001-032]`` gives ``001`` ... ``032``).
"""

from __future__ import annotations

import itertools
import re

_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")

# A host list may not expand to more names than this (a typo such as
# ``n[1-99999999]`` must not eat the machine's memory).
MAX_HOSTS = 1_000_000


class HostlistError(ValueError):
    """The expression is not a valid SLURM hostlist."""


def split_top(text: str) -> list[str]:
    """Split at the commas that are not inside brackets."""
    parts: list[str] = []
    depth = 0
    start = 0
    for i, char in enumerate(text):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth < 0:
                raise HostlistError(f"unbalanced ']' in host list '{text}'")
        elif char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth != 0:
        raise HostlistError(f"unbalanced '[' in host list '{text}'")
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _bracket(body: str, whole: str) -> list[str]:
    values: list[str] = []
    for item in body.split(","):
        match = _RANGE.match(item.strip())
        if not match:
            raise HostlistError(f"bad range '{item}' in host list '{whole}'")
        low_text, high_text = match.group(1), match.group(2)
        if high_text is None:
            values.append(low_text)
            continue
        low, high = int(low_text), int(high_text)
        if high < low:
            raise HostlistError(f"range '{item}' runs backwards in host list '{whole}'")
        if high - low + 1 > MAX_HOSTS:
            raise HostlistError(f"range '{item}' is too large in host list '{whole}'")
        width = len(low_text)
        values.extend(str(n).zfill(width) for n in range(low, high + 1))
    return values


def _expand_one(pattern: str) -> list[str]:
    pieces: list[list[str]] = []
    rest = pattern
    while rest:
        open_at = rest.find("[")
        if open_at < 0:
            if "]" in rest:
                raise HostlistError(f"unbalanced ']' in host list '{pattern}'")
            pieces.append([rest])
            break
        close_at = rest.find("]", open_at)
        if close_at < 0:
            raise HostlistError(f"unbalanced '[' in host list '{pattern}'")
        if open_at:
            pieces.append([rest[:open_at]])
        pieces.append(_bracket(rest[open_at + 1 : close_at], pattern))
        rest = rest[close_at + 1 :]
    total = 1
    for choices in pieces:
        total *= len(choices)
    if total > MAX_HOSTS:
        raise HostlistError(f"host list '{pattern}' expands to too many names")
    return ["".join(combo) for combo in itertools.product(*pieces)]


def expand(expression: str) -> list[str]:
    """Every host name of a hostlist expression, in order, without repeats."""
    names: list[str] = []
    seen: set[str] = set()
    for part in split_top(expression):
        for name in _expand_one(part):
            if name not in seen:
                seen.add(name)
                names.append(name)
    return names
