"""rules.yaml: the built-in rule set and a user's settings, read strictly.

The built-in ``rules.yaml`` (repository root, shipped in the wheel) holds
every built-in rule. A user's ``rules.yaml`` at the scanned repository's
root (or ``--config``) may change severities, switch rules off, add rules of
its own, and set the cluster profile and the other sections. Unknown keys,
unknown rule names, bad values and bad expressions raise
:class:`ConfigError` with the file and line (the CLI exits 2).

Every command reads the configuration at start, so loading it stays cheap:
the expression checker (:mod:`scriptkeeper.rules.expressions`, which imports the
job model) is imported only to check what a user's rules.yaml writes (a
``when``, a ``line``, a template with a placeholder). The built-in rules'
conditions and templates are not checked at each start: :func:`check_builtin`
gives them every check of a user's rule, with the line, and the tests
(tests/rules/test_builtin_rules.py) and the rule pages' generator run it.
A ``fact:`` kind is checked at every load, built-in or not: the registry
(:mod:`scriptkeeper.rules.fact_kinds`) is a plain table.
Conditions are compiled on first judge (and kept, per process, by
``expressions.compile_condition``'s cache, which a user rule's check at load
fills).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, ItemsView, Iterator, KeysView, Mapping, ValuesView
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scriptkeeper.model.cluster_profile import ClusterProfile, PartitionProfile, memory_mb
from scriptkeeper.pipeline.discover import ARCHIVE_FOLDERS
from scriptkeeper.records import APPLICABILITIES, SEVERITIES
from scriptkeeper.rules import edit_table, fact_kinds
from scriptkeeper.rules.yamlsource import LineDict, YamlError, load, load_fast

if TYPE_CHECKING:
    from scriptkeeper.redundancy.family import MarkerTable

CONFIG_NAME = "rules.yaml"


class ConfigError(Exception):
    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        # raised in a worker process, it crosses to the parent pickled
        return (type(self), (self.path, self.line, self.message))


class RuleFailure(ConfigError):
    """Evaluating a rule's condition failed (past a limit, or an error of its own)."""


@dataclass(frozen=True)
class RuleDoc:
    what: str = ""
    example: str = ""
    fixed: str = ""
    suppress: str = ""


@dataclass(frozen=True)
class Rule:
    """One rule: a condition over the model or a fact kind, and what to say."""

    name: str
    code: str
    severity: str
    summary: str
    message: str
    fix: str
    when: str | None = None  # expression over the model
    fact: str | None = None  # or: a fact kind from the parser/analysis
    scope: str = "job"  # "job" or "step"
    line: str | None = None  # attribute path giving the line
    enabled: bool = True
    builtin: bool = True
    doc: RuleDoc = RuleDoc()
    # the severity when the step's entry point was not read but inferred (step.entry_inferred)
    inferred_severity: str | None = None
    # what `scriptkeeper fix` may do: safe, unsafe, none (no edit is right without a
    # person), or "" (no automatic fix); safe and unsafe need an edit (rules/edit_table.py)
    autofix: str = ""
    # where the condition is written (file, line), for an error while evaluating it
    source_file: str = field(default="", compare=False)
    source_line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class RedundancySettings:
    pin: tuple[str, ...] = ()
    # None: the built-in table of rules.yaml (read when first needed, see builtin_markers)
    markers: MarkerTable | None = None
    ignore: tuple[str, ...] = ("job-name", "output", "error", "mail-type", "mail-user",
                               "time", "comment")
    duplicates: bool = True
    superseded: bool = True

    @property
    def marker_table(self) -> MarkerTable:
        return self.markers if self.markers is not None else builtin_markers()


_MARKER_CLASSES = ("version", "date", "newer", "older", "not_versions")


@functools.cache
def builtin_markers() -> MarkerTable:
    """The marker table of the built-in rules.yaml (``redundancy.markers``): read only when a
    file name must be split, so a warm scan without groups never parses YAML."""
    from scriptkeeper.redundancy.family import MarkerTable
    from scriptkeeper.rules.yamlsource import load_fast

    table = load_fast(builtin_text())["redundancy"]["markers"]
    return MarkerTable(**{name: tuple(str(p) for p in table.get(name) or ())
                          for name in _MARKER_CLASSES})


@dataclass(frozen=True)
class Config:
    rules: Mapping[str, Rule]
    cluster: ClusterProfile | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    archive: tuple[str, ...] = ARCHIVE_FOLDERS  # the repository's own archive folders: skipped
    redundancy: RedundancySettings = RedundancySettings()
    backup_dir: str = "backup_{timestamp}"
    backup_commit: bool = True
    frameworks: dict[str, str] = field(default_factory=dict)
    hook_redundancy: str = "warning"
    source: str | None = None
    digest: str = ""
    base: Path | None = None  # the folder of the user's rules.yaml: patterns are relative to it

    @property
    def slurm_version(self) -> str | None:
        return self.cluster.slurm_version if self.cluster else None

    @property
    def plugin_options(self) -> tuple[str, ...]:
        return self.cluster.plugin_options if self.cluster else ()


@functools.cache
def builtin_text() -> str:
    package = Path(__file__).resolve().parent.parent
    # the wheel's copy in the package (what importlib.resources finds, without importing
    # it), else a source checkout or editable install: the file at the repository root
    for candidate in (package / CONFIG_NAME, package.parent / CONFIG_NAME):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    from importlib import resources  # installed in a zip or the like

    return resources.files("scriptkeeper").joinpath(CONFIG_NAME).read_text(encoding="utf-8")


class _Reader:
    def __init__(self, path: str, strict: bool = False) -> None:
        self.path = path
        # check built-in rules as a user's: the tests and the docs generator do, a start not
        self.strict = strict

    def fail(self, line: int, message: str) -> ConfigError:
        return ConfigError(self.path, line, message)

    def mapping(self, value: Any, line: int, what: str) -> LineDict:
        if value is None:
            empty = LineDict()
            empty.line = line
            empty.key_lines = {}
            return empty
        if not isinstance(value, LineDict):
            raise self.fail(line, f"{what} must be a mapping")
        return value

    def keys(self, mapping: LineDict, allowed: AbstractSet[str], what: str) -> None:
        for key in mapping:
            if key not in allowed:
                raise self.fail(mapping.line_of(key),
                                f"unknown key '{key}' in {what} (allowed: "
                                f"{', '.join(sorted(allowed))})")

    def strings(self, mapping: LineDict, key: str) -> tuple[str, ...]:
        value = mapping.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(mapping.line_of(key), f"'{key}' must be a list of strings")
        return tuple(value)

    def string(self, mapping: LineDict, key: str, default: str | None = None) -> str | None:
        value = mapping.get(key, default)
        if value is None:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            raise self.fail(mapping.line_of(key), f"'{key}' must be a string")
        return value

    def boolean(self, mapping: LineDict, key: str, default: bool) -> bool:
        value = mapping.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(mapping.line_of(key), f"'{key}' must be true or false")
        return value

    def positive(self, mapping: LineDict, key: str) -> int | None:
        value = mapping.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self.fail(mapping.line_of(key), f"'{key}' must be a whole number >= 0")
        return value


_RULE_KEYS = {"code", "severity", "summary", "message", "fix", "when", "fact", "scope", "line",
              "enabled", "doc", "inferred_severity", "autofix"}
_OVERRIDE_KEYS = {"severity", "enabled", "message", "fix", "inferred_severity", "autofix"}


def _inferred(reader: _Reader, raw: LineDict, default: str | None) -> str | None:
    value = reader.string(raw, "inferred_severity", default)
    if value is not None and value not in SEVERITIES:
        raise reader.fail(raw.line_of("inferred_severity"),
                          f"inferred_severity must be one of {', '.join(SEVERITIES)}")
    return value


def _autofix(reader: _Reader, raw: LineDict, name: str, default: str) -> str:
    value = reader.string(raw, "autofix", default) or ""
    if value and value not in APPLICABILITIES:
        raise reader.fail(raw.line_of("autofix"),
                          f"autofix must be one of {', '.join(APPLICABILITIES)}")
    if value in ("safe", "unsafe") and name not in edit_table.MODULES:
        raise reader.fail(raw.line_of("autofix"),
                          f"rule '{name}' has no edit of scriptkeeper's: its autofix can only "
                          f"be 'none'")
    return value
# built-in rules a user's rules.yaml may not touch, and why
FIXED_RULES = {"internal-error": "the script's verdict is unknown until scriptkeeper is "
                                  "fixed, and clean must not act on it"}


def _read_rule(reader: _Reader, name: str, raw: LineDict, builtin: bool,
               base: Rule | None) -> Rule:
    if base is not None:
        if name in FIXED_RULES:
            raise reader.fail(raw.line, f"built-in rule '{name}' cannot be changed: "
                                        f"{FIXED_RULES[name]}")
        reader.keys(raw, _OVERRIDE_KEYS, f"the settings of built-in rule '{name}'")
        severity = reader.string(raw, "severity", base.severity) or base.severity
        if severity not in SEVERITIES:
            raise reader.fail(raw.line_of("severity"),
                              f"severity must be one of {', '.join(SEVERITIES)}")
        message = reader.string(raw, "message", base.message) or base.message
        fix = reader.string(raw, "fix", base.fix) or base.fix
        # only what the user wrote: the built-in message and fix are checked by a test
        if "message" in raw:
            _check_template(reader, raw, "message", message, base.scope)
        if "fix" in raw:
            _check_template(reader, raw, "fix", fix, base.scope)
        return Rule(
            name=base.name, code=base.code, severity=severity, summary=base.summary,
            message=message, fix=fix, when=base.when, fact=base.fact, scope=base.scope,
            line=base.line, enabled=reader.boolean(raw, "enabled", base.enabled),
            builtin=base.builtin, doc=base.doc, source_file=base.source_file,
            source_line=base.source_line,
            inferred_severity=_inferred(reader, raw, base.inferred_severity),
            autofix=_autofix(reader, raw, name, base.autofix),
        )
    reader.keys(raw, _RULE_KEYS, f"rule '{name}'")
    when = reader.string(raw, "when")
    fact = reader.string(raw, "fact")
    if (when is None) == (fact is None):
        raise reader.fail(raw.line, f"rule '{name}' needs exactly one of 'when' (an "
                                    f"expression over the job model) or 'fact'")
    scope: str = reader.string(raw, "scope", "job") or "job"
    if scope not in ("job", "step"):
        raise reader.fail(raw.line_of("scope"), "scope must be 'job' or 'step'")
    if fact is not None:
        scope = "fact"
        if fact not in fact_kinds.KINDS:
            raise reader.fail(raw.line_of("fact"), _unknown_fact(name, fact))
    # scriptkeeper's own rules are checked by check_builtin (a test), not at every start
    checked = not builtin or reader.strict
    if when is not None and checked:
        from scriptkeeper.rules import expressions

        try:
            expressions.compile_condition(when, scope)
        except expressions.ExpressionError as error:
            raise reader.fail(raw.line_of("when"), f"bad expression in rule '{name}': "
                                                   f"{error}") from error
    line = reader.string(raw, "line")
    if line is not None and checked:
        from scriptkeeper.rules import expressions

        try:
            expressions.check_path(line, scope)
        except expressions.ExpressionError as error:
            raise reader.fail(raw.line_of("line"), f"bad line path: {error}") from error
    severity = reader.string(raw, "severity", "error") or "error"
    if severity not in SEVERITIES:
        raise reader.fail(raw.line_of("severity"),
                          f"severity must be one of {', '.join(SEVERITIES)}")
    user_message = reader.string(raw, "message")
    if not user_message:
        raise reader.fail(raw.line, f"rule '{name}' needs a 'message'")
    message = user_message
    fix = reader.string(raw, "fix", "") or ""
    if checked:
        _check_template(reader, raw, "message", message, scope)
        _check_template(reader, raw, "fix", fix, scope)
    doc_raw = reader.mapping(raw.get("doc"), raw.line_of("doc"), "doc")
    reader.keys(doc_raw, {"what", "example", "fixed", "suppress"}, f"doc of rule '{name}'")
    doc = RuleDoc(*(reader.string(doc_raw, k, "") or "" for k in
                    ("what", "example", "fixed", "suppress")))
    code = reader.string(raw, "code", "USER") or "USER"
    return Rule(
        name=name, code=code, severity=severity,
        summary=reader.string(raw, "summary", "") or message.split(":")[0],
        message=message, fix=fix, when=when, fact=fact, scope=scope, line=line,
        enabled=reader.boolean(raw, "enabled", True), builtin=builtin, doc=doc,
        inferred_severity=_inferred(reader, raw, None),
        autofix=_autofix(reader, raw, name, ""),
        source_file=reader.path, source_line=raw.line_of("when") if when else raw.line,
    )


def _unknown_fact(name: str, fact: str) -> str:
    import difflib  # only for the error

    close = difflib.get_close_matches(fact, fact_kinds.KINDS, n=1)
    hint = f"did you mean '{close[0]}'?" if close else \
        f"the kinds: {', '.join(sorted(fact_kinds.KINDS))}"
    return f"unknown fact kind '{fact}' in rule '{name}' ({hint})"


def _check_template(reader: _Reader, raw: LineDict, key: str, text: str, scope: str) -> None:
    if "{" not in text:
        return  # no placeholder: nothing to check, no need for the expression checker
    from scriptkeeper.rules import expressions

    try:
        expressions.check_template(text, scope)
    except expressions.ExpressionError as error:
        raise reader.fail(raw.line_of(key), f"bad placeholder in '{key}': {error}") from error


def _read_rules(reader: _Reader, raw: LineDict, base: dict[str, Rule],
                builtin: bool) -> dict[str, Rule]:
    rules = dict(base)
    for name, value in raw.items():
        line = raw.line_of(name)
        body = reader.mapping(value, line, f"rule '{name}'")
        existing = base.get(name)
        if existing is None and not builtin and not ("when" in body or "fact" in body):
            raise reader.fail(line, f"unknown rule '{name}' (see 'scriptkeeper rules'); a new "
                                    f"rule of your own needs 'when' and 'message'")
        rules[name] = _read_rule(reader, name, body, builtin, existing)
    return rules


def _read_cluster(reader: _Reader, raw: LineDict) -> ClusterProfile:
    reader.keys(raw, {"slurm_version", "default_partition", "partitions", "plugin_options",
                      "gpus_managed", "gres_types"}, "cluster")
    partitions: dict[str, PartitionProfile] = {}
    parts = reader.mapping(raw.get("partitions"), raw.line_of("partitions"), "partitions")
    for name, value in parts.items():
        body = reader.mapping(value, parts.line_of(name), f"partition '{name}'")
        reader.keys(body, {"cpus_per_node", "gpus_per_node", "gpu_types", "mem_per_node"},
                    f"partition '{name}'")
        mem_raw = body.get("mem_per_node")
        mem = memory_mb(mem_raw)
        if mem_raw is not None and mem is None:
            raise reader.fail(body.line_of("mem_per_node"),
                              "mem_per_node must be a size such as 512G")
        partitions[str(name)] = PartitionProfile(
            name=str(name), cpus_per_node=reader.positive(body, "cpus_per_node"),
            gpus_per_node=reader.positive(body, "gpus_per_node"),
            gpu_types=reader.strings(body, "gpu_types"), mem_per_node_mb=mem)
    default = reader.string(raw, "default_partition")
    if default is not None and partitions and default not in partitions:
        raise reader.fail(raw.line_of("default_partition"),
                          f"default_partition '{default}' is not among the partitions")
    version = reader.string(raw, "slurm_version")
    return ClusterProfile(
        slurm_version=version, default_partition=default, partitions=partitions,
        plugin_options=reader.strings(raw, "plugin_options"),
        gpus_managed=reader.boolean(raw, "gpus_managed", True),
        gres_types=reader.strings(raw, "gres_types"),
        gpus_managed_known="gpus_managed" in raw)


TOP_KEYS = frozenset({"scripts", "cluster", "redundancy", "backup", "rules", "frameworks",
                      "hook"})


def _load_builtin(text: str, strict: bool = False) -> dict[str, Rule]:
    if strict:
        return _read_builtin(text, load, strict)
    try:
        return _read_builtin(text, load_fast, strict)
    except ConfigError:
        # the fast reader puts every key on line 1: read again with lines, for the error
        return _read_builtin(text, load, strict)


def _read_builtin(text: str, reading: Callable[[str], Any], strict: bool) -> dict[str, Rule]:
    reader = _Reader("<built-in rules.yaml>", strict)
    try:
        raw = reader.mapping(reading(text), 1, "the built-in rules.yaml")
    except YamlError as error:
        raise reader.fail(error.line, str(error)) from error
    return _read_rules(reader, reader.mapping(raw.get("rules"), 1, "rules"), {}, True)


_BUILTIN: dict[str, Rule] | None = None


def builtin_rules() -> dict[str, Rule]:
    global _BUILTIN
    if _BUILTIN is None:
        _BUILTIN = _load_builtin(builtin_text())
    return _BUILTIN


def check_builtin(text: str | None = None) -> dict[str, Rule]:
    """The built-in rules (or rules.yaml ``text`` in their place), given every check a user's
    rule gets: conditions, line paths and templates over known fields. Raises ConfigError
    with the line of the first mistake."""
    return _load_builtin(builtin_text() if text is None else text, strict=True)


class _BuiltinRules(Mapping[str, Rule]):
    """The built-in rules, read from rules.yaml when first looked at.

    A scan answered from the result cache, or the hook, with no rules.yaml of the
    user's never judges: it then needs neither PyYAML nor the parse (25 ms).
    """

    def __getitem__(self, name: str) -> Rule:
        return builtin_rules()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(builtin_rules())

    def __len__(self) -> int:
        return len(builtin_rules())

    # the dict's own views: judging reads every rule of every script through these
    def keys(self) -> KeysView[str]:
        return builtin_rules().keys()

    def values(self) -> ValuesView[Rule]:
        return builtin_rules().values()

    def items(self) -> ItemsView[str, Rule]:
        return builtin_rules().items()


def load_config(path: Path | None) -> Config:
    """The built-in rules, overlaid with the user's rules.yaml at ``path`` if given."""
    if path is None:
        return Config(rules=_BuiltinRules(), digest=_digest(""))
    rules = builtin_rules()
    shown = str(path)
    reader = _Reader(shown)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(shown, 1, f"cannot read: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise ConfigError(shown, 1, "not UTF-8 text") from error
    try:
        raw = reader.mapping(load(text), 1, "rules.yaml")
    except YamlError as error:
        raise ConfigError(shown, error.line, f"not valid YAML: {error}") from error
    reader.keys(raw, TOP_KEYS, "rules.yaml")
    scripts = reader.mapping(raw.get("scripts"), raw.line_of("scripts"), "scripts")
    reader.keys(scripts, {"include", "exclude", "archive"}, "scripts")
    cluster = None
    if raw.get("cluster") is not None:
        cluster = _read_cluster(reader, reader.mapping(raw["cluster"], raw.line_of("cluster"),
                                                       "cluster"))
    red = reader.mapping(raw.get("redundancy"), raw.line_of("redundancy"), "redundancy")
    reader.keys(red, {"pin", "markers", "ignore", "duplicates", "superseded"}, "redundancy")
    defaults = RedundancySettings()
    redundancy = RedundancySettings(
        pin=reader.strings(red, "pin"),
        markers=_read_markers(reader, red) if "markers" in red else None,
        ignore=reader.strings(red, "ignore") if "ignore" in red else defaults.ignore,
        duplicates=reader.boolean(red, "duplicates", True),
        superseded=reader.boolean(red, "superseded", True))
    _check_redundancy(reader, red, redundancy, cluster)
    backup = reader.mapping(raw.get("backup"), raw.line_of("backup"), "backup")
    reader.keys(backup, {"dir", "commit"}, "backup")
    backup_dir = reader.string(backup, "dir", "backup_{timestamp}") or "backup_{timestamp}"
    if "{timestamp}" not in backup_dir:
        raise reader.fail(backup.line_of("dir"), "backup.dir must contain '{timestamp}'")
    frameworks = reader.mapping(raw.get("frameworks"), raw.line_of("frameworks"), "frameworks")
    reader.keys(frameworks, {"lightning", "pytorch_lightning", "accelerate", "deepspeed",
                             "torch", "horovod"}, "frameworks")
    hook = reader.mapping(raw.get("hook"), raw.line_of("hook"), "hook")
    reader.keys(hook, {"redundancy"}, "hook")
    if hook.get("redundancy") is False:  # YAML 1.1 reads a bare `off` as false
        hook["redundancy"] = "off"
    hook_redundancy = reader.string(hook, "redundancy", "warning") or "warning"
    if hook_redundancy not in ("error", "warning", "off"):
        raise reader.fail(hook.line_of("redundancy"), "hook.redundancy: error, warning or off")
    user_rules = reader.mapping(raw.get("rules"), raw.line_of("rules"), "rules")
    rules = _read_rules(reader, user_rules, rules, False)
    return Config(
        rules=rules, cluster=cluster, include=reader.strings(scripts, "include"),
        exclude=reader.strings(scripts, "exclude"),
        archive=reader.strings(scripts, "archive") if "archive" in scripts else ARCHIVE_FOLDERS,
        redundancy=redundancy,
        backup_dir=backup_dir, backup_commit=reader.boolean(backup, "commit", True),
        frameworks={k: str(v) for k, v in frameworks.items()},
        hook_redundancy=hook_redundancy, source=shown, digest=_digest(text),
        base=path.resolve().parent)


def _read_markers(reader: _Reader, raw: LineDict) -> MarkerTable:
    """``markers:`` as a mapping adds to the built-in classes; as a list (the older form) it
    replaces the patterns, each keeping the built-in class it is in."""
    from scriptkeeper.redundancy.family import MarkerTable

    value = raw.get("markers")
    if isinstance(value, dict):
        table = reader.mapping(value, raw.line_of("markers"), "redundancy.markers")
        reader.keys(table, set(_MARKER_CLASSES), "redundancy.markers")
        return builtin_markers().extended(**{name: reader.strings(table, name)
                                             for name in _MARKER_CLASSES if name in table})
    return MarkerTable.of(reader.strings(raw, "markers"), builtin_markers())


def _check_redundancy(reader: _Reader, raw: LineDict, settings: RedundancySettings,
                      cluster: ClusterProfile | None) -> None:
    """Markers must be regular expressions, ignored options sbatch's long option names."""
    import re

    markers = settings.marker_table
    for marker in (*markers.patterns, *markers.not_versions):
        try:
            re.compile(marker)
        except re.error as error:
            raise reader.fail(raw.line_of("markers"), f"redundancy.markers: '{marker}' is not "
                                                      f"a regular expression ({error})") from error
    if "ignore" not in raw:
        return  # the default names are long options of every release (a test checks)
    from scriptkeeper.parse.option_table import option_table

    table = option_table(cluster.slurm_version if cluster else None,
                         tuple(sorted(cluster.plugin_options)) if cluster else ())
    for name in settings.ignore:
        if name not in table.by_long:
            spec = table.by_short.get(name.lstrip("-")) if len(name.lstrip("-")) == 1 else \
                table.resolve(name.lstrip("-")).spec
            hint = f" (write '{spec.long}')" if spec is not None else ""
            raise reader.fail(raw.line_of("ignore"),
                              f"redundancy.ignore: '{name}' is not a long sbatch option "
                              f"name{hint}")


def _digest(text: str) -> str:
    return hashlib.sha256((builtin_text() + "\0" + text).encode()).hexdigest()[:16]
