"""Where the human formats say a script is: relative to the current folder (report stage).

The table and the concise lines are read by a person in a shell, who clicks or
types the path from where they stand (as ruff and shellcheck print them). The
machine formats (JSON, SARIF, GitLab, GitHub annotations) keep the
repository-relative paths their consumers resolve against the root.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def from_here(root: Path, cwd: Path | None = None) -> Callable[[str], str]:
    """A function from a repository-relative path to one relative to ``cwd`` (default: the
    current folder) when that folder is inside the repository or holds it; else the path
    as it is."""
    try:
        here = (cwd or Path.cwd()).resolve()
    except OSError:  # the current folder was removed
        return lambda path: path
    # from a folder that neither holds the repository nor lies in it, a path from the root
    # reads better than a climb through ../../
    if here == root or not (here.is_relative_to(root) or root.is_relative_to(here)):
        return lambda path: path
    base = str(root)

    def place(path: str) -> str:
        return Path(os.path.relpath(os.path.join(base, path), here)).as_posix()

    return place
