"""Write a fixed script in place, atomically, keeping its mode (fix stage).

The new bytes go to a temporary file in the script's own folder, which gets
the script's permission bits, is flushed to disk and renamed over the script:
a reader sees the old script or the new one, never half of one. A symlinked
script is written at its target only when that target is inside the
repository; a script that changed since it was read is left alone.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


class WriteRefused(Exception):
    """The script was not written; the message says why."""


def target_of(root: Path, path: str) -> Path:
    """The file a write to ``path`` changes: the script, or its symlink's target inside
    ``root``; WriteRefused when that is outside the repository or not a regular file."""
    place = root / path
    real = place.resolve()
    top = root.resolve()
    if real != top and top not in real.parents:
        raise WriteRefused(f"{path} leads outside the repository (to {real}): not written")
    info = real.lstat()
    if not stat.S_ISREG(info.st_mode):
        raise WriteRefused(f"{path} is not a regular file: not written")
    return real


def write_atomic(root: Path, path: str, before: bytes, after: bytes) -> None:
    """Replace the script's bytes ``before`` with ``after``; WriteRefused if it cannot."""
    real = target_of(root, path)
    info = real.stat()
    with open(real, "rb") as handle:
        if handle.read() != before:
            raise WriteRefused(f"{path} changed while it was being fixed: not written")
    fd, temporary = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".fix", dir=real.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(after)
            out.flush()
            os.fchmod(out.fileno(), stat.S_IMODE(info.st_mode))
            os.fsync(out.fileno())
        os.replace(temporary, real)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
