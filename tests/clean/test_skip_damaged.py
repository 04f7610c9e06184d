"""restore --skip-damaged: the intact entries come back, the damaged one stays in the backup
with a manifest listing only it; a refusal names the option; progress on many files."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from tests.support.terminal import stderr_on_a_terminal

from .support import (
    backups,
    broken_script,
    clean_env,
    git,
    kept_script,
    make_repo,
    sk,
    snapshot,
)

SCRIPTS = {f"scripts/bad{i}.slurm": broken_script(f"bad{i}") for i in range(8)}
SCRIPTS["scripts/keep.slurm"] = kept_script("k")


def cleaned(tmp_path: Path) -> tuple[Path, Path, dict[str, tuple[str, str]]]:
    repo = make_repo(tmp_path / "repo", SCRIPTS)
    before = snapshot(repo)
    out = sk(repo, "clean", "--yes")
    assert out.returncode == 0, out.stderr
    [backup] = backups(repo)
    return repo, backup, before


def stored(backup: Path, path: str = "scripts/bad3.slurm") -> Path:
    manifest = yaml.safe_load((backup / "MANIFEST.yaml").read_text().split("\njournal:")[0])
    return backup / next(e["stored"] for e in manifest["files"] if e["path"] == path)


def tamper(backup: Path) -> None:
    stored(backup).write_bytes(b"# changed by hand\n")


def test_a_damaged_entry_refuses_before_announcing_and_names_the_option(tmp_path: Path) -> None:
    repo, backup, _ = cleaned(tmp_path)
    tamper(backup)
    moved = snapshot(repo, include_git=True)
    out = sk(repo, "restore")
    assert out.returncode == 1
    assert "Restoring" not in out.stdout
    assert "is not what the manifest recorded" in out.stderr
    assert "--skip-damaged" in out.stderr
    assert snapshot(repo, include_git=True) == moved


def test_skip_damaged_restores_the_intact_entries_and_keeps_the_damaged_one(
        tmp_path: Path) -> None:
    repo, backup, before = cleaned(tmp_path)
    tamper(backup)
    out = sk(repo, "restore", "--skip-damaged")
    assert out.returncode == 0, out.stderr
    assert "Restoring 7 files" in out.stdout
    assert "scripts/bad3.slurm  (damaged: stays in the backup)" in out.stdout
    rel = backup.relative_to(repo).as_posix()
    kept = stored(backup)
    kept_rel = kept.relative_to(repo).as_posix()
    after = snapshot(repo)
    # every intact script is back byte-identical; the damaged one is only in the backup
    for name in SCRIPTS:
        if name != "scripts/bad3.slurm":
            assert after[name] == before[name]
    assert "scripts/bad3.slurm" not in after
    assert kept.read_bytes() == b"# changed by hand\n"
    manifest = yaml.safe_load((backup / "MANIFEST.yaml").read_text())
    assert [e["path"] for e in manifest["files"]] == ["scripts/bad3.slurm"]
    assert "journal" not in manifest
    # the commit holds the same: the backup keeps the damaged entry and the new manifest
    tree = set(git(repo, "ls-tree", "-r", "--name-only", "HEAD").split())
    assert f"{rel}/MANIFEST.yaml" in tree and kept_rel in tree
    assert {n for n in SCRIPTS if n != "scripts/bad3.slurm"} <= tree
    assert git(repo, "show", f"HEAD:{rel}/MANIFEST.yaml") == \
        (backup / "MANIFEST.yaml").read_text()
    # the damaged bytes stay an uncommitted change of the stored copy, nothing else
    assert git(repo, "status", "--porcelain", "--untracked-files=all").strip() == \
        f"M {kept_rel}"


def test_what_stays_can_be_restored_once_mended(tmp_path: Path) -> None:
    repo, backup, before = cleaned(tmp_path)
    original = stored(backup).read_bytes()
    tamper(backup)
    assert sk(repo, "restore", "--skip-damaged").returncode == 0
    stored(backup).write_bytes(original)
    out = sk(repo, "restore")
    assert out.returncode == 0, out.stderr
    assert snapshot(repo) == before
    assert backups(repo) == []


def test_skip_damaged_still_refuses_other_problems(tmp_path: Path) -> None:
    repo, backup, _ = cleaned(tmp_path)
    tamper(backup)
    (repo / "scripts/bad5.slurm").write_bytes(b"someone else's\n")
    out = sk(repo, "restore", "--skip-damaged")
    assert out.returncode == 1 and "exists with other content" in out.stderr


def _on_a_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    return stderr_on_a_terminal([sys.executable, "-m", "scriptkeeper", *args], cwd,
                                clean_env({"COLUMNS": "100", "TERM": "xterm"}))


def test_progress_on_clean_and_restore_of_many_files(tmp_path: Path) -> None:
    from scriptkeeper.cli.progress import FILES_MIN

    count = FILES_MIN + 10
    repo = make_repo(tmp_path / "repo",
                     {f"jobs/j{i}.slurm": broken_script(f"j{i}") for i in range(count)})
    code, err = _on_a_terminal(["clean", "--yes"], repo)
    assert code == 0, err
    assert "moving" in err and f"{count}/{count}" in err
    code, err = _on_a_terminal(["restore"], repo)
    assert code == 0, err
    assert "restoring" in err and f"{count}/{count}" in err


def test_no_progress_for_a_few_files(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", SCRIPTS)
    code, err = _on_a_terminal(["clean", "--yes"], repo)
    assert code == 0 and "moving" not in err


def _outcome(repo: Path) -> tuple[dict[str, tuple[str, str]], list[str], list[str]]:
    """The work tree outside the backup, the backup's files, and its manifest's entries."""
    [backup] = backups(repo)
    rel = backup.relative_to(repo).as_posix() + "/"
    files = snapshot(repo)
    outside = {k: v for k, v in files.items() if not k.startswith(rel)}
    inside = sorted(k[len(rel):] for k in files if k.startswith(rel))
    manifest = yaml.safe_load((backup / "MANIFEST.yaml").read_text())
    return outside, inside, [e["path"] for e in manifest["files"]]


def test_a_killed_skip_damaged_restore_is_finished_by_the_next_run(tmp_path: Path) -> None:
    repo, backup, _ = cleaned(tmp_path / "reference")
    tamper(backup)
    log = tmp_path / "trace.txt"
    out = sk(repo, "restore", "--skip-damaged", env={"SCRIPTKEEPER_FAULT_TRACE": str(log)})
    assert out.returncode == 0, out.stderr
    want = _outcome(repo)
    commits = git(repo, "rev-list", "--count", "HEAD")
    steps = [line.split(" ", 1) for line in log.read_text().splitlines()]
    labels = {label for _, label in steps}
    assert {"restored", "restore-head-moved", "manifest-rewritten"} <= labels
    for point in sorted({min(int(n) for n, kind in steps if kind == label) for label in labels}):
        repo, backup, _ = cleaned(tmp_path / f"kill-{point}")
        tamper(backup)
        killed = sk(repo, "restore", "--skip-damaged",
                    env={"SCRIPTKEEPER_FAULT_POINT": str(point)})
        assert killed.returncode == -9, (point, killed.stderr)
        again = sk(repo, "restore")
        # killed after its last step the restore was complete: the damaged entry refuses
        assert again.returncode == 0 or "not what the manifest" in again.stderr, \
            (point, again.stdout, again.stderr)
        assert _outcome(repo) == want, point
        assert git(repo, "rev-list", "--count", "HEAD") == commits, point
        assert git(repo, "status", "--porcelain").count("\n") == 1, point
