"""``scriptkeeper install-hook``: a plain git pre-commit hook, for repositories without pre-commit.

It writes the repository's ``pre-commit`` hook (in ``core.hooksPath`` when
set) to run ``scriptkeeper-hook --staged``, which checks the staged job
scripts as staged. A hook it did not write is never overwritten without
``--force``, and then it is kept next to it as ``pre-commit.scriptkeeper-saved``.
"""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import typer

from scriptkeeper.cli.common import fail

MARKER = "# written by 'scriptkeeper install-hook'"


def hook_text(python: str) -> str:
    """The hook: this interpreter's scriptkeeper if it is still there, else the one on PATH."""
    quoted = shlex.quote(python)
    return (
        "#!/bin/sh\n"
        f"{MARKER}: checks the staged SLURM job scripts.\n"
        "# Remove this file to uninstall; 'git commit --no-verify' skips it once.\n"
        f"if [ -x {quoted} ]; then\n"
        f"    exec {quoted} -m scriptkeeper.hook --staged\n"
        "fi\n"
        "exec scriptkeeper-hook --staged\n"
    )


def hooks_dir(start: Path) -> Path:
    out = subprocess.run(["git", "rev-parse", "--git-path", "hooks"], cwd=start,
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        fail("not inside a git repository")
    return (start / out.stdout.strip()).resolve()


def install_hook(
    force: bool = typer.Option(False, "--force",
                               help="Replace a pre-commit hook scriptkeeper did not write "
                                    "(it is saved as pre-commit.scriptkeeper-saved)."),
) -> None:
    """Install a git pre-commit hook that fails a commit with a broken job script."""
    folder = hooks_dir(Path.cwd())
    hook = folder / "pre-commit"
    text = hook_text(sys.executable)
    if hook.exists() or hook.is_symlink():
        try:
            current = hook.read_text(encoding="utf-8", errors="replace")
        except OSError:
            current = ""
        if MARKER not in current:
            if not force:
                hint = (" (pre-commit's own: add the scriptkeeper hook to "
                        ".pre-commit-config.yaml instead)" if "pre-commit.com" in current
                        else "")
                fail(f"{hook} exists and was not written by scriptkeeper{hint}; "
                     f"use --force to replace it (it will be kept as "
                     f"pre-commit.scriptkeeper-saved)")
            saved = folder / "pre-commit.scriptkeeper-saved"
            if saved.exists() or saved.is_symlink():
                fail(f"{saved} already exists: move it away first")
            os.replace(hook, saved)
            typer.echo(f"kept the previous hook as {saved}")
        elif current == text:
            typer.echo(f"{hook} is already installed")
            return
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / ".pre-commit.scriptkeeper-tmp"
    temp.write_text(text, encoding="utf-8")
    temp.chmod(temp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    os.replace(temp, hook)
    typer.echo(f"installed {hook}")
