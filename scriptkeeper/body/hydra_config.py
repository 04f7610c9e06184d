"""Compose the part of a Hydra configuration a Trainer is built from (body stage).

An entry point decorated with ``@hydra.main(config_path=..., config_name=...)``
that builds ``Trainer(**cfg.trainer.params)`` takes ``devices``, ``num_nodes``
and ``strategy`` from YAML files and the launch line's overrides, not from its
own code. :func:`compose` follows Hydra's composition for one key path:

- the primary config and its defaults list, recursively: ``name`` (a config
  beside its parent), ``group: option`` (``group/option.yaml``, placed at the
  package ``group`` unless ``group@pkg`` or a ``# @package`` header says
  otherwise), ``optional``, ``override group: option`` (which, like a
  command-line ``group=option``, changes the choice wherever the group is
  used), ``_self_`` (the config's own keys; at the end when not listed, as in
  Hydra >= 1.1), and ``null`` choices;
- the search path: the config folder, then ``hydra.searchpath`` entries
  (``file://`` folders, and ``pkg://a.b.c`` read as the folder ``a/b/c`` of the
  repository, never imported);
- the overrides of the launch line: ``group=option`` and ``+group=option``
  for config groups, ``key=value``, ``+key=value``, ``++key=value`` and
  ``~key`` for values, applied last.

Dictionaries merge key by key, later wins; anything else is replaced. Values
with an interpolation (``${...}``), or a word the shell analysis could not
expand, are unknown. hydra-core's own compose API would do this for the whole
configuration, but it builds every value of it (NAVSIM's log lists: 15 s per
script on the development machine) and imports ``pkg://`` packages, which runs
the repository's code; this reads YAML only, and only what can reach the key.
Results are kept per scan.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from scriptkeeper.body.shell import UNKNOWN
from scriptkeeper.pipeline import fsview

try:  # the C loader when PyYAML has it: config files can be large
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

_MAX_FILES = 200  # configs read for one composition: a bound, not a limit seen in practice
_MAX_BYTES = 4_000_000
_OVERRIDE = re.compile(r"^(~|\+\+|\+)?([A-Za-z_][\w\-]*(?:[./][\w\-]+)*)(@[\w.]+)?(?:=(.*))?$",
                       re.DOTALL)
_PACKAGE_HEADER = re.compile(r"^#\s*@package\s+(\S+)", re.MULTILINE)
_UNSET = object()


class Unknown:
    """A value composition cannot tell (an interpolation, an unexpanded shell word)."""

    def __repr__(self) -> str:
        return "Unknown"


UNKNOWN_VALUE = Unknown()


@dataclass(frozen=True)
class Composed:
    """The composed value at a key path, and how far it can be trusted."""

    values: dict[str, Any] = field(default_factory=dict)  # the key's own entries
    complete: bool = True  # every config that may set the key was read
    sources: dict[str, str] = field(default_factory=dict)  # entry -> where it was set
    problem: str = ""  # why composition stopped, when it did
    files: tuple[str, ...] = ()  # the configs read, relative to the config folder's root

    def get(self, name: str) -> Any:
        """The entry's value, ``UNKNOWN_VALUE`` when it cannot be told, ``None`` when unset."""
        if name in self.values:
            return self.values[name]
        return None if self.complete else UNKNOWN_VALUE


@dataclass(frozen=True)
class Override:
    """One launch-line override as Hydra reads it."""

    prefix: str  # '', '+', '++' or '~'
    key: str
    package: str  # '@pkg' of a group override, without the '@'
    value: str | None  # None for '~key'


def parse_overrides(args: Sequence[str]) -> tuple[Override, ...]:
    """The Hydra overrides among a command line's arguments (options are not)."""
    found = []
    for arg in args:
        if arg.startswith("-"):
            continue
        match = _OVERRIDE.match(arg)
        if match is None or (match.group(4) is None and match.group(1) != "~"):
            continue
        found.append(Override(match.group(1) or "", match.group(2),
                              (match.group(3) or "")[1:], match.group(4)))
    return tuple(found)


def _value(text: str) -> Any:
    if UNKNOWN in text or "${" in text or "$(" in text:
        return UNKNOWN_VALUE
    try:
        value = yaml.load(text, Loader=_Loader) if text.strip() else ""
    except yaml.YAMLError:
        return text
    return value


def _unknowns(value: Any) -> Any:
    """Interpolations in a config's values are unknown here."""
    if isinstance(value, str) and "${" in value:
        return UNKNOWN_VALUE
    if isinstance(value, dict):
        return {k: _unknowns(v) for k, v in value.items()}
    return value


def _merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    for key, value in new.items():
        old = into.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            _merge(old, value)
        elif isinstance(value, dict):
            fresh: dict[str, Any] = {}
            _merge(fresh, value)
            into[key] = fresh
        else:
            into[key] = value


def _place(package: str, content: dict[str, Any]) -> dict[str, Any]:
    for part in reversed([p for p in package.split(".") if p]):
        content = {part: content}
    return content


def _related(package: str, key: str) -> bool:
    """Whether content at ``package`` can hold or contain ``key``."""
    if not package:
        return True
    return key == package or key.startswith(package + ".") or package.startswith(key + ".")


@dataclass
class _Composer:
    search: list[str]
    key: str
    choices: dict[str, Any]  # group path -> option (command-line and override entries)
    appended: list[tuple[str, Any, str]]  # +group=option from the command line
    tree: dict[str, Any] = field(default_factory=dict)
    complete: bool = True
    problem: str = ""
    read: list[str] = field(default_factory=list)
    overridden: dict[str, Any] = field(default_factory=dict)  # seen in defaults lists

    def find(self, relative: str) -> str | None:
        for folder in self.search:
            path = os.path.join(folder, relative + ".yaml")
            if fsview.isfile(path):
                return path
            path = os.path.join(folder, relative + ".yml")
            if fsview.isfile(path):
                return path
        return None

    def is_group(self, group: str) -> bool:
        return any(fsview.isdir(os.path.join(folder, group)) for folder in self.search)

    def load(self, path: str, package: str) -> tuple[str | None, dict[str, Any] | None]:
        """The file's ``# @package`` header and its content; content None when unreadable."""
        if len(self.read) >= _MAX_FILES:
            self.complete, self.problem = False, "too many configs"
            return None, None
        self.read.append(path)
        return _read_config(path, self.key, package)

    def include(self, group: str, option: Any, package: str, parent_group: str,
                optional: bool, depth: int) -> None:
        if option is None:
            return
        if isinstance(option, list):
            for one in option:
                self.include(group, one, package, parent_group, optional, depth)
            return
        if not isinstance(option, str) or option == "???" or UNKNOWN in option:
            self.unknown_choice(group, package)
            return
        path = self.find(f"{group}/{option}" if group else option)
        if path is None:
            if not optional:
                self.unknown_choice(group, package)
            return
        self.config(path, group, package, depth)

    def unknown_choice(self, group: str, package: str) -> None:
        """A group whose option cannot be read: any of its configs might be the one."""
        self.unknown_content(package)
        for folder in self.search:
            where = os.path.join(folder, group)
            if not group or not fsview.isdir(where):
                continue
            try:
                names = sorted(os.listdir(where))[:100]
            except OSError:
                continue
            for name in names:
                if not name.endswith((".yaml", ".yml")):
                    continue
                try:
                    with open(os.path.join(where, name), "rb") as handle:
                        head = handle.read(2000).decode("utf-8", "replace")
                except OSError:
                    continue
                header = _PACKAGE_HEADER.search(head)
                if header is not None:
                    self.unknown_content(_header_package(header.group(1), group, package))

    def unknown_content(self, package: str) -> None:
        # a config that cannot be read may hold the key unless it is placed elsewhere
        if _related(package, self.key):
            self.complete = False
            self.problem = self.problem or f"a config of package '{package or '_global_'}' " \
                "could not be read"

    def config(self, path: str, group: str, package: str, depth: int) -> None:
        if depth > 20:
            self.complete, self.problem = False, "defaults nested too deep"
            return
        header, content = self.load(path, package)
        if content is None:
            self.unknown_content(package)
            return
        if header is not None:
            package = _header_package(header, group, package)
        defaults = content.get("defaults")
        own = {k: _unknowns(v) for k, v in content.items() if k not in ("hydra", "defaults")}
        entries = defaults if isinstance(defaults, list) else []
        if "_self_" not in entries:
            entries = [*entries, "_self_"]
        for entry in entries:
            if entry == "_self_":
                if _related(package, self.key):
                    _merge(self.tree, _place(package, own))
                continue
            self.entry(entry, group, package, depth)
        if depth == 0:  # `+group=option` from the command line: the primary's list, last
            for added, option, at in self.appended:
                where = at.removeprefix("_global_").lstrip(".") if at.startswith("_global_") \
                    else at or added.replace("/", ".")
                self.include(added, option, where, added.rpartition("/")[0], False, 1)

    def entry(self, entry: Any, parent_group: str, parent_package: str, depth: int) -> None:
        if isinstance(entry, str):  # a config beside its parent, in the parent's package
            name = entry.lstrip("/")
            where = name if entry.startswith("/") or not parent_group else \
                f"{parent_group}/{name}"
            path = self.find(where)
            if path is None:
                self.unknown_content(parent_package)
                return
            self.config(path, parent_group, parent_package, depth + 1)
            return
        if not isinstance(entry, dict) or len(entry) != 1:
            return
        (raw, option), = entry.items()
        words = str(raw).split()
        optional = "optional" in words[:-1]
        override = "override" in words[:-1]
        spec = words[-1] if words else ""
        name, _, at = spec.partition("@")
        absolute = name.startswith("/")
        name = name.lstrip("/")
        group = name if absolute or not parent_group else f"{parent_group}/{name}"
        if override:
            self.overridden.setdefault(group, option)
            return
        option = self.choices.get(group, self.overridden.get(group, option))
        default_package = group.replace("/", ".")
        if at:
            package = at.removeprefix("_global_").lstrip(".") if at.startswith("_global_") \
                else _join(parent_package, at)
        else:
            package = default_package
        self.include(group, option, package, group.rpartition("/")[0], optional, depth + 1)


@fsview.per_scan  # configs are shared by the scripts of a repository
def _read_config(path: str, key: str, package: str) -> tuple[str | None, dict[str, Any] | None]:
    """A config's ``# @package`` header and content (never changed by the caller).

    A config without a header or a defaults list whose content cannot reach ``key``
    (placed elsewhere, or at the root without the key's first part) is not parsed:
    NAVSIM's lists of thousands of log names are such files.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read(_MAX_BYTES + 1)
    except OSError:
        return None, None
    if len(data) > _MAX_BYTES:
        return None, None
    text = data.decode("utf-8", "replace")
    header = _PACKAGE_HEADER.search(text[:2000])
    if header is None and not re.search(r"^defaults\s*:", text, re.MULTILINE) and not (
            _related(package, key) and (package or re.search(
                rf"^{re.escape(key.split('.', 1)[0])}\s*:", text, re.MULTILINE))):
        return None, {}
    try:
        content = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError:
        return None, None
    if content is None:
        content = {}
    if not isinstance(content, dict):
        return None, None
    return (header.group(1) if header else None), content


def _join(parent: str, child: str) -> str:
    return f"{parent}.{child}" if parent and child else parent or child


def _header_package(header: str, group: str, package: str) -> str:
    if header == "_global_":
        return ""
    if header.startswith("_global_."):
        return header.removeprefix("_global_.")
    if header == "_group_":
        return group.replace("/", ".")
    return header


def search_path(config_dir: str, primary: str | None, roots: Sequence[str]) -> list[str]:
    """The config folder, then the primary config's ``hydra.searchpath`` folders."""
    folders = [config_dir]
    if primary is None:
        return folders
    try:
        with open(primary, "rb") as handle:
            content = yaml.load(handle.read(_MAX_BYTES), Loader=_Loader)
    except (OSError, yaml.YAMLError):
        return folders
    hydra = content.get("hydra") if isinstance(content, dict) else None
    entries = hydra.get("searchpath") if isinstance(hydra, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        folder = _search_folder(str(entry), config_dir, roots)
        if folder is not None:
            folders.append(folder)
    return folders


def _search_folder(entry: str, config_dir: str, roots: Sequence[str]) -> str | None:
    if entry.startswith("file://"):
        folder = entry.removeprefix("file://")
        return folder if os.path.isabs(folder) else os.path.join(config_dir, folder)
    if entry.startswith("pkg://"):
        relative = entry.removeprefix("pkg://").replace(".", "/")
        # the package's folder: under a folder above the configs (never imported)
        folder = config_dir
        while True:
            candidate = os.path.join(folder, relative)
            if fsview.isdir(candidate):
                return candidate
            parent = os.path.dirname(folder)
            if parent == folder or not any(parent.startswith(r) for r in roots):
                break
            folder = parent
    return None


@fsview.per_scan  # the scripts of a folder launch the same entry point with the same configs
def compose(config_dir: str, config_name: str | None, key: str,
            overrides: tuple[Override, ...], roots: tuple[str, ...]) -> Composed:
    """The composed configuration at ``key`` (a dotted path such as ``trainer.params``)."""
    primary = None
    if config_name:
        for suffix in (".yaml", ".yml", ""):
            candidate = os.path.join(config_dir, config_name + suffix)
            if fsview.isfile(candidate):
                primary = candidate
                break
        if primary is None:
            return Composed(complete=False, problem=f"no config {config_name}.yaml")
    search = search_path(config_dir, primary, roots)
    composer = _Composer(search, key, {}, [])
    values: list[Override] = []
    for item in overrides:
        if item.key.startswith("hydra.") or item.key == "hydra":
            continue
        if "." not in item.key and composer.is_group(item.key):
            option = _value(item.value) if item.value is not None else None
            if item.prefix == "~":
                composer.choices[item.key] = None
            elif item.prefix.startswith("+"):
                composer.appended.append((item.key, option, item.package))
            else:
                composer.choices[item.key] = option
            continue
        values.append(item)
    if primary is not None:
        composer.config(primary, "", "", 0)
        # an `override` entry read late still decides its group: compose again with it
        if any(g not in composer.choices for g in composer.overridden):
            for group, option in composer.overridden.items():
                composer.choices.setdefault(group, option)
            composer.tree, composer.read = {}, []
            composer.complete, composer.problem = True, ""
            composer.config(primary, "", "", 0)
    sources: dict[str, str] = {}
    for item in values:
        _apply(composer.tree, item)
        if item.key.startswith(key + ".") and item.key.count(".") == key.count(".") + 1:
            sources[item.key.rsplit(".", 1)[1]] = "the launch line"
    node: Any = composer.tree
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    entries = dict(node) if isinstance(node, dict) else {}
    if node is UNKNOWN_VALUE:
        composer.complete = False
    return Composed(entries, composer.complete, sources, composer.problem,
                    tuple(composer.read))


def _apply(tree: dict[str, Any], item: Override) -> None:
    parts = item.key.split(".")
    node = tree
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            if item.prefix == "~":
                return
            child = {}
            node[part] = child
        node = child
    if item.prefix == "~":
        node.pop(parts[-1], None)
        return
    node[parts[-1]] = _value(item.value or "")
