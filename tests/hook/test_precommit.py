"""The real pre-commit framework running this checkout's hook (.pre-commit-hooks.yaml).

pre-commit clones the hook repository at a commit and pip-installs it into an
environment of its own, so the hook must work from committed code. The
repository under test is a commit of a copy of the current working tree;
the environment is built once per session (it needs PyPI).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

from .repo import BROKEN, GIT_ENV, GOOD, Repo

# the real pre-commit builds a hook environment: seconds a test
pytestmark = pytest.mark.slow

PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


@pytest.fixture(scope="session")
def hook_checkout(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This working tree, committed in a repository of its own: (path, commit sha)."""
    target = tmp_path_factory.mktemp("checkout") / "scriptkeeper"
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=REPO, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file() and not source.is_symlink():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run(["git", *args], cwd=target, env=env, check=True, capture_output=True)
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=target, capture_output=True,
                         text=True, check=True).stdout.strip()
    return target, sha


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def repo(tmp_path: Path, hook_checkout: tuple[Path, str], pre_commit_home: Path,
         monkeypatch: pytest.MonkeyPatch) -> Repo:
    """A repository using the hook through pre-commit, with one good script committed."""
    monkeypatch.setenv("PRE_COMMIT_HOME", str(pre_commit_home))
    checkout, sha = hook_checkout
    repo = Repo(tmp_path / "project", {"good.slurm": GOOD})
    repo.write(".pre-commit-config.yaml",
               f"repos:\n- repo: {checkout}\n  rev: {sha}\n  hooks:\n  - id: scriptkeeper\n")
    repo.commit("start")
    done = subprocess.run([*PRE_COMMIT, "install", "--install-hooks"], cwd=repo.path,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return repo


def commit(repo: Repo, message: str) -> tuple[int, str]:
    repo.git("add", "-A")
    done = repo.git("commit", "-m", message, check=False)
    return done.returncode, done.stdout + done.stderr


def committed(repo: Repo) -> str:
    return repo.git("ls-tree", "-r", "--name-only", "HEAD").stdout


def test_committing_a_broken_script_fails_and_prints_the_finding(repo: Repo) -> None:
    repo.write("scripts/bad.slurm", BROKEN)
    status, out = commit(repo, "a broken script")
    assert status != 0
    assert "scriptkeeper (SLURM job scripts)" in out and "Failed" in out
    assert "scripts/bad.slurm:4: error conflicting-options (SK013)" in out
    assert "scripts/bad.slurm" not in committed(repo)
    assert (repo.path / "scripts/bad.slurm").read_text() == BROKEN  # never changed


def test_a_good_script_commits(repo: Repo) -> None:
    repo.write("scripts/new.sbatch", GOOD.replace("--nodes=1", "--nodes=2"))
    status, out = commit(repo, "a good script")
    assert status == 0, out
    assert "scriptkeeper (SLURM job scripts)" in out and "Passed" in out
    assert "scripts/new.sbatch" in committed(repo)


def test_files_that_are_not_job_scripts_pass(repo: Repo) -> None:
    repo.write("notes.txt", BROKEN)  # documentation quoting a broken script
    repo.write("helper.sh", "#!/bin/bash\necho no job\n")
    status, out = commit(repo, "notes")
    assert status == 0, out
    assert "scriptkeeper (SLURM job scripts)" in out and "Passed" in out


def test_a_broken_job_script_is_caught_whatever_its_name(repo: Repo) -> None:
    # .pre-commit-hooks.yaml used to filter on .slurm/.sbatch/.sh/.bash/.job: job.sub slipped
    repo.write("jobs/job.sub", BROKEN)
    status, out = commit(repo, "a broken job.sub")
    assert status != 0
    assert "jobs/job.sub:4: error conflicting-options (SK013)" in out
    assert "jobs/job.sub" not in committed(repo)


def test_a_commit_of_many_ordinary_text_files_passes(repo: Repo) -> None:
    for i in range(500):
        repo.write(f"src/mod{i}.py", f"VALUE = {i}\n")
    status, out = commit(repo, "500 modules")
    assert status == 0, out
    assert "Passed" in out
    assert len(committed(repo).split()) >= 500


def _baselined_old_script(repo: Repo) -> None:
    """An old broken script committed before the hook, then accepted with a baseline."""
    repo.write("old.slurm", BROKEN)
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", "old broken script")
    done = subprocess.run([sys.executable, "-m", "scriptkeeper", "baseline"], cwd=repo.path,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    status, out = commit(repo, "baseline")
    assert status == 0, out


def test_baselined_old_findings_do_not_block(repo: Repo) -> None:
    _baselined_old_script(repo)
    # an edit elsewhere in the old script: its baselined line is unchanged
    repo.write("old.slurm", BROKEN.replace("#!/bin/bash\n", "#!/bin/bash\n# owner: ml-team\n"))
    status, out = commit(repo, "touch the old script")
    assert status == 0, out
    assert "owner: ml-team" in repo.git("show", "HEAD:old.slurm").stdout


def test_a_change_to_a_baselined_line_blocks(repo: Repo) -> None:
    _baselined_old_script(repo)
    repo.write("old.slurm", BROKEN.replace("--mem-per-cpu=2G", "--mem-per-cpu=3G"))
    status, out = commit(repo, "edit the baselined line")
    assert status != 0
    assert "old.slurm:4: error conflicting-options" in out
    assert "--mem-per-cpu=2G" in repo.git("show", "HEAD:old.slurm").stdout


def test_redundancy_is_a_warning_unless_configured(repo: Repo) -> None:
    repo.write("good_copy.slurm", GOOD.replace("--time=10", "--time=99"))
    done = subprocess.run([*PRE_COMMIT, "run", "--verbose", "--files", "good_copy.slurm"],
                          cwd=repo.path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout
    assert "good_copy.slurm:1: warning redundant: redundant of good.slurm" in done.stdout
    repo.write("rules.yaml", "hook:\n  redundancy: 'error'\n")
    status, out = commit(repo, "a copy")
    assert status != 0
    assert "good_copy.slurm:1: error redundant: redundant of good.slurm" in out


def test_the_fix_hook_makes_the_safe_fixes_and_fails_when_it_changed_a_file(
        tmp_path: Path, hook_checkout: tuple[Path, str], pre_commit_home: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRE_COMMIT_HOME", str(pre_commit_home))
    checkout, sha = hook_checkout
    repo = Repo(tmp_path / "project", {"good.slurm": GOOD})
    repo.write(".pre-commit-config.yaml",
               f"repos:\n- repo: {checkout}\n  rev: {sha}\n  hooks:\n"
               f"  - id: scriptkeeper-fix\n  - id: scriptkeeper\n")
    repo.commit("start")
    done = subprocess.run([*PRE_COMMIT, "install", "--install-hooks"], cwd=repo.path,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    crlf = GOOD.replace("\n", "\r\n").encode()
    late = "#!/bin/bash\nmodule load cuda\n#SBATCH --time=10\nsrun python train.py\n"
    (repo.path / "crlf.slurm").write_bytes(crlf)
    repo.write("late.slurm", late)
    status, out = commit(repo, "two broken scripts")
    assert status != 0
    assert "scriptkeeper fix (safe fixes to SLURM job scripts)" in out and "Failed" in out
    assert "fixed crlf.slurm: dos-line-endings" in out
    assert (repo.path / "crlf.slurm").read_bytes() == GOOD.encode()  # fixed in the work tree
    assert (repo.path / "late.slurm").read_text() == late  # an unsafe fix is never made here
    assert "crlf.slurm" not in committed(repo)
    # the fixed file staged: the fix hook passes, the checking hook still stops late.slurm
    status, out = commit(repo, "again")
    assert status != 0
    assert "late.slurm:3: error directive-after-command" in out
    repo.write("late.slurm", GOOD)
    status, out = commit(repo, "all fixed")
    assert status == 0, out
    assert "crlf.slurm" in committed(repo)
