"""One clean or restore at a time, and the marker of one a crash interrupted.

The lock is ``scriptkeeper.lock`` in the git folder (``.scriptkeeper.lock``
at the root outside git), held with ``flock``: the kernel drops it when its
holder dies, even by SIGKILL, so a crashed run never blocks the next one.
While held, the file carries a small JSON *marker*: which operation is under
way, on which backup folder, in which phase (and the commits involved). A
run that takes the lock and finds a marker knows an earlier run was
interrupted and finishes or rolls it back (``recover``) before anything else.
A clean exit clears the marker and removes the file.

The marker is rewritten in place with a single ``pwrite`` padded to the old
size (never truncate-then-write, which a kill could leave empty).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from pathlib import Path
from typing import Any

from scriptkeeper.clean.errors import Refused

LOCK_NAME = "scriptkeeper.lock"
OUTSIDE_GIT_NAME = ".scriptkeeper.lock"
_MIN_SIZE = 4096


def lock_path(root: Path, git_dir: Path | None) -> Path:
    return git_dir / LOCK_NAME if git_dir is not None else root / OUTSIDE_GIT_NAME


def _decode(raw: bytes) -> dict[str, Any] | None:
    text = raw.decode("utf-8", "replace").strip(" \0\n")
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) and value.get("op") else None


class Lock:
    """A held lock; ``previous`` is the marker an interrupted run left, if any."""

    def __init__(self, path: Path, fd: int, previous: dict[str, Any] | None) -> None:
        self.path = path
        self.fd = fd
        self.previous = previous

    @classmethod
    def acquire(cls, path: Path) -> Lock:
        for _ in range(50):
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise Refused(f"another scriptkeeper clean or restore is running (it holds "
                              f"{path}); wait for it to finish") from None
            # the holder before us may have removed the file after we opened it
            try:
                same = os.stat(path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                return cls(path, fd, _decode(os.pread(fd, 1 << 16, 0)))
            os.close(fd)
        raise Refused(f"could not take the lock {path}")

    def mark(self, **marker: Any) -> None:
        """Record the operation under way (replaces the previous marker)."""
        data = json.dumps(marker, sort_keys=True).encode()
        size = max(_MIN_SIZE, os.fstat(self.fd).st_size, len(data))
        os.pwrite(self.fd, data.ljust(size, b" "), 0)
        os.fsync(self.fd)

    def clear(self) -> None:
        size = max(_MIN_SIZE, os.fstat(self.fd).st_size)
        os.pwrite(self.fd, b" " * size, 0)
        os.fsync(self.fd)
        self.previous = None

    def release(self) -> None:
        """Remove the file if no marker is left in it, and let go of the lock."""
        if self.fd < 0:
            return
        if _decode(os.pread(self.fd, 1 << 16, 0)) is None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
        os.close(self.fd)
        self.fd = -1

    def __enter__(self) -> Lock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def dry_run_state(path: Path) -> tuple[str | None, str | None]:
    """For a dry run: (a problem that would refuse the run, a note to print), from :func:`peek`."""
    held, marker = peek(path)
    if held:
        return "another scriptkeeper clean or restore is running", None
    if marker is not None:
        return None, (f"Note: an interrupted {marker.get('op')} of "
                      f"{marker.get('backup') or 'a backup'} will be finished or rolled back "
                      f"first.")
    return None, None


def peek(path: Path) -> tuple[bool, dict[str, Any] | None]:
    """(held by a running process, marker left) without creating or changing anything."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False, None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True, _decode(os.pread(fd, 1 << 16, 0))
        marker = _decode(os.pread(fd, 1 << 16, 0))
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False, marker
    finally:
        os.close(fd)
