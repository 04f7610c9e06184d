"""The shell-syntax-error fact: tree-sitter suspects, ``bash -n`` decides (model stage).

tree-sitter-bash is error-tolerant and has quirks (some heredocs, ``case``
patterns, arithmetic forms), so its error flag is only a reason to ask bash
itself: the script text goes to ``bash -n`` (parse, never run) and only an
error bash reports becomes a fact, at the line bash names. This runs for
scripts whose interpreter is bash or sh, and only when tree-sitter saw an
error, so the subprocess is rare.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess

from scriptkeeper.records import Fact
from scriptkeeper.rules import fact_kinds

# the fact kinds made here; the import checks them against fact_kinds.KINDS, which
# rules.yaml loading reads without importing this module
FACTS = fact_kinds.declare(__name__, "shell-syntax-error")

_BASH_ERROR = re.compile(r"line (\d+): (.*)")
_SHELLS = frozenset({"bash", "sh"})
_ANALYSABLE = frozenset({"bash", "sh", "dash", "zsh", "ksh", "mksh"})


def interpreter(first_line: str) -> str | None:
    """The interpreter a ``#!`` line names (``/usr/bin/env bash`` -> 'bash'), or None."""
    if not first_line.startswith("#!"):
        return None
    words = first_line[2:].split()
    if not words:
        return None
    name = words[0].rsplit("/", 1)[-1]
    if name == "env":
        rest = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
        if not rest:
            return None
        name = rest[0].rsplit("/", 1)[-1]
    return name


@functools.lru_cache(maxsize=256)  # a repository's scripts share a few #! lines
def is_shell(first_line: str) -> bool:
    """Whether the body is shell the analysis can read (no shebang counts as sh)."""
    name = interpreter(first_line)
    return name is None or name in _ANALYSABLE


def checked_by_bash(first_line: str) -> bool:
    """Whether bash -n may judge this script: a bash or sh interpreter, or none."""
    name = interpreter(first_line)
    return name is None or name in _SHELLS


@functools.cache
def _bash() -> str | None:
    return shutil.which("bash")


def bash_error(text: str) -> tuple[int, str] | None:
    """(line, message) of the first syntax error ``bash -n`` reports, or None."""
    bash = _bash()
    if bash is None:
        return None
    try:
        result = subprocess.run([bash, "-n"], input=text.encode("utf-8", "surrogateescape"),
                                capture_output=True, timeout=10, check=False,
                                env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"})
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode == 0:
        return None
    for line in result.stderr.decode("utf-8", "replace").splitlines():
        match = _BASH_ERROR.search(line)
        if match and "syntax error" in match.group(2):
            return int(match.group(1)), match.group(2).strip()
    return None


def facts(text: str, first_line: str) -> list[Fact]:
    """The shell-syntax-error fact, when bash confirms one."""
    if not checked_by_bash(first_line) or "extglob" in text:
        # bash -n does not run `shopt -s extglob`, so it misreads the patterns that follow
        return []
    found = bash_error(text)
    if found is None:
        return []
    line, message = found
    return [Fact(
        "shell-syntax-error", line,
        f"bash cannot parse the script: '{message}' (bash -n, line {line}); the job waits in "
        f"the queue, runs the commands before that point, then stops with this error",
        "fix the shell syntax (an unclosed quote, 'if' without 'fi', 'do' without 'done', "
        "a missing ';' before 'then'); check with 'bash -n SCRIPT'")]
