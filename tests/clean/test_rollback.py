"""A clean that fails part-way (not a crash: an error) undoes itself at once.

Driven through the API, since these failures need a change between the
check and the move: a script edited in between, a commit git refuses.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from scriptkeeper.clean.backup import prepare, run_clean
from scriptkeeper.clean.errors import Failed
from scriptkeeper.clean.gitops import GitRepo
from scriptkeeper.clean.lock import Lock, lock_path
from scriptkeeper.clean.plan import make_plan
from scriptkeeper.pipeline.scan import run_scan

from .support import backups, broken_script, git, git_state, kept_script, make_repo, snapshot

IDENTITY = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.org",
            "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.org"}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key, value in {**IDENTITY, "SCRIPTKEEPER_NO_CACHE": "1",
                       "GIT_CONFIG_NOSYSTEM": "1"}.items():
        monkeypatch.setenv(key, value)
    files = {f"scripts/job{i}.slurm": broken_script(str(i)) for i in range(6)}
    files["scripts/keep.slurm"] = kept_script("k")
    return make_repo(tmp_path / "repo", files)


def _clean(root: Path, between: object = None) -> None:
    repo = GitRepo(root)
    prepared = prepare(make_plan(run_scan([root])), repo, True, False)
    assert not prepared.problems and len(prepared.entries) == 6
    if callable(between):
        between()
    with Lock.acquire(lock_path(root, repo.git_dir)) as lock:
        run_clean(prepared, repo, lock, True, datetime.now(timezone.utc))


def test_a_script_edited_during_the_clean_rolls_everything_back(repo: Path) -> None:
    before, state = snapshot(repo, include_git=True), git_state(repo)

    def edit() -> None:
        (repo / "scripts/job4.slurm").write_bytes(broken_script("4, edited meanwhile"))

    with pytest.raises(Failed, match=r"rolled back: scripts/job4\.slurm changed while clean"):
        _clean(repo, edit)
    after = snapshot(repo, include_git=True)
    edited = "scripts/job4.slurm"
    assert {k: v for k, v in after.items() if k != edited} == {
        k: v for k, v in before.items() if k != edited}
    assert backups(repo) == [] and git_state(repo)["head"] == state["head"]
    assert not (repo / ".git/scriptkeeper.lock").exists()


def test_a_commit_git_refuses_rolls_everything_back(repo: Path) -> None:
    hook = repo / ".git/hooks/reference-transaction"
    hook.write_text('#!/bin/sh\n[ "$1" = prepared ] && exit 1\nexit 0\n')
    hook.chmod(0o755)
    before = snapshot(repo, include_git=True)
    with pytest.raises(Failed, match="rolled back"):
        _clean(repo)
    after = snapshot(repo, include_git=True)
    # git wrote the refused commit's objects; nothing else changed
    assert {k: v for k, v in after.items() if not k.startswith(".git/objects/")} == {
        k: v for k, v in before.items() if not k.startswith(".git/objects/")}
    assert git(repo, "status", "--porcelain") == ""
