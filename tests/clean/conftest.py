"""Fixtures of the clean/restore tests: the example workspace in a fresh git repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from .support import copy_example


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """``examples/navsim-workspace`` copied into a new git repository and committed."""
    return copy_example(tmp_path / "navsim-workspace")
