"""Real git repositories in temporary folders, for the hook, baseline and cache tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import EXAMPLE

GOOD = "#!/bin/bash\n#SBATCH --time=10\n#SBATCH --nodes=1\nsrun python train.py\n"
# sbatch refuses --mem together with --mem-per-cpu (conflicting-options, an error)
BROKEN = ("#!/bin/bash\n#SBATCH --time=10\n#SBATCH --mem=4G\n#SBATCH --mem-per-cpu=2G\n"
          "srun python train.py\n")
GIT_ENV = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com"}


class Repo:
    """A git repository: write files, stage, commit, read git's answers."""

    def __init__(self, path: Path, files: dict[str, str] | None = None) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.write("train.py", "print('training')\n")
        for name, text in (files or {}).items():
            self.write(name, text)

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], cwd=self.path, env={**os.environ, **GIT_ENV},
                              check=check, capture_output=True, text=True)

    def write(self, name: str, text: str) -> Path:
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def commit(self, message: str = "change") -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)

    def status(self) -> str:
        return self.git("status", "--porcelain", "--untracked-files=all").stdout


def example_repo(path: Path) -> Repo:
    """The shipped navsim example workspace as a fresh git repository."""
    shutil.copytree(EXAMPLE, path)
    repo = Repo(path)
    (path / "train.py").unlink()
    repo.commit("example")
    return repo
