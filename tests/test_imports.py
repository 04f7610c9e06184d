"""Start-up: the modules every run imports do not import the heavy parts at module level.

``scriptkeeper`` imports every command module to build its command line,
and a scan answered from the result cache, or the pre-commit hook, goes
through scan, config, discover, baseline and a report format. None of these
may import the parser, the job model, tree-sitter, the expression checker,
rich, GitPython or pathspec at module level: each is imported where it is
used. Checked in a fresh interpreter, by what is in ``sys.modules`` (no
timings).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HEAVY = (
    "scriptkeeper.parse.header", "scriptkeeper.model.build", "scriptkeeper.body.steps",
    "scriptkeeper.body.shell", "scriptkeeper.rules.expressions", "tree_sitter", "rich", "git",
    "pathspec", "yaml",
)

ON_THE_WARM_PATH = (
    "scriptkeeper.cli.app", "scriptkeeper.pipeline.scan", "scriptkeeper.hook",
    "scriptkeeper.rules.config", "scriptkeeper.rules.baseline", "scriptkeeper.pipeline.discover",
    "scriptkeeper.report.json_format", "scriptkeeper.cli.scan_cmd",
)


def loaded_after(code: str, cwd: Path | None = None) -> list[str]:
    """The HEAVY modules (or their submodules) in sys.modules after running ``code``."""
    probe = textwrap.dedent(code) + textwrap.dedent(f"""
        import json as _json, sys as _sys
        _heavy = {HEAVY!r}
        _found = sorted(m for m in _sys.modules
                        if any(m == h or m.startswith(h + ".") for h in _heavy))
        _sys.stderr.write("\\nLOADED " + _json.dumps(_found) + "\\n")
    """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=cwd, check=False)
    assert done.returncode == 0, done.stderr
    line = [ln for ln in done.stderr.splitlines() if ln.startswith("LOADED ")][-1]
    found: list[str] = json.loads(line[len("LOADED "):])
    return found


def test_the_warm_path_imports_nothing_heavy() -> None:
    assert loaded_after("import " + ", ".join(ON_THE_WARM_PATH)) == []


# light as well: every report format (rich only inside the table's render), the sbatch
# check (scan imports it for its options), every command module
_REPORTS = ("concise", "github", "gitlab", "sarif", "table")
_COMMANDS = sorted((Path(__file__).parent.parent / "scriptkeeper" / "cli").glob("*_cmd.py"))
ALSO_LIGHT = (*(f"scriptkeeper.report.{m}" for m in _REPORTS),
              "scriptkeeper.cluster.sbatch_check",
              *(f"scriptkeeper.cli.{p.stem}" for p in _COMMANDS))


@pytest.mark.parametrize("module", ON_THE_WARM_PATH + ALSO_LIGHT)
def test_each_module_alone_imports_nothing_heavy(module: str) -> None:
    assert loaded_after(f"import {module}") == []


def _ours(found: list[str]) -> list[str]:
    return [m for m in found if m.startswith("scriptkeeper.")]


def test_loading_the_builtin_rules_needs_no_expression_checker() -> None:
    # PyYAML reads rules.yaml; the built-in conditions are checked by a test, not at load
    found = loaded_after("from scriptkeeper.rules.config import load_config; load_config(None)")
    assert _ours(found) == [], found


def test_a_user_config_without_conditions_needs_no_expression_checker(tmp_path: Path) -> None:
    config = tmp_path / "rules.yaml"
    config.write_text("scripts:\n  include: [jobs/]\nrules:\n  missing-shebang:\n"
                      "    severity: warning\n    message: no shebang line\n")
    found = loaded_after(f"from pathlib import Path\nfrom scriptkeeper.rules.config import "
                         f"load_config\nload_config(Path({str(config)!r}))")
    assert _ours(found) == [], found


def run_cli(args: list[str], cwd: Path) -> list[str]:
    return loaded_after(f"""
        from scriptkeeper.cli.app import app
        try:
            app({args!r})
        except SystemExit:
            pass
    """, cwd=cwd)


def test_rules_imports_nothing_heavy(tmp_path: Path) -> None:
    found = run_cli(["rules"], tmp_path)
    assert _ours(found) == [] and not any(m.startswith(("rich", "git", "pathspec"))
                                          for m in found), found


@pytest.mark.parametrize("args", [["--help"], ["scan", "--help"]])
def test_help_imports_none_of_the_pipeline(args: list[str], tmp_path: Path) -> None:
    # typer itself formats the help with rich; scriptkeeper adds nothing heavy
    assert _ours(run_cli(args, tmp_path)) == []


# what judging a script needs, and what a run answered from the cache must not load
ANALYSIS = ("scriptkeeper.parse.header", "scriptkeeper.model.build", "scriptkeeper.body.steps",
            "scriptkeeper.body.shell", "tree_sitter", "rich", "git")


def _warm_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "jobs").mkdir(parents=True)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    job = "#!/bin/bash\n#SBATCH --nodes=1\n#SBATCH --time=10\nsrun hostname\n"
    (repo / "jobs" / "a.slurm").write_text(job)
    (repo / "jobs" / "a_copy.slurm").write_text(job)
    (repo / "jobs" / "a_v2.slurm").write_text(job.replace("--time=10", "--mem=8G"))
    (repo / "jobs" / "b.slurm").write_text("#!/bin/bash\n#SBATCH --nodes=x\nsrun hostname\n")
    return repo


@pytest.mark.parametrize("args", [["scan", "--format", "json"], ["scan", "--format", "concise"]])
def test_a_scan_answered_from_the_cache_runs_no_analysis(tmp_path: Path,
                                                        args: list[str]) -> None:
    # the first scan judges and fills the cache; the second takes every result from it,
    # groups them by their stored keys and reports, without the parser or tree-sitter
    # (a copy that is not byte-identical would need its job model to say what differs)
    repo = _warm_repo(tmp_path)
    cold = run_cli(args, repo)
    assert "tree_sitter" in cold and "scriptkeeper.parse.header" in cold
    warm = run_cli(args, repo)
    assert not any(m.startswith(ANALYSIS) for m in warm), warm


def test_the_hook_loads_no_typer(tmp_path: Path) -> None:
    # its exit codes and messages come from cli.common, which must not bring typer along
    # (keys none of which are scriptkeeper's would make it another tool's rules.yaml)
    (tmp_path / "rules.yaml").write_text("hook:\n  nosuch: 1\n")
    (tmp_path / "a.slurm").write_text("#!/bin/bash\n#SBATCH --nodes=1\nsrun hostname\n")
    probe = """
        import json, sys
        from scriptkeeper.hook import main
        code = main(["a.slurm"])
        cli = sorted(m for m in sys.modules if m.split(".")[0] in ("typer", "click", "rich"))
        sys.stderr.write("\\nCLI " + json.dumps([code, cli]) + "\\n")
    """
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(probe)], capture_output=True,
                          text=True, cwd=tmp_path, check=False)
    assert "scriptkeeper: configuration error: " in done.stderr
    assert done.stderr.splitlines()[-1] == "CLI [2, []]", done.stderr


def test_the_hook_on_a_cached_repository_runs_no_analysis(tmp_path: Path) -> None:
    repo = _warm_repo(tmp_path)
    hook = """
        from scriptkeeper.hook import main
        main(["jobs/a.slurm"])
    """
    loaded_after(hook, cwd=repo)
    warm = loaded_after(hook, cwd=repo)
    assert not any(m.startswith(ANALYSIS) for m in warm), warm
