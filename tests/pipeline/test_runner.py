"""The per-file stage over a whole scan: worker processes, progress bar."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scriptkeeper.pipeline import runner
from scriptkeeper.pipeline.discover import discover
from scriptkeeper.rules.config import load_config
from tests.hook.repo import Repo
from tests.support.terminal import stderr_on_a_terminal

LAUNCHES = [
    "srun python train.py --lr {i}",
    "srun torchrun --nproc_per_node=2 train.py --seed {i}",
    "python -m model.train --epoch {i}",
    "accelerate launch --num_processes 2 train.py --x {i}",
]


def many(tmp_path: Path, count: int) -> Repo:
    """A repository of ``count`` varied job scripts, a few of them broken."""
    repo = Repo(tmp_path / "r")
    repo.write("model/train.py", "import torch\n")
    for i in range(count):
        gpus = (i % 4) * 2
        lines = ["#!/bin/bash", f"#SBATCH --job-name=j{i}", f"#SBATCH --nodes={1 + i % 2}",
                 f"#SBATCH --ntasks-per-node={max(gpus, 1)}", f"#SBATCH --time={10 + i}"]
        if gpus:
            lines.append(f"#SBATCH --gres=gpu:{gpus}")
        if i % 17 == 0:
            lines.append("#SBATCH --mem=4G --mem-per-cpu=1G")
        lines.append(LAUNCHES[i % len(LAUNCHES)].format(i=i))
        repo.write(f"jobs/j{i:04d}.slurm", "\n".join(lines) + "\n")
    repo.commit()
    return repo


def test_worker_processes_give_the_same_results_in_the_same_order(tmp_path: Path) -> None:
    repo = many(tmp_path, 240)
    found = discover([repo.path])
    config = load_config(None)
    alone = runner.analyze_all(found, config, use_cache=False, workers=1)
    shared = runner.analyze_all(found, config, use_cache=False, workers=2)
    assert [r.path for r in alone] == [c.path for c in found.scripts]
    assert shared == alone  # findings, verdicts, job models, launch steps, bytes
    assert any(r.verdict == "broken" for r in alone) and any(r.steps for r in alone)


def test_the_workers_send_no_job_models_and_the_parent_keeps_those_it_worked_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a cold scan's workers send entries without job models; grouping needs the models
    # of the duplicates (to say what differs), analysed again in the parent and then kept
    # in the cache, so that the next scan answers everything from it
    from scriptkeeper.cache import store as cache
    from scriptkeeper.pipeline import analyze
    from scriptkeeper.pipeline.scan import run_scan

    monkeypatch.delenv("SCRIPTKEEPER_NO_CACHE", raising=False)
    repo = many(tmp_path, 240)
    for i in (1, 2, 3):  # copies that are not byte-identical (of a broken one: a note)
        text = (repo.path / f"jobs/j{i:04d}.slurm").read_text()
        repo.write(f"jobs/j{i:04d}_copy.slurm", text.replace("\n", "\n# a copy\n", 1))
    repo.commit()
    monkeypatch.setattr(runner, "POOL_MIN", 10)
    truth = run_scan([repo.path], use_cache=False)
    cold = run_scan([repo.path])
    assert cold.as_json() == truth.as_json()
    copies = {r.path for r in cold.scripts if r.verdict == "redundant"}
    assert len(copies) >= 2 and all(p.endswith("_copy.slurm") for p in copies)
    store = cache.ResultCache.open(repo.path, True)
    kept = {path for path, entry in store.entries.items() if entry[5] is not None}
    assert copies <= kept and len(kept) < len(store.entries) // 2

    def no_analysis(*args: object) -> None:
        raise AssertionError("a warm scan analysed a script")

    monkeypatch.setattr(analyze, "analyze_script", no_analysis)
    warm = run_scan([repo.path])
    assert warm.as_json() == truth.as_json()
    assert [r.job for r in warm.scripts if r.path in copies] == \
        [r.job for r in truth.scripts if r.path in copies]


def _stderr_on_a_terminal(command: list[str], cwd: Path) -> str:
    code, err = stderr_on_a_terminal(command, cwd, {**os.environ, "SCRIPTKEEPER_NO_CACHE": "1",
                                                    "COLUMNS": "100", "TERM": "xterm"})
    assert code in (0, 1)
    return err


SCAN = [sys.executable, "-m", "scriptkeeper", "scan", "--format", "concise", "."]


@pytest.mark.parametrize("count,shown", [(runner.PROGRESS_MIN + 20, True),
                                         (runner.PROGRESS_MIN - 20, False)])
def test_a_progress_bar_on_a_terminal_for_large_scans(tmp_path: Path, count: int,
                                                      shown: bool) -> None:
    repo = many(tmp_path, count)
    err = _stderr_on_a_terminal(SCAN, repo.path)
    assert ("judging" in err and f"{count}/{count}" in err) is shown


def test_no_progress_bar_when_standard_error_is_not_a_terminal(tmp_path: Path) -> None:
    repo = many(tmp_path, runner.PROGRESS_MIN + 20)
    done = subprocess.run(SCAN, cwd=repo.path, capture_output=True, text=True, check=False,
                          env={**os.environ, "SCRIPTKEEPER_NO_CACHE": "1"})
    assert done.returncode == 1
    assert "judging" not in done.stderr
