"""Differential: every script ``scriptkeeper fix`` repairs is one real sbatch accepts, and a
layout fix gives the job the layout it names (the local SLURM 22.05 cluster).

The scripts are those the edit tests fix (tests/parse/test_sbatch_edits.py,
tests/body/test_launch_edits.py, each with its entry point), the corpus of the
agreement test (tests/differential/corpus.py) and the example workspace. Each
is fixed with --unsafe-fixes; when scriptkeeper then reports no error that means
"sbatch refuses", ``sbatch --test-only`` must accept the fixed bytes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from scriptkeeper.fix.apply import fix_script
from scriptkeeper.rules.config import Config, load_config
from tests.body import test_launch_edits as launch_cases
from tests.body.repo import write
from tests.conftest import EXAMPLE
from tests.differential.corpus import CASES
from tests.differential.test_sbatch_agreement import PROFILE, REFUSAL_RULES
from tests.parse import test_sbatch_edits as parse_cases
from tests.support import slurm as cluster

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]

SCRIPTS: dict[str, tuple[bytes, dict[str, str]]] = {}
for i, (rule, before, _) in enumerate(parse_cases.FIXED):
    SCRIPTS[f"edit-{rule}-{i}"] = (before, {})
for i, (rule, files, before, _) in enumerate(launch_cases.FIXED):
    SCRIPTS[f"launch-{rule}-{i}"] = (before, files)
for name, data in CASES.items():
    SCRIPTS[f"corpus-{name}"] = (data, {})
# the example's scripts that fixing leaves without an error (the rest: no edit is certain)
EXAMPLE_REPAIRED = ("train_1gpu_windows", "train_8gpu_ddp", "train_8gpu_ddp (copy)",
                    "train_8gpu_ddp_CORRECT", "train_8gpu_ddp_fixed", "train_8gpu_ddp_modules",
                    "train_8gpu_ddp_v2", "train_8gpu_torchrun")
for stem in EXAMPLE_REPAIRED:
    SCRIPTS[f"example-{stem}"] = ((EXAMPLE / "scripts" / f"{stem}.slurm").read_bytes(), {})


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    path = tmp_path_factory.mktemp("profile") / "rules.yaml"
    path.write_text(PROFILE)
    return load_config(path)


def _fixed(name: str, config: Config, root: Path) -> tuple[bytes, bool]:
    data, files = SCRIPTS[name]
    write(root, files)
    (root / "requirements.txt").write_text("lightning==2.2.1\n")
    if name.startswith("example-"):
        for entry in (EXAMPLE / "navsim").rglob("*.py"):
            target = root / entry.relative_to(EXAMPLE)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(entry.read_bytes())
    done = fix_script(root, "job.slurm", data, config, unsafe=True)
    refused = any(f.severity == "error" and f.rule in REFUSAL_RULES for f in done.remaining)
    return done.after, done.changed and not refused


def _corpus_repaired() -> list[str]:
    """The corpus cases fixing repairs (judged offline, with the cluster's profile)."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "rules.yaml").write_text(PROFILE)
        settings = load_config(root / "rules.yaml")
        found = []
        for name in SCRIPTS:
            if name.startswith("corpus-"):
                case = root / name
                case.mkdir()
                if _fixed(name, settings, case)[1]:
                    found.append(name)
        return found


REPAIRED = sorted(n for n in SCRIPTS if not n.startswith("corpus-")) + _corpus_repaired()


def test_the_corpus_has_scripts_fixing_repairs() -> None:
    assert len(REPAIRED) - len(SCRIPTS) + len(CASES) >= 5, REPAIRED


@pytest.mark.parametrize("name", REPAIRED)
def test_a_repaired_script_is_accepted_by_sbatch(name: str, config: Config,
                                                 tmp_path: Path) -> None:
    after, repaired = _fixed(name, config, tmp_path)
    assert repaired, after.decode(errors="replace")
    script = tmp_path / "fixed.sh"
    script.write_bytes(after)
    result = cluster.sbatch_test_only(script)
    assert result.accepted, (after.decode(errors="replace"),
                             (result.stderr or result.stdout).strip())


def test_the_seed_layout_fix_gives_one_task_per_gpu(config: Config, tmp_path: Path) -> None:
    """--ntasks=1 on 8 GPUs becomes 8 tasks on the node, 16 CPUs each, as SLURM applies it."""
    after, repaired = _fixed("example-train_8gpu_ddp_CORRECT", config, tmp_path)
    assert repaired
    script = tmp_path / "fixed.sh"
    script.write_bytes(after)
    job = cluster.held_job(script)
    assert job["NumTasks"] == "8" and job["NumNodes"] == "1", job
    assert job["CPUs/Task"] == "16", job
    assert "gres/gpu=8" in job.get("TRES", "") or "gpu:8" in job.get("TresPerNode", ""), job
