"""The shipped example workspace gets exactly the verdicts of its EXPECTED.md."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import EXAMPLE, REPO


def expected_rows() -> dict[str, tuple[str, set[str], str | None]]:
    """script -> (verdict, error rules, keeper) as EXPECTED.md's table states them."""
    rows: dict[str, tuple[str, set[str], str | None]] = {}
    for line in (EXAMPLE / "EXPECTED.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        script = cells[0].strip("`")
        verdict = cells[1]
        keeper = None
        rules: set[str] = set()
        if verdict == "redundant":
            match = re.search(r"redundant of `([^`]+)`", cells[2])
            keeper = match.group(1) if match else None
        elif cells[2] != "-":
            rules = {r.strip() for r in cells[2].split(",")}
        rows[script] = (verdict, rules, keeper)
    return rows


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "scriptkeeper", "scan", "examples/navsim-workspace",
         "--format", "json"], cwd=REPO, capture_output=True, text=True, check=False)
    assert out.returncode == 1, out.stderr
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["path"].rsplit("/", 1)[-1]: s for s in report["scripts"]}


def test_expected_table_is_read() -> None:
    rows = expected_rows()
    assert len(rows) == 20
    assert rows["train_8gpu_ddp.slurm"] == ("broken", {"ntasks-launcher-mismatch"}, None)


@pytest.mark.parametrize("script", sorted(expected_rows()))
def test_verdict_and_rules(script: str, report: dict[str, Any]) -> None:
    verdict, rules, keeper = expected_rows()[script]
    scripts = by_name(report)
    if verdict == "not a job script":
        assert script not in scripts
        assert any(s["path"].endswith("/" + script) and s["reason"] == "not a job script"
                   for s in report["skipped"])
        return
    got = scripts[script]
    errors = {f["rule"] for f in got["findings"] if f["severity"] == "error"}
    assert got["verdict"] == verdict, got
    if verdict == "broken":
        assert errors == rules, got["findings"]
    else:
        assert errors == set(), got["findings"]
    if keeper is not None:
        assert got["redundant_of"] == f"examples/navsim-workspace/scripts/{keeper}"


def test_json_schema_shape(report: dict[str, Any]) -> None:
    assert set(report) == {"scriptkeeper", "root", "scripts", "skipped", "summary"}
    assert report["root"] == str(REPO)
    for script in report["scripts"]:
        assert {"path", "verdict", "findings", "redundant_of"} <= set(script)
        for f in script["findings"]:
            assert set(f) - {"autofix"} == {"code", "rule", "severity", "line", "message", "fix"}
            assert isinstance(f["line"], int) and f["line"] >= 1
            if "autofix" in f:  # only on a finding of a rule with an automatic fix
                assert f["autofix"]["applicability"] in ("safe", "unsafe", "none")
                assert all(set(e) == {"line", "end_line", "content"}
                           for e in f["autofix"]["edits"])
    assert sum(report["summary"].values()) == len(report["scripts"])
