"""The baseline: today's findings stop failing until the line they point at changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scriptkeeper.pipeline.scan import run_scan
from scriptkeeper.rules import baseline
from scriptkeeper.rules.config import ConfigError
from tests.hook.repo import BROKEN, GOOD, Repo

# two errors: an unknown option on line 3, conflicting memory options on line 5
TWO_ERRORS = ("#!/bin/bash\n#SBATCH --time=10\n#SBATCH --frobnicate=1\n#SBATCH --mem=4G\n"
              "#SBATCH --mem-per-cpu=2G\nsrun python train.py\n")


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scriptkeeper", *args], cwd=root,
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "SCRIPTKEEPER_NO_CACHE": "1"})


def rules(root: Path, *, use_baseline: bool = True) -> dict[str, list[tuple[str, int]]]:
    report = run_scan([root], use_baseline=use_baseline, use_cache=False)
    return {s.path: [(f.rule, f.line) for f in s.findings] for s in report.scripts}


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "r", {"old.slurm": TWO_ERRORS, "good.slurm": GOOD})
    repo.commit()
    return repo


def test_line_hash_ignores_surrounding_space_but_not_content() -> None:
    data = b"#!/bin/bash\n#SBATCH --mem=4G\n  #SBATCH --mem=4G \r\n#SBATCH --mem=8G\n"
    assert baseline.line_hash(data, 2) == baseline.line_hash(data, 3)
    assert baseline.line_hash(data, 2) != baseline.line_hash(data, 4)
    assert baseline.line_hash(data, 99) == baseline.line_hash(b"", 1)


def test_the_baseline_command_accepts_todays_findings(repo: Repo) -> None:
    assert cli(repo.path, "scan").returncode == 1
    done = cli(repo.path, "baseline")
    assert done.returncode == 0, done.stderr
    assert "2 finding(s) in 1 script(s)" in done.stdout
    written = json.loads((repo.path / baseline.BASELINE_NAME).read_text())
    assert written["scriptkeeper_baseline"] == 1
    assert {(e["path"], e["rule"], e["line"]) for e in written["findings"]} == {
        ("old.slurm", "unknown-option", 3), ("old.slurm", "conflicting-options", 5)}
    scanned = cli(repo.path, "scan", "--format", "json")
    assert scanned.returncode == 0
    assert "2 finding(s) accepted by the baseline" in scanned.stderr
    # still broken: the baseline silences the exit status, not the verdict
    old = next(x for x in json.loads(scanned.stdout)["scripts"] if x["path"] == "old.slurm")
    assert old["verdict"] == "broken" and old["findings"] == []
    assert old["notes"] == [baseline.BASELINED_NOTE]
    shown = cli(repo.path, "scan", "--no-baseline", "--format", "json")
    assert shown.returncode == 1
    assert json.loads(shown.stdout)["summary"]["broken"] == 1


def test_lines_moving_do_not_wake_a_baselined_finding(repo: Repo) -> None:
    baseline.write(repo.path, run_scan([repo.path], use_baseline=False, use_cache=False).scripts)
    repo.write("old.slurm", TWO_ERRORS.replace("#!/bin/bash\n",
                                               "#!/bin/bash\n# a comment\n\n#SBATCH -N 1\n"))
    assert rules(repo.path)["old.slurm"] == []
    assert {r for r, _ in rules(repo.path, use_baseline=False)["old.slurm"]} == {
        "unknown-option", "conflicting-options"}


def test_an_edit_of_the_baselined_line_wakes_only_that_finding(repo: Repo) -> None:
    baseline.write(repo.path, run_scan([repo.path], use_baseline=False, use_cache=False).scripts)
    repo.write("old.slurm", TWO_ERRORS.replace("--mem-per-cpu=2G", "--mem-per-cpu=3G"))
    assert rules(repo.path)["old.slurm"] == [("conflicting-options", 5)]


def test_a_new_finding_in_a_baselined_script_is_reported(repo: Repo) -> None:
    baseline.write(repo.path, run_scan([repo.path], use_baseline=False, use_cache=False).scripts)
    repo.write("old.slurm", TWO_ERRORS + "#SBATCH --time=20\n")  # directive after a command
    assert [r for r, _ in rules(repo.path)["old.slurm"]] == ["directive-after-command"]


def test_a_second_copy_of_a_baselined_line_is_not_covered(tmp_path: Path) -> None:
    one = "#!/bin/bash\n#SBATCH --frobnicate=1\nsrun hostname\n"
    repo = Repo(tmp_path / "r", {"a.slurm": one})
    baseline.write(repo.path, run_scan([repo.path], use_baseline=False, use_cache=False).scripts)
    assert rules(repo.path)["a.slurm"] == []
    repo.write("a.slurm", one.replace("#SBATCH --frobnicate=1\n",
                                      "#SBATCH --frobnicate=1\n#SBATCH --frobnicate=1\n"))
    assert rules(repo.path)["a.slurm"] == [("unknown-option", 3)]


def test_the_same_line_in_another_script_is_not_covered(repo: Repo) -> None:
    baseline.write(repo.path, run_scan([repo.path], use_baseline=False, use_cache=False).scripts)
    repo.write("copy.slurm", TWO_ERRORS)
    found = rules(repo.path)
    assert found["old.slurm"] == []
    assert len(found["copy.slurm"]) == 2


def test_a_baseline_file_is_stable_and_sorted(repo: Repo) -> None:
    results = run_scan([repo.path], use_baseline=False, use_cache=False).scripts
    assert baseline.render(results) == baseline.render(list(reversed(results)))


@pytest.mark.parametrize("text", [
    "not json", "[]", '{"scriptkeeper_baseline": 2, "findings": []}',
    '{"scriptkeeper_baseline": 1, "findings": [{"path": "a"}]}',
    '{"scriptkeeper_baseline": 1, "findings": [{"path": "a", "rule": "r", '
    '"line_hash": "h", "count": 0}]}',
])
def test_a_broken_baseline_is_a_configuration_error(repo: Repo, text: str) -> None:
    (repo.path / baseline.BASELINE_NAME).write_text(text)
    with pytest.raises(ConfigError, match="baseline"):
        baseline.load(repo.path)
    done = cli(repo.path, "scan")
    assert done.returncode == 2
    assert baseline.BASELINE_NAME in done.stderr


def test_no_baseline_file_means_nothing_is_accepted(repo: Repo) -> None:
    assert baseline.load(repo.path) is None
    assert len(rules(repo.path)["old.slurm"]) == 2


def test_an_error_baselined_alone_leaves_other_errors_failing(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r", {"a.slurm": BROKEN})
    baseline.write(repo.path, run_scan([repo.path], use_baseline=False, use_cache=False).scripts)
    repo.write("a.slurm", BROKEN.replace("#SBATCH --time=10\n", "#SBATCH --time=10 --frob\n"))
    report = run_scan([repo.path], use_cache=False)
    assert report.baselined == 1
    assert report.summary["broken"] == 1
    assert [f.rule for f in report.scripts[0].findings] == ["unknown-option"]


def test_a_baselined_broken_script_is_shown_as_broken(repo: Repo) -> None:
    assert cli(repo.path, "baseline").returncode == 0
    for _ in range(2):  # cold, then from the result cache
        done = subprocess.run([sys.executable, "-m", "scriptkeeper", "scan", "-f", "concise"],
                              cwd=repo.path, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1] == "2 scripts: 1 keep, 0 redundant, 1 broken " \
                                               "(1 baselined)"
    shown = cli(repo.path, "scan", "-f", "json", "--no-baseline")
    assert shown.returncode == 1
    old = next(x for x in json.loads(shown.stdout)["scripts"] if x["path"] == "old.slurm")
    assert len(old["findings"]) == 2 and "notes" not in old


def test_clean_keeps_a_baselined_broken_script_and_says_so(repo: Repo) -> None:
    assert cli(repo.path, "baseline").returncode == 0
    plan = cli(repo.path, "clean", "--dry-run")
    assert plan.returncode == 0, plan.stderr
    assert "Would move" not in plan.stdout
    assert ("  broken (baselined)  old.slurm  (its errors are accepted by "
            ".scriptkeeper-baseline.json; 'clean --no-baseline' moves it)") in plan.stdout
    plan = cli(repo.path, "clean", "--dry-run", "--no-baseline")
    assert "Would move 1 job script" in plan.stdout and "old.slurm" in plan.stdout

