"""Pinned scripts: rules.yaml ``redundancy.pin`` (group stage).

Patterns in gitignore syntax, relative to the folder of the rules.yaml that
sets them. A pinned script is never redundant (and ``clean`` never moves
it); it may still be the keeper of others, and it is still judged broken if
it is.
"""

from __future__ import annotations

from pathlib import Path

from scriptkeeper.rules.config import Config


class Pins:
    """Which repository-relative paths rules.yaml pins."""

    def __init__(self, patterns: tuple[str, ...], root: Path, base: Path | None) -> None:
        self.prefix = ""
        if base is not None and base != root:
            try:
                self.prefix = base.relative_to(root).as_posix() + "/"
            except ValueError:
                self.prefix = ""
        self.spec = None
        if patterns:
            import pathspec

            self.spec = pathspec.GitIgnoreSpec.from_lines(patterns)

    def __call__(self, path: str) -> bool:
        if self.spec is None or not path.startswith(self.prefix):
            return False
        return bool(self.spec.match_file(path[len(self.prefix):]))


def pins(config: Config, root: Path) -> Pins:
    return Pins(config.redundancy.pin, root, config.base)
