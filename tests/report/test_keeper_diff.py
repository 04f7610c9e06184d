"""scan --diff PATH: a redundant script against its keeper, through the real CLI."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from scriptkeeper.cli.app import app

# the fixtures of the redundancy tests: no result cache, a fresh repo
from tests.redundancy.repo import Repo, _no_cache, one_gpu, repo_fixture  # noqa: F401


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("NO_COLOR", "1")
    return CliRunner()


def test_diff_against_the_keeper(repo: Repo, runner: CliRunner,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    reformatted = one_gpu("python train.py \\\n    --lr=0.1\n").replace("--job-name=train",
                                                                       "--job-name=again")
    repo.commit("2024-01-10T10:00:00", {"train.slurm": one_gpu()})
    repo.commit("2024-02-10T10:00:00", {"again.slurm": reformatted})
    monkeypatch.chdir(repo.path)
    result = runner.invoke(app, ["scan", "--diff", "again.slurm"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "again.slurm: redundant of train.slurm"
    assert "--job-name (again vs train)" in lines[1]
    assert "--- a/train.slurm" in lines and "+++ b/again.slurm" in lines
    assert "-#SBATCH --job-name=train" in lines and "+#SBATCH --job-name=again" in lines
    assert "-python train.py --lr=0.1" in lines and "+python train.py \\" in lines


def test_diff_of_a_broken_copy_and_of_a_kept_script(repo: Repo, runner: CliRunner) -> None:
    broken = one_gpu("python train.py --lr=0.1\n", "--mem-per-cpu=4G")
    repo.commit("2024-01-10T10:00:00", {"a.slurm": broken, "a_copy.slurm": broken,
                                        "b.slurm": one_gpu("python train.py --lr=9\n")})
    result = runner.invoke(app, ["scan", str(repo.path), "--diff", str(repo.path / "a_copy.slurm")])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == ["a_copy.slurm: broken", "  also a copy of a.slurm"]
    assert "(byte-identical)" in result.output
    result = runner.invoke(app, ["scan", str(repo.path), "--diff", str(repo.path / "b.slurm")])
    assert result.exit_code == 0
    assert result.output.startswith("b.slurm: keep; no other script is the same job")


def test_diff_of_something_not_scanned_is_a_usage_error(repo: Repo, runner: CliRunner) -> None:
    repo.commit("2024-01-10T10:00:00", {"a.slurm": one_gpu()})
    result = runner.invoke(app, ["scan", str(repo.path), "--diff", str(repo.path / "train.py")])
    assert result.exit_code == 2
    assert "is not among the job scripts scanned" in result.output
