"""Script families: file names once version and status markers are removed (group stage).

``train.slurm``, ``train_v2.slurm``, ``train-v3.slurm``, ``train_fixed.slurm``,
``train (copy).slurm``, ``train.slurm.bak`` and ``train_2024-03-01.slurm``
are one family, ``train``, in their folder. Only whole trailing parts
separated by ``_ - .`` or a space (or in parentheses) are markers, so names
that differ by a value (``sweep_lr_0.001``, ``sweep_lr_0.01``) stay apart.
The markers are regular expressions from rules.yaml ``redundancy.markers``.

A name also says how new it is when dates cannot: its version number
(``v3``), a date in the name, and a few stale markers (``old``, ``orig``,
``bak``, ``backup``) that name an earlier version.
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass

SCRIPT_EXTENSIONS = (".slurm", ".sbatch", ".sh", ".bash", ".job")
_SEP = r"[ _.\-]"
_STALE = frozenset({"old", "orig", "bak", "backup"})
_VERSION = re.compile(r"v(\d+)", re.IGNORECASE)
_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")


@dataclass(frozen=True)
class Name:
    """What a script's file name says about its family and its age."""

    folder: str
    stem: str  # the name without markers and extension
    extension: str
    markers: tuple[str, ...]  # as written, last first
    version: int
    date: str  # YYYYMMDD of a date marker, or ""

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
    def rank(self) -> tuple[int, str, int]:
        """How new the name says it is: version, date, then not stale."""
        stale = any(m.lower() in _STALE for m in self.markers)
        return (self.version, self.date, 0 if stale else 1)


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


_last: tuple[tuple[str, ...] | None, re.Pattern[str]] = (None, re.compile("(?!)"))
_EXTENSIONS = frozenset(SCRIPT_EXTENSIONS)


def _remember_markers(markers: tuple[str, ...]) -> re.Pattern[str]:
    """The pattern of ``markers``, kept for the next call with the same tuple (one scan)."""
    global _last
    _last = (markers, _trailing(markers))
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


def split_name(path: str, markers: tuple[str, ...]) -> Name:
    """The family, markers and version of the script at ``path``."""
    folder, _, name = path.rpartition("/")
    folder = sys.intern(folder)  # shared by the scripts of one folder
    pattern = _last[1] if markers is _last[0] else _remember_markers(markers)
    found: list[str] = []
    extension = ""
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
        found.append(marker if marker is not None else "copy")
        name = match.group("rest")
    version = 0
    date = ""
    for marker in found:
        v = _VERSION.fullmatch(marker)
        if v and not version:
            version = int(v.group(1))
        d = _DATE.fullmatch(marker)
        if d and not date:
            date = "".join(d.groups())
    return Name(folder, name, extension, tuple(found), version, date)


NO_NAME = Name("", "", "", (), 0, "")
