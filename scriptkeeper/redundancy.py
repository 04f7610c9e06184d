"""Redundancy across scripts (group stage). PLACEHOLDER until the redundancy issue lands."""

from __future__ import annotations

from pathlib import Path

from .analyze import ScriptResult
from .config import Config


def apply(results: list[ScriptResult], config: Config, root: Path, in_git: bool) -> None:
    """Mark redundant scripts; this placeholder marks none."""
