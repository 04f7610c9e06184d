"""The two ways a clean or restore stops early (shared by the clean stage)."""

from __future__ import annotations


class Refused(Exception):
    """The operation will not run; nothing was changed."""


class Failed(Exception):
    """The operation failed part-way; what it had changed was rolled back."""
