"""torchrun under srun on the SLURM cluster (CPU, gloo): scriptkeeper must agree.

srun starts one torchrun agent per task; each agent starts
``--nproc_per_node`` workers. The observed workers, worlds and failing
agents decide which rule scriptkeeper must report; see ``outcome.py``.
"""

from __future__ import annotations

import pytest

from .compare import check
from .observe import JobRun
from .shapes import TORCHRUN_SHAPES

pytestmark = [pytest.mark.slurm, pytest.mark.oracle]


@pytest.mark.parametrize("name", [shape.name for shape in TORCHRUN_SHAPES])
def test_verdict_matches_real_torchrun_run(name: str, oracle_runs: dict[str, JobRun]) -> None:
    check("torchrun", oracle_runs[name])
