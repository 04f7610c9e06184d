"""Pinned scripts: rules.yaml ``redundancy.pin`` (judge stage, read by grouping and clean).

One answer for both stages: a pinned script is never redundant (grouping)
and never moved (``clean``); it may still be the keeper of others, and it
is still judged broken if it is. Patterns are gitignore patterns relative to
the folder of the rules.yaml that sets them, as ``scripts.include`` and
``scripts.exclude`` are: ``jobs/x.slurm`` is that file, ``*.slurm`` or
``x.slurm`` matches at any depth below that folder, ``jobs/`` everything
under it, ``/x.slurm`` only beside the rules.yaml. A script outside that
folder is never pinned. With ``--config`` outside the repository the
patterns are relative to the repository root.
"""

from __future__ import annotations

from pathlib import Path

from scriptkeeper.rules.config import Config


class Pins:
    """Which repository-relative (POSIX) paths rules.yaml pins; call it with a path."""

    def __init__(self, patterns: tuple[str, ...], root: Path, base: Path | None) -> None:
        self.prefix = ""  # the rules.yaml folder, relative to the root, with a trailing /
        if base is not None and base != root:
            try:
                self.prefix = base.relative_to(root).as_posix() + "/"
            except ValueError:
                self.prefix = ""
        self.spec = None
        if patterns:
            import pathspec  # only when something is pinned: not on every start

            self.spec = pathspec.GitIgnoreSpec.from_lines(patterns)

    @classmethod
    def of(cls, config: Config, root: Path) -> Pins:
        return cls(config.redundancy.pin, root, config.base)

    def __call__(self, path: str) -> bool:
        if self.spec is None or not path.startswith(self.prefix):
            return False
        return bool(self.spec.match_file(path[len(self.prefix):]))
