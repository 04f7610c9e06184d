"""Fixtures of the report tests: the example workspace as a git repository of its own."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE


def scriptkeeper_command() -> list[str]:
    """The installed ``scriptkeeper`` console script, as a user runs it."""
    script = Path(sys.executable).parent / "scriptkeeper"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "scriptkeeper"]


def git_repo(path: Path) -> Path:
    """``path`` as a fresh git repository (untracked files are scanned like tracked ones)."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path


def writable_copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    for folder, _, names in os.walk(target):
        os.chmod(folder, os.stat(folder).st_mode | stat.S_IWUSR)
        for name in names:
            full = os.path.join(folder, name)
            os.chmod(full, os.stat(full).st_mode | stat.S_IWUSR)
    return target


@pytest.fixture
def example_repo(tmp_path: Path) -> Path:
    """The shipped navsim example, copied into a tmp git repository (its root = the workspace)."""
    return git_repo(writable_copy(EXAMPLE, tmp_path / "navsim-workspace"))
