"""Lightning DDP shapes run for real on the SLURM cluster: scriptkeeper must agree.

Each job trains a tiny model with Lightning on CPU, ``devices`` standing in
for the GPUs the job sees. The observed run (world size, processes, error,
hang) decides which rule scriptkeeper must report; see ``outcome.py``.
"""

from __future__ import annotations

import pytest

from .compare import check
from .observe import JobRun
from .shapes import LIGHTNING_SHAPES

pytestmark = [pytest.mark.slurm, pytest.mark.oracle]


@pytest.mark.parametrize("name", [shape.name for shape in LIGHTNING_SHAPES])
def test_verdict_matches_real_lightning_run(name: str, oracle_runs: dict[str, JobRun]) -> None:
    check("lightning", oracle_runs[name])
