"""The JSON report: the schema of docs/design.md#the-json-report.

Each script's line is exactly what json.dumps writes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scriptkeeper.pipeline.scan import run_scan
from scriptkeeper.records import APPLICABILITIES, Autofix, Edit, Finding, ScanReport, ScriptResult
from scriptkeeper.report.json_format import render, script_line
from tests.hook.repo import example_repo

DUMPS = json.JSONEncoder(ensure_ascii=False).encode


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> ScanReport:
    return run_scan([example_repo(tmp_path_factory.mktemp("json") / "ws").path],
                    use_cache=False)


def test_the_report_reads_back_as_the_schema(example: ScanReport) -> None:
    assert json.loads(render(example)) == example.as_json()
    assert {r.verdict for r in example.scripts} == {"keep", "redundant", "broken"}
    assert any(r.notes for r in example.scripts)


def test_one_line_a_script(example: ScanReport) -> None:
    lines = render(example).splitlines()
    for result in example.scripts:
        assert "    " + DUMPS(result.as_json()) + "," in lines or \
            "    " + DUMPS(result.as_json()) in lines


def test_an_empty_scan(tmp_path: Path) -> None:
    report = run_scan([tmp_path], use_cache=False)
    assert json.loads(render(report)) == report.as_json() and report.as_json()["scripts"] == []


text = st.text(alphabet=st.characters(), max_size=30)  # any code point, lone surrogates too
autofixes = st.none() | st.builds(
    Autofix, st.sampled_from(APPLICABILITIES),
    st.lists(st.builds(Edit, st.integers(1, 99), st.integers(1, 99), text), max_size=2)
    .map(tuple))


@settings(max_examples=300)
@given(path=text, verdict=st.sampled_from(["keep", "broken", "redundant"]),
       keeper=st.none() | text, notes=st.lists(text, max_size=3),
       findings=st.lists(st.tuples(text, text, text, st.integers(0, 10**9), text, text,
                                   autofixes), max_size=3))
def test_a_script_line_is_what_json_dumps_writes(
        path: str, verdict: str, keeper: str | None, notes: list[str],
        findings: list[tuple[str, str, str, int, str, str, Autofix | None]]) -> None:
    result = ScriptResult(path, [Finding(*f) for f in findings], verdict, keeper, notes)
    assert script_line(result) == DUMPS(result.as_json())


def test_a_finding_with_an_edit_carries_it(example: ScanReport) -> None:
    document = json.loads(render(example))
    seed = next(s for s in document["scripts"]
                if s["path"].endswith("train_8gpu_ddp_CORRECT.slurm"))
    autofix = seed["findings"][0]["autofix"]
    assert autofix["applicability"] == "unsafe"
    assert {"line": 4, "end_line": 5, "content": "#SBATCH --ntasks-per-node=8\n"} in \
        autofix["edits"]
