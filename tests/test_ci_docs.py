"""docs/ci.md and the README: an install that works, and pinned pre-commit examples."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import scriptkeeper
from tests.conftest import REPO

CI = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
DOCS = {"docs/ci.md": CI, "README.md": (REPO / "README.md").read_text(encoding="utf-8"),
        ".pre-commit-hooks.yaml": (REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")}
URL = "https://github.com/<owner>/scriptkeeper"
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e"}


def installs(text: str) -> list[str]:
    return re.findall(r"pip install ([^\s#]+)", text)


def test_no_install_from_an_index_that_does_not_serve_it() -> None:
    # scriptkeeper is on no index: every install names a git URL or a path
    found = installs(CI)
    assert found
    for target in found:
        assert target.startswith(('"git+', "git+", "./", "/", "-e")), target


@pytest.mark.parametrize("name", list(DOCS))
def test_precommit_examples_pin_the_release_tag(name: str) -> None:
    revs = re.findall(r"rev:\s*(\S+)", DOCS[name])
    assert revs and set(revs) == {"v0.2.0"}, revs


def test_the_readme_says_where_the_hook_warnings_show() -> None:
    assert "pre-commit run --verbose" in DOCS["README.md"]


@pytest.mark.slow
def test_the_documented_git_install_works(tmp_path: Path) -> None:
    """The install line of docs/ci.md, pointed at a tagged copy of this working tree."""
    copy = tmp_path / "scriptkeeper"
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=REPO, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (REPO / name).is_file() and not (REPO / name).is_symlink():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, copy / name)
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "release"],
                 ["tag", "-a", "v0.2.0", "-m", "v0.2.0"]):
        subprocess.run(["git", *args], cwd=copy, env=env, check=True, capture_output=True)
    line = next(t for t in installs(CI) if "git+" in t).strip('"')
    target = line.replace(URL, f"file://{copy}")
    assert target != line
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "venv")], check=True)
    done = subprocess.run([str(tmp_path / "venv" / "bin" / "pip"), "install", "-q", target],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    version = subprocess.run([str(tmp_path / "venv" / "bin" / "scriptkeeper"), "--version"],
                             capture_output=True, text=True, check=True).stdout
    assert version.strip() == f"scriptkeeper {scriptkeeper.__version__}"
