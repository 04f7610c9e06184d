"""Follow a launch line into the repository: the entry point and its framework (model stage).

:func:`locate` finds the file a ``python x.py`` / ``python -m pkg.mod`` /
launcher script argument names, relative to the folder of the user's
rules.yaml, the repository root and the script's folder (``cd $HOME/...``
before the python line is common, so an unknown working directory falls back
to those for finding the file). It also says when the target is missing although
its folder exists, only while the working directory is known: after a ``cd``
outside the repository the file is looked for there, not here. :func:`facts`
reads a Python file with ``ast`` (never runs it): the framework it imports
(``lightning``, ``pytorch_lightning``,
``lightning.fabric``, ``accelerate``, ``deepspeed``, ``horovod``,
``torch.distributed``), the ``Trainer``/``Fabric`` arguments it fixes
(``devices``, ``accelerator``, ``num_nodes``), whether it reads the SLURM
task variables itself, and unconditional evidence of GPU use
(``accelerator="gpu"``, ``.cuda()``, ``"nccl"``). Results are cached per file
and modification time.

The SLURM facts relied on here: docs/launch-contracts.md §4.1 and §4.2.
"""

from __future__ import annotations

import ast
import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scriptkeeper.body.launchers import Entry
from scriptkeeper.body.shell import UNKNOWN
from scriptkeeper.parse.c_numbers import LONG_MAX, clamped
from scriptkeeper.pipeline import fsview

FRAMEWORK_ORDER = ("lightning", "pytorch_lightning", "fabric", "accelerate", "deepspeed",
                   "horovod", "torch")
_SLURM_TASK_VARS = frozenset({"SLURM_PROCID", "SLURM_LOCALID", "SLURM_NTASKS"})
# Other ways to get a rank: code that knows them reads SLURM_* only on one of its paths.
_OTHER_RANK_SOURCES = frozenset({"RANK", "LOCAL_RANK", "WORLD_SIZE", "OMPI_COMM_WORLD_RANK",
                                 "PMI_RANK", "PMIX_RANK", "launcher", "--launcher"})
_SPAWNING_STRATEGIES = ("spawn", "fork", "notebook")
_ALL = -1  # devices=-1 / "auto" on GPUs: every visible device


@dataclass(frozen=True)
class TrainerArgs:
    """What a ``Trainer(...)`` / ``Fabric(...)`` call fixes; None where the code does not."""

    api: str  # "Trainer" or "Fabric"
    line: int
    devices: int | None  # a count, _ALL for "auto"/-1, None unknown
    accelerator: str | None  # "gpu", "cpu", "auto", ... or None unknown
    num_nodes: int | None
    strategy: str | None = "auto"  # the strategy named, "auto" when none; None unknown
    config_key: str | None = None  # 'trainer.params' for Trainer(**cfg.trainer.params)
    explicit: tuple[str, ...] = ()  # the keyword arguments the call writes out
    instantiated: bool = False  # hydra.utils.instantiate(cfg.key): the config's _target_ decides


@dataclass(frozen=True)
class SourceFacts:
    """What one Python file says about how it trains."""

    frameworks: tuple[str, ...] = ()
    trainers: tuple[TrainerArgs, ...] = ()
    lightning_cli: bool = False
    gpu_evidence: str = ""  # 'accelerator="gpu" (line 12)', '' when none
    cpu_only: bool = False
    # takes its rank from SLURM_PROCID / SLURM_LOCALID / SLURM_NTASKS, and from nothing else
    reads_slurm: bool = False
    custom_env: bool = False  # a cluster environment of its own, or SLURM_* variables changed
    local_imports: tuple[str, ...] = ()
    syntax_ok: bool = True
    # @hydra.main(config_path=..., config_name=...): the folder (relative to the file) and name
    hydra_main: tuple[str, str | None] | None = None


@dataclass(frozen=True)
class Located:
    """Where an entry point is, or that it is missing."""

    path: str | None = None  # the file found
    shown: str | None = None  # its path relative to the repository root
    exists: bool | None = None  # False: missing though its folder exists; None: not judged
    folder: str = ""  # the folder that exists (for the message)
    tried: tuple[str, ...] = field(default_factory=tuple)


def _dotted(node: ast.AST) -> str:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _framework_of_module(name: str) -> str | None:
    if name == "lightning_fabric" or name.startswith(("lightning_fabric.", "lightning.fabric")):
        return "fabric"
    if name == "lightning" or name.startswith("lightning."):
        return "lightning"
    if name == "pytorch_lightning" or name.startswith("pytorch_lightning."):
        return "pytorch_lightning"
    for prefix in ("accelerate", "deepspeed", "horovod"):
        if name == prefix or name.startswith(prefix + "."):
            return prefix
    if name.startswith("torch.distributed") or name.startswith("torch.nn.parallel"):
        return "torch"
    return None


def _devices(node: ast.expr) -> int | None:
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return _ALL if value == -1 else value
        if isinstance(value, str):
            text = value.strip()
            if text in ("auto", "-1"):
                return _ALL
            if text.isascii() and text.isdigit():
                number = clamped(text, LONG_MAX)
                return number if number < LONG_MAX else None
            items = [v for v in text.split(",") if v.strip()]
            if items and all(v.strip().isascii() and v.strip().isdigit() for v in items):
                return len(items)
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and \
            isinstance(node.operand, ast.Constant) and node.operand.value == 1:
        return _ALL
    if isinstance(node, (ast.List, ast.Tuple)):
        return len(node.elts)
    if isinstance(node, ast.Call) and _dotted(node.func).endswith("cuda.device_count"):
        return _ALL
    if isinstance(node, ast.IfExp):  # `N if torch.cuda.is_available() else None`: on GPUs, N
        return _devices(node.body)
    return None


def _text(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.strip().lower()
    if isinstance(node, ast.IfExp):  # `"gpu" if torch.cuda.is_available() else "cpu"`
        return _text(node.body)
    return None


def _trainer(call: ast.Call, api: str) -> TrainerArgs:
    splat = any(k.arg is None for k in call.keywords)
    devices: int | None = None if splat else _ALL
    accelerator: str | None = None if splat else "auto"
    num_nodes: int | None = None if splat else 1
    strategy: str | None = None if splat else "auto"
    gpus_given = False
    config_key = None
    for keyword in call.keywords:
        if keyword.arg is None:
            config_key = _config_key(keyword.value)
        elif keyword.arg == "strategy":
            strategy = _text(keyword.value)
            if strategy is None and isinstance(keyword.value, ast.Call):
                # DDPStrategy(...): its class name, lower case ("ddpstrategy")
                strategy = _dotted(keyword.value.func).rsplit(".", 1)[-1].lower() or None
        elif keyword.arg == "devices":
            devices = _devices(keyword.value)
        elif keyword.arg == "accelerator":
            accelerator = _text(keyword.value)
        elif keyword.arg == "num_nodes":
            num_nodes = keyword.value.value if isinstance(keyword.value, ast.Constant) and \
                isinstance(keyword.value.value, int) else None
        elif keyword.arg == "gpus":  # Lightning < 2.0
            devices = _devices(keyword.value)
            gpus_given = True
    if gpus_given and not any(k.arg == "accelerator" for k in call.keywords):
        accelerator = "gpu"
    if call.args:  # positional arguments: the signature decides, not judged
        devices, accelerator, num_nodes, strategy = None, None, None, None
    explicit = tuple(k.arg for k in call.keywords if k.arg is not None)
    return TrainerArgs(api, call.lineno, devices, accelerator, num_nodes, strategy,
                       config_key, explicit)


def _config_key(node: ast.expr) -> str | None:
    """``trainer.params`` for ``**cfg.trainer.params`` (also through ``OmegaConf.to_container``
    or ``dict(...)``): the configuration path a Trainer's arguments come from."""
    if isinstance(node, ast.Call) and node.args and _dotted(node.func).rsplit(".", 1)[-1] in (
            "to_container", "to_object", "dict"):
        node = node.args[0]
    name = _dotted(node)
    if "." not in name:
        return None
    return name.split(".", 1)[1]


def _hydra_main(decorator: ast.expr, constants: dict[str, str]) -> tuple[str, str | None] | None:
    """``@hydra.main(config_path=..., config_name=...)``, with names of module constants read."""
    if not isinstance(decorator, ast.Call) or not _dotted(decorator.func).endswith("hydra.main"):
        return None
    values: dict[str, str | None] = {"config_path": None, "config_name": None}
    for keyword in decorator.keywords:
        if keyword.arg in values:
            value = keyword.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                values[keyword.arg] = value.value
            elif isinstance(value, ast.Name) and value.id in constants:
                values[keyword.arg] = constants[value.id]
            else:
                return None
    for position, value in zip(("config_path", "config_name"), decorator.args, strict=False):
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            values[position] = value.value
    path = values["config_path"]
    if path is None:
        return None
    return path, values["config_name"]


class _Reader(ast.NodeVisitor):
    def __init__(self) -> None:
        self.modules: list[str] = []
        self.trainers: list[TrainerArgs] = []
        self.lightning_cli = False
        self.evidence: list[tuple[str, int, bool]] = []  # (what, line, conditional-able)
        self.conditional = False
        self.cpu_only = False
        self.reads_slurm = False
        self.other_ranks = False
        self.custom_env = False
        self.local: list[str] = []
        self.constants: dict[str, str] = {}  # module-level NAME = "text"
        self.hydra_main: tuple[str, str | None] | None = None

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.modules.append(alias.name)
            self.local.append(alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            return
        module = node.module or ""
        self.modules.append(module)
        self.local.append(module)
        for alias in node.names:
            self.modules.append(f"{module}.{alias.name}")

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for base in node.bases:
            if _dotted(base).endswith("Environment"):
                self.custom_env = True
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Subscript) and _slurm_key(target.slice):
                self.custom_env = True
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        for decorator in node.decorator_list:
            found = _hydra_main(decorator, self.constants)
            if found is not None:
                self.hydra_main = found
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and \
                isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            self.constants[node.targets[0].id] = node.value.value
        for target in node.targets:
            if isinstance(target, ast.Subscript) and _slurm_key(target.slice) and \
                    _dotted(target.value).endswith("environ"):
                self.custom_env = True
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr == "is_available" and _dotted(node.value).endswith("cuda"):
            self.conditional = True
        elif node.attr == "launcher":  # args.launcher == "slurm": SLURM is one choice of several
            self.other_ranks = True
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            if node.value in _SLURM_TASK_VARS:
                self.reads_slurm = True
            elif node.value in _OTHER_RANK_SOURCES:
                self.other_ranks = True
            elif node.value == "nccl":
                self.evidence.append(('"nccl"', node.lineno, True))

    def visit_Call(self, node: ast.Call) -> None:
        name = _dotted(node.func)
        last = name.rsplit(".", 1)[-1]
        if last in ("Trainer", "Fabric"):
            args = _trainer(node, last)
            self.trainers.append(args)
            chosen = next((k.value for k in node.keywords if k.arg == "accelerator"), None)
            if args.accelerator in ("gpu", "cuda") and not isinstance(chosen, ast.IfExp):
                # ("gpu" if torch.cuda.is_available() else "cpu" needs no GPU)
                self.evidence.append((f'accelerator="{args.accelerator}"', node.lineno, False))
            elif args.accelerator == "cpu":
                self.cpu_only = True
            for keyword in node.keywords:
                strategy = _text(keyword.value) if keyword.arg == "strategy" else None
                if strategy and any(s in strategy for s in _SPAWNING_STRATEGIES):
                    self.custom_env = True  # starts its own processes whatever SLURM says
                if keyword.arg == "plugins":
                    for sub in ast.walk(keyword.value):
                        if isinstance(sub, ast.Call) and _dotted(sub.func).endswith(
                                "Environment") and not _dotted(sub.func).endswith(
                                "SLURMEnvironment"):
                            self.custom_env = True
        elif last == "instantiate" and node.args:
            # hydra.utils.instantiate(cfg.trainer): a Trainer if the config's _target_ says so
            key = _config_key(node.args[0])
            if key is not None and "trainer" in key.rsplit(".", 1)[-1].lower():
                explicit = tuple(k.arg for k in node.keywords if k.arg is not None)
                self.trainers.append(TrainerArgs("Trainer", node.lineno, None, None, None, None,
                                                 key, explicit, instantiated=True))
        elif last == "LightningCLI":
            self.lightning_cli = True
        elif last == "cuda" and isinstance(node.func, ast.Attribute) and not node.args:
            self.evidence.append((".cuda()", node.lineno, True))
        elif last in ("device", "to", "set_device") and node.args and \
                isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str) \
                and node.args[0].value.startswith("cuda"):
            self.evidence.append((f'{last}("{node.args[0].value}")', node.lineno, True))
        elif last == "pop" and node.args and _slurm_key(node.args[0]) and \
                _dotted(node.func).endswith("environ.pop"):
            self.custom_env = True
        elif last == "JobEnvironment":  # submitit reads the SLURM task variables
            self.reads_slurm = True
        self.generic_visit(node)


def _slurm_key(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and \
        node.value in ("SLURM_NTASKS", "SLURM_NTASKS_PER_NODE", "SLURM_JOB_NAME")


def read_source(text: str) -> SourceFacts:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return SourceFacts(syntax_ok=False)
    reader = _Reader()
    reader.visit(tree)
    found = {f for f in (_framework_of_module(m) for m in reader.modules) if f}
    frameworks = tuple(f for f in FRAMEWORK_ORDER if f in found)
    evidence = ""
    for what, line, conditional_able in reader.evidence:
        if conditional_able and reader.conditional:
            continue
        evidence = f"{what} (line {line})"
        break
    return SourceFacts(
        frameworks=frameworks, trainers=tuple(reader.trainers),
        lightning_cli=reader.lightning_cli, gpu_evidence=evidence,
        cpu_only=reader.cpu_only and not evidence,
        reads_slurm=reader.reads_slurm and not reader.other_ranks,
        custom_env=reader.custom_env, local_imports=tuple(dict.fromkeys(reader.local)),
        hydra_main=reader.hydra_main)


@functools.lru_cache(maxsize=4096)
def _facts(path: str, mtime: int, size: int) -> SourceFacts:
    try:
        with open(path, "rb") as handle:
            data = handle.read(2_000_000)
    except OSError:
        return SourceFacts(syntax_ok=False)
    return read_source(data.decode("utf-8", "replace"))


def facts(path: str | Path) -> SourceFacts:
    try:
        st = fsview.stat(str(path))
    except OSError:
        return SourceFacts(syntax_ok=False)
    return _facts(str(path), st.st_mtime_ns, st.st_size)


def _judgeable(target: str) -> bool:
    return bool(target) and UNKNOWN not in target and not target.startswith(("/", "~", "$"))


def _candidates(bases: Sequence[str | Path], cwd: str | None) -> list[str]:
    if cwd:
        return [os.path.join(b, cwd) for b in bases]
    return [str(b) for b in bases]


def _rel(path: str, root: str | Path) -> str:
    text = str(root)
    if path.startswith(text + os.sep):
        return path[len(text) + 1:].replace(os.sep, "/")
    return path.replace(os.sep, "/")


@functools.lru_cache(maxsize=4096)
def _entry_paths(bases: tuple[str, ...], cwd: str | None, options: tuple[str, ...],
                 root: str) -> tuple[tuple[str, str], ...]:
    """The files an entry point may be, in the order they are tried, and how each is shown."""
    paths = []
    for directory in _candidates(bases, cwd):
        for option in options:
            path = os.path.normpath(os.path.join(directory, option))
            paths.append((path, _rel(path, root)))
    return tuple(paths)


def locate(entry: Entry, bases: Sequence[str | Path], cwd: str | None, root: Path,
           produced: frozenset[str] = frozenset(), files_unknown: bool = False) -> Located:
    """Find the file an entry point names, or establish that it is missing."""
    if entry.kind not in ("file", "module") or not _judgeable(entry.target):
        return Located()
    return _locate(entry, tuple(map(str, bases)), cwd, str(root), produced, files_unknown)


@fsview.per_scan  # many scripts run the same entry point from the same folder
def _locate(entry: Entry, bases: tuple[str, ...], cwd: str | None, root: str,
            produced: frozenset[str], files_unknown: bool) -> Located:
    if entry.kind == "file":
        relative = entry.target.removeprefix("./")
        folder = os.path.dirname(relative)
        options = [relative]
    else:
        parts = entry.target.split(".")
        if not all(p.isidentifier() for p in parts):
            return Located()
        relative = "/".join(parts)
        folder = "/".join(parts[:-1])
        options = [relative + ".py", relative + "/__main__.py"]
    for path, shown in _entry_paths(bases, cwd, tuple(options), root):
        if fsview.isfile(path):
            return Located(path=path, shown=shown, exists=True)
    dirs = _candidates(bases, cwd)
    # missing? only when its folder is there to look in, and the script did not make it;
    # after a cd to a place we cannot name (a variable, an absolute path, another checkout)
    # a relative path points there, not into the repository (docs/launch-contracts.md §4.1)
    if not folder or files_unknown or cwd is None:
        return Located()
    written = {p.removeprefix("./") for p in produced}
    top = folder.split("/")[0]
    if any(o in written or f"{cwd}/{o}" in written for o in options) or \
            any(w.startswith(top + "/") or w == top for w in written):
        return Located()
    for directory in dirs:
        where = os.path.normpath(os.path.join(directory, folder))
        if fsview.isdir(where):
            return Located(exists=False, folder=_rel(where, root),
                           tried=tuple(_rel(os.path.normpath(os.path.join(directory, o)), root)
                                       for o in options))
    return Located()


def module_file(name: str, roots: Sequence[str | Path]) -> str | None:
    """The repository file of an imported module, if it is one."""
    parts = name.split(".")
    if not all(p.isidentifier() for p in parts):
        return None
    relative = os.path.join(*parts)
    for root in roots:
        for option in (relative + ".py", os.path.join(relative, "__init__.py")):
            path = os.path.join(root, option)
            if fsview.isfile(path):
                return path
    return None


_INDEX_MAX = 100_000  # files indexed per repository: a bound on the walk, not a limit seen
_SKIP_DIRS = frozenset({".git", "node_modules", "__pycache__", ".venv", "venv", "site-packages",
                        ".tox", ".mypy_cache"})


@fsview.per_scan  # one walk of the repository per scan
def _python_files(root: str) -> dict[str, tuple[str, ...]]:
    """The repository's Python files by file name (paths relative to the root)."""
    found: dict[str, list[str]] = {}
    count = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in files:
            if name.endswith(".py"):
                found.setdefault(name, []).append(
                    os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/"))
                count += 1
        if count > _INDEX_MAX:
            break
    return {name: tuple(paths) for name, paths in found.items()}


@dataclass(frozen=True)
class Vendored:
    """A repository file that stands in for an entry point outside the repository."""

    path: str  # the file
    shown: str  # its path from the repository root
    written: str  # the entry point as the launch line names it


def vendored(entry: Entry, root: Path, cwd: str | None) -> Vendored | None:
    """The repository's copy of an entry point the step runs from outside it.

    After a ``cd`` out of the repository, or with an absolute path, ``python
    a/b/train.py`` runs a file that cannot be read here. A repository file whose
    path ends with the same folders and name (two parts at least: a bare
    ``train.py`` says too little) is most likely a copy of it; when several do,
    they must agree on everything the analysis reads.
    """
    if entry.kind == "file":
        target = entry.target
        if cwd is not None and not target.startswith("/"):
            return None  # a relative path from a known folder: locate() decides
        parts = [p for p in target.replace(UNKNOWN, "\0").split("/") if p and p != "."]
    elif entry.kind == "module" and cwd is None:
        parts = entry.target.split(".")
        if not all(p.isidentifier() for p in parts):
            return None
        parts[-1] += ".py"
    else:
        return None
    if len(parts) < 2 or not parts[-1].endswith(".py") or "\0" in parts[-1]:
        return None
    # the folders after the last unknown or outside part: what the copy's path must end with
    known: list[str] = []
    for part in reversed(parts):
        if "\0" in part or part == "..":
            break
        known.insert(0, part)
    candidates = _python_files(str(root)).get(parts[-1], ())
    best: list[str] = []
    for size in range(len(known), 1, -1):
        tail = "/".join(known[-size:])
        best = [c for c in candidates if c == tail or c.endswith("/" + tail)]
        if best:
            break
    if not best:
        return None
    if len(best) > 1:
        first = facts(Path(root) / best[0])
        if any(facts(Path(root) / other) != first for other in best[1:]):
            return None
    return Vendored(str(Path(root) / best[0]), best[0], entry.target.replace(UNKNOWN, "$?"))
