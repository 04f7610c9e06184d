"""One script whose analysis raises: its internal-error finding, and everything around it.

The analysis is made to raise for one script (monkeypatched, in this process and in the
forked workers, which inherit it); the other scripts' verdicts, the exit status of scan
and of the hook, clean's refusal, the result cache and the baseline are checked on real
git repositories.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scriptkeeper import __version__, hook
from scriptkeeper.cache import store as result_cache
from scriptkeeper.cli.app import app
from scriptkeeper.pipeline import analyze, internal_error, runner
from scriptkeeper.pipeline.discover import discover
from scriptkeeper.pipeline.scan import run_scan
from scriptkeeper.records import ScriptResult
from scriptkeeper.rules.config import Config, load_config
from tests.hook.repo import BROKEN, GOOD, Repo

COPY = GOOD.replace("--time=10", "--time=20")  # the same job as GOOD: redundant
BOOM = "#!/bin/bash\n#SBATCH --time=10\n#SBATCH --nodes=2\nsrun python train.py --boom\n"
REAL = analyze.analyze_script


def _raising_for(name: str) -> object:
    def analyze_script(root: Path, path: str, data: bytes, config: Config) -> ScriptResult:
        if path.endswith(name):
            raise RuntimeError("made to fail\nover two lines")
        return REAL(root, path, data, config)
    return analyze_script


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    monkeypatch.setenv("NO_COLOR", "1")
    made = Repo(tmp_path / "r", {"jobs/good.slurm": GOOD, "jobs/good_old.slurm": COPY,
                                 "jobs/bad.slurm": BROKEN, "jobs/boom.slurm": BOOM})
    made.commit()
    return made


@pytest.fixture
def raising(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(analyze, "analyze_script", _raising_for("boom.slurm"))
    yield


def _verdicts(results: list[ScriptResult]) -> dict[str, str]:
    return {r.path: r.verdict for r in results}


def test_the_failing_script_gets_one_internal_error_and_the_others_keep_their_verdicts(
        repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _verdicts(run_scan([repo.path], use_cache=False).scripts)
    assert before["jobs/boom.slurm"] == "keep"
    monkeypatch.setattr(analyze, "analyze_script", _raising_for("boom.slurm"))
    report = run_scan([repo.path], use_cache=False)
    after = _verdicts(report.scripts)
    assert after == {**before, "jobs/boom.slurm": "broken"}
    assert after["jobs/good_old.slurm"] == "redundant" and after["jobs/bad.slurm"] == "broken"
    boom = next(r for r in report.scripts if r.path == "jobs/boom.slurm")
    [finding] = boom.findings
    assert (finding.rule, finding.code, finding.severity, finding.line) == (
        "internal-error", "SK000", "error", 1)
    assert "RuntimeError: made to fail over two lines" in finding.message
    assert "tests/pipeline/test_internal_error.py" not in finding.message  # ours only
    assert f"please report this with the script (scriptkeeper {__version__})" in finding.message
    assert "\n" not in finding.message
    assert boom.redundant_of is None


def test_the_rule_entry_matches_the_finding() -> None:
    rule = load_config(None).rules["internal-error"]
    assert (rule.code, rule.severity, rule.fact) == (internal_error.CODE, "error",
                                                     "internal-error")


def test_a_users_rules_yaml_cannot_turn_it_down(tmp_path: Path) -> None:
    from scriptkeeper.rules.config import ConfigError

    config = tmp_path / "rules.yaml"
    config.write_text("rules:\n  internal-error:\n    severity: warning\n")
    with pytest.raises(ConfigError, match=r"rules\.yaml:3: built-in rule 'internal-error' "
                                          r"cannot be changed"):
        load_config(config)


@pytest.mark.parametrize("workers", [1, 2])
def test_an_internal_error_is_never_cached(repo: Repo, raising: None, workers: int,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # 2 workers: forked processes judge the scripts and send back entries; the failed
    # one must come back as a result, and the parent must not keep it either
    for i in range(runner.CHUNK + 10 if workers > 1 else 0):
        repo.write(f"more/m{i:03d}.slurm", GOOD.replace("train.py", f"train.py --seed {i}"))
    repo.commit("more")
    found = discover([repo.path])
    config = load_config(None)
    results = runner.analyze_all(found, config, use_cache=True, workers=workers)
    assert internal_error.failed(results)[0].path == "jobs/boom.slurm"
    cached = result_cache.ResultCache.open(found.root, found.in_git).entries
    assert "jobs/boom.slurm" not in cached and "jobs/good.slurm" in cached
    monkeypatch.setattr(analyze, "analyze_script", REAL)
    again = runner.analyze_all(found, config, use_cache=True, workers=workers)
    assert not internal_error.failed(again)


def test_scan_exits_2_with_one_line_even_with_exit_zero(repo: Repo, raising: None,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo.path)
    for extra in ([], ["--exit-zero"]):
        result = CliRunner().invoke(app, ["scan", "--no-cache", "--format", "concise", *extra])
        assert result.exit_code == 2, result.output
        assert "jobs/boom.slurm:1: error internal-error" in result.output
        assert "jobs/bad.slurm:4: error conflicting-options" in result.output
        assert ("scriptkeeper: internal error: the analysis of 1 script(s) failed "
                "(jobs/boom.slurm)") in result.output
        assert "Traceback" not in result.output


def test_clean_refuses_to_move_anything(repo: Repo, raising: None,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo.path)
    monkeypatch.setenv("SCRIPTKEEPER_NO_CACHE", "1")  # clean sets it: restored after
    head = repo.git("rev-parse", "HEAD").stdout
    for args in (["clean", "--dry-run"], ["clean", "--yes"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, result.output
        assert "refusing to clean: internal error" in result.output
    # bad.slurm (broken) and good_old.slurm (redundant) would have moved
    assert (repo.path / "jobs/bad.slurm").is_file()
    assert (repo.path / "jobs/good_old.slurm").is_file()
    assert not list(repo.path.rglob("backup_*"))
    assert repo.git("rev-parse", "HEAD").stdout == head
    assert repo.git("status", "--porcelain").stdout == ""


def test_clean_moves_once_the_analysis_works(repo: Repo, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    # the same repository, without the failure: clean does move (the refusal above is not
    # a refusal for another reason)
    monkeypatch.chdir(repo.path)
    monkeypatch.setenv("SCRIPTKEEPER_NO_CACHE", "1")
    result = CliRunner().invoke(app, ["clean", "--yes"])
    assert result.exit_code == 0, result.output
    assert not (repo.path / "jobs/bad.slurm").exists()


def test_baseline_writes_nothing(repo: Repo, raising: None,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo.path)
    result = CliRunner().invoke(app, ["baseline", "--no-cache"])
    assert result.exit_code == 2, result.output
    assert not (repo.path / ".scriptkeeper-baseline.json").exists()


def test_the_hook_exits_2(repo: Repo, raising: None, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(repo.path)
    assert hook.run(["jobs/good.slurm"], None, False, use_cache=False, out=sys.stdout) == 0
    assert hook.run(["jobs/boom.slurm", "jobs/good.slurm"], None, False,
                    use_cache=False, out=sys.stdout) == 2
    out = capsys.readouterr()
    assert "jobs/boom.slurm:1: error internal-error (SK000)" in out.out
    assert "scriptkeeper: internal error: the analysis of 1 script(s) failed" in out.err
