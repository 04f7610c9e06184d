"""The result cache: skip the per-file stage for scripts judged before (between analyze and group).

Like ruff's cache, it lives in ``.scriptkeeper_cache/`` at the root (which
ignores itself with its own ``.gitignore``) and keys each script's result
by the file's content hash, the configuration (``config.digest`` and the
folder of the rules.yaml) and the tool (version, source files of the
package, field layout of the stored classes).

What is stored is the per-file result before redundancy: verdict, findings,
the redundancy grouping keys, the job model and the launch steps (grouping is
across files, so it is recomputed every run from these), one entry a script
(``scriptkeeper.cache.entry``). It is JSON, never pickle, so a planted cache
cannot run code. The job models and steps, which a warm scan seldom needs,
live apart in ``details.json`` (the JSON texts one after the other, each
entry naming its offset and length), read and checked only when one is
first needed.

A script's result can depend on other files of the repository: the entry
point it runs, the pins giving a framework version, whether a file exists.
Two things in the header cover that, and when either changed the whole cache
is dropped:

- the file set: a hash of the paths of the repository's files (``git
  ls-files``: tracked and untracked, less the deleted; a walk outside git),
  so that a file appearing or disappearing (an entry point, a
  requirements.txt) counts, while staging or editing one does not;
- the files the analysis read: every file under the root opened while
  scripts were judged (recorded with an audit hook on ``open``), with its
  size and modification time when first opened. This holds even when the
  analysis memoises what it read across scripts.

Not covered: a file the analysis only checks for and that git ignores (not in
the file list) appearing later, and an edit that keeps both size and
modification time. ``--no-cache`` (or ``SCRIPTKEEPER_NO_CACHE=1``) skips the
cache. A corrupt, truncated or foreign cache (other format, other tool
build, checksum mismatch) is discarded, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from typing import Any

from scriptkeeper import __version__
from scriptkeeper.cache import entry as cacheentry
from scriptkeeper.pipeline.discover import file_set, git_listing, present_files
from scriptkeeper.records import Detail, ScriptResult
from scriptkeeper.rules.config import Config

CACHE_DIR = ".scriptkeeper_cache"
CACHE_FILE = "results.json"
DETAILS_FILE = "details.json"
FORMAT = 5  # 5: findings carry their autofix
MAX_BYTES = 1 << 30
_GITIGNORE = "# Automatically created by scriptkeeper.\n*\n"
_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
        "# This file is a cache directory tag created by scriptkeeper.\n")


def disabled_by_environment() -> bool:
    return os.environ.get("SCRIPTKEEPER_NO_CACHE", "") not in ("", "0")


def tool_key() -> str:
    """Version, entry layout and the package's own files: any change is a new cache.

    The stored classes are the package's own: a change to one changes a file here.
    """
    package = Path(__file__).resolve().parent.parent
    parts = [__version__, str(FORMAT)]
    for folder, dirs, names in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith((".py", ".yaml", ".tsv", *EXTENSION_SUFFIXES)):
                stat = os.stat(os.path.join(folder, name))
                parts.append(f"{os.path.relpath(os.path.join(folder, name), package)}:"
                             f"{stat.st_size}:{stat.st_mtime_ns}")
    parts.extend(_compiled_library())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _compiled_library() -> list[str]:
    """The shared library of the modules mypyc compiled, if they are (pyproject.toml).

    The compiled modules in the package are small stubs; their code is in one
    library beside the package, loaded with the first of them.
    """
    # one of the compiled modules: importing it loads the library
    from scriptkeeper.pipeline import fsview  # noqa: F401

    found = []
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if (name.endswith("__mypyc") and file
                and hasattr(module, "init_scriptkeeper___pipeline___fsview")):
            stat = os.stat(file)
            found.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}")
    return found


def config_key(config: Config) -> str:
    return f"{config.digest}:{config.base or ''}"


def _file_list(root: Path, in_git: bool) -> tuple[str, set[str]]:
    """A hash of the paths of the repository's files, and those paths (see the docstring).

    Only existence counts: staging a file or changing it does not change the hash.
    """
    names: set[str] = set()
    listed = git_listing(root) if in_git else None
    if listed is not None:
        names = present_files(listed)
    else:
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d not in (".git", CACHE_DIR)]
            rel = os.path.relpath(folder, root).replace(os.sep, "/")
            names.update(name if rel == "." else f"{rel}/{name}" for name in files)
    return file_set(names)


def entry_for(result: ScriptResult, data: bytes, config: Config,
              detail: bool = True) -> cacheentry.Entry:
    """``result``'s cache entry for these bytes under this configuration; EntryError if the
    cache cannot hold it exactly."""
    return cacheentry.encode(result, hashlib.sha256(data).hexdigest(), config_key(config),
                             detail)


def reanalysis(root: Path, path: str, data: bytes, config: Config) -> Callable[[], Detail]:
    """What gives a cached result its job model and steps if the stored ones are damaged."""
    def again() -> Detail:
        from scriptkeeper.pipeline.analyze import analyze_script
        from scriptkeeper.rules.config import ConfigError

        try:
            result = analyze_script(root, path, data, config)
        except ConfigError:
            raise
        except Exception:  # outside the runner's guard: a model not known, not a crash
            return None, []
        return result.job, result.steps

    return again


def _fingerprint(path: str) -> list[int]:
    try:
        stat = os.stat(path)
    except OSError:
        return [-1, -1]
    return [stat.st_size, stat.st_mtime_ns]


class _ReadRecorder:
    """Files under ``root`` opened for reading while recording, with their fingerprint."""

    def __init__(self, root: Path, skip: Path) -> None:
        self.root = str(root) + os.sep
        self.skip = str(skip) + os.sep
        self.seen: dict[str, list[int]] = {}

    def opened(self, path: Any, mode: Any, flags: Any) -> None:
        if isinstance(path, int):
            return
        if isinstance(mode, str) and any(c in mode for c in "wax+"):
            return
        if isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR):
            return
        try:
            full = os.path.abspath(os.fsdecode(path))
        except (TypeError, ValueError):
            return
        if full.startswith(self.root) and not full.startswith(self.skip):
            rel = full[len(self.root):].replace(os.sep, "/")
            if rel not in self.seen:
                self.seen[rel] = _fingerprint(full)


_RECORDER: _ReadRecorder | None = None
_HOOKED = False
# Every file read under each root by this process. The analysis memoises what it
# read (entry points, pins) for the life of the process, so a later scan in the
# same process may use a file without opening it again: it still depends on it.
_EVER_READ: dict[str, set[str]] = {}


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "open" and _RECORDER is not None:
        _RECORDER.opened(*args[:3])


@contextmanager
def recording(root: Path) -> Iterator[dict[str, list[int]]]:
    """Record the files under ``root`` that the code inside opens for reading."""
    global _RECORDER, _HOOKED
    if not _HOOKED:
        sys.addaudithook(_audit)  # cannot be removed; costs one check per event when idle
        _HOOKED = True
    recorder = _ReadRecorder(root.resolve(), root.resolve() / CACHE_DIR)
    previous, _RECORDER = _RECORDER, recorder
    try:
        yield recorder.seen
    finally:
        _RECORDER = previous
        _EVER_READ.setdefault(str(root.resolve()), set()).update(recorder.seen)


class _Details:
    """The details file of a loaded cache: read, and checked against its checksum, on first use."""

    def __init__(self, path: Path, checksum: object) -> None:
        self.path = path
        self.checksum = checksum
        self.blob: bytes | None = None
        self.read = False

    def _load(self) -> bytes | None:
        if not self.read:
            self.read = True
            try:
                blob = self.path.read_bytes() if not self.path.is_symlink() else b""
            except OSError:
                blob = b""
            if hashlib.sha256(blob).hexdigest() == self.checksum:
                self.blob = blob
        return self.blob

    @property
    def lost(self) -> bool:
        """Whether the file was needed and failed its check (its entries must go)."""
        return self.read and self.blob is None

    def text(self, ref: object) -> str | None:
        """The detail text an entry refers to: its own (a new entry) or a part of the file."""
        if type(ref) is str:
            return ref
        if type(ref) is not list or len(ref) != 2 or not all(type(n) is int for n in ref):
            return None
        blob = self._load()
        start, size = ref
        if blob is None or start < 0 or size < 0 or start + size > len(blob):
            return None
        try:
            return blob[start:start + size].decode("ascii")
        except UnicodeDecodeError:
            return None


class ResultCache:
    """The cached per-file results of one root; load with :meth:`open`, then :meth:`save`."""

    def __init__(self, root: Path, tool: str, files: tuple[str, set[str]],
                 entries: dict[str, list[Any]], reads: dict[str, list[int]],
                 loaded: bool, details: _Details | None = None) -> None:
        self.root = root
        self.folder = root / CACHE_DIR
        self.tool = tool
        self.files, self.listed = files
        self.entries = entries
        self.reads = reads
        self.dirty = not loaded
        self.details = details or _Details(self.folder / DETAILS_FILE, None)

    @classmethod
    def open(cls, root: Path, in_git: bool,
             files: tuple[str, set[str]] | None = None) -> ResultCache:
        """The cache of ``root``; ``files``: its file set if discovery listed it already."""
        tool = tool_key()
        if files is None:
            files = _file_list(root, in_git)
        loaded = _load(root / CACHE_DIR / CACHE_FILE, tool, files[0])
        if loaded is None:
            return cls(root, tool, files, {}, {}, loaded=False)
        entries, reads, checksum = loaded
        return cls(root, tool, files, entries, reads, loaded=True,
                   details=_Details(root / CACHE_DIR / DETAILS_FILE, checksum))

    def lookup(self, path: str, data: bytes, config: Config) -> ScriptResult | None:
        """The stored result for these exact bytes at ``path``, or None."""
        entry = self.entries.get(path)
        if entry is None:  # a cold scan asks this of every script: no hash for nothing
            return None
        if not cacheentry.matches(entry, hashlib.sha256(data).hexdigest(), config_key(config)):
            return None
        assert isinstance(entry, list)
        try:
            return cacheentry.decode(path, data, entry,
                                     reanalysis(self.root, path, data, config),
                                     self.details.text)
        except Exception:  # whatever fails to decode is not trusted
            del self.entries[path]
            self.dirty = True
            return None

    def store(self, result: ScriptResult, data: bytes, config: Config) -> None:
        if any(f.rule == "internal-error" for f in result.findings):
            return  # the analysis raised: no verdict to keep (pipeline/internal_error.py)
        try:
            entry = entry_for(result, data, config)
        except cacheentry.EntryError:
            return  # a value the cache cannot hold exactly: judge it again next time
        self.store_entry(result.path, entry)

    def complete(self, results: list[ScriptResult]) -> None:
        """Keep the details that had not been kept and that this run has since worked out."""
        for result in results:
            entry = self.entries.get(result.path)
            if entry is not None and entry[5] is None and result.detail_known:
                try:
                    entry[5] = cacheentry.encode_detail(result)
                except cacheentry.EntryError:
                    continue
                self.dirty = True

    def store_entry(self, path: str, entry: cacheentry.Entry) -> None:
        """Keep an entry :func:`scriptkeeper.cache.entry.encode` made (in a worker process)."""
        self.entries[path] = entry
        self.dirty = True

    def record_reads(self, reads: dict[str, list[int]]) -> None:
        """Remember what the analyses read (also in worker processes) with its fingerprint."""
        _EVER_READ.setdefault(str(self.root.resolve()), set()).update(reads)
        for path, fingerprint in reads.items():
            if self.reads.get(path) != fingerprint:
                self.reads[path] = fingerprint
                self.dirty = True

    def save(self) -> None:
        """Write the cache if anything changed, without the scripts no longer in the repository."""
        if any(path not in self.listed for path in self.entries):
            self.entries = {p: e for p, e in self.entries.items() if p in self.listed}
            self.dirty = True
        for path in _EVER_READ.get(str(self.root.resolve()), set()) - set(self.reads):
            self.reads[path] = _fingerprint(str(self.root / path))
            self.dirty = True
        if self.details.lost:
            self.dirty = True  # drop the entries whose details are gone, judge them again
        if not self.dirty:
            return
        parts: list[bytes] = []
        entries: dict[str, list[Any]] = {}
        at = 0
        for path, entry in self.entries.items():
            if entry[5] is None:  # no detail kept: analysed again when one is needed
                entries[path] = entry
                continue
            text = self.details.text(entry[5])
            if text is None:
                continue  # its detail was lost with a damaged details file: judge it again
            raw = text.encode("ascii")
            parts.append(raw)
            entries[path] = [*entry[:5], [at, len(raw)]]
            at += len(raw)
        details = b"".join(parts)
        body = json.dumps({"reads": self.reads, "entries": entries},
                          separators=(",", ":")).encode("ascii")
        header = json.dumps({"scriptkeeper_cache": FORMAT, "tool": self.tool,
                             "files": self.files,
                             "checksum": hashlib.sha256(body).hexdigest(),
                             "details": hashlib.sha256(details).hexdigest()}).encode()
        try:
            _prepare_folder(self.folder)
            # the details first: results that name other details fail their checksum
            _write(self.folder, DETAILS_FILE, details)
            _write(self.folder, CACHE_FILE, header + b"\n" + body)
        except OSError:
            return  # a read-only checkout: no cache, same results
        self.dirty = False


def _write(folder: Path, name: str, data: bytes) -> None:
    """Replace ``folder/name`` with ``data`` at once (a temporary file, then rename)."""
    import tempfile

    fd, temp = tempfile.mkstemp(prefix=f".{name}-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temp, folder / name)
    except BaseException:
        os.unlink(temp)
        raise


def _prepare_folder(folder: Path) -> None:
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise OSError(f"{folder} is not a plain folder")
    folder.mkdir(exist_ok=True)
    for name, text in ((".gitignore", _GITIGNORE), ("CACHEDIR.TAG", _TAG)):
        try:
            fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)


def _load(path: Path, tool: str, files: str
          ) -> tuple[dict[str, list[Any]], dict[str, list[int]], object] | None:
    """Entries, recorded reads and the details' checksum of a cache that is intact and
    still valid, else None."""
    try:
        if path.is_symlink() or path.stat().st_size > MAX_BYTES:
            return None
        raw = path.read_bytes()
    except OSError:
        return None
    head, _, body = raw.partition(b"\n")
    try:
        header = json.loads(head)
        if (not isinstance(header, dict) or header.get("scriptkeeper_cache") != FORMAT
                or header.get("tool") != tool or header.get("files") != files
                or header.get("checksum") != hashlib.sha256(body).hexdigest()):
            return None
        content = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested to blow the stack
        return None
    if not isinstance(content, dict):
        return None
    entries, reads = content.get("entries"), content.get("reads")
    if not isinstance(entries, dict) or not isinstance(reads, dict):
        return None
    root = path.parent.parent
    for rel, fingerprint in reads.items():
        if _fingerprint(str(root / rel)) != fingerprint:
            return None  # a file some analysis read has changed: every result may be stale
    return entries, reads, header.get("details")
