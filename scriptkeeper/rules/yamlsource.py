"""Load YAML keeping the line of every mapping key, for errors that name a line.

Used by the configuration loader so that every strictness error in a
rules.yaml says ``file:line``.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

# PyYAML is imported on the first load, not with this module:
# the configuration module, and so every command, imports LineDict and YamlError.


class LineDict(dict[str, Any]):
    """A mapping that remembers the line (1-based) of each key and of itself."""

    line: int = 1
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


@functools.cache
def _loader() -> type[yaml.SafeLoader]:
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    return _Loader


class YamlError(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def load(text: str) -> Any:
    import yaml

    try:
        return yaml.load(text, Loader=_loader())  # a SafeLoader subclass: no arbitrary objects
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        raise YamlError(str(error.problem or error), (mark.line + 1) if mark else 1) from error
    except yaml.YAMLError as error:
        raise YamlError(str(error), 1) from error


def _with_lines(value: Any) -> Any:
    if isinstance(value, dict):
        result = LineDict({str(k): _with_lines(v) for k, v in value.items()})
        result.line = 1
        result.key_lines = {}
        return result
    if isinstance(value, list):
        return [_with_lines(v) for v in value]
    return value


def load_fast(text: str) -> Any:
    """Like :func:`load` but with libyaml when present and every line reported as 1.

    For the built-in rules.yaml, read at every start and tested in the
    repository: its errors are scriptkeeper's own, so speed wins over lines.
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None:
        return load(text)
    try:
        return _with_lines(yaml.load(text, Loader=loader))  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError:
        return load(text)  # the slow reader gives the line of the problem
