"""Symlinks a clean would leave dangling (part of the plan, clean stage).

A symlink in the repository that reaches a moved script, directly or through
a chain of links, would point at nothing once the script is in the backup.
The plan moves such a link with the script (the manifest records it as a
symlink, and ``restore`` puts both back), or, when the link may not move (it
is pinned), keeps the script in place.
"""

from __future__ import annotations

import os
from pathlib import Path

from scriptkeeper.pipeline.discover import BACKUP_DIR, git_listing, present_files

_MAX_HOPS = 40  # as the kernel's limit on nested symlinks


def _candidates(root: Path, in_git: bool) -> list[str]:
    """Every file of the repository (as discovery lists them), to look for symlinks in."""
    if in_git:
        listed = git_listing(root)
        if listed is not None:
            return sorted(present_files(listed))
    found: list[str] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git" and not BACKUP_DIR.match(d)]
        found.extend(os.path.relpath(os.path.join(folder, n), root).replace(os.sep, "/")
                     for n in names)
    return sorted(found)


def _hops(root: Path, path: str) -> list[str]:
    """The repository paths a symlink at ``path`` passes through, in order (not itself)."""
    top = os.path.realpath(root)
    hops: list[str] = []
    full = os.path.join(top, path)
    for _ in range(_MAX_HOPS):
        if not os.path.islink(full):
            break
        target = os.readlink(full)
        full = os.path.normpath(os.path.join(os.path.dirname(full), target))
        # the folders on the way may be links too: name the file where it really is
        full = os.path.join(os.path.realpath(os.path.dirname(full)), os.path.basename(full))
        if not full.startswith(top + os.sep):
            break
        hops.append(os.path.relpath(full, top).replace(os.sep, "/"))
    return hops


def links_to(root: Path, in_git: bool, moved: set[str]) -> dict[str, str]:
    """The symlinks (not in ``moved``) that reach a path of ``moved``: link -> that path."""
    found = {}
    for path in _candidates(root, in_git):
        if path in moved or not os.path.islink(os.path.join(root, path)):
            continue
        for hop in _hops(root, path):
            if hop in moved:
                found[path] = hop
                break
    return found
