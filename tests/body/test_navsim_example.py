"""The shipped example: the launcher verdicts of EXPECTED.md, their lines and their words.

The rules each script must get are read from the table in
``examples/navsim-workspace/EXPECTED.md``; redundancy is another stage, so
for a redundant script only "no error" is checked here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scriptkeeper.pipeline.scan import run_scan
from scriptkeeper.records import ScriptResult

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "navsim-workspace"


def expected() -> dict[str, tuple[str, set[str]]]:
    rows: dict[str, tuple[str, set[str]]] = {}
    for line in (EXAMPLE / "EXPECTED.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        verdict = cells[1]
        named = set() if verdict == "redundant" or cells[2] == "-" else {
            r.strip() for r in cells[2].split(",")}
        rows[cells[0].strip("`")] = (verdict, named)
    return rows


@pytest.fixture(scope="module")
def results() -> dict[str, ScriptResult]:
    report = run_scan([EXAMPLE], redundancy=False)
    return {Path(s.path).name: s for s in report.scripts}


def test_the_table_is_read() -> None:
    rows = expected()
    assert len(rows) >= 19
    assert rows["train_8gpu_torchrun.slurm"] == ("broken", {"ntasks-launcher-mismatch"})


@pytest.mark.parametrize("name", sorted(n for n, (v, _) in expected().items()
                                        if v != "not a job script"))
def test_error_rules_match_expected(name: str, results: dict[str, ScriptResult]) -> None:
    _verdict, rules = expected()[name]
    found = {f.rule for f in results[name].findings if f.severity == "error"}
    assert found == rules, [(f.rule, f.line, f.message) for f in results[name].findings]
    warnings = [f for f in results[name].findings if f.severity != "error"]
    # the team's '8gpu' names kept while the requests fell to 1 GPU or none
    named = {"name-contradicts-request"} if name in NAME_SAYS_MORE else set()
    assert {f.rule for f in warnings} == named, warnings


# scripts named '..._8gpu_...' whose request is not 8 GPUs
NAME_SAYS_MORE = {"train_8gpu_ddp.slurm", "train_8gpu_ddp (copy).slurm",
                  "train_8gpu_ddp_v3.slurm", "train_8gpu_ddp_final.slurm",
                  "train_8gpu_ddp_modules.slurm"}


# script -> rule -> (line, words the message must contain)
LINES = {
    # Lightning's devices check stops the run before any rendezvous: no hang to report
    "train_8gpu_ddp.slurm": {"ntasks-launcher-mismatch": (5, "ValueError")},
    "train_8gpu_ddp_v2.slurm": {"ntasks-without-per-node": (4, "RuntimeError")},
    "train_8gpu_ddp_v3.slurm": {"visible-gpus-exceed-request": (10, "names 8 GPUs")},
    "train_8gpu_ddp_fixed.slurm": {"missing-srun": (12, "waits for 7 peers")},
    "train_8gpu_torchrun.slurm": {"ntasks-launcher-mismatch": (5, "64 processes per node")},
    "train_8gpu_ddp_final.slurm": {"missing-gpu-request": (11, 'accelerator="gpu"')},
    "train_8gpu_ddp_modules.slurm": {"missing-gpu-request": (7, "requests none")},
    "train_8gpu_ddp_pertask.slurm": {"lightning-per-task-gpus": (5, "--gpus-per-task=1")},
    "train_8gpu_ddp_CORRECT.slurm": {"lightning-single-process": (
        4, "world size 1 on 8 GPUs")},
    "train_old.slurm": {"missing-entrypoint": (11, "run_training_old.py")},
}


@pytest.mark.parametrize("name", sorted(LINES))
def test_lines_and_messages(name: str, results: dict[str, ScriptResult]) -> None:
    for rule, (line, words) in LINES[name].items():
        [finding] = [f for f in results[name].findings if f.rule == rule]
        assert finding.line == line, (rule, finding)
        assert words in finding.message, (rule, finding.message)
        assert finding.fix, rule


def test_the_version_comes_from_the_pins(results: dict[str, ScriptResult]) -> None:
    [step] = results["train_8gpu_ddp_CORRECT.slurm"].steps
    assert (step.framework, step.version, step.framework_version_assumed) == (
        "pytorch_lightning", (2, 2, 1), False)
    assert "requirements.txt" in step.version_text
