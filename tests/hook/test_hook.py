"""``scriptkeeper-hook``: which files it checks, what it prints, when it fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scriptkeeper import hook
from scriptkeeper.pipeline.scan import run_scan
from scriptkeeper.rules import baseline

from .repo import BROKEN, GOOD, Repo

CACHE_DISABLED = {"SCRIPTKEEPER_NO_CACHE": "1"}
HOOK = [sys.executable, "-m", "scriptkeeper.hook"]


@pytest.fixture(autouse=True)
def _inside(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SCRIPTKEEPER_NO_CACHE", "1")


def check(repo: Repo, *args: str) -> tuple[int, str]:
    """Run the hook as pre-commit does: from the top of the repository, with file names."""
    done = subprocess.run([*HOOK, *args], cwd=repo.path, capture_output=True,
                          text=True, check=False, env={**os.environ, **CACHE_DISABLED})
    assert not done.stderr or done.returncode == 2, done.stderr
    return done.returncode, done.stdout + done.stderr


def test_a_broken_script_fails_and_the_finding_is_printed(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r", {"bad.slurm": BROKEN, "good.slurm": GOOD})
    status, out = check(repo, "bad.slurm", "good.slurm")
    assert status == 1
    assert "bad.slurm:4: error conflicting-options (SK013)" in out
    assert "fix:" in out
    assert "good.slurm" not in out


def test_good_scripts_pass_silently(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r", {"bad.slurm": BROKEN, "good.slurm": GOOD})
    assert check(repo, "good.slurm") == (0, "")
    assert check(repo) == (0, "")


@pytest.mark.parametrize("name", ["job.sbatch", "job.sh", "job.bash", "job.job", "job.slurm",
                                  # by content, as scan judges: the name does not decide
                                  "job.sub", "train", "bad.slurm.orig", "run.q"])
def test_job_scripts_are_checked_whatever_their_name(tmp_path: Path, name: str) -> None:
    repo = Repo(tmp_path / "r", {name: BROKEN})
    assert check(repo, name)[0] == 1
    scanned = run_scan([repo.path], use_cache=False)
    assert [(s.path, s.verdict) for s in scanned.scripts] == [(name, "broken")]


def test_staged_job_scripts_are_chosen_by_content(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r", {"job.sub": BROKEN, "notes.md": BROKEN, "w.bin": BROKEN,
                                 "helper.py": "print('no job')\n"})
    repo.git("add", "-A")
    status, out = check(repo, "--staged")
    assert status == 1 and "job.sub:4: error conflicting-options" in out
    assert "notes.md" not in out and "w.bin" not in out


@pytest.mark.parametrize("name,text", [
    ("notes.txt", BROKEN),  # documentation quotes #SBATCH lines: never a job script
    ("README.md", BROKEN),
    ("helper.sh", "#!/bin/bash\necho not a job\n"),  # the name fits, the content does not
    # writes a job: its #SBATCH lines are the here-document's, not its own
    ("launch.sh", "#!/bin/bash\nfor n in 1 2; do\nsbatch <<EOF\n#!/bin/bash\n#SBATCH -N$n\n"
                  "srun a\nEOF\ndone\n"),
])
def test_other_files_are_left_alone(tmp_path: Path, name: str, text: str) -> None:
    repo = Repo(tmp_path / "r", {name: text})
    assert check(repo, name) == (0, "")


def test_the_hook_never_changes_a_file(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r", {"bad.slurm": BROKEN, "copy.slurm": BROKEN})
    repo.commit()
    before = {p: p.read_bytes() for p in repo.path.rglob("*") if p.is_file()
              and ".git" not in p.parts}
    check(repo, "bad.slurm", "copy.slurm")
    after = {p: p.read_bytes() for p in repo.path.rglob("*") if p.is_file()
             and ".git" not in p.parts}
    assert after == before
    assert repo.status() == ""


def test_baselined_findings_do_not_fail_the_hook(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r", {"bad.slurm": BROKEN})
    baseline.write(repo.path, run_scan([repo.path], use_baseline=False, use_cache=False).scripts)
    assert check(repo, "bad.slurm") == (0, "")
    assert check(repo, "--no-baseline", "bad.slurm")[0] == 1
    repo.write("bad.slurm", BROKEN.replace("--mem-per-cpu=2G", "--mem-per-cpu=1G"))
    assert check(repo, "bad.slurm")[0] == 1


DUPLICATE = GOOD.replace("--time=10", "--time=20")  # the same job: time limits are ignored


def _redundancy(repo: Repo, mode: str | None) -> None:
    if mode is not None:
        # quoted: YAML 1.1 reads a bare 'off' as false, which config.py refuses today
        repo.write("rules.yaml", f"hook:\n  redundancy: '{mode}'\n")
    repo.write("train_copy.slurm", DUPLICATE)
    repo.commit()


def test_redundancy_against_the_rest_of_the_repository_is_a_warning(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r", {"train.slurm": GOOD})
    _redundancy(repo, None)
    status, out = check(repo, "train_copy.slurm")
    assert status == 0
    assert "train_copy.slurm:1: warning redundant: redundant of train.slurm" in out


def test_redundancy_can_fail_the_commit(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r", {"train.slurm": GOOD})
    _redundancy(repo, "error")
    status, out = check(repo, "train_copy.slurm")
    assert status == 1
    assert "train_copy.slurm:1: error redundant: redundant of train.slurm" in out
    assert check(repo, "train.slurm") == (0, "")  # the keeper itself is fine


def test_redundancy_can_be_switched_off(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r", {"train.slurm": GOOD})
    _redundancy(repo, "off")
    assert check(repo, "train_copy.slurm") == (0, "")


def test_a_bad_configuration_is_exit_2(tmp_path: Path) -> None:
    # (a rules.yaml whose keys are none of scriptkeeper's is another tool's, passed over)
    repo = Repo(tmp_path / "r", {"a.slurm": GOOD, "rules.yaml": "hook:\n  bogus: 1\n"})
    status, out = check(repo, "a.slurm")
    assert status == 2
    assert "rules.yaml:2" in out and "unknown key 'bogus'" in out


@pytest.mark.parametrize("command", [
    [str(Path(sys.executable).parent / "scriptkeeper-hook")],  # what .pre-commit-hooks.yaml runs
    [sys.executable, "-m", "scriptkeeper", "hook"],
])
def test_the_entry_points_reach_the_hook(tmp_path: Path, command: list[str]) -> None:
    repo = Repo(tmp_path / "r", {"bad.slurm": BROKEN})
    done = subprocess.run([*command, "bad.slurm"], cwd=repo.path,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "conflicting-options" in done.stdout


def test_staged_content_is_what_gets_checked(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r", {"a.slurm": GOOD})
    repo.commit()
    repo.write("a.slurm", BROKEN)
    repo.git("add", "a.slurm")
    repo.write("a.slurm", GOOD)  # fixed in the working tree but not staged
    status, out = check(repo, "--staged")
    assert status == 1 and "a.slurm:4: error conflicting-options" in out
    repo.git("add", "a.slurm")
    assert check(repo, "--staged") == (0, "")


def test_staged_mode_outside_git_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run([*HOOK, "--staged"], cwd=tmp_path, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 2
    assert "scriptkeeper:" in done.stderr


def test_in_process_run_reports_to_the_given_stream(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    repo = Repo(tmp_path / "r", {"bad.slurm": BROKEN})
    monkeypatch.chdir(repo.path)
    out = io.StringIO()
    assert hook.run(["bad.slurm"], out=out) == 1
    assert "would break" in out.getvalue()
