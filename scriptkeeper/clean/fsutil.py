"""File-system primitives of the clean stage: what a file is, its hash, durable writes.

A symlink is judged as a link: its "content" is the link text (what git
stores for it), never the file it points to.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from scriptkeeper.clean import faults

FILE, SYMLINK = "file", "symlink"


def kind(path: Path) -> str | None:
    """``file``, ``symlink``, ``other`` (a folder, a fifo...), or None when absent."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None
    if stat.S_ISLNK(info.st_mode):
        return SYMLINK
    if stat.S_ISREG(info.st_mode):
        return FILE
    return "other"


def sha256(path: Path) -> str:
    """The sha256 of a regular file's bytes, or of a symlink's link text."""
    digest = hashlib.sha256()
    if os.path.islink(path):
        digest.update(os.fsencode(os.readlink(path)))
        return digest.hexdigest()
    with open(path, "rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def same(path: Path, what: str, digest: str) -> bool:
    """Is ``path`` a ``what`` (file or symlink) whose sha256 is ``digest``?"""
    return kind(path) == what and sha256(path) == digest


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, label: str) -> None:
    """Write ``path`` so that a crash leaves the old file or the new one, never half."""
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    faults.point(f"{label}-written")
    os.replace(temporary, path)
    fsync_dir(path.parent)
    faults.point(label)


def append(path: Path, data: bytes, durable: bool = False) -> None:
    """Append with one ``write`` (a kill cannot split it); fsync when ``durable``."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, data)
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)


def remove_empty_dirs(top: Path, start: Path) -> None:
    """Remove ``start`` and its parents while empty, never ``top`` or above it."""
    folder = start
    while folder != top and top in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def remove_empty_tree(folder: Path) -> bool:
    """Remove the empty folders below and including ``folder`` (rmdir only, never a file).

    Returns True when ``folder`` itself is gone.
    """
    if kind(folder) != "other" or not folder.is_dir():
        return kind(folder) is None
    for child in sorted(folder.iterdir(), reverse=True):
        if child.is_dir() and not child.is_symlink():
            remove_empty_tree(child)
    try:
        folder.rmdir()
    except OSError:
        return False
    return True
