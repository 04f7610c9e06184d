"""Framework versions from a repository's pins (model stage, body analysis).

Reads ``requirements*.txt`` (and ``requirements/*.txt``), ``pyproject.toml``
(PEP 621 dependencies, optional dependencies, Poetry), ``environment.yml``
(conda and its ``pip:`` list), ``setup.cfg`` and ``setup.py``
(``install_requires``, read with ``ast``, never run), in the folder of the
entry point and its parents up to the repository root, the nearest first.

A pin gives the version pip would install: ``==2.2.1`` is 2.2.1; an upper
bound (``<1.9``, ``~=1.8.0``, ``^1.8``, ``==1.8.*``) the newest release below
it; a lower bound alone (``>=2.0``) the newest release, which for Lightning is
:data:`CURRENT`. rules.yaml ``frameworks:`` overrides the pins. Each file is
read once per modification time.

The SLURM facts relied on here: docs/launch-contracts.md §4.3.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from scriptkeeper.parse.c_numbers import LONG_MAX, clamped
from scriptkeeper.pipeline import fsview

if sys.version_info >= (3, 11):
    import tomllib as _toml
else:  # the same parser, as a backport
    import tomli as _toml

# The release scriptkeeper assumes when nothing pins a version.
CURRENT: dict[str, tuple[int, ...]] = {"lightning": (2, 5), "pytorch_lightning": (2, 5)}

# Distribution names that provide each framework's import, the first one preferred.
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "lightning": ("lightning", "pytorch-lightning"),
    "pytorch_lightning": ("pytorch-lightning", "lightning"),
    "fabric": ("lightning", "lightning-fabric"),
    "accelerate": ("accelerate",),
    "deepspeed": ("deepspeed",),
    "horovod": ("horovod",),
    "torch": ("torch", "pytorch"),
}

_TOP = 999


@dataclass(frozen=True)
class Pin:
    """A framework's version as the repository pins it."""

    version: tuple[int, ...]
    text: str  # "pytorch-lightning==2.2.1"
    source: str  # "requirements.txt", "rules.yaml"
    exact: bool


def normalise_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _numbers(text: str) -> tuple[int, ...] | None:
    parts: list[int] = []
    for piece in text.strip().split("."):
        match = re.match(r"[0-9]+", piece)
        if match is None:
            if piece == "*":
                parts.append(_TOP)
                break
            return tuple(parts) if parts else None
        parts.append(clamped(match.group(), LONG_MAX))  # any number of digits
        if match.end() != len(piece):
            break
    return tuple(parts) if parts else None


def _below(version: tuple[int, ...]) -> tuple[int, ...]:
    """The newest release below ``version`` (``<2.0`` -> 1.999)."""
    items = list(version)
    while items and items[-1] == 0:
        items.pop()
    if not items:
        return (0,)
    items[-1] -= 1
    return (*items, _TOP)


@functools.lru_cache(maxsize=4096)
def version_of_spec(spec: str, newest: tuple[int, ...] | None) -> tuple[tuple[int, ...] | None,
                                                                         bool]:
    """(the version pip installs for a specifier, whether the specifier fixes it)."""
    spec = spec.split(";", 1)[0].strip()
    if not spec or spec == "*":
        return newest, False
    upper: tuple[int, ...] | None = None
    lower: tuple[int, ...] | None = None
    for clause in (c.strip() for c in spec.split(",")):
        match = re.match(r"(===|==|~=|!=|<=|>=|<|>|\^|~|=)?\s*(.+)", clause)
        if match is None:
            continue
        op, text = match.group(1) or "==", match.group(2).strip()
        number = _numbers(text)
        if number is None:
            continue
        if op in ("==", "===", "="):
            if text.endswith("*"):
                upper = number if upper is None else min(upper, number)
                continue
            return number, True
        if op == "~=" or op == "~":
            top = (*number[:-1], _TOP) if len(number) > 1 else (number[0], _TOP)
            upper = top if upper is None else min(upper, top)
        elif op == "^":
            head = [n for n in number]
            index = next((i for i, n in enumerate(head) if n != 0), len(head) - 1)
            top = (*head[:index + 1], _TOP) if index + 1 < len(head) else (*head, _TOP)
            upper = top if upper is None else min(upper, top)
        elif op == "<=":
            upper = number if upper is None else min(upper, number)
        elif op == "<":
            upper = _below(number) if upper is None else min(upper, _below(number))
        elif op in (">=", ">"):
            lower = number if lower is None else max(lower, number)
    if upper is not None:
        return upper, False
    if newest is not None and (lower is None or newest >= lower):
        return newest, False
    return lower, False


_REQ_LINE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")


def _requirement(line: str) -> tuple[str, str] | None:
    line = line.split(" #", 1)[0].strip()
    if not line or line.startswith(("#", "-", "git+", "http")):
        return None
    if "@" in line and "://" in line:
        return None
    match = _REQ_LINE.match(line)
    if match is None:
        return None
    return normalise_name(match.group(1)), match.group(3).strip()


def _conda(line: str) -> tuple[str, str] | None:
    line = line.split("::", 1)[-1].strip()
    match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$", line)
    if match is None:
        return None
    spec = match.group(2).strip()
    if spec.startswith("=") and not spec.startswith("=="):
        spec = "==" + spec[1:].split("=", 1)[0]
    return normalise_name(match.group(1)), spec


def _from_requirements(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in text.splitlines():
        req = _requirement(line)
        if req is not None:
            found.setdefault(*req)
    return found


def _from_pyproject(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    try:
        data = _toml.loads(text)
    except ValueError:
        return {}
    project = data.get("project", {})
    lists = [project.get("dependencies", [])]
    lists.extend(project.get("optional-dependencies", {}).values())
    for group in data.get("dependency-groups", {}).values():
        lists.append(group)
    for items in lists:
        for item in items if isinstance(items, list) else []:
            if isinstance(item, str):
                req = _requirement(item)
                if req is not None:
                    found.setdefault(*req)
    poetry = data.get("tool", {}).get("poetry", {})
    tables = [poetry.get("dependencies", {})]
    tables.extend(g.get("dependencies", {}) for g in poetry.get("group", {}).values()
                  if isinstance(g, dict))
    for table in tables:
        for name, value in table.items() if isinstance(table, dict) else []:
            spec = value if isinstance(value, str) else (
                value.get("version", "") if isinstance(value, dict) else "")
            found.setdefault(normalise_name(name), str(spec))
    return found


def _from_environment(text: str) -> dict[str, str]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    found: dict[str, str] = {}
    if not isinstance(data, dict):
        return found
    for item in data.get("dependencies", []) or []:
        if isinstance(item, str):
            req = _conda(item)
            if req is not None:
                found.setdefault(*req)
        elif isinstance(item, dict):
            for pip_item in item.get("pip", []) or []:
                if isinstance(pip_item, str):
                    req = _requirement(pip_item)
                    if req is not None:
                        found.setdefault(*req)
    return found


def _from_setup_cfg(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    collecting = False
    for line in text.splitlines():
        if re.match(r"^\s*install_requires\s*=", line):
            collecting = True
            rest = line.split("=", 1)[1]
            req = _requirement(rest)
            if req is not None:
                found.setdefault(*req)
            continue
        if collecting:
            if line and not line[0].isspace():
                collecting = False
                continue
            req = _requirement(line)
            if req is not None:
                found.setdefault(*req)
    return found


def _from_setup_py(text: str) -> dict[str, str]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return {}
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in ("install_requires", "requires") \
                and isinstance(node.value, (ast.List, ast.Tuple)):
            for item in node.value.elts:
                if isinstance(item, ast.Constant) and isinstance(item.value, str):
                    req = _requirement(item.value)
                    if req is not None:
                        found.setdefault(*req)
    return found


_READERS = {
    "pyproject.toml": _from_pyproject,
    "environment.yml": _from_environment,
    "environment.yaml": _from_environment,
    "setup.cfg": _from_setup_cfg,
    "setup.py": _from_setup_py,
}


@functools.lru_cache(maxsize=4096)
def _read(path: str, mtime: int, size: int) -> dict[str, str]:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    name = os.path.basename(path)
    reader = _READERS.get(name, _from_requirements)
    return reader(text)


def _pin_files(folder: str) -> list[str]:
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    files = [n for n in names if (n.startswith("requirements") and n.endswith(".txt"))
             or n in _READERS]
    found = [os.path.join(folder, n) for n in files]
    sub = os.path.join(folder, "requirements")
    if "requirements" in names and os.path.isdir(sub):
        with contextlib.suppress(OSError):  # gone or unreadable since: no pins there
            found.extend(os.path.join(sub, n) for n in sorted(os.listdir(sub))
                         if n.endswith(".txt"))
    return found


@functools.lru_cache(maxsize=1024)
def _folder_files(folder: str, mtime: int, sub_mtime: int) -> tuple[str, ...]:
    """The pin files of ``folder``, kept while it and its ``requirements/`` are unchanged."""
    return tuple(_pin_files(folder))


def _pins_in(folder: str) -> list[tuple[str, dict[str, str]]]:
    try:
        mtime = fsview.stat(folder).st_mtime_ns
    except OSError:
        return []
    try:  # a file added to requirements/ changes that folder's time, not this one's
        sub_mtime = fsview.stat(os.path.join(folder, "requirements")).st_mtime_ns
    except OSError:
        sub_mtime = 0
    result = []
    for path in _folder_files(folder, mtime, sub_mtime):
        try:
            st = fsview.stat(path)
        except OSError:
            continue
        result.append((path, _read(path, st.st_mtime_ns, st.st_size)))
    return result


def folders(start: str | Path, root: str | Path, extra: Sequence[str | Path]) -> list[str]:
    """The folders whose pins apply to an entry point in ``start``: nearest first."""
    return list(_folders(str(start), str(root), tuple(str(folder) for folder in extra)))


@functools.lru_cache(maxsize=1024)
def _folders(start: str, root_text: str, extra: tuple[str, ...]) -> tuple[str, ...]:
    chain: list[str] = []
    current = start
    while True:
        chain.append(current)
        if current == root_text or not current.startswith(root_text):
            break
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for folder in extra:
        if folder not in chain:
            chain.append(folder)
    return tuple(chain)


def find(framework: str, search: list[str], root: Path,
         configured: dict[str, str]) -> Pin | None:
    """The pinned version of ``framework`` (an import name such as 'pytorch_lightning')."""
    key = framework
    for name in (key, "lightning" if key in ("pytorch_lightning", "fabric") else key):
        text = configured.get(name)
        if text is not None:
            number = _numbers(text)
            if number is not None:
                return Pin(number, f"{name} {text}", "rules.yaml", True)
    return _pinned(framework, tuple(search), str(root))


@fsview.per_scan  # the scripts of a folder share its pins
def _pinned(framework: str, search: tuple[str, ...], root: str) -> Pin | None:
    """The version the pin files in ``search`` (nearest first) give ``framework``."""
    wanted = DISTRIBUTIONS.get(framework, (framework,))
    newest = CURRENT.get(framework) or CURRENT.get("lightning") if framework in (
        "lightning", "pytorch_lightning", "fabric") else None
    for folder in search:
        for path, pins in _pins_in(folder):
            for dist in wanted:
                spec = pins.get(dist)
                if spec is None:
                    continue
                version, exact = version_of_spec(spec, newest)
                if version is None:
                    continue
                prefix = root + os.sep
                shown = path[len(prefix):] if path.startswith(prefix) else path
                return Pin(version, f"{dist}{spec}" if spec else dist, shown, exact)
    return None
