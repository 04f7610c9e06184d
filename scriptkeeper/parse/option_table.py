"""The sbatch option table of each SLURM release (parse stage).

Loaded from ``data/sbatch-options.tsv`` (sbatch's own options per release) and
``data/not-sbatch-options.tsv`` (options only srun or salloc accept). The
parser resolves every ``#SBATCH`` option through :func:`OptionTable.resolve`,
which reproduces GNU ``getopt_long``: exact names, unique prefixes, and
ambiguous prefixes.

The SLURM facts relied on here: docs/launch-contracts.md §1.5 and §1.6.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

NEWEST_RELEASE = "25.05"


@dataclass(frozen=True)
class OptionSpec:
    """One sbatch option: long name, short letter and how it takes a value."""

    long: str
    short: str | None
    argument: str  # "required", "optional" or "none"


@dataclass(frozen=True)
class Resolution:
    """The outcome of looking up a long option name the way getopt_long does."""

    spec: OptionSpec | None
    ambiguous: tuple[str, ...] = ()


def _data(name: str) -> str:
    folder = resources.files("scriptkeeper.parse").joinpath("data")
    return folder.joinpath(name).read_text(encoding="utf-8")


def _rows(name: str) -> list[list[str]]:
    rows = []
    lines = [ln for ln in _data(name).splitlines() if ln and not ln.startswith("#")]
    for line in lines[1:]:  # the first remaining line names the columns
        rows.append(line.split("\t"))
    return rows


def _version_key(release: str) -> tuple[int, ...]:
    return tuple(int(part) for part in release.split("."))


@functools.cache
def known_releases() -> tuple[str, ...]:
    releases: set[str] = set()
    for row in _rows("sbatch-options.tsv"):
        releases.update(row[3].split(","))
    return tuple(sorted(releases, key=_version_key))


def normalise_release(release: str | None) -> str:
    """Map a configured ``slurm_version`` to the table release it reads like.

    An exact table release is used as is; ``23.11.4`` reads as ``23.11``; a
    release between two table releases reads as the older one; one newer
    than the table as the newest.
    """
    releases = known_releases()
    if not release:
        return releases[-1]
    parts = release.split(".")
    try:
        key = tuple(int(p) for p in parts[:2])
    except ValueError:
        return releases[-1]
    chosen = releases[0]
    for candidate in releases:
        if _version_key(candidate) <= key:
            chosen = candidate
    return chosen


class OptionTable:
    """sbatch's options of one release, with getopt_long lookups."""

    def __init__(self, release: str | None = None, plugin_options: tuple[str, ...] = ()) -> None:
        self.release = normalise_release(release)
        self.by_long: dict[str, OptionSpec] = {}
        self.by_short: dict[str, OptionSpec] = {}
        for long, short, argument, releases in _rows("sbatch-options.tsv"):
            if self.release not in releases.split(","):
                continue
            arg = argument
            if ":" in argument:  # per-release form "22.05:optional;25.05:none"
                per = dict(item.split(":") for item in argument.split(";"))
                arg = per.get(self.release, "required")
            spec = OptionSpec(long, short or None, arg)
            self.by_long[long] = spec
            if short:
                self.by_short[short] = spec
        for name in plugin_options:  # SPANK options join getopt's table
            self.by_long.setdefault(name, OptionSpec(name, None, "required"))
        self.other_programs: dict[str, str] = {}
        self.other_short: dict[str, str] = {}
        for long, short, programs in _rows("not-sbatch-options.tsv"):
            self.other_programs[long] = programs.replace(",", " and ")
            if short and short not in self.by_short:
                self.other_short[short] = programs.replace(",", " and ")
        self._names = sorted(self.by_long)
        self._resolved: dict[str, Resolution] = {}

    def resolve(self, name: str) -> Resolution:
        """Resolve a long option name (without ``--``) as getopt_long does."""
        found = self._resolved.get(name)
        if found is None:
            found = self._resolved[name] = self._resolve(name)
        return found

    def _resolve(self, name: str) -> Resolution:
        exact = self.by_long.get(name)
        if exact is not None:
            return Resolution(exact)
        matches = [n for n in self._names if n.startswith(name)]
        if len(matches) == 1:
            return Resolution(self.by_long[matches[0]])
        if len(matches) > 1:
            return Resolution(None, tuple(matches))
        return Resolution(None)

    def program_for(self, name: str) -> str | None:
        """Which program takes an option sbatch does not know, if any."""
        if name in self.other_programs:
            return self.other_programs[name]
        matches = [n for n in self.other_programs if n.startswith(name)]
        if len(matches) == 1:
            return self.other_programs[matches[0]]
        return None


@functools.cache
def option_table(release: str | None = None, plugin_options: tuple[str, ...] = ()) -> OptionTable:
    return OptionTable(release, plugin_options)


# SPANK plugin options that sites commonly add to sbatch, and their plugin.
WELL_KNOWN_PLUGIN_OPTIONS: dict[str, str] = {
    "container-image": "pyxis",
    "container-mounts": "pyxis",
    "container-workdir": "pyxis",
    "container-name": "pyxis",
    "container-save": "pyxis",
    "container-mount-home": "pyxis",
    "no-container-mount-home": "pyxis",
    "container-remap-root": "pyxis",
    "no-container-remap-root": "pyxis",
    "container-entrypoint": "pyxis",
    "no-container-entrypoint": "pyxis",
    "container-env": "pyxis",
    "container-writable": "pyxis",
    "container-readonly": "pyxis",
    "image": "shifter",
    "module": "shifter",
    "volume": "shifter",
}
