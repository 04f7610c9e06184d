"""One clean or restore at a time: a second one is refused while the first holds the lock,
and a killed holder leaves a marker the next run finds (real processes, real flock)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from scriptkeeper.clean.lock import Lock, peek

from .support import (
    backups,
    broken_script,
    clean_env,
    kept_script,
    make_repo,
    sk,
    snapshot,
)

HOLDER = """
import sys, time
from pathlib import Path
from scriptkeeper.clean.lock import Lock
lock = Lock.acquire(Path(sys.argv[1]))
if len(sys.argv) > 2:
    lock.mark(op="clean", phase="moving", backup=sys.argv[2])
print("held", flush=True)
time.sleep(120)
"""


def _hold(path: Path, *marker: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), *marker],
                            stdout=subprocess.PIPE, text=True, env=clean_env())
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_clean_or_restore_is_refused_while_one_runs(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"scripts/keep.slurm": kept_script("k"),
                                         "scripts/bad.slurm": broken_script("b")})
    holder = _hold(repo / ".git" / "scriptkeeper.lock")
    try:
        before = snapshot(repo, include_git=True)
        for command in (["clean", "--yes"], ["restore"]):
            out = sk(repo, *command)
            assert out.returncode == 1
            assert "another scriptkeeper clean or restore is running" in out.stderr
            assert snapshot(repo, include_git=True) == before
        dry = sk(repo, "clean", "--dry-run")
        assert dry.returncode == 1 and "another scriptkeeper clean" in dry.stderr
    finally:
        holder.kill()
        holder.wait()
    assert sk(repo, "clean", "--yes").returncode == 0
    assert len(backups(repo)) == 1
    assert not (repo / ".git" / "scriptkeeper.lock").exists()


def test_a_killed_holder_frees_the_lock_and_leaves_its_marker(tmp_path: Path) -> None:
    path = tmp_path / "scriptkeeper.lock"
    holder = _hold(path, "scripts/backup_20250101T000000Z")
    assert peek(path) == (True, {"op": "clean", "phase": "moving",
                                 "backup": "scripts/backup_20250101T000000Z"})
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with Lock.acquire(path) as lock:
        assert lock.previous is not None and lock.previous["backup"].endswith("000000Z")
        lock.clear()
    assert not path.exists()
    with Lock.acquire(path) as lock:
        assert lock.previous is None


def test_marker_rewrites_never_leave_old_bytes(tmp_path: Path) -> None:
    path = tmp_path / "scriptkeeper.lock"
    with Lock.acquire(path) as lock:
        lock.mark(op="clean", phase="moving", backup="a/very/long/" + "x" * 5000)
        lock.mark(op="restore", phase="cleanup", backup="b")
        # flock belongs to the open file: another open of the same file sees it held
        assert peek(path) == (True, {"op": "restore", "phase": "cleanup", "backup": "b"})
    # the lock file is kept while a marker is in it
    assert path.exists()
    with Lock.acquire(path) as lock:
        assert lock.previous == {"op": "restore", "phase": "cleanup", "backup": "b"}
        lock.clear()
