"""A writable git copy of the shipped example workspace, for the tools that show its output.

The README's excerpts (tools/readme_excerpt.py, tools/readme_explain.py) run the
installed scriptkeeper on a copy named like the checkout its scripts cd into,
so that their entry points are read as in the repository itself.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "navsim-workspace"


def scriptkeeper() -> list[str]:
    """The scriptkeeper beside this interpreter, else ``python -m scriptkeeper``."""
    script = Path(sys.executable).parent / "scriptkeeper"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "scriptkeeper"]


def example_copy(tmp: str) -> Path:
    """The example copied under ``tmp`` (writable, even from a read-only checkout), in git."""
    work = Path(tmp) / "navsim-workspace"
    shutil.copytree(EXAMPLE, work)
    for folder, _, names in os.walk(work):
        for path in [folder, *(os.path.join(folder, n) for n in names)]:
            os.chmod(path, os.stat(path).st_mode | stat.S_IWUSR)
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    return work
