"""Crash safety: SIGKILL a real clean of 50 scripts at many points, then recover.

The clean runs as a subprocess with ``SCRIPTKEEPER_FAULT_POINT=N``: at its
N-th journal step it sends itself SIGKILL (uncatchable, nothing flushed, no
``finally``). The points are read from a traced run first, and chosen to
cover every kind of step (claiming the folder, the manifest, each move and
its journal lines, the commit, HEAD, the index) plus points spread through
the moves. After each kill:

- right away, every original file is in its place or in the backup, with
  its bytes;
- ``restore`` brings back the exact state from before the clean: every file
  byte-identical, the same git status, staged and unstaged diffs, and HEAD's
  tree;
- for every other point, on another copy, ``clean`` run again finishes or
  rolls back, ends with a complete backup, and ``restore`` then brings
  everything back the same way.

The repository holds a user's work in progress (staged, unstaged,
untracked) and 5 of the 50 scripts are untracked. Symlinks are in the moved
set: two links that are job scripts themselves (one through another link) and
one under a name no scan takes for a job script, which moves with its target.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .support import (
    backups,
    broken_script,
    file_state,
    git,
    git_state,
    kept_script,
    make_repo,
    sk,
    snapshot,
)

# each crash point runs clean or restore to a SIGKILL and recovers: seconds a case
pytestmark = pytest.mark.slow

SCRIPTS = 50
MIN_POINTS = 24
LINKS = 3  # symlinks in the moved set (see _template)


def _template(folder: Path) -> Path:
    files = {f"scripts/group{i % 4}/job {i:02d}.slurm": broken_script(f"job {i}")
             for i in range(SCRIPTS - 5)}
    files.update({f"scripts/keep_{i}.slurm": kept_script(str(i)) for i in range(3)})
    files["README.txt"] = b"project\n"
    repo = make_repo(folder, files, commit=False)
    (repo / "scripts/links").mkdir()
    os.symlink("../group0/job 04.slurm", repo / "scripts/links/job 04.slurm")
    os.symlink("job 04.slurm", repo / "scripts/links/chain.slurm")
    os.symlink("../group1/job 01.slurm", repo / "scripts/links/example.txt")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    for i in range(SCRIPTS - 5, SCRIPTS):
        (repo / f"scripts/new/job {i:02d}.slurm").parent.mkdir(exist_ok=True)
        (repo / f"scripts/new/job {i:02d}.slurm").write_bytes(broken_script(f"job {i}"))
    (repo / "notes.txt").write_text("staged\n")
    git(repo, "add", "notes.txt")
    (repo / "README.txt").write_text("project, edited\n")
    (repo / "scratch.txt").write_text("untracked\n")
    git(repo, "update-index", "-q", "--refresh", check=False)
    return repo


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _template(tmp_path_factory.mktemp("faults") / "template")


@pytest.fixture(scope="module")
def trace(template: Path, tmp_path_factory: pytest.TempPathFactory) -> list[tuple[int, str]]:
    """The numbered crash points of a full, uninterrupted clean."""
    repo = _copy(template, tmp_path_factory.mktemp("traced"))
    log = repo.parent / "trace.txt"
    out = sk(repo, "clean", "--yes", env={"SCRIPTKEEPER_FAULT_TRACE": str(log)})
    assert out.returncode == 0, out.stderr
    steps = []
    for line in log.read_text().splitlines():
        number, label = line.split(" ", 1)
        steps.append((int(number), label))
    return steps


@pytest.fixture(scope="module")
def points(trace: list[tuple[int, str]]) -> list[int]:
    """Every kind of step (its first occurrence), the last move, and moves spread between."""
    kinds = {kind for _, kind in trace}
    chosen = {min(n for n, kind in trace if kind == label) for label in kinds}
    moves = [n for n, label in trace if label in ("journal-moving", "moved", "journal-moved")]
    chosen.add(moves[-1])
    # eight more through the moves, landing on each of the three kinds of move step in turn
    chosen.update(moves[i * len(moves) // 9 + i % 3] for i in range(1, 9))
    return sorted(chosen)


def _copy(template: Path, parent: Path) -> Path:
    return Path(shutil.copytree(template, parent / "repo", symlinks=True))


def _originals(template: Path) -> dict[str, tuple[str, str]]:
    return {p: s for p, s in snapshot(template).items() if p.startswith("scripts/")
            and not p.endswith("/")}


def _everything_somewhere(repo: Path, originals: dict[str, tuple[str, str]]) -> None:
    """Each original is in its place or in exactly one backup, with its bytes."""
    for path, state in originals.items():
        places = [repo / path] + [b / path.removeprefix("scripts/") for b in backups(repo)]
        found = [p for p in places if p.exists() or p.is_symlink()]
        assert len(found) == 1, f"{path} is in {found}"
        assert file_state(found[0]) == state, path


def _assert_as_before(repo: Path, template: Path) -> None:
    assert snapshot(repo) == snapshot(template)
    before, after = git_state(template), git_state(repo)
    for key in ("status", "staged", "unstaged"):
        assert after[key] == before[key], key
    assert git(repo, "rev-parse", "HEAD^{tree}") == git(template, "rev-parse", "HEAD^{tree}")
    assert not (repo / ".git" / "scriptkeeper.lock").exists()
    assert backups(repo) == []


def test_the_trace_covers_every_phase(trace: list[tuple[int, str]], points: list[int]) -> None:
    labels = {label for _, label in trace}
    assert {"claim-marked", "backup-dir", "marked-moving", "manifest", "journal-moving",
            "moved", "journal-moved", "manifest-final", "commit-built", "marked-committing",
            "head-moved", "index-updated", "cleared"} <= labels
    assert sum(1 for _, label in trace if label == "moved") == SCRIPTS + LINKS
    assert len(points) >= MIN_POINTS


@pytest.mark.parametrize("which", range(MIN_POINTS))
def test_kill_then_restore_or_clean_again_recovers_every_byte(
        which: int, points: list[int], template: Path, tmp_path: Path) -> None:
    # spread the parametrized cases over all chosen points
    for index in range(which, len(points), MIN_POINTS):
        point = points[index]
        originals = _originals(template)
        # every point is recovered by restore; every other one also by clean run again
        for recovery in ("restore", "clean") if index % 2 == 0 else ("restore",):
            repo = _copy(template, tmp_path / f"{point}-{recovery}")
            killed = sk(repo, "clean", "--yes", env={"SCRIPTKEEPER_FAULT_POINT": str(point)})
            assert killed.returncode == -9, (point, killed.stdout, killed.stderr)
            _everything_somewhere(repo, originals)
            if recovery == "clean":
                again = sk(repo, "clean", "--yes")
                assert again.returncode == 0, (point, again.stdout, again.stderr)
                _everything_somewhere(repo, originals)
                assert len(backups(repo)) == 1
                assert git(repo, "status", "--porcelain", "--", "scripts") == ""
            out = sk(repo, "restore")
            assert out.returncode == 0, (point, out.stdout, out.stderr)
            _assert_as_before(repo, template)


def test_kill_during_restore_then_restore_again(template: Path, tmp_path: Path) -> None:
    repo = _copy(template, tmp_path / "traced")
    assert sk(repo, "clean", "--yes").returncode == 0
    log = tmp_path / "restore-trace.txt"
    assert sk(repo, "restore", env={"SCRIPTKEEPER_FAULT_TRACE": str(log)}).returncode == 0
    steps = [line.split(" ", 1) for line in log.read_text().splitlines()]
    labels = {label for _, label in steps}
    assert {"restore-marked", "journal-restoring", "restored", "journal-restored",
            "restore-commit-built", "restore-head-moved", "restore-index-updated",
            "manifest-removed", "restore-cleared"} <= labels
    chosen = {min(int(n) for n, kind in steps if kind == label) for label in labels}
    chosen.add(int(steps[len(steps) // 2][0]))
    originals = _originals(template)
    for point in sorted(chosen):
        repo = _copy(template, tmp_path / f"restore-{point}")
        assert sk(repo, "clean", "--yes").returncode == 0
        killed = sk(repo, "restore", env={"SCRIPTKEEPER_FAULT_POINT": str(point)})
        assert killed.returncode == -9, (point, killed.stderr)
        _everything_somewhere(repo, originals)
        out = sk(repo, "restore")
        # killed after its very last step, the restore was complete: nothing is left to do
        done = out.returncode == 1 and "no backup folder" in out.stderr
        assert out.returncode == 0 or done, (point, out.stdout, out.stderr)
        _assert_as_before(repo, template)
