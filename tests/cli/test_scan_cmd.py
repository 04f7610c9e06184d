"""``scriptkeeper scan`` from the outside: formats, exit codes, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

GOOD = b"#!/bin/bash\n#SBATCH -N1 --time=10\nsrun hostname\n"
BAD = b"#!/bin/bash\n#SBATCH --mem=1.5G\nsrun hostname\n"


def run(cwd: Path, *args: str, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scriptkeeper", *args], cwd=cwd,
                          capture_output=True, text=True, check=False,
                          env={**os.environ, **(env or {})})


def folder(tmp_path: Path, **files: bytes) -> Path:
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return tmp_path


def test_exit_codes(tmp_path: Path) -> None:
    good = folder(tmp_path / "g" if (tmp_path / "g").mkdir() is None else tmp_path, a=GOOD)
    assert run(good, "scan", ".").returncode == 0
    bad = tmp_path / "b"
    bad.mkdir()
    folder(bad, **{"x.slurm": BAD})
    assert run(bad, "scan", ".").returncode == 1
    assert run(bad, "scan", ".", "--exit-zero").returncode == 0
    assert run(bad, "scan", "--format", "nope").returncode == 2
    assert run(bad, "scan", "does-not-exist").returncode == 2


def test_configuration_error_is_exit_2_with_file_and_line(tmp_path: Path) -> None:
    folder(tmp_path, **{"x.slurm": GOOD, "rules.yaml": b"rules:\n  nope: {severity: error}\n"})
    out = run(tmp_path, "scan", ".")
    assert out.returncode == 2
    assert "rules.yaml:2" in out.stderr and "unknown rule 'nope'" in out.stderr


def test_concise_format(tmp_path: Path) -> None:
    folder(tmp_path, **{"x.slurm": BAD})
    out = run(tmp_path, "scan", ".", "--format", "concise")
    assert out.stdout.splitlines()[0].startswith(
        "x.slurm:2: error invalid-value: '--mem=1.5G' has a value sbatch refuses")


def test_github_format(tmp_path: Path) -> None:
    folder(tmp_path, **{"x.slurm": BAD})
    out = run(tmp_path, "scan", ".", "--format", "github")
    assert out.stdout.startswith("::error file=x.slurm,line=2,title=invalid-value (SK012)::")


def test_json_format(tmp_path: Path) -> None:
    folder(tmp_path, **{"x.slurm": BAD, "y.slurm": GOOD})
    data = json.loads(run(tmp_path, "scan", ".", "--format", "json").stdout)
    assert data["summary"] == {"keep": 1, "redundant": 0, "broken": 1}
    x = next(s for s in data["scripts"] if s["path"] == "x.slurm")
    assert x["findings"][0]["rule"] == "invalid-value" and x["findings"][0]["line"] == 2


def test_table_format_without_colour(tmp_path: Path) -> None:
    folder(tmp_path, **{"x.slurm": BAD})
    out = run(tmp_path, "scan", ".", "--format", "table", env={"NO_COLOR": "1"})
    assert "\x1b[" not in out.stdout
    assert "invalid-value" in out.stdout and "broken (1)" in out.stdout
    assert "\x1b[" not in run(tmp_path, "scan", ".", "--format", "table", "--no-color").stdout


def test_rules_and_rule(tmp_path: Path) -> None:
    out = run(tmp_path, "rules")
    assert out.returncode == 0 and "directive-after-command" in out.stdout
    out = run(tmp_path, "rule", "directive-after-command")
    assert out.returncode == 0 and "Fixed:" in out.stdout
    assert run(tmp_path, "rule", "no-such-rule").returncode == 2


def test_concise_and_piped_output_keep_the_fix_on_one_line(tmp_path: Path) -> None:
    folder(tmp_path, **{"x.slurm": BAD})
    fix = json.loads(run(tmp_path, "scan", ".", "-f", "json").stdout)["scripts"][0][
        "findings"][0]["fix"]
    assert fix
    for args in (["--format", "concise"], []):  # not a terminal: concise is the default
        lines = run(tmp_path, "scan", ".", *args).stdout.splitlines()
        at = next(i for i, line in enumerate(lines) if line.startswith("x.slurm:2: error"))
        assert lines[at + 1] == "    fix: " + " ".join(fix.split())


def test_output_file_holds_the_report(tmp_path: Path) -> None:
    folder(tmp_path, **{"x.slurm": BAD})
    for fmt in ("sarif", "json", "concise"):
        printed = run(tmp_path, "scan", ".", "-f", fmt)
        written = run(tmp_path, "scan", ".", "-f", fmt, "--output-file", f"report.{fmt}")
        assert written.returncode == printed.returncode == 1
        assert written.stdout == ""
        assert (tmp_path / f"report.{fmt}").read_text(encoding="utf-8") == printed.stdout


def test_output_file_that_cannot_be_written_is_a_usage_error(tmp_path: Path) -> None:
    folder(tmp_path, **{"x.slurm": GOOD})
    out = run(tmp_path, "scan", ".", "-f", "json", "--output-file", "no/such/folder/r.json")
    assert out.returncode == 2 and "cannot write no/such/folder/r.json" in out.stderr


def test_a_rule_that_fails_to_evaluate_is_one_line_naming_rule_and_file(tmp_path: Path) -> None:
    rules = (b"rules:\n  greedy:\n    when: \"len('a' * 99999999999) > 0\"\n"
             b"    message: never\n")
    folder(tmp_path, **{"x.slurm": GOOD, "y.slurm": GOOD + b"# other\n", "rules.yaml": rules})
    out = run(tmp_path, "scan", ".")
    assert out.returncode == 2
    assert out.stdout == ""
    [line] = out.stderr.splitlines()
    assert line.startswith("scriptkeeper: configuration error: ")
    assert "rules.yaml:3: rule 'greedy' failed while judging " in line
    assert "RuleLimit: a repetition of 1 x 99999999999 items (at most 10000)" in line
