"""Redundancy tests judge fresh repositories: no result cache between runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from .repo import Repo


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRIPTKEEPER_NO_CACHE", "1")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "work")
