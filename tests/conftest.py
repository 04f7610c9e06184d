"""Test-suite settings: the SLURM and oracle tiers must run in CI, never skip there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "navsim-workspace"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """In CI no test may skip: a skip there hides a tier that must run."""
    outcome = yield
    report = outcome.get_result()
    if in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which must run every test: {report.longrepr}"


def pytest_configure(config: pytest.Config) -> None:
    """Every SLURM command of the session goes to the suite's own cluster.

    SLURM_CONF is set before any test runs, so sbatch/scontrol/sinfo/squeue/srun
    started by tests, by their helpers or by scriptkeeper itself reach the cluster
    of .ci/slurm/setup.sh, never another one running on the machine.
    """
    from tests.support import slurm

    slurm.use_suite_cluster()


@pytest.fixture(scope="session")
def slurm_cluster() -> None:
    """Start (or reuse) the suite's SLURM cluster; skip outside CI if impossible.

    A cluster the suite did not start in its way fails the test, in CI or not.
    """
    from tests.support import slurm

    try:
        slurm.ensure_cluster()
    except slurm.ForeignCluster as error:
        pytest.fail(f"the suite's SLURM cluster is blocked by one it did not start: {error}",
                    pytrace=False)
    except Exception as error:
        if in_ci():
            pytest.fail(f"the SLURM cluster is required in CI and could not start: {error}")
        pytest.skip(f"no local SLURM cluster: {error}")
