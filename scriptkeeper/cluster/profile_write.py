"""Write an imported cluster profile into rules.yaml, keeping everything else (profile import).

Only the top-level ``cluster:`` block of the file is rewritten; every other
byte of the file stays as it was. Inside the block, ``profile import`` owns
``slurm_version``, ``default_partition``, ``gres_types`` and, per partition,
``cpus_per_node``, ``gpus_per_node``, ``gpu_types`` and ``mem_per_node``.
Comments and the keys it does not own (``plugin_options``, ``gpus_managed``)
are kept: the block is edited with ruamel.yaml's round-trip loader, which
keeps comments where PyYAML drops them. Partitions the cluster no longer has
are removed from the profile.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from scriptkeeper.model.cluster_profile import ClusterProfile, PartitionProfile

OWNED_KEYS = ("slurm_version", "default_partition", "gres_types", "partitions")
PARTITION_KEYS = ("cpus_per_node", "gpus_per_node", "gpu_types", "mem_per_node")

HEADER = ("# The cluster the jobs run on: written by 'scriptkeeper profile import'.\n"
          "# Rerun it when the cluster changes; comments and other keys are kept.\n")

_TOP_KEY = re.compile(r"""^(["']?)([A-Za-z_][\w.-]*)\1[ \t]*:(?:[ \t]|$)""")


class ProfileWriteError(Exception):
    """The rules.yaml cannot take the profile (message says why)."""


def mem_text(mb: int) -> str:
    """A memory size as rules.yaml writes it: ``2000G`` when exact, else ``NNNM``."""
    if mb and mb % (1024 * 1024) == 0:
        return f"{mb // (1024 * 1024)}T"
    if mb and mb % 1024 == 0:
        return f"{mb // 1024}G"
    return f"{mb}M"


def _top_level_keys(lines: list[str]) -> list[tuple[int, str | None]]:
    """(index, key) of each top-level key line; key None for a ``---``/``...`` marker."""
    found: list[tuple[int, str | None]] = []
    for i, line in enumerate(lines):
        if line.startswith(("---", "...")):
            found.append((i, None))
            continue
        match = _TOP_KEY.match(line)
        if match:
            found.append((i, match.group(2)))
    return found


def _cluster_span(lines: list[str]) -> tuple[int, int] | None:
    """The lines [start, end) of the top-level ``cluster:`` block, if there is one."""
    keys = _top_level_keys(lines)
    for n, (start, key) in enumerate(keys):
        if key != "cluster":
            continue
        end = keys[n + 1][0] if n + 1 < len(keys) else len(lines)
        # blank lines and column-0 comments just before the next key belong to it
        while end - 1 > start and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
            end -= 1
        return start, end
    return None


def _indent_of(block: list[str]) -> int:
    for line in block[1:]:
        stripped = line.lstrip(" ")
        if stripped.strip() and not stripped.startswith("#"):
            return max(len(line) - len(stripped), 2)
    return 2


def _yaml(indent: int) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=indent, sequence=indent + 2, offset=indent)
    return yaml


def _flow_list(items: tuple[str, ...]) -> Any:
    from ruamel.yaml.comments import CommentedSeq

    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _set(mapping: Any, key: str, value: Any) -> None:
    if value is None:
        mapping.pop(key, None)
    elif mapping.get(key) != value:
        mapping[key] = value


def _update_partition(entry: Any, part: PartitionProfile) -> None:
    _set(entry, "cpus_per_node", part.cpus_per_node)
    _set(entry, "gpus_per_node", part.gpus_per_node)
    current = entry.get("gpu_types")
    if not part.gpu_types:
        entry.pop("gpu_types", None)
    elif not isinstance(current, list) or tuple(current) != part.gpu_types:
        entry["gpu_types"] = _flow_list(part.gpu_types)
    _set(entry, "mem_per_node",
         mem_text(part.mem_per_node_mb) if part.mem_per_node_mb is not None else None)


def _update_cluster(cluster: Any, profile: ClusterProfile) -> None:
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if profile.slurm_version is not None and str(cluster.get("slurm_version")) != \
            profile.slurm_version:
        cluster["slurm_version"] = DoubleQuotedScalarString(profile.slurm_version)
    _set(cluster, "default_partition", profile.default_partition)
    current = cluster.get("gres_types")
    if not profile.gres_types:
        cluster.pop("gres_types", None)
    elif not isinstance(current, list) or tuple(current) != profile.gres_types:
        cluster["gres_types"] = _flow_list(profile.gres_types)
    parts = cluster.get("partitions")
    if not isinstance(parts, CommentedMap):
        parts = CommentedMap()
        cluster["partitions"] = parts
    for name in [n for n in parts if n not in profile.partitions]:
        del parts[name]
    for name, part in profile.partitions.items():
        entry = parts.get(name)
        if not isinstance(entry, CommentedMap):
            entry = CommentedMap()
            parts[name] = entry
        _update_partition(entry, part)


def _render_block(block_text: str, profile: ClusterProfile, indent: int) -> str:
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    yaml = _yaml(indent)
    try:
        doc = yaml.load(block_text) if block_text.strip() else None
    except YAMLError as error:
        raise ProfileWriteError(f"the cluster: block is not valid YAML: {error}") from error
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, CommentedMap):
        raise ProfileWriteError("the cluster: block is not a mapping")
    cluster = doc.get("cluster")
    if cluster is None:
        cluster = CommentedMap()
        doc["cluster"] = cluster
    if not isinstance(cluster, CommentedMap):
        raise ProfileWriteError("cluster: in rules.yaml is not a mapping")
    _update_cluster(cluster, profile)
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def merge(text: str | None, profile: ClusterProfile) -> str:
    """``text`` (a rules.yaml, or None for a new file) with its cluster block set to ``profile``."""
    if not text:
        return HEADER + _render_block("", profile, 2)
    lines = text.splitlines(keepends=True)
    span = _cluster_span(lines)
    if span is None:
        from scriptkeeper.rules.yamlsource import YamlError, load

        try:
            parsed = load(text)
        except YamlError as error:
            raise ProfileWriteError(f"not valid YAML (line {error.line}): {error}") from error
        if isinstance(parsed, dict) and "cluster" in parsed:
            raise ProfileWriteError("cannot find the top-level 'cluster:' line to replace (is "
                                    "the file written in flow style?)")
        glue = "" if text.endswith("\n") else "\n"
        return text + glue + "\n" + HEADER + _render_block("", profile, 2)
    start, end = span
    block = lines[start:end]
    rendered = _render_block("".join(block), profile, _indent_of(block))
    return "".join(lines[:start]) + rendered + "".join(lines[end:])


def write(path: Path, profile: ClusterProfile) -> str:
    """Merge ``profile`` into the rules.yaml at ``path`` (created if missing); the new text.

    The original must be a valid rules.yaml; the result is checked the same
    way before it replaces the file (atomically, keeping its mode).
    """
    from scriptkeeper.rules.config import ConfigError, load_config

    original: str | None = None
    if path.exists():
        try:
            original = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ProfileWriteError(f"cannot read {path}: {error}") from error
        try:
            load_config(path)
        except ConfigError as error:
            raise ProfileWriteError(f"{error} (fix it before importing a profile)") from error
    new_text = merge(original, profile)
    folder = path.parent
    handle, temp_name = tempfile.mkstemp(prefix=".rules.yaml.", suffix=".tmp", dir=folder)
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(new_text)
        try:
            load_config(temp)
        except ConfigError as error:
            raise ProfileWriteError(f"the merged rules.yaml would not load ({error}); "
                                    f"{path} is unchanged") from error
        if original is not None:
            os.chmod(temp, path.stat().st_mode & 0o7777)
        os.replace(temp, path)
    finally:
        if temp.exists():
            temp.unlink()
    return new_text
