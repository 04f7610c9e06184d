"""Redundancy tests judge fresh repositories: no result cache between runs."""

from __future__ import annotations

from .repo import _no_cache, repo_fixture

__all__ = ["_no_cache", "repo_fixture"]
