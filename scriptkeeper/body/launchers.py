"""What a command line starts: wrappers, srun, the launcher and its entry point (model stage).

:func:`classify` reads one command's words (from :mod:`scriptkeeper.body.shell`)
the way the programs themselves read them: ``env``/``time``/``nohup``/
``singularity exec``/``conda run`` and other wrappers are looked through,
``srun``'s options are read with getopt_long rules (stop at the first
non-option, unique prefixes) and srun's own option table, and the launcher
behind it (``python``, ``torchrun`` / ``python -m torch.distributed.run``,
``accelerate launch``, ``deepspeed``, ``mpirun``/``mpiexec``, ``horovodrun``)
with its argparse-style options, up to the script or module it runs.
Nothing is executed; words the shell could not determine stay unknown.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from scriptkeeper.body.shell import UNKNOWN
from scriptkeeper.parse.option_table import option_table

# --- srun ------------------------------------------------------------------------------

# srun's own options, or the ones that read differently from sbatch's (argument kinds:
# "required", "optional" = only attached, "none").
_SRUN_ONLY: dict[str, tuple[str | None, str]] = {
    "accel-bind": (None, "required"), "bcast": (None, "optional"),
    "bcast-exclude": (None, "required"), "compress": (None, "optional"),
    "cpu-bind": (None, "required"), "cpu_bind": (None, "required"),
    "debugger-test": (None, "none"), "disable-status": ("X", "none"),
    "epilog": (None, "required"), "exact": (None, "none"),
    "external-launcher": (None, "none"), "het-group": (None, "required"),
    "immediate": ("I", "optional"), "interactive": (None, "none"),
    "jobid": (None, "required"), "kill-on-bad-exit": ("K", "optional"),
    "label": ("l", "none"), "mpi": (None, "required"), "msg-timeout": (None, "required"),
    "multi-prog": (None, "none"), "no-allocate": ("Z", "none"), "overlap": (None, "none"),
    "pack-group": (None, "required"), "preserve-env": ("E", "none"),
    "prolog": (None, "required"), "pty": (None, "optional"),
    "quit-on-interrupt": (None, "none"), "relative": ("r", "required"),
    "resv-ports": (None, "optional"), "send-libs": (None, "optional"),
    "slurmd-debug": (None, "required"), "task-epilog": (None, "required"),
    "task-prolog": (None, "required"), "threads": ("T", "required"),
    "treewidth": (None, "required"), "unbuffered": ("u", "none"),
    "wait": ("W", "required"), "wait-for-children": (None, "none"), "whole": (None, "none"),
    "x11": (None, "optional"), "tres-bind": (None, "required"),
    "tres-per-task": (None, "required"), "no-kill": ("k", "optional"),
    "exclusive": (None, "optional"),
}


# srun options that the pyxis and shifter SPANK plugins add (common on GPU clusters)
_PYXIS_VALUE = ("container-image", "container-mounts", "container-workdir", "container-name",
                "container-save", "container-env", "image", "volume", "module")
_PYXIS_FLAGS = ("container-mount-home", "no-container-mount-home", "container-remap-root",
                "no-container-remap-root", "container-entrypoint", "no-container-entrypoint",
                "container-writable", "container-readonly", "container-entrypoint-log")


@dataclass(frozen=True)
class _OptionTable:
    long: dict[str, str]  # name -> argument kind
    short: dict[str, tuple[str, str]]  # letter -> (long name, argument kind)
    names: tuple[str, ...]


@functools.cache
def srun_table(release: str | None = None) -> _OptionTable:
    sbatch = option_table(release)
    long = {name: spec.argument for name, spec in sbatch.by_long.items()}
    short = {letter: (spec.long, spec.argument) for letter, spec in sbatch.by_short.items()}
    for name in ("array", "wrap", "parsable", "test-only", "batch", "export-file",
                 "kill-on-invalid-dep", "ignore-pbs", "requeue", "no-requeue"):
        long.pop(name, None)
    for name, (letter, argument) in _SRUN_ONLY.items():
        long[name] = argument
        if letter:
            short[letter] = (name, argument)
    for name in _PYXIS_VALUE:
        long.setdefault(name, "required")
    for name in _PYXIS_FLAGS:
        long.setdefault(name, "none")
    short.pop("a", None)
    return _OptionTable(long, short, tuple(sorted(long)))


def _resolve_long(table: _OptionTable, name: str) -> str | None:
    """The option a long name or unique prefix means; '' when the prefix is ambiguous."""
    if name in table.long:
        return name
    matches = [n for n in table.names if n.startswith(name)]
    if len(matches) > 1:
        return ""
    return matches[0] if matches else None


@dataclass
class Srun:
    """srun's options (canonical long names, the last occurrence wins) and its command."""

    options: dict[str, str | None] = field(default_factory=dict)
    unknown: bool = False  # an option word we could not read (a wild word, an unknown option)
    command: list[str] = field(default_factory=list)
    command_wild: frozenset[int] = frozenset()


def parse_srun(argv: list[str], wild: frozenset[int], release: str | None = None) -> Srun:
    """Read ``srun [options] command...`` (argv[0] is srun)."""
    table = srun_table(release)
    result = Srun()
    i = 1
    while i < len(argv):
        word = argv[i]
        if i in wild:
            result.unknown = True
            i += 1
            continue
        if word == "--":
            i += 1
            break
        if word.startswith("--") and len(word) > 2:
            name, eq, value = word[2:].partition("=")
            canonical = _resolve_long(table, name) if UNKNOWN not in name else ""
            if canonical == "":  # srun stops: "option '--ntasks-per' is ambiguous"
                result.unknown = True
                i += 1
                continue
            if canonical is None:
                # an option of a plugin or a newer release: with '=VALUE' its extent is
                # certain; without, take it as a flag (a wrong guess makes the command
                # unrecognisable, never a wrong task count)
                result.options[name] = value if eq else None
                i += 1
                continue
            kind = table.long[canonical]
            if eq:
                result.options[canonical] = value
            elif kind == "required":
                if i + 1 >= len(argv) or i + 1 in wild:
                    result.unknown = True
                    result.options[canonical] = UNKNOWN
                    i += 2
                    continue
                result.options[canonical] = argv[i + 1]
                i += 1
            else:
                result.options[canonical] = None
            i += 1
            continue
        if word.startswith("-") and len(word) > 1 and UNKNOWN not in word[:2]:
            j = 1
            consumed_next = False
            while j < len(word):
                letter = word[j]
                spec = table.short.get(letter)
                if spec is None:
                    result.unknown = True
                    break
                canonical, kind = spec
                rest = word[j + 1:]
                if kind == "none":
                    result.options[canonical] = None
                    j += 1
                    continue
                if rest:
                    result.options[canonical] = rest.removeprefix("=") if kind == "optional" \
                        else rest
                elif kind == "required":
                    if i + 1 < len(argv) and i + 1 not in wild:
                        result.options[canonical] = argv[i + 1]
                    else:
                        result.options[canonical] = UNKNOWN
                        result.unknown = True
                    consumed_next = True
                else:
                    result.options[canonical] = None
                break
            i += 2 if consumed_next else 1
            continue
        break
    result.command = argv[i:]
    result.command_wild = frozenset(k - i for k in wild if k >= i)
    return result


# --- the launcher behind the wrappers ----------------------------------------------------

LAUNCHERS = ("python", "torchrun", "accelerate", "deepspeed", "mpirun", "horovodrun",
             "nvidia-smi", "other")
PER_NODE_LAUNCHERS = frozenset({"torchrun", "accelerate", "deepspeed"})
_PYTHON = re.compile(r"^python(\d+(\.\d+)?)?$")
_MPI = frozenset({"mpirun", "mpiexec", "mpiexec.hydra", "orterun", "mpiexec.openmpi",
                  "mpirun.openmpi", "mpirun.mpich", "mpiexec.mpich"})
_TORCH_RUN_MODULES = frozenset({"torch.distributed.run", "torch.distributed.launch"})
# the modules an interpreter held in a variable may run as a launcher
_LAUNCHER_MODULES = _TORCH_RUN_MODULES | {"accelerate.commands.launch"}


@dataclass(frozen=True)
class Entry:
    """What a Python launcher runs: a file, a module, inline code or standard input."""

    kind: str  # "file", "module", "code", "stdin"
    target: str


@dataclass
class Invocation:
    """One command line, read down to the launcher and its entry point."""

    argv: list[str]
    srun: Srun | None = None
    launcher: str = "other"
    program: str = ""  # the command the launcher is (basename), or the unknown command
    module_launcher: str = ""  # "torch.distributed.run" when started as python -m ...
    options: dict[str, str | None] = field(default_factory=dict)
    entry: Entry | None = None
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)  # env NAME=VALUE wrappers
    inner_script: str | None = None  # bash -c '...'
    inner_args: list[str] = field(default_factory=list)
    unknown: bool = False  # words could not be placed: what runs is not known
    runs_shell_file: str | None = None  # bash run.sh / ./run.sh


def _basename(word: str) -> str:
    return word.rsplit("/", 1)[-1]


def _skip_options(argv: list[str], start: int, with_value: frozenset[str],
                  stop_at_non_option: bool = True) -> int:
    """Index of the first word after options starting at ``start``."""
    i = start
    while i < len(argv):
        word = argv[i]
        if word == "--":
            return i + 1
        if not word.startswith("-") or word == "-":
            return i
        name = word.split("=", 1)[0]
        if "=" not in word and name in with_value:
            i += 2
            continue
        if not word.startswith("--") and len(word) > 2 and word[:2] in with_value:
            i += 1  # -n5: value attached
            continue
        i += 1
    return i


_WRAPPERS_SIMPLE = frozenset({"nohup", "builtin", "xvfb-run"})
_STDBUF_VALUE = frozenset({"-i", "-o", "-e"})
_NICE_VALUE = frozenset({"-n"})
_TIMEOUT_VALUE = frozenset({"-s", "-k", "--signal", "--kill-after"})
_NUMACTL_VALUE = frozenset({"-i", "-N", "-m", "-C", "-p", "--interleave", "--cpunodebind",
                            "--membind", "--physcpubind", "--preferred", "-P"})
_TIME_VALUE = frozenset({"-f", "-o", "--format", "--output"})
_CONTAINER_VALUE = frozenset({"-B", "--bind", "--env", "--env-file", "-H", "--home", "--pwd",
                              "-W", "--workdir", "-o", "--overlay", "--security", "-S",
                              "--scratch", "--network", "--network-args", "--hostname",
                              "--app", "--apply-cgroups", "--dns", "--fusemount",
                              "--drop-caps", "--add-caps", "--mount", "--no-mount",
                              "--cpus", "--memory", "--config"})
_CONDA_VALUE = frozenset({"-n", "--name", "-p", "--prefix", "--cwd", "-e", "--environment"})
_UV_VALUE = frozenset({"--with", "--python", "-p", "--project", "--directory", "--extra",
                       "--group", "--env-file", "--index", "--package", "--with-requirements",
                       "--only-group", "--index-url", "--extra-index-url"})


def _unwrap(argv: list[str], wild: frozenset[int], inv: Invocation) -> int:
    """Index of the command behind wrappers such as env, time, nohup, conda run."""
    i = 0
    while i < len(argv):
        if i in wild:
            inv.unknown = True
            return i
        name = _basename(argv[i])
        if name in _WRAPPERS_SIMPLE:
            i += 1
        elif name == "exec":
            i = _skip_options(argv, i + 1, frozenset({"-a"}))
        elif name == "command":
            if any(a in ("-v", "-V") for a in argv[i + 1:i + 2]):
                inv.unknown = True
                return len(argv)
            i = _skip_options(argv, i + 1, frozenset())
        elif name == "time":
            i = _skip_options(argv, i + 1, _TIME_VALUE)
        elif name == "stdbuf":
            i = _skip_options(argv, i + 1, _STDBUF_VALUE)
        elif name == "nice":
            i = _skip_options(argv, i + 1, _NICE_VALUE)
        elif name == "timeout":
            i = _skip_options(argv, i + 1, _TIMEOUT_VALUE) + 1  # then the duration
        elif name == "numactl":
            i = _skip_options(argv, i + 1, _NUMACTL_VALUE)
        elif name == "taskset":
            j = i + 1
            while j < len(argv) and argv[j].startswith("-"):
                j += 1
            i = j + 1  # the mask or list
        elif name == "env":
            j = i + 1
            while j < len(argv):
                word = argv[j]
                if j in wild:
                    inv.unknown = True
                    return j
                if word in ("-u", "--unset", "-C", "--chdir", "-S", "--split-string"):
                    j += 2
                elif word.startswith("-"):
                    j += 1
                elif "=" in word and re.match(r"[A-Za-z_][A-Za-z0-9_]*=", word):
                    key, _, value = word.partition("=")
                    inv.env[key] = value
                    j += 1
                else:
                    break
            i = j
        elif name in ("singularity", "apptainer"):
            if i + 1 >= len(argv) or argv[i + 1] not in ("exec", "run"):
                return i
            j = _skip_options(argv, i + 2, _CONTAINER_VALUE)
            i = j + 1  # the image
        elif name in ("conda", "micromamba", "mamba", "pixi", "poetry"):
            if i + 1 >= len(argv) or argv[i + 1] != "run":
                return i
            i = _skip_options(argv, i + 2, _CONDA_VALUE)
        elif name == "uv":
            if i + 1 >= len(argv) or argv[i + 1] != "run":
                return i
            i = _skip_options(argv, i + 2, _UV_VALUE)
        else:
            return i
    return i


# argparse-style launcher options that are flags (names without dashes, '_' for '-');
# every other option takes a value
_TORCHRUN_FLAGS = frozenset({"standalone", "m", "module", "no_python", "run_path", "use_env",
                             "numa_binding", "h", "help"})
_ACCELERATE_FLAGS = frozenset({
    "cpu", "multi_gpu", "tpu", "ipex", "mps", "use_deepspeed", "use_fsdp", "use_megatron_lm",
    "use_xpu", "m", "module", "no_python", "debug", "q", "quiet", "same_network",
    "enable_cpu_affinity", "downcast_bf16", "tpu_use_cluster", "tpu_use_sudo",
    "dynamo_use_fullgraph", "dynamo_use_dynamic", "dynamo_use_regional_compilation",
    "fsdp_use_orig_params", "fsdp_sync_module_states", "fsdp_cpu_ram_efficient_loading",
    "fsdp_activation_checkpointing", "use_parallelism_config", "h", "help",
})
_DEEPSPEED_FLAGS = frozenset({"module", "no_python", "no_local_rank", "no_ssh_check",
                              "force_multi", "save_pid", "elastic_training",
                              "bind_cores_to_rank", "no_ssh", "enable_each_rank_log", "h",
                              "help"})
_HOROVOD_FLAGS = frozenset({"--gloo", "--mpi", "--jsrun", "--verbose", "--check-build",
                            "--disable-cache", "-cb", "--mpi-threads-disable",
                            "--tcp", "--binding-args", "--timeline-mark-cycles",
                            "--no-stall-check", "--hierarchical-allreduce",
                            "--hierarchical-allgather", "--autotune", "--elastic"})
_MPI_VALUE = frozenset({
    "-np", "-n", "-c", "--np", "--n", "-N", "-npernode", "--npernode", "-ppn", "--map-by",
    "-map-by", "--bind-to", "-bind-to", "--rank-by", "-rank-by", "-x", "-H", "--host", "-host",
    "-hosts", "--hostfile", "-hostfile", "-machinefile", "--machinefile", "-f", "-wdir",
    "--wdir", "-wd", "--prefix", "-output-filename", "--output-filename", "--cpus-per-proc",
    "--cpus-per-rank", "--cpu-set", "-rf", "--rankfile", "-bootstrap", "-launcher", "-iface",
    "-genvlist", "-envlist", "--report-bindings-file", "-tune", "-configfile", "--app",
    "-ppr", "--ppr", "-s", "--preload-files", "--timeout", "--with-ft",
})
_MPI_TWO_VALUES = frozenset({"--mca", "-mca", "-gmca", "--gmca", "-genv", "-env", "--env"})


def option_key(word: str) -> str:
    """A launcher option's canonical name: no dashes in front, '_' for '-'."""
    return word.lstrip("-").replace("-", "_")


def _argparse(argv: list[str], start: int, flags: frozenset[str],
              options: dict[str, str | None]) -> int:
    """Read ``--opt value`` / ``--opt=value`` / flags up to the first positional word."""
    i = start
    while i < len(argv):
        word = argv[i]
        if word == "--":
            return i + 1
        if not word.startswith("-") or word == "-":
            return i
        name, eq, value = word.partition("=")
        key = option_key(name)
        following = argv[i + 1] if i + 1 < len(argv) else None
        if eq:
            options[key] = value
            i += 1
        elif key in flags or following is None or following.startswith("-") or (
                following.endswith(".py") and not key.endswith(("file", "config"))):
            options[key] = None
            i += 1
        else:
            options[key] = following
            i += 2
    return i


def _python_entry(argv: list[str], start: int) -> tuple[Entry | None, int]:
    """Read ``python [options] (file | -m module | -c code | -)``; index after the target."""
    i = start
    while i < len(argv):
        word = argv[i]
        if word == "-":
            return Entry("stdin", "-"), i + 1
        if word == "--":
            i += 1
            break
        if word.startswith("--"):
            i += 2 if word == "--check-hash-based-pycs" else 1
            continue
        if word.startswith("-") and len(word) > 1:
            j = 1
            while j < len(word):
                letter = word[j]
                rest = word[j + 1:]
                if letter in "mc":
                    target = rest or (argv[i + 1] if i + 1 < len(argv) else "")
                    nxt = i + 1 if rest else i + 2
                    return Entry("module" if letter == "m" else "code", target), nxt
                if letter in "WX":
                    i += 0 if rest else 1
                    break
                j += 1
            i += 1
            continue
        return Entry("file", word), i + 1
    return None, i


def _entry_after(argv: list[str], i: int, options: dict[str, str | None]
                 ) -> tuple[Entry | None, int]:
    if i >= len(argv):
        return None, i
    if "module" in options or "m" in options:
        return Entry("module", argv[i]), i + 1
    if "no_python" in options:
        return None, i
    return Entry("file", argv[i]), i + 1


# per-node launchers that take their own options, then the entry point:
# command name -> (launcher kind, its options, index of the first option)
_PER_NODE_LAUNCHERS: dict[str, tuple[str, frozenset[str], int]] = {
    "torchrun": ("torchrun", _TORCHRUN_FLAGS, 1),
    "accelerate": ("accelerate", _ACCELERATE_FLAGS, 2),  # accelerate launch ...
    "accelerate-launch": ("accelerate", _ACCELERATE_FLAGS, 1),
    "deepspeed": ("deepspeed", _DEEPSPEED_FLAGS, 1),
}


def classify(argv: list[str], wild: frozenset[int], release: str | None = None,
             inside_srun: bool = False) -> Invocation:
    """Read a command's words down to its launcher and entry point.

    The answer depends on the words alone, and the same lines recur across a
    repository's scripts: it is kept, and shared. Callers must not change it
    (``dataclasses.replace`` gives a copy to change).
    """
    return _classify_words(tuple(argv), wild, release, inside_srun)


@functools.lru_cache(maxsize=4096)
def _classify_words(argv: tuple[str, ...], wild: frozenset[int], release: str | None,
                    inside_srun: bool) -> Invocation:
    words, wild = _placeholders(list(argv), wild)
    return _classify(words, wild, release, inside_srun)


_MAX_PLACEHOLDER_WORDS = 5


def _placeholders(argv: list[str], wild: frozenset[int]) -> tuple[list[str], frozenset[int]]:
    """One unknown word for each template placeholder (``--nnodes={{ nodes }}``).

    A template engine fills ``{{ name }}`` before the script runs; split by the shell,
    the placeholder would shift every later word into the wrong place.
    """
    if not any("{{" in w for w in argv):
        return argv, wild
    out: list[str] = []
    out_wild: set[int] = set()
    i = 0
    while i < len(argv):
        word = argv[i]
        opened = word.rfind("{{")
        end = i
        if opened >= 0 and "}}" not in word[opened:]:
            end = next((j for j in range(i + 1, min(len(argv), i + _MAX_PLACEHOLDER_WORDS))
                        if "}}" in argv[j]), i)
        if end > i:
            closing = argv[end]
            word = word[:opened] + UNKNOWN + closing[closing.index("}}") + 2:]
        if any(k in wild for k in range(i, end + 1)):
            out_wild.add(len(out))
        out.append(word)
        i = end + 1
    return out, frozenset(out_wild)


def _classify(argv: list[str], wild: frozenset[int], release: str | None = None,
              inside_srun: bool = False) -> Invocation:
    inv = Invocation(argv=argv)
    start = _unwrap(argv, wild, inv)
    if start >= len(argv) or inv.unknown:
        inv.unknown = True
        return inv
    name = _basename(argv[start])
    rest_wild = frozenset(k - start for k in wild if k >= start)
    words = argv[start:]
    inv.program = name
    if UNKNOWN in name:
        # "${PYTHON_BIN}" -m torch.distributed.run: only an interpreter runs a launcher module
        if len(words) < 3 or words[1] != "-m" or words[2] not in _LAUNCHER_MODULES:
            inv.unknown = True
            return inv
        name = "python"
    if name == "srun" and not inside_srun:
        srun = parse_srun(words, rest_wild, release)
        inner = _classify(srun.command, srun.command_wild, release, inside_srun=True)
        inner.srun = srun
        inner.argv = argv
        for key, value in inv.env.items():
            inner.env.setdefault(key, value)
        if srun.unknown and not srun.command:
            inner.unknown = True
        return inner
    if any(k > 0 for k in rest_wild) and name not in ("bash", "sh", "zsh", "dash"):
        # a word that may be several: the options before it cannot be placed reliably
        first_wild = min(k for k in rest_wild if k > 0)
        words = words[:first_wild]
        inv.unknown = True
    if name in ("bash", "sh", "zsh", "dash"):
        return _shell(words, inv)
    if name == "nvidia-smi":
        inv.launcher = "nvidia-smi"
        return inv
    if _PYTHON.match(name):
        entry, after = _python_entry(words, 1)
        if entry is not None and entry.kind == "module" and entry.target in _TORCH_RUN_MODULES:
            inv.launcher = "torchrun"
            inv.module_launcher = entry.target
            after = _argparse(words, after, _TORCHRUN_FLAGS, inv.options)
            inv.entry, after = _entry_after(words, after, inv.options)
        elif entry is not None and entry.kind == "module" and \
                entry.target == "accelerate.commands.launch":
            inv.launcher = "accelerate"
            inv.module_launcher = entry.target
            after = _argparse(words, after, _ACCELERATE_FLAGS, inv.options)
            inv.entry, after = _entry_after(words, after, inv.options)
        else:
            inv.launcher = "python"
            inv.entry = entry
        inv.args = words[after:]
        return inv
    if name == "accelerate" and (len(words) < 2 or words[1] != "launch"):
        return inv
    per_node = _PER_NODE_LAUNCHERS.get(name)
    if per_node is not None:
        inv.launcher, flags, begin = per_node
        after = _argparse(words, begin, flags, inv.options)
        inv.entry, after = _entry_after(words, after, inv.options)
        inv.args = words[after:]
        return inv
    if name in _MPI or name == "horovodrun":
        return _mpi(words, inv, name, release)
    if argv[start].endswith(".sh") or (argv[start].startswith("./") and "." not in name):
        inv.runs_shell_file = argv[start]
    return inv


def _shell(words: list[str], inv: Invocation) -> Invocation:
    """``bash -c 'text' [name args...]`` or ``bash file.sh``."""
    i = 1
    while i < len(words):
        word = words[i]
        if word == "-c" or (word.startswith("-") and not word.startswith("--") and "c" in word):
            if i + 1 < len(words):
                inv.inner_script = words[i + 1]
                inv.inner_args = words[i + 3:] if i + 2 < len(words) else []
            else:
                inv.unknown = True
            return inv
        if word in ("-o", "-O", "+o", "+O", "--rcfile", "--init-file"):
            i += 2
            continue
        if word.startswith(("-", "+")):
            i += 1
            continue
        inv.runs_shell_file = word
        inv.args = words[i + 1:]
        return inv
    return inv


def _mpi(words: list[str], inv: Invocation, name: str, release: str | None) -> Invocation:
    inv.launcher = "horovodrun" if name == "horovodrun" else "mpirun"
    i = 1
    while i < len(words):
        word = words[i]
        if word == "--":
            i += 1
            break
        if not word.startswith("-"):
            break
        key, eq, value = word.partition("=")
        if name == "horovodrun":
            if eq:
                inv.options[key.lstrip("-")] = value
                i += 1
            elif word in _HOROVOD_FLAGS:
                inv.options[key.lstrip("-")] = None
                i += 1
            else:
                inv.options[key.lstrip("-")] = words[i + 1] if i + 1 < len(words) else UNKNOWN
                i += 2
            continue
        if key in _MPI_TWO_VALUES:
            i += 3
            continue
        if eq:
            inv.options[key.lstrip("-")] = value
            i += 1
        elif key in _MPI_VALUE:
            inv.options[key.lstrip("-")] = words[i + 1] if i + 1 < len(words) else UNKNOWN
            i += 2
        else:
            inv.options[key.lstrip("-")] = None
            i += 1
    inner = _classify(words[i:], frozenset(), release, inside_srun=True)
    if inner.launcher == "python":
        inv.entry = inner.entry
        inv.args = inner.args
    inv.program = inner.program or inv.program
    return inv
