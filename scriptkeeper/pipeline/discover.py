"""Find the job scripts to judge (discover stage).

A job script is a file with an ``#SBATCH`` line at column 0 or a ``.slurm`` /
``.sbatch`` name, except a file whose every such line is inside a here-document or
a string (Python's or the shell's): it writes jobs, and is skipped with that reason.
Inside git the candidate files are the ones git tracks or would track
(``.gitignore`` honoured); outside git every file below the scanned folder,
with a root ``.gitignore`` honoured. rules.yaml
``scripts.include`` / ``scripts.exclude`` filter with gitignore syntax.
Backup folders made by ``clean`` are never entered, and a symlink is never
followed out of the repository. A repository's own archive folders
(``archive*/``, ``old/``, ``deprecated/``, ``backup_*/`` by default, rules.yaml
``scripts.archive``) hold scripts already put aside: they are skipped with that
reason, so scan, clean and the hook all leave them alone.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

JOB_SUFFIXES = (".slurm", ".sbatch")
SCRIPT_SUFFIXES = (".sh", ".bash", ".job", ".slurm", ".sbatch", ".pbs", ".lsf")
BACKUP_DIR = re.compile(r"^backup_\d{8}T\d{6}Z(?:[-_]\d+)?$")
# a repository's own archive folders (shell patterns for one folder name, any case)
ARCHIVE_FOLDERS = ("archive*", "old", "deprecated", "backup_*")
MAX_SIZE = 1 << 20
BINARY_SUFFIXES = frozenset(
    ".png .jpg .jpeg .gif .pdf .zip .gz .tgz .bz2 .xz .tar .so .o .a .pyc .pt .pth .ckpt "
    ".npy .npz .pkl .h5 .hdf5 .parquet .arrow .bin .safetensors .whl .jar .ico .svg .mp4 "
    ".onnx .db .sqlite".split())
# Documentation and data often quote '#SBATCH' lines at column 0 (in code
# blocks, notebooks, logs): such files are never job scripts by content.
_PROSE_SUFFIXES = frozenset(
    ".md .markdown .rst .txt .adoc .html .htm .ipynb .json .yaml .yml .toml .cfg .ini .csv "
    ".tsv .log .out .err .tex".split())


@dataclass
class Candidate:
    path: str  # POSIX, relative to root
    data: bytes


@dataclass
class Discovery:
    root: Path
    in_git: bool
    scripts: list[Candidate] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # the repository's file set (:func:`file_set`) when the whole of it was listed: the
    # result cache keys on it, and need not ask git again
    files: tuple[str, set[str]] | None = None
    # the files named on the command line, as ``skipped`` names them (repository-relative,
    # or as given when outside it): a scan says why each one it skips was skipped
    named: list[str] = field(default_factory=list)


# every file git tracks or would track, tagged: "R " for the tracked ones deleted on disk
GIT_LISTING = ["git", "-c", "core.quotepath=off", "ls-files", "-z", "-t", "--cached",
               "--deleted", "--others", "--exclude-standard"]


def file_set(names: set[str]) -> tuple[str, set[str]]:
    """A hash of a set of repository paths, and the set."""
    joined = "\0".join(sorted(names)).encode("utf-8", "surrogateescape")
    return hashlib.sha256(joined).hexdigest(), names


def present_files(listed: list[str]) -> set[str]:
    """The files that exist, from the entries :data:`GIT_LISTING` prints."""
    deleted = {e[2:] for e in listed if e.startswith("R ")}  # in the index, not on disk
    return {e[2:] for e in listed if not e.startswith("R ")} - deleted


def git_toplevel(start: Path) -> Path | None:
    folder = start if start.is_dir() else start.parent
    try:
        out = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=folder,
                             capture_output=True, text=True, check=False)
    except OSError:
        return None
    if out.returncode != 0 or not out.stdout.strip():
        return None
    return Path(out.stdout.strip()).resolve()


def unfollowed(path: Path) -> Path:
    """``path`` made absolute, resolved except its last part when that is a symlink (the
    link itself is in the repository, wherever it points)."""
    if path.is_symlink():
        return path.absolute().parent.resolve() / path.name
    return path.resolve()


def find_root(paths: Iterable[Path]) -> tuple[Path, bool]:
    first = next(iter(paths), Path.cwd())
    first = unfollowed(first)
    top = git_toplevel(first if first.exists() else Path.cwd())
    if top is not None:
        return top, True
    return (first if first.is_dir() else first.parent), False


def git_listing(root: Path, under: list[str] | None = None) -> list[str] | None:
    """The entries :data:`GIT_LISTING` prints below ``under`` (default: all), or None if git
    fails."""
    out = subprocess.run([*GIT_LISTING, "--", *(under or ["."])], cwd=root,
                         capture_output=True, check=False)
    if out.returncode != 0:
        return None
    return [e for e in out.stdout.decode("utf-8", "surrogateescape").split("\0") if e]


def _walk(root: Path, start: Path) -> list[str]:
    files = []
    for folder, dirs, names in os.walk(start):
        dirs[:] = sorted(d for d in dirs if d != ".git" and not BACKUP_DIR.match(d))
        for name in names:
            full = Path(folder, name)
            files.append(full.relative_to(root).as_posix())
    return sorted(files)


def is_job_script(name: str, data: bytes, suffix: str | None = None) -> bool:
    """``suffix``: the name's extension in lower case, when the caller has it."""
    if name.endswith(JOB_SUFFIXES):
        return True
    if (os.path.splitext(name)[1].lower() if suffix is None else suffix) in _PROSE_SUFFIXES:
        return False
    return data.startswith(b"#SBATCH") or b"\n#SBATCH" in data


def generator_reason(name: str, data: bytes) -> str | None:
    """Why a file with ``#SBATCH`` lines is no job script: they all belong to jobs it writes.

    Asked only of files that are job scripts by content; cheap for the usual one, whose
    first ``#SBATCH`` line comes before any command.
    """
    from scriptkeeper.parse import embedded  # light, but only a few files need it

    return embedded.generator_reason(name, data.decode("utf-8", errors="replace"))


def not_a_job_reason(name: str, data: bytes) -> str | None:
    """Why a file that looks like a job script (see :func:`is_job_script`) is none, or None."""
    return submit_list_reason(data) if name.endswith(JOB_SUFFIXES) else \
        generator_reason(name, data)


def submit_list_reason(data: bytes) -> str | None:
    """Why a file named like a job script is none: it only runs ``sbatch`` on other files."""
    if b"sbatch " not in data:  # the usual job script: no need to look closer
        return None
    from scriptkeeper.parse import embedded

    return embedded.submit_list_reason(data.decode("utf-8", errors="replace"))


def _looks_like_script(name: str, data: bytes) -> bool:
    return name.endswith(SCRIPT_SUFFIXES) or data.startswith(b"#!")


def _inside(root: Path, full: Path) -> bool:
    try:
        full.resolve().relative_to(root)
    except (ValueError, OSError):
        return False
    return True


def discover(paths: list[Path], include: tuple[str, ...] = (), exclude: tuple[str, ...] = (),
             root: Path | None = None, in_git: bool | None = None,
             base: Path | None = None, archive: tuple[str, ...] = ARCHIVE_FOLDERS) -> Discovery:
    """The job scripts below ``paths`` (default: the repository or current folder).

    ``include``/``exclude`` patterns are relative to ``base`` (the folder of
    the rules.yaml that set them), which defaults to the root.
    """
    if root is None or in_git is None:
        root, in_git = find_root(paths or [Path.cwd()])
    prefix = ""
    if base is not None and base != root:
        try:
            prefix = base.relative_to(root).as_posix() + "/"
        except ValueError:
            prefix = ""
    result = Discovery(root=root, in_git=in_git)
    explicit: set[str] = set()
    folders: list[str] = []
    for p in paths or [root]:
        full = unfollowed(p)
        try:
            rel = full.relative_to(root).as_posix()
        except ValueError:
            result.named.append(str(p))
            result.skipped.append((str(p), "outside the repository"))
            continue
        if p.is_dir():
            folders.append("." if rel == "." else rel)
        elif p.exists() or p.is_symlink():
            explicit.add(rel)
            result.named.append(rel)
        else:
            result.named.append(str(p))
            result.skipped.append((str(p), "no such file"))
    files: set[str] = set(explicit)
    if folders:
        if in_git:
            under = [f for f in folders if f != "."] if "." not in folders else []
            tagged = git_listing(root, under)
            if tagged is not None:
                files.update(e[2:] for e in tagged)
                if not under:
                    result.files = file_set(present_files(tagged))
        else:
            for folder in folders:
                files.update(_walk(root, root / folder if folder != "." else root))
    include_spec = _spec(include)
    exclude_spec = _spec(exclude)
    if not in_git:
        ignore = root / ".gitignore"
        if ignore.is_file():
            ignored = _spec(tuple(ignore.read_text(errors="replace").splitlines()))
            if ignored is not None:
                files = {f for f in files if f in explicit or not ignored.match_file(f)}
    root_text = str(root) + os.sep
    archived = _archive_pattern(archive)
    # folder -> inside a backup folder (True), an archive folder (its name) or neither (False)
    in_backup: dict[str, bool | str] = {}
    for rel in sorted(files):
        folder = rel.rpartition("/")[0]
        backup = in_backup.get(folder)
        if backup is None:
            backup = in_backup[folder] = _put_aside(folder, archived) if folder else False
        if backup is True:
            continue
        if backup:
            if rel.endswith(JOB_SUFFIXES) or rel in explicit:
                result.skipped.append((rel, f"in the archive folder {backup}/ "
                                            "(rules.yaml scripts.archive)"))
            continue
        local = rel[len(prefix):] if rel.startswith(prefix) else None
        if exclude_spec is not None and local is not None and exclude_spec.match_file(local):
            continue
        if include_spec is not None and rel not in explicit and (
                local is None or not include_spec.match_file(local)):
            continue
        suffix = os.path.splitext(rel)[1].lower()
        named = rel in explicit
        got = _read(root, root_text + rel, rel, suffix in BINARY_SUFFIXES and not named, named)
        if isinstance(got, str):
            if got or named:
                result.skipped.append((rel, got or "not a regular file"))
            continue
        data = got
        if is_job_script(rel, data, suffix):
            reason = not_a_job_reason(rel, data)
            if reason is not None:
                result.skipped.append((rel, reason))
            else:
                result.scripts.append(Candidate(rel, data))
        elif include_spec is not None or rel in explicit or _looks_like_script(rel, data):
            result.skipped.append((rel, "not a job script"))
    return result


# no following of symlinks (they are checked first), no blocking on a FIFO
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
               | getattr(os, "O_CLOEXEC", 0))
# what pathlib's is_file() takes for "not a file": gone, under a file, a symlink loop
_NOT_A_FILE = (errno.ENOENT, errno.ENOTDIR, errno.ELOOP, errno.EBADF)


def _read(root: Path, full: str, rel: str, binary: bool, named: bool = False) -> bytes | str:
    """The bytes of a candidate file, or why not ("" for: not a file to look at).

    A file over :data:`MAX_SIZE` is said to be skipped when it was ``named``, is named
    like a job script or starts like one (its first 64 KiB); other large files are data.

    One ``open`` and ``fstat`` a file (discovery does this for every file of
    the repository; pathlib's is_symlink, is_file, stat and read_bytes cost
    three more system calls and four objects). A symlink is opened only when
    it stays inside the repository.
    """
    try:
        fd = -1 if binary else os.open(full, _OPEN_FLAGS)
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.EMLINK):  # O_NOFOLLOW met a symlink (EMLINK:
            fd = -1                                     # FreeBSD), or a loop of them
        elif error.errno in _NOT_A_FILE:
            return ""
        else:
            return f"cannot read: {error.strerror}"
    if fd < 0:  # a symlink or a binary name: out of the repository is said either way
        try:
            if os.path.islink(full) and not _inside(root, Path(full)):
                return "symlink out of the repository"
        except RuntimeError:  # a symlink loop, as resolve() reports it before Python 3.13
            return ""
        if binary:
            return ""
        try:
            fd = os.open(full, _OPEN_FLAGS & ~getattr(os, "O_NOFOLLOW", 0))
        except OSError as error:
            return "" if error.errno in _NOT_A_FILE else f"cannot read: {error.strerror}"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return ""
        if info.st_size > MAX_SIZE:
            return "larger than 1 MiB" if named or is_job_script(rel, os.read(fd, 1 << 16)) \
                else ""
        # a read of a regular file that returns less than asked for has met its end: one
        # read a file, unless it grew since the fstat
        want = info.st_size + 1
        chunks = [os.read(fd, want)]
        while len(chunks[-1]) == want and (chunk := os.read(fd, 1 << 16)):
            chunks.append(chunk)
            want = 1 << 16
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    except OSError as error:
        return f"cannot read: {error.strerror}"
    finally:
        os.close(fd)


def _archive_pattern(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    import fnmatch

    if not patterns:
        return None
    return re.compile("|".join(fnmatch.translate(p) for p in patterns), re.IGNORECASE)


def _put_aside(folder: str, archived: re.Pattern[str] | None) -> bool | str:
    """True inside a backup folder of clean's, the archive folder's path inside one of the
    repository's own archive folders, else False."""
    parts = folder.split("/")
    if any(BACKUP_DIR.match(part) for part in parts):
        return True
    if archived is not None:
        for i, part in enumerate(parts):
            if archived.match(part):
                return "/".join(parts[:i + 1])
    return False


def _spec(patterns: tuple[str, ...]):  # type: ignore[no-untyped-def]
    if not patterns:
        return None
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(patterns)
