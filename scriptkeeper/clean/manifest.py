"""``MANIFEST.yaml``: what a backup holds, and the journal of its moves (clean stage).

Written first, before any file moves: per file the original path, where it
is kept in the backup, sha256, size, type (file or symlink), git status
(and the blobs HEAD and the index had for it, so a restore puts git back as
it was too), verdict, reason, findings and keeper, and its ``state``. Each move appends one
journal line (``- [INDEX, STATE]``) with a single ``write``, so a kill at any
point leaves a manifest that still reads; a last line cut short is dropped
on reading. When all files have moved the manifest is rewritten once,
atomically, with the final states (that version is the one committed).

Reading is strict: an unknown layout, a bad hash or an unsafe path (absolute,
``..``, empty components) is a :class:`ManifestError`, so ``restore`` refuses
before it writes anything.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scriptkeeper.clean import fsutil
from scriptkeeper.clean.paths import UnsafePath, check_relative

NAME = "MANIFEST.yaml"
FORMAT = 1
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_BLOB = re.compile(r"^(100644|100755|120000) ([0-9a-f]{40}|[0-9a-f]{64})$")
GIT_STATES = ("tracked", "staged", "untracked", "none")
STATES = ("planned", "moving", "moved", "restoring", "restored")
_HEADER = (
    "# scriptkeeper backup manifest: every file this folder holds, where it came\n"
    "# from and why it was moved. 'scriptkeeper restore <this folder>' puts them all\n"
    "# back byte-identical. 'state' says where a file is: planned (still in place),\n"
    "# moved (here), restored (back in place).\n"
)


class ManifestError(ValueError):
    """A manifest that cannot be trusted; nothing is done with it."""


@dataclass
class Entry:
    path: str  # original path, POSIX, relative to the repository root
    stored: str  # path inside the backup folder
    sha256: str
    size: int
    type: str  # fsutil.FILE or fsutil.SYMLINK
    git: str  # tracked (in HEAD), staged (only in the index), untracked, none (no git)
    verdict: str
    reason: str = ""  # one line: the first error, or what it is redundant of
    keeper: str | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)
    state: str = "planned"
    head: str | None = None  # "MODE SHA" of the original in HEAD at clean time
    index: str | None = None  # "MODE SHA" of the original in the index at clean time

    def as_yaml(self) -> dict[str, Any]:
        return {"path": self.path, "stored": self.stored, "sha256": self.sha256,
                "size": self.size, "type": self.type, "git": self.git,
                "verdict": self.verdict, "reason": self.reason, "keeper": self.keeper,
                "findings": self.findings, "state": self.state, "head": self.head,
                "index": self.index}


@dataclass
class Manifest:
    backup: str  # the backup folder, relative to the repository root
    created: str
    tool: str
    commit: bool
    files: list[Entry]
    status: str = "moving"  # moving while files move, complete after
    operation: str = "clean"

    def dump(self) -> bytes:
        body = {"scriptkeeper": self.tool, "format": FORMAT, "operation": self.operation,
                "created": self.created, "backup": self.backup, "commit": self.commit,
                "status": self.status, "files": [e.as_yaml() for e in self.files]}
        text = yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=100,
                              default_flow_style=False)
        return (_HEADER + text).encode("utf-8")

    def write(self, folder: Path, label: str) -> None:
        fsutil.atomic_write(folder / NAME, self.dump(), label)

    @staticmethod
    def open_journal(folder: Path) -> None:
        """Start the journal section (once: a resumed run continues the same one)."""
        path = folder / NAME
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            # a line a crash cut short: drop it before appending after it
            data = data[: data.rfind(b"\n") + 1]
            os.truncate(path, len(data))
        if not data.startswith(b"journal:\n") and b"\njournal:\n" not in data:
            fsutil.append(path, b"journal:\n", durable=True)

    @staticmethod
    def journal(folder: Path, index: int, state: str, durable: bool = False) -> None:
        fsutil.append(folder / NAME, f"- [{index}, {state}]\n".encode(), durable)


def _load_text(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        if not text.endswith("\n") and "\n" in text:
            # a journal line cut short by a crash: drop it
            return _load_text(text[: text.rindex("\n") + 1])
        raise ManifestError(f"not valid YAML: {error}") from error


def _need(raw: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in raw:
        raise ManifestError(f"{where}: missing '{key}'")
    value = raw[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ManifestError(f"{where}: '{key}' has the wrong type ({type(value).__name__})")
    return value


def parse(data: bytes, source: str = NAME) -> Manifest:
    """Read and check a manifest; every path in it must be a safe relative path."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ManifestError(f"{source}: not UTF-8") from error
    raw = _load_text(text)
    if not isinstance(raw, dict):
        raise ManifestError(f"{source}: not a scriptkeeper manifest")
    if raw.get("format") != FORMAT:
        raise ManifestError(f"{source}: unknown manifest format {raw.get('format')!r}")
    try:
        backup = check_relative(_need(raw, "backup", str, source), "backup folder")
        files_raw = _need(raw, "files", list, source)
        entries: list[Entry] = []
        seen_paths: set[str] = set()
        seen_stored: set[str] = set()
        for number, item in enumerate(files_raw):
            where = f"{source}: file {number + 1}"
            if not isinstance(item, dict):
                raise ManifestError(f"{where}: not a mapping")
            path = check_relative(_need(item, "path", str, where), "original path")
            stored = check_relative(_need(item, "stored", str, where), "stored path")
            if stored == NAME:
                raise ManifestError(f"{where}: stored path collides with the manifest")
            digest = _need(item, "sha256", str, where)
            if not _HEX64.match(digest):
                raise ManifestError(f"{where}: sha256 is not 64 hex digits")
            kind = _need(item, "type", str, where)
            if kind not in (fsutil.FILE, fsutil.SYMLINK):
                raise ManifestError(f"{where}: type must be file or symlink")
            git_state = _need(item, "git", str, where)
            if git_state not in GIT_STATES:
                raise ManifestError(f"{where}: git must be one of {', '.join(GIT_STATES)}")
            state = _need(item, "state", str, where)
            if state not in STATES:
                raise ManifestError(f"{where}: unknown state {state!r}")
            if path in seen_paths or stored in seen_stored:
                raise ManifestError(f"{where}: {path!r} is listed twice")
            blobs = []
            for key in ("head", "index"):
                value = item.get(key)
                if value is not None and (not isinstance(value, str)
                                          or not _BLOB.match(value)):
                    raise ManifestError(f"{where}: '{key}' must be 'MODE SHA'")
                blobs.append(value)
            seen_paths.add(path)
            seen_stored.add(stored)
            keeper = item.get("keeper")
            findings = item.get("findings") or []
            entries.append(Entry(
                path=path, stored=stored, sha256=digest, size=_need(item, "size", int, where),
                type=kind, git=git_state, verdict=str(item.get("verdict", "")),
                reason=str(item.get("reason") or ""),
                keeper=keeper if isinstance(keeper, str) else None,
                findings=findings if isinstance(findings, list) else [], state=state,
                head=blobs[0], index=blobs[1]))
    except UnsafePath as error:
        raise ManifestError(f"{source}: {error}") from error
    manifest = Manifest(
        backup=backup, created=str(raw.get("created", "")), tool=str(raw.get("scriptkeeper")),
        commit=bool(raw.get("commit", False)), files=entries,
        status=str(raw.get("status", "moving")), operation=str(raw.get("operation", "clean")))
    journal = raw.get("journal") or []
    if not isinstance(journal, list):
        raise ManifestError(f"{source}: journal must be a list")
    for line in journal:
        if (not isinstance(line, list) or len(line) != 2 or not isinstance(line[0], int)
                or not 0 <= line[0] < len(entries) or line[1] not in STATES):
            raise ManifestError(f"{source}: bad journal line {line!r}")
        entries[line[0]].state = line[1]
    return manifest


def read(folder: Path) -> Manifest:
    path = folder / NAME
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ManifestError(f"cannot read {path}: {error.strerror}") from error
    return parse(data, str(path))
