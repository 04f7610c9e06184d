"""Redundancy across scripts (group stage): duplicates and superseded versions.

:func:`apply` marks a script ``redundant`` when another, kept script is the
same job (the same canonical signature, :mod:`.signature`) or a newer
version of it (the same family and kind of job, :mod:`.family`,
:mod:`.kind`), and names that keeper in ``redundant_of``. Broken wins: a
broken script keeps its verdict and gets a note instead. The modules:

- ``body``: the canonical text of a script's body;
- ``signature``: normalised resources + body -> a digest;
- ``family``: a file name without its version and status markers;
- ``kind``: the shape of the allocation and the launch steps;
- ``file_dates``: first and last change dates (one ``git log``);
- ``group``: buckets, keepers, verdicts; ``explain``: the reasons.

Which scripts are pinned (never redundant) is :mod:`scriptkeeper.rules.pins`,
the same answer ``clean`` uses for never moved.

Rendering is the report stage's: ``report/family_tree`` and ``report/keeper_diff``.
"""

from __future__ import annotations

from pathlib import Path

from scriptkeeper.records import ScriptResult
from scriptkeeper.rules.config import Config


def apply(results: list[ScriptResult], config: Config, root: Path, in_git: bool) -> None:
    """Mark redundant scripts among ``results`` (in place)."""
    from scriptkeeper.redundancy.group import run
    from scriptkeeper.rules.pins import Pins

    run(results, config.redundancy, Pins.of(config, root), root, in_git, config.slurm_version,
        config.plugin_options)
