"""clean refuses, with a clear message and nothing changed: outside git without
--no-commit, a merge/rebase/cherry-pick in progress, a dirty script, no identity,
no terminal to ask on. Every check compares the whole tree and .git before and after.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .support import (
    backups,
    broken_script,
    clean_env,
    file_state,
    git,
    git_state,
    kept_script,
    make_repo,
    sk,
    snapshot,
)

SCRIPTS = {"scripts/keep.slurm": kept_script("k"), "scripts/bad.slurm": broken_script("bad"),
           "scripts/worse.slurm": broken_script("worse")}


def assert_refused(repo: Path, args: list[str], needle: str,
                   env: dict[str, str] | None = None) -> str:
    git(repo, "update-index", "-q", "--refresh", check=False)
    before = snapshot(repo, include_git=True)
    out = sk(repo, *args, env=env)
    assert out.returncode == 1, (out.stdout, out.stderr)
    assert needle in out.stderr, out.stderr
    # refused before announcing: no "Moving N job scripts" above the refusal
    assert "Moving" not in out.stdout, out.stdout
    assert snapshot(repo, include_git=True) == before
    return out.stderr


def test_outside_git_refuses_without_no_commit_and_works_with_it(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    for rel, data in SCRIPTS.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    before = snapshot(folder)
    out = sk(folder, "clean", "--yes")
    assert out.returncode == 1 and "not inside a git repository" in out.stderr
    assert "--no-commit" in out.stderr and snapshot(folder) == before

    out = sk(folder, "clean", "--yes", "--no-commit")

    assert out.returncode == 0, out.stderr
    assert not (folder / ".git").exists()
    [backup] = backups(folder)
    manifest = yaml.safe_load((backup / "MANIFEST.yaml").read_text())
    assert manifest["commit"] is False
    assert {f["path"]: f["git"] for f in manifest["files"]} == {
        "scripts/bad.slurm": "none", "scripts/worse.slurm": "none"}
    assert sorted(p.name for p in folder.iterdir()) == ["scripts"]  # no lock file left

    out = sk(folder, "restore")
    assert out.returncode == 0, out.stderr
    assert snapshot(folder) == before


def test_no_commit_inside_git_backs_up_without_a_commit(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", SCRIPTS)
    head = git(repo, "rev-parse", "HEAD")
    before = snapshot(repo)
    assert sk(repo, "clean", "--yes", "--no-commit").returncode == 0
    assert git(repo, "rev-parse", "HEAD") == head
    assert len(backups(repo)) == 1
    status = git(repo, "status", "--porcelain", "--untracked-files=all")
    assert " D scripts/bad.slurm" in status and "?? scripts/backup_" in status
    assert sk(repo, "restore").returncode == 0
    assert snapshot(repo) == before and git(repo, "status", "--porcelain") == ""
    assert git(repo, "rev-parse", "HEAD") == head


def _conflict(repo: Path) -> None:
    """Two branches editing the same line of a kept script."""
    git(repo, "checkout", "-q", "-b", "other")
    (repo / "scripts/keep.slurm").write_bytes(kept_script("other"))
    git(repo, "commit", "-q", "-am", "other side")
    git(repo, "checkout", "-q", "main")
    (repo / "scripts/keep.slurm").write_bytes(kept_script("main"))
    git(repo, "commit", "-q", "-am", "main side")


def test_refuses_during_a_merge(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", SCRIPTS)
    _conflict(repo)
    git(repo, "merge", "other", check=False)
    assert (repo / ".git/MERGE_HEAD").exists()
    assert_refused(repo, ["clean", "--yes"], "a merge is in progress")


def test_refuses_during_a_rebase(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", SCRIPTS)
    _conflict(repo)
    git(repo, "rebase", "other", check=False)
    assert (repo / ".git/rebase-merge").exists() or (repo / ".git/rebase-apply").exists()
    assert_refused(repo, ["clean", "--yes"], "a rebase is in progress")


def test_refuses_during_a_cherry_pick(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", SCRIPTS)
    _conflict(repo)
    git(repo, "cherry-pick", "other", check=False)
    assert (repo / ".git/CHERRY_PICK_HEAD").exists()
    assert_refused(repo, ["clean", "--yes"], "a cherry-pick is in progress")


def test_restore_refuses_during_a_merge(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", SCRIPTS)
    assert sk(repo, "clean", "--yes").returncode == 0
    _conflict(repo)
    git(repo, "merge", "other", check=False)
    assert_refused(repo, ["restore"], "a merge is in progress")


@pytest.mark.parametrize("staged", [False, True])
def test_dirty_script_is_refused_unless_allow_dirty(tmp_path: Path, staged: bool) -> None:
    repo = make_repo(tmp_path / "repo", SCRIPTS)
    edited = broken_script("bad, edited but not committed")
    (repo / "scripts/bad.slurm").write_bytes(edited)
    if staged:
        git(repo, "add", "scripts/bad.slurm")
    stderr = assert_refused(repo, ["clean", "--yes"], "scripts/bad.slurm: has uncommitted")
    assert "--allow-dirty" in stderr
    before_git = git_state(repo)
    before = snapshot(repo)

    out = sk(repo, "clean", "--yes", "--allow-dirty")

    assert out.returncode == 0, out.stderr
    [backup] = backups(repo)
    assert (backup / "bad.slurm").read_bytes() == edited
    rel = backup.relative_to(repo).as_posix()
    assert git(repo, "show", f"HEAD:{rel}/bad.slurm").encode() == edited
    # restore brings back the bytes and the uncommitted state of the edit
    assert sk(repo, "restore").returncode == 0
    assert snapshot(repo) == before
    after = git_state(repo)
    assert after["status"] == before_git["status"]
    assert after["staged"] == before_git["staged"]
    assert after["unstaged"] == before_git["unstaged"]


def test_refuses_without_a_committer_identity(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", SCRIPTS)
    git(repo, "config", "user.useConfigOnly", "true")
    env = {k: "" for k in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                           "GIT_COMMITTER_EMAIL", "EMAIL")}
    assert_refused(repo, ["clean", "--yes"], "identity", env=env)


def test_no_terminal_and_no_yes_refuses(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", SCRIPTS)
    assert_refused(repo, ["clean"], "pass --yes")


def _on_terminal(repo: Path, answer: bytes) -> tuple[int, str]:
    """Run ``scriptkeeper clean`` on a real pseudo-terminal and type ``answer``."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "scriptkeeper", "clean"], cwd=repo,
                            stdin=follower, stdout=follower, stderr=follower,
                            env=clean_env(), close_fds=True)
    os.close(follower)
    output = b""
    answered = False
    while True:
        ready, _, _ = select.select([leader], [], [], 30)
        if not ready:
            proc.kill()
            raise AssertionError(f"no prompt: {output!r}")
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
        if not answered and b"[y/N]" in output:
            os.write(leader, answer)
            answered = True
    os.close(leader)
    return proc.wait(30), output.decode("utf-8", "replace")


def test_on_a_terminal_it_asks_and_no_means_nothing_moves(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", SCRIPTS)
    before = snapshot(repo, include_git=True)
    code, output = _on_terminal(repo, b"n\n")
    assert code == 1 and "Move these 2 scripts?" in output and "Nothing was moved" in output
    assert snapshot(repo, include_git=True) == before


def test_on_a_terminal_yes_moves(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", SCRIPTS)
    bad = file_state(repo / "scripts/bad.slurm")
    code, output = _on_terminal(repo, b"y\n")
    assert code == 0, output
    [backup] = backups(repo)
    assert file_state(backup / "bad.slurm") == bad


@pytest.mark.parametrize("flag", ["--assume-unchanged", "--skip-worktree"])
def test_a_script_git_does_not_look_at_counts_as_edited(tmp_path: Path, flag: str) -> None:
    repo = make_repo(tmp_path / "repo", SCRIPTS)
    edited = broken_script("edited behind git's back")
    (repo / "scripts/bad.slurm").write_bytes(edited)
    git(repo, "update-index", flag, "scripts/bad.slurm")
    assert git(repo, "status", "--porcelain") == ""
    assert_refused(repo, ["clean", "--yes"], "git cannot vouch for it")
    assert sk(repo, "clean", "--yes", "--allow-dirty").returncode == 0
    [backup] = backups(repo)
    rel = backup.relative_to(repo).as_posix()
    assert git(repo, "show", f"HEAD:{rel}/bad.slurm").encode() == edited


def test_a_stale_index_lock_is_refused_before_anything_moves(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", SCRIPTS)
    (repo / ".git" / "index.lock").write_bytes(b"")
    assert_refused(repo, ["clean", "--yes"], "index.lock exists")


def test_rules_yaml_can_turn_the_commit_off(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {**SCRIPTS, "rules.yaml": b"backup: {commit: false}\n"})
    head = git(repo, "rev-parse", "HEAD")
    assert sk(repo, "clean", "--yes").returncode == 0
    assert git(repo, "rev-parse", "HEAD") == head
    [backup] = backups(repo)
    assert yaml.safe_load((backup / "MANIFEST.yaml").read_text())["commit"] is False
