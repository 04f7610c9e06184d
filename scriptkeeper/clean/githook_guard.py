"""Are we running inside a git hook? ``clean`` and ``restore`` refuse there.

A hook runs while git is in the middle of something (a commit holding
``index.lock`` and a half-built index, a checkout, a push); moving files and
committing from inside it would corrupt that operation. What git tells a
hook, measured on git 2.39:

- ``pre-commit``, ``prepare-commit-msg``, ``commit-msg``, ``post-commit``
  (and ``pre-merge-commit``) get ``GIT_INDEX_FILE``; nothing else a user runs
  sets it, and if a user did, "the user's index" would be ambiguous anyway;
- the pre-commit framework sets ``PRE_COMMIT=1`` for every hook it runs;
- other hooks (``post-checkout``, ``post-merge``, ``pre-push``,
  ``reference-transaction``...) get only ``GIT_EXEC_PATH`` and
  ``GIT_PREFIX``, which git also sets for ``!`` aliases, so they prove
  nothing (``GIT_DIR`` is set only for bare or linked repositories and users
  set it for other reasons). For these we look at the process tree instead
  (Linux ``/proc``): an ancestor whose program is a file named after a git
  hook, started by a ``git`` process, is a hook. Hook managers (husky,
  ``core.hooksPath``) keep the hook names, so they are found the same way.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

HOOK_NAMES = frozenset(
    "applypatch-msg pre-applypatch post-applypatch pre-commit pre-merge-commit "
    "prepare-commit-msg commit-msg post-commit pre-rebase post-checkout post-merge pre-push "
    "pre-receive update proc-receive post-receive post-update reference-transaction "
    "push-to-checkout pre-auto-gc post-rewrite sendemail-validate fsmonitor-watchman "
    "p4-changelist p4-prepare-changelist p4-post-changelist p4-pre-submit "
    "post-index-change".split())
_MAX_DEPTH = 12


def _proc(pid: int, proc: Path) -> tuple[list[str], int] | None:
    """(argv, parent pid) of ``pid``, or None when unreadable."""
    try:
        argv = (proc / str(pid) / "cmdline").read_bytes().split(b"\0")
        stat = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    # the name in stat is in parentheses and may hold spaces: read after the last ')'
    fields = stat[stat.rindex(")") + 2:].split()
    return [a.decode("utf-8", "replace") for a in argv if a], int(fields[1])


def _is_git(argv: list[str]) -> bool:
    return bool(argv) and os.path.basename(argv[0]) in ("git", "git.exe")


def hook_ancestor(pid: int | None = None, proc: Path = Path("/proc")) -> str | None:
    """The name of the git hook among our ancestors (Linux), or None."""
    current = pid if pid is not None else os.getpid()
    for _ in range(_MAX_DEPTH):
        info = _proc(current, proc)
        if info is None:
            return None
        argv, parent = info
        # a hook runs as `HOOKPATH args`, `interpreter HOOKPATH` or `interpreter -opt HOOKPATH`
        for word in argv[:3]:
            name = os.path.basename(word)
            if name in HOOK_NAMES:
                parent_info = _proc(parent, proc)
                if parent_info is not None and _is_git(parent_info[0]):
                    return name
        if parent <= 1:
            return None
        current = parent
    return None


def inside_hook(environ: Mapping[str, str] | None = None) -> str | None:
    """Why we think we run inside a git hook, or None."""
    env = os.environ if environ is None else environ
    if env.get("PRE_COMMIT"):
        return "PRE_COMMIT is set: this runs inside a pre-commit hook"
    if env.get("GIT_INDEX_FILE"):
        return ("GIT_INDEX_FILE is set: this runs inside a git commit hook (or with another "
                "index chosen; unset GIT_INDEX_FILE)")
    name = hook_ancestor()
    if name is not None:
        return f"this runs inside the git '{name}' hook"
    return None
