"""Script families: file names once version and status markers are removed (group stage).

``train.slurm``, ``train_v2.slurm``, ``train-v3.slurm``, ``train_fixed.slurm``,
``train (copy).slurm``, ``train.slurm.bak`` and ``train_2024-03-01.slurm``
are one family, ``train``, in their folder. Only whole trailing parts
separated by ``_ - .`` or a space (or in parentheses) are markers, so names
that differ by a value (``sweep_lr_0.001``, ``sweep_lr_0.01``) stay apart.
The markers are regular expressions from the table of rules.yaml
``redundancy.markers`` (:class:`MarkerTable`), in classes: versions, dates,
``newer`` (``fixed``, ``final``: outrank their base), ``older`` (``old``,
``bak``: lose to it), and ``not_versions``: hardware names such as ``v100``
or ``a100`` that look like a marker but name the job (``evaluate_v100`` is
the V100 job, not version 100), where the markers stop.

A name also says how new it is (:attr:`Name.rank`): its standing (older
marker, none, newer marker), its version number (``v3``), a date in it.
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass

SCRIPT_EXTENSIONS = (".slurm", ".sbatch", ".sh", ".bash", ".job")
_SEP = r"[ _.\-]"
_NUMBER = re.compile(r"\d+")
_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")


def _either(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns) or "(?!)", re.IGNORECASE)


@dataclass(frozen=True)
class MarkerTable:
    """rules.yaml ``redundancy.markers``: which trailing name parts are markers, and what
    each class says. Every pattern is a regular expression matched against a whole part."""

    version: tuple[str, ...] = ()
    date: tuple[str, ...] = ()
    newer: tuple[str, ...] = ()
    older: tuple[str, ...] = ()
    other: tuple[str, ...] = ()  # markers that say nothing of age (a legacy list's)
    not_versions: tuple[str, ...] = ()

    @property
    def patterns(self) -> tuple[str, ...]:
        return (*self.version, *self.date, *self.newer, *self.older, *self.other)

    @functools.cached_property
    def _classes(self) -> tuple[re.Pattern[str], ...]:
        return (_either(self.version), _either(self.date), _either(self.newer),
                _either(self.older), _either(self.not_versions))

    def standing(self, marker: str) -> int:
        """+1 for a newer marker, -1 for an older one, 0 otherwise."""
        _, _, newer, older, _ = self._classes
        return 1 if newer.fullmatch(marker) else -1 if older.fullmatch(marker) else 0

    def is_version(self, marker: str) -> bool:
        return self._classes[0].fullmatch(marker) is not None

    def is_date(self, marker: str) -> bool:
        return self._classes[1].fullmatch(marker) is not None

    def not_a_marker(self, marker: str) -> bool:
        """A hardware name (``v100``, ``a100``): part of the family's name, never a marker."""
        return self._classes[4].fullmatch(marker) is not None

    def extended(self, **more: tuple[str, ...]) -> MarkerTable:
        """This table with ``more`` patterns added to their classes (a team's rules.yaml)."""
        return MarkerTable(**{name: (*getattr(self, name), *more.get(name, ()))
                              for name in ("version", "date", "newer", "older", "other",
                                           "not_versions")})

    @staticmethod
    def of(patterns: tuple[str, ...], classes: MarkerTable | None = None) -> MarkerTable:
        """A legacy flat list of patterns, each put in its class of ``classes`` (if it is one
        of its patterns), else a marker that says nothing of age."""
        base = classes or MarkerTable()
        placed: dict[str, list[str]] = {n: [] for n in ("version", "date", "newer", "older",
                                                         "other")}
        for p in patterns:
            home = next((n for n in ("version", "date", "newer", "older")
                         if p in getattr(base, n)), "other")
            placed[home].append(p)
        return MarkerTable(**{n: tuple(v) for n, v in placed.items()},
                           not_versions=base.not_versions)


@dataclass(frozen=True)
class Name:
    """What a script's file name says about its family and its age."""

    folder: str
    stem: str  # the name without markers and extension
    extension: str
    markers: tuple[str, ...]  # as written, last first
    version: int
    date: str  # YYYYMMDD of a date marker, or ""
    standing: int = 0  # +1: a newer marker (fixed, final), -1: an older one (old, bak), 0: none

    @property
    def family(self) -> str:
        """The family's display name: folder/stem.extension."""
        return (self.folder + "/" if self.folder else "") + self.stem + self.extension

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.folder, self.stem, self.extension.lower())

    @property
    def marked(self) -> bool:
        return bool(self.markers)

    @property
    def rank(self) -> tuple[int, int, str]:
        """How new the name says it is: standing, version, date."""
        return (self.standing, self.version, self.date)


@functools.lru_cache(maxsize=16)
def _trailing(markers: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(f"(?:{m})" for m in markers) or "(?!)"
    return re.compile(
        rf"^(?P<rest>.+?)(?:"
        rf"{_SEP}*\(\s*(?P<p>{alternatives})(?:\s+\d+)?\s*\)"  # " (copy)", "(copy 2)"
        rf"|{_SEP}*\((?P<n>\d+)\)"  # " (1)": a downloaded or pasted copy
        rf"|{_SEP}+(?P<m>{alternatives})(?:\s\d+)?"  # "_v2", "-old", ".bak", " copy 2"
        rf"|(?P<t>~)"  # an editor's backup
        rf")$",
        re.IGNORECASE)


_last: tuple[MarkerTable | None, re.Pattern[str]] = (None, re.compile("(?!)"))
_EXTENSIONS = frozenset(SCRIPT_EXTENSIONS)


def _remember_markers(markers: MarkerTable) -> re.Pattern[str]:
    """The pattern of ``markers``, kept for the next call with the same table (one scan)."""
    global _last
    _last = (markers, _trailing(markers.patterns))
    return _last[1]


def _extension(name: str) -> int:
    """The length of the script extension ``name`` ends with, in any case (0: none).

    Every extension is one dot and letters, so it is what follows the last dot.
    """
    lowered = name.lower()
    dot = lowered.rfind(".")
    if dot < 0 or lowered[dot:] not in _EXTENSIONS:
        return 0
    size = len(lowered) - dot
    return size if len(name) > size else 0


def split_name(path: str, markers: MarkerTable | tuple[str, ...]) -> Name:
    """The family, markers and version of the script at ``path`` (``markers``: the table, or
    a flat list of patterns)."""
    if isinstance(markers, tuple):
        markers = _flat(markers)
    folder, _, name = path.rpartition("/")
    folder = sys.intern(folder)  # shared by the scripts of one folder
    pattern = _last[1] if markers is _last[0] else _remember_markers(markers)
    found: list[str] = []
    extension = ""
    standing = 0
    while True:
        if not extension:
            ext = _extension(name)
            if ext:
                extension = name[-ext:]
                name = name[:-ext]
                continue
        match = pattern.match(name)
        if match is None:
            break
        marker = match.group("p") or match.group("m") or match.group("t")
        if marker is not None and markers.not_a_marker(marker):
            break  # train_v100.slurm: the V100 job, not version 100
        found.append(marker if marker is not None else "copy")
        if marker is None:
            standing = standing or -1  # " (1)" or "~": a pasted copy or an editor's backup
        name = match.group("rest")
    version = 0
    date = ""
    for marker in found:
        if not version and markers.is_version(marker):
            number = _NUMBER.search(marker)
            version = int(number.group()) if number else 0
        d = _DATE.fullmatch(marker)
        if d and not date and markers.is_date(marker):
            date = "".join(d.groups())
        # the last-written class decides: train_fixed_old.slurm is an old copy
        standing = standing or markers.standing(marker)
    return Name(folder, name, extension, tuple(found), version, date, standing)


@functools.lru_cache(maxsize=16)
def _flat(patterns: tuple[str, ...]) -> MarkerTable:
    from scriptkeeper.rules.config import builtin_markers

    return MarkerTable.of(patterns, builtin_markers())


NO_NAME = Name("", "", "", (), 0, "")
