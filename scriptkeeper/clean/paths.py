"""Path safety of the clean stage: a path from a manifest or a plan must stay inside.

Every path ``clean`` or ``restore`` writes to is POSIX, relative to the
repository root, free of ``.``/``..``/empty components and of ``.git`` (a
restored "script" must never become a git hook), and reached without
going through a symlink (a symlinked folder on the way could send a write
anywhere). Only the last component may be a symlink: a symlinked script is
moved as the link itself.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath


class UnsafePath(ValueError):
    """A path that could write outside the repository."""


def check_relative(value: object, what: str = "path") -> str:
    """``value`` as a safe relative POSIX path, or :class:`UnsafePath`."""
    if not isinstance(value, str) or not value:
        raise UnsafePath(f"{what} must be a non-empty string, not {value!r}")
    if "\0" in value:
        raise UnsafePath(f"{what} {value!r} contains a NUL byte")
    if value.startswith("/") or PurePosixPath(value).is_absolute() or (
            len(value) > 1 and value[1] == ":" and value[0].isalpha()):
        raise UnsafePath(f"{what} {value!r} is absolute")
    parts = value.split("/")
    if ".." in parts:
        raise UnsafePath(f"{what} {value!r} contains '..'")
    if any(part in ("", ".") for part in parts):
        raise UnsafePath(f"{what} {value!r} is not a plain relative path "
                         f"(empty or '.' component)")
    if any(part.casefold() == ".git" for part in parts):
        raise UnsafePath(f"{what} {value!r} points into a .git folder")
    return value


def join(root: Path, rel: str) -> Path:
    return root.joinpath(*check_relative(rel).split("/"))


def check_no_symlink(root: Path, rel: str, what: str = "path") -> Path:
    """``root/rel``, after checking no existing folder on the way is a symlink.

    The folders below ``root`` that exist must be real folders (not symlinks,
    not files); the ones that do not exist yet will be created by us. The last
    component is not checked here: the caller decides what may be there.
    """
    check_relative(rel, what)
    parts = rel.split("/")
    folder = root
    for part in parts[:-1]:
        folder = folder / part
        try:
            info = os.lstat(folder)
        except FileNotFoundError:
            break
        if stat.S_ISLNK(info.st_mode):
            raise UnsafePath(f"{what} {rel!r} goes through the symlink "
                             f"{folder.relative_to(root).as_posix()!r}")
        if not stat.S_ISDIR(info.st_mode):
            raise UnsafePath(f"{what} {rel!r} goes through "
                             f"{folder.relative_to(root).as_posix()!r}, which is not a folder")
    full = root.joinpath(*parts)
    real_root = os.path.realpath(root)
    real_parent = os.path.realpath(full.parent) if full.parent.exists() else None
    if real_parent is not None and os.path.commonpath([real_root, real_parent]) != real_root:
        raise UnsafePath(f"{what} {rel!r} resolves outside the repository")
    return full


def inside(parent: str, child: str) -> bool:
    """Is the relative POSIX path ``child`` at or below ``parent`` ("" is the root)?"""
    return not parent or child == parent or child.startswith(parent + "/")
