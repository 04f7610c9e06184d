"""clean and restore refuse inside git hooks, found the way real hooks run them.

Real hooks in real repositories: a ``pre-commit`` hook (git sets
``GIT_INDEX_FILE``), a ``post-checkout`` hook (git sets nothing telling:
found through the process tree), the pre-commit framework (``PRE_COMMIT=1``).
A git alias, which gets the same variables as a post-checkout hook, must
still work.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scriptkeeper.clean import githook_guard

from .support import (
    backups,
    broken_script,
    clean_env,
    git,
    kept_script,
    make_repo,
    snapshot,
)

SCRIPTS = {"scripts/keep.slurm": kept_script("k"), "scripts/bad.slurm": broken_script("bad")}


def _hook(repo: Path, name: str, command: str, out: Path) -> None:
    hook = repo / ".git" / "hooks" / name
    hook.write_text(f'#!/bin/sh\n"{sys.executable}" -m scriptkeeper {command} > "{out}" 2>&1\n'
                    f'echo "exit=$?" >> "{out}"\nexit 0\n')
    hook.chmod(0o755)


def _scripts(repo: Path) -> dict[str, tuple[str, str]]:
    return {k: v for k, v in snapshot(repo).items() if k.startswith("scripts/")}


def test_pre_commit_hook_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", SCRIPTS)
    out = tmp_path / "hook.out"
    _hook(repo, "pre-commit", "clean --yes", out)
    before = _scripts(repo)
    (repo / "notes.txt").write_text("x\n")
    git(repo, "add", "notes.txt")
    git(repo, "commit", "-q", "-m", "triggers the hook")
    text = out.read_text()
    assert "exit=1" in text and "refusing to clean" in text and "GIT_INDEX_FILE" in text
    assert _scripts(repo) == before and backups(repo) == []
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["notes.txt"]


def test_post_checkout_hook_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", SCRIPTS)
    out = tmp_path / "hook.out"
    _hook(repo, "post-checkout", "clean --yes", out)
    before = _scripts(repo)
    head = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "topic")
    text = out.read_text()
    assert "exit=1" in text and "inside the git 'post-checkout' hook" in text
    assert _scripts(repo) == before and backups(repo) == []
    assert git(repo, "rev-parse", "HEAD") == head


def test_restore_in_a_hook_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", SCRIPTS)
    done = subprocess.run([sys.executable, "-m", "scriptkeeper", "clean", "--yes"], cwd=repo,
                          env=clean_env(), capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    [folder] = backups(repo)
    out = tmp_path / "hook.out"
    _hook(repo, "post-checkout", "restore", out)
    git(repo, "checkout", "-q", "-b", "topic")
    assert "refusing to restore" in out.read_text() and "exit=1" in out.read_text()
    assert backups(repo) == [folder] and not (repo / "scripts/bad.slurm").exists()


def test_pre_commit_framework_hook_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", SCRIPTS)
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n- repo: local\n  hooks:\n  - id: clean\n    name: clean\n"
        f"    entry: {sys.executable} -m scriptkeeper clean --yes\n"
        "    language: system\n    pass_filenames: false\n    always_run: true\n")
    git(repo, "add", ".pre-commit-config.yaml")
    before = _scripts(repo)
    run = subprocess.run([str(Path(sys.executable).parent / "pre-commit"), "run", "--all-files"],
                         cwd=repo, capture_output=True, text=True, check=False,
                         env=clean_env({"PRE_COMMIT_HOME": str(tmp_path / "pc-home")}))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "PRE_COMMIT is set" in run.stdout
    assert _scripts(repo) == before and backups(repo) == []


def test_a_git_alias_is_not_a_hook(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", SCRIPTS)
    git(repo, "config", "alias.tidy", f"!{sys.executable} -m scriptkeeper clean --yes")
    git(repo, "tidy")
    [folder] = backups(repo)
    assert (folder / "bad.slurm").is_file()


def test_environment_signals() -> None:
    assert githook_guard.inside_hook({"PRE_COMMIT": "1"}) is not None
    assert githook_guard.inside_hook({"GIT_INDEX_FILE": ".git/index"}) is not None
    # what a hook and an alias share proves nothing by itself
    assert githook_guard.inside_hook(
        {"GIT_EXEC_PATH": "/usr/lib/git-core", "GIT_PREFIX": ""}) is None
    assert githook_guard.inside_hook({}) is None
