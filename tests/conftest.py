"""Test-suite settings: the SLURM and oracle tiers must run in CI, never skip there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "navsim-workspace"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Outside CI a SLURM test may skip when no cluster can be had; in CI it fails."""
    del config, items


@pytest.fixture(scope="session")
def slurm_cluster() -> None:
    """Start (or reuse) the local SLURM cluster; skip outside CI if impossible."""
    from tests.support import slurm

    try:
        slurm.ensure_cluster()
    except Exception as error:  # noqa: BLE001 - any failure to start is reported the same way
        if in_ci():
            pytest.fail(f"the SLURM cluster is required in CI and could not start: {error}")
        pytest.skip(f"no local SLURM cluster: {error}")
