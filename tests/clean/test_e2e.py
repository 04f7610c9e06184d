"""clean -> restore end to end on the example workspace in a real git repository.

The CLI runs in a subprocess, git is real, nothing is mocked. The expected
set of moves comes from the scan itself (every script it judges broken or
redundant, minus the pins of the workspace's rules.yaml) and, in
:func:`test_clean_moves_what_expected_md_says`, from EXPECTED.md.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import yaml

from .support import (
    backups,
    changed_paths,
    expected_moves,
    git,
    git_state,
    sk,
    snapshot,
)

NO_CACHE = {"SCRIPTKEEPER_NO_CACHE": "1"}


def scan_moves(workspace: Path) -> set[str]:
    """What clean must move according to the scan: broken or redundant, not pinned."""
    out = sk(workspace, "scan", "--format", "json", env=NO_CACHE)
    assert out.returncode in (0, 1), out.stderr
    report = json.loads(out.stdout)
    pins = set(yaml.safe_load((workspace / "rules.yaml").read_text())["redundancy"]["pin"])
    return {s["path"] for s in report["scripts"]
            if s["verdict"] in ("broken", "redundant") and s["path"] not in pins}


def user_work(workspace: Path) -> None:
    """A user's work in progress: staged, unstaged and untracked changes."""
    (workspace / "notes.txt").write_text("staged, never part of a clean commit\n")
    git(workspace, "add", "notes.txt")
    with open(workspace / "EXPECTED.md", "a", encoding="utf-8") as out:
        out.write("\nA staged edit.\n")
    git(workspace, "add", "EXPECTED.md")
    with open(workspace / "requirements.txt", "a", encoding="utf-8") as out:
        out.write("numpy==2.0  # an unstaged edit\n")
    (workspace / "scratch.txt").write_text("untracked\n")
    git(workspace, "update-index", "-q", "--refresh", check=False)


def test_dry_run_changes_nothing(workspace: Path) -> None:
    user_work(workspace)
    expected = scan_moves(workspace)
    assert expected, "the example must have scripts to move"
    tree_before = snapshot(workspace, include_git=True)
    git_before = git_state(workspace)

    out = sk(workspace, "clean", "--dry-run")

    assert out.returncode == 0, out.stderr
    assert "Dry run: nothing was changed." in out.stdout
    for path in expected:
        assert path in out.stdout
    assert "scripts/train_8gpu_ddp_CORRECT.slurm" not in out.stdout.split("Not moved:")[0]
    assert snapshot(workspace, include_git=True) == tree_before
    assert git_state(workspace) == git_before


def test_dry_run_names_the_fix_for_broken_scripts_fixing_repairs(workspace: Path) -> None:
    out = sk(workspace, "clean", "--dry-run", env=NO_CACHE)
    assert out.returncode == 0, out.stderr
    fixable: dict[str, str] = {}
    current = ""
    for line in out.stdout.split("Not moved:")[0].splitlines():
        move = re.match(r"  (broken|redundant) +(.+?)  ->  ", line)
        if move:
            current = move.group(2)
        elif "fixable: " in line:
            fixable[current] = line.split("fixable: ", 1)[1]
    assert fixable["scripts/train_1gpu_windows.slurm"] == \
        "scriptkeeper fix scripts/train_1gpu_windows.slurm"
    assert fixable["scripts/train_8gpu_ddp_v2.slurm"] == \
        "scriptkeeper fix --unsafe-fixes scripts/train_8gpu_ddp_v2.slurm"
    # no edit repairs these: conflicting options, a request larger than a node
    assert "scripts/train_8gpu_ddp_timefix.slurm" not in fixable
    assert "scripts/train_8gpu_ddp_allcpus.slurm" not in fixable
    # each named fix does leave the script without an error
    for path, command in fixable.items():
        done = sk(workspace, *shlex.split(command)[1:], "--diff", env=NO_CACHE)
        assert done.returncode == 1 and f"+++ b/{path}" in done.stdout, (path, done.stderr)


def test_clean_moves_the_scan_set_commits_only_it_and_restore_undoes_it(
        workspace: Path) -> None:
    user_work(workspace)
    expected = scan_moves(workspace)
    head = git(workspace, "rev-parse", "HEAD").strip()
    files_before = snapshot(workspace)
    git_before = git_state(workspace)

    out = sk(workspace, "clean", "--yes")

    assert out.returncode == 0, out.stderr
    [folder] = backups(workspace)
    backup = folder.relative_to(workspace).as_posix()
    assert folder.parent == workspace / "scripts"
    gone = {p for p in files_before if not (workspace / p).exists()
            and not (workspace / p).is_symlink()}
    assert gone == expected
    for path in expected:
        assert snapshot(folder)[path.removeprefix("scripts/")] == files_before[path]
    # one commit on top of HEAD holding exactly the moves and the manifest
    assert git(workspace, "rev-parse", "HEAD~1").strip() == head
    want = {p: "D" for p in expected}
    want.update({f"{backup}/{p.removeprefix('scripts/')}": "A" for p in expected})
    want[f"{backup}/MANIFEST.yaml"] = "A"
    assert changed_paths(workspace) == want
    message = git(workspace, "log", "-1", "--format=%B")
    assert message.rstrip().endswith(f"Scriptkeeper-Backup: {backup}")
    # a trailer git itself reads
    assert git(workspace, "log", "-1",
               "--format=%(trailers:key=Scriptkeeper-Backup,valueonly)").strip() == backup
    for path in expected:
        assert path in message
    # the user's work is exactly where it was
    after = git_state(workspace)
    assert after["staged"] == git_before["staged"]
    assert after["unstaged"] == git_before["unstaged"]
    assert "A  notes.txt" in after["status"] and "M  EXPECTED.md" in after["status"]
    assert " M requirements.txt" in after["status"] and "?? scratch.txt" in after["status"]
    assert not any(line[3:].startswith("scripts/") for line in after["status"].splitlines())
    manifest = yaml.safe_load((folder / "MANIFEST.yaml").read_text())
    assert {f["path"] for f in manifest["files"]} == expected
    assert all(f["state"] == "moved" and len(f["sha256"]) == 64 for f in manifest["files"])

    out = sk(workspace, "restore")

    assert out.returncode == 0, out.stderr
    assert snapshot(workspace) == files_before
    assert backups(workspace) == []
    restored = git_state(workspace)
    assert restored["status"] == git_before["status"]
    assert restored["staged"] == git_before["staged"]
    assert restored["unstaged"] == git_before["unstaged"]
    assert git(workspace, "diff", "--stat", head, "HEAD") == ""
    assert git(workspace, "log", "-1", "--format=%B").rstrip().endswith(
        f"Scriptkeeper-Restore: {backup}")


def test_clean_moves_what_expected_md_says(workspace: Path) -> None:
    """The example's verdicts: 14 broken and 3 redundant, minus the pinned CORRECT: 16 move.

    Depends on the whole analysis (launchers, redundancy) being right.
    """
    expected = expected_moves(workspace)
    assert len(expected) == 16
    out = sk(workspace, "clean", "--yes")
    assert out.returncode == 0, out.stderr
    [folder] = backups(workspace)
    moved = {"scripts/" + p for p in snapshot(folder) if not p.endswith("/")} - {
        "scripts/MANIFEST.yaml"}
    assert moved == expected
    assert (workspace / "scripts/train_8gpu_ddp_CORRECT.slurm").is_file()
    assert (workspace / "scripts/cleanup_scripts.sh").is_file()


def test_backup_folders_are_never_scanned(workspace: Path) -> None:
    assert sk(workspace, "clean", "--yes").returncode == 0
    [folder] = backups(workspace)
    out = sk(workspace, "scan", "--format", "json", env=NO_CACHE)
    report = json.loads(out.stdout)
    paths = [s["path"] for s in report["scripts"]] + [s["path"] for s in report["skipped"]]
    assert paths and not any(folder.name in p for p in paths)
    # nothing left to clean: a second clean finds nothing and makes no folder or commit
    head = git(workspace, "rev-parse", "HEAD")
    again = sk(workspace, "clean", "--yes")
    assert again.returncode == 0 and "Nothing to clean" in again.stdout
    assert backups(workspace) == [folder] and git(workspace, "rev-parse", "HEAD") == head


def test_only_narrows_the_moves(workspace: Path) -> None:
    out = sk(workspace, "clean", "--yes", "--only", "broken")
    assert out.returncode == 0, out.stderr
    [folder] = backups(workspace)
    manifest = yaml.safe_load((folder / "MANIFEST.yaml").read_text())
    assert manifest["files"] and {f["verdict"] for f in manifest["files"]} == {"broken"}
    bad = sk(workspace, "clean", "--yes", "--only", "keep")
    assert bad.returncode == 2 and "--only" in bad.stderr


def test_history_lists_cleans_and_restores(workspace: Path) -> None:
    assert sk(workspace, "clean", "--yes").returncode == 0
    [folder] = backups(workspace)
    backup = folder.relative_to(workspace).as_posix()
    listed = json.loads(sk(workspace, "history", "--format", "json").stdout)["events"]
    assert [(e["operation"], e["backup"], e["state"]) for e in listed] == [
        ("clean", backup, "on disk")]
    assert listed[0]["scripts"] == len(yaml.safe_load(
        (folder / "MANIFEST.yaml").read_text())["files"])
    assert sk(workspace, "restore").returncode == 0
    listed = json.loads(sk(workspace, "history", "--format", "json").stdout)["events"]
    assert [(e["operation"], e["state"]) for e in listed] == [("restore", "done"),
                                                              ("clean", "restored")]
    assert listed[0]["commit"] == git(workspace, "rev-parse", "HEAD").strip()
    text = sk(workspace, "history").stdout
    assert "restore" in text and backup in text
