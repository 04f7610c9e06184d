"""No false alarms: correct job scripts shaped after the official launch templates.

``corpus_ok/`` is a small repository (entry points, pins, an accelerate
config, a cluster profile) with job scripts written after the SLURM recipes
of Lightning, torchrun, accelerate (examples/slurm), DeepSpeed, Horovod,
Megatron, NeMo and stas00/ml-engineering. Every one of them is right, so
none may get an error; the only warnings are true ones listed here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scriptkeeper.pipeline.scan import run_scan
from scriptkeeper.records import ScriptResult

CORPUS = Path(__file__).parent / "corpus_ok"

# Warnings that are true: the script uses fewer GPUs than it asks for, on purpose.
TRUE_WARNINGS = {"visible_subset.slurm": {"gpus-unused"}}
# The launch line is built in a way nothing can follow (an if/else choosing the launcher).
NO_STEPS = {"accelerate_multicpu.slurm"}


@pytest.fixture(scope="module")
def results() -> dict[str, ScriptResult]:
    report = run_scan([CORPUS], redundancy=False)
    return {Path(s.path).name: s for s in report.scripts}


def test_the_corpus_is_large_enough(results: dict[str, ScriptResult]) -> None:
    assert len(results) >= 30
    assert len(list((CORPUS / "scripts").glob("*.slurm"))) == len(results)


@pytest.mark.parametrize("name", sorted(p.name for p in (CORPUS / "scripts").glob("*.slurm")))
def test_no_false_alarm(name: str, results: dict[str, ScriptResult]) -> None:
    result = results[name]
    shown = [(f.rule, f.line, f.message) for f in result.findings]
    assert not [f for f in result.findings if f.severity == "error"], shown
    assert {f.rule for f in result.findings} == TRUE_WARNINGS.get(name, set()), shown
    if name not in NO_STEPS:
        # the silence means something: the launch line was read
        assert result.steps, "no launch step found"
        assert any(s.tasks_per_node is not None and s.gpus_visible is not None
                   for s in result.steps), result.steps


def test_the_launchers_and_frameworks_were_recognised(results: dict[str, ScriptResult]) -> None:
    launchers = {s.launcher for r in results.values() for s in r.steps}
    frameworks = {s.framework for r in results.values() for s in r.steps}
    assert {"python", "torchrun", "accelerate", "deepspeed", "mpirun", "horovodrun",
            "nvidia-smi"} <= launchers
    assert {"lightning", "fabric", "accelerate", "deepspeed", "horovod", "torch"} <= frameworks
    lightning = [s for r in results.values() for s in r.steps if s.lightning_slurm]
    assert len(lightning) >= 8
