"""What clean plans to move, why and where (scriptkeeper.clean.plan).

Reports come from real scans of real folders where the rule is about the
scan; the keeper rule needs verdicts no folder gives on demand, so those
reports are built from ScriptResult values directly.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from scriptkeeper.clean.backup import prepare, run_clean
from scriptkeeper.clean.errors import Refused
from scriptkeeper.clean.gitops import GitRepo
from scriptkeeper.clean.lock import Lock, lock_path
from scriptkeeper.clean.plan import backup_name, make_plan, preview_name
from scriptkeeper.pipeline.scan import run_scan
from scriptkeeper.records import Finding, ScanReport, ScriptResult
from scriptkeeper.rules.config import RedundancySettings, load_config

from .support import backups, broken_script, git, kept_script, make_repo, sk

ERROR = Finding("SK001", "missing-shebang", "error", 1, "no shebang", "add one")


def _report(root: Path, results: list[ScriptResult], pins: tuple[str, ...] = (),
            backup_dir: str = "backup_{timestamp}") -> ScanReport:
    config = dataclasses.replace(load_config(None), redundancy=RedundancySettings(pin=pins),
                                 backup_dir=backup_dir, base=root)
    return ScanReport(root=root, in_git=True, config=config, scripts=results)


def _result(path: str, verdict: str, keeper: str | None = None) -> ScriptResult:
    findings = [ERROR] if verdict == "broken" else []
    return ScriptResult(path=path, findings=findings, verdict=verdict, redundant_of=keeper)


def test_moves_broken_and_redundant_never_keep_or_pinned(tmp_path: Path) -> None:
    report = _report(tmp_path, [
        _result("jobs/a.slurm", "broken"), _result("jobs/b.slurm", "keep"),
        _result("jobs/c.slurm", "redundant", "jobs/b.slurm"),
        _result("jobs/pinned.slurm", "broken"), _result("jobs/also/pinned2.slurm", "redundant",
                                                        "jobs/b.slurm")],
        pins=("jobs/pinned.slurm", "also/"))
    plan = make_plan(report)
    assert [m.path for m in plan.moves] == ["jobs/a.slurm", "jobs/c.slurm"]
    assert {h.path: h.why for h in plan.held} == {
        "jobs/pinned.slurm": "pinned in rules.yaml",
        "jobs/also/pinned2.slurm": "pinned in rules.yaml"}
    assert plan.moves[0].reason == "missing-shebang: no shebang"
    assert plan.moves[1].reason == "redundant of jobs/b.slurm" and plan.moves[1].keeper
    assert plan.parent == "jobs" and plan.anchor == "jobs"
    assert plan.stored(plan.moves[0]) == "a.slurm"


def test_pins_are_relative_to_the_rules_yaml_folder(tmp_path: Path) -> None:
    report = _report(tmp_path, [_result("sub/jobs/x.slurm", "broken"),
                                _result("sub/jobs/y.slurm", "broken")], pins=("jobs/x.slurm",))
    report.config = dataclasses.replace(report.config, base=tmp_path / "sub")
    assert [m.path for m in make_plan(report).moves] == ["sub/jobs/y.slurm"]


def test_only_narrows_to_one_verdict(tmp_path: Path) -> None:
    results = [_result("a.slurm", "broken"), _result("b.slurm", "redundant", "k.slurm"),
               _result("k.slurm", "keep")]
    assert [m.path for m in make_plan(_report(tmp_path, results), "broken").moves] == ["a.slurm"]
    assert [m.path for m in make_plan(_report(tmp_path, results), "redundant").moves] == [
        "b.slurm"]


def test_a_redundant_copy_stays_when_its_keeper_moves(tmp_path: Path) -> None:
    results = [_result("s/keeper.slurm", "broken"),
               _result("s/copy.slurm", "redundant", "s/keeper.slurm"),
               _result("s/chain.slurm", "redundant", "s/copy.slurm"),
               _result("s/fine.slurm", "keep"),
               _result("s/dup.slurm", "redundant", "s/fine.slurm"),
               _result("s/dup2.slurm", "redundant", "s/dup.slurm")]
    plan = make_plan(_report(tmp_path, results))
    assert [m.path for m in plan.moves] == ["s/dup.slurm", "s/dup2.slurm", "s/keeper.slurm"]
    assert {h.path for h in plan.held} == {"s/copy.slurm", "s/chain.slurm"}
    # with the keeper pinned, it stays, so its copies may go
    pinned = make_plan(_report(tmp_path, results, pins=("s/keeper.slurm",)))
    assert [m.path for m in pinned.moves] == ["s/chain.slurm", "s/copy.slurm", "s/dup.slurm",
                                              "s/dup2.slurm"]


def test_backup_goes_to_the_common_folder_of_the_moves(tmp_path: Path) -> None:
    plan = make_plan(_report(tmp_path, [_result("a/b/x.slurm", "broken"),
                                        _result("a/c/y.slurm", "broken")]))
    assert plan.parent == "a" and plan.stored(plan.moves[0]) == "b/x.slurm"
    root = make_plan(_report(tmp_path, [_result("x.slurm", "broken"),
                                        _result("a/y.slurm", "broken")]))
    assert root.parent == "" and root.backup_rel("backup_1") == "backup_1"


def test_backup_dir_with_folders_is_relative_to_the_rules_yaml(tmp_path: Path) -> None:
    plan = make_plan(_report(tmp_path, [_result("scripts/x.slurm", "broken")],
                             backup_dir="attic/old/backup_{timestamp}"))
    assert plan.parent == "attic/old" and plan.stored(plan.moves[0]) == "x.slurm"


@pytest.mark.parametrize("template", ["old_{timestamp}", "backup_{timestamp}/more",
                                      "../backup_{timestamp}", "/tmp/backup_{timestamp}",
                                      ".git/backup_{timestamp}"])
def test_backup_dirs_a_scan_would_enter_or_outside_are_refused(tmp_path: Path,
                                                               template: str) -> None:
    with pytest.raises(Refused, match=r"backup\.dir"):
        make_plan(_report(tmp_path, [_result("x.slurm", "broken")], backup_dir=template))


def test_backup_names_are_utc_and_numbered_within_a_second() -> None:
    now = datetime(2025, 10, 16, 12, 15, 0, tzinfo=timezone.utc)
    assert backup_name(now, 1) == "backup_20251016T121500Z"
    assert backup_name(now, 3) == "backup_20251016T121500Z_3"
    cest = now.astimezone(timezone(timedelta(hours=2)))
    assert backup_name(cest, 1) == "backup_20251016T121500Z"


def test_two_cleans_in_the_same_second_get_different_folders(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.org",
                       "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.org",
                       "SCRIPTKEEPER_NO_CACHE": "1"}.items():
        monkeypatch.setenv(key, value)
    root = make_repo(tmp_path / "repo", {"scripts/a.slurm": broken_script("a"),
                                         "scripts/b.slurm": broken_script("b"),
                                         "scripts/k.slurm": kept_script("k")})
    now = datetime(2025, 10, 16, 10, 15, 0, tzinfo=timezone.utc)
    repo = GitRepo(root)
    for name in ("a", "b"):
        plan = make_plan(run_scan([root / "scripts" / f"{name}.slurm"]))
        assert preview_name(root, plan, now).endswith("Z" if name == "a" else "Z_2")
        with Lock.acquire(lock_path(root, repo.git_dir)) as lock:
            run_clean(prepare(plan, repo, True, False), repo, lock, True, now)
    assert [b.name for b in backups(root)] == ["backup_20251016T101500Z",
                                               "backup_20251016T101500Z_2"]
    assert (root / "scripts/backup_20251016T101500Z/a.slurm").is_file()
    assert (root / "scripts/backup_20251016T101500Z_2/b.slurm").is_file()
    assert git(root, "status", "--porcelain") == ""
    # restore takes the newest first: the second clean
    assert sk(root, "restore").returncode == 0
    assert (root / "scripts/b.slurm").is_file() and not (root / "scripts/a.slurm").exists()


def test_paths_narrow_the_clean(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"scripts/one/a.slurm": broken_script("a"),
                                         "scripts/two/b.slurm": broken_script("b")})
    out = sk(repo, "clean", "--yes", "scripts/two")
    assert out.returncode == 0, out.stderr
    [folder] = backups(repo)
    assert folder.parent == repo / "scripts/two"
    assert (repo / "scripts/one/a.slurm").is_file()
