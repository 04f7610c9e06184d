"""What kind of job a script is, for the superseded relation (group stage).

Versions of one script supersede each other only when they are the same kind
of job: the same shape of allocation (partition, nodes, tasks per node and
whether SLURM sets ``SLURM_NTASKS``, GPUs per node and their type, GPUs per
task) and the same launch (for each launch step: srun or not, the launcher
kind and the entry point). A 1-GPU and an 8-GPU version, or a plain
``python`` and a ``torchrun`` version, are different jobs. Memory, CPUs,
time and the arguments of the entry point may change between versions.

The launch comes from the launch analysis (``LaunchStep``); for a script it
found no step in, from the canonical body: commands run by a known launcher
(``python``, ``torchrun``, ``accelerate``, ``deepspeed``, ``mpirun``, ...),
anything run by ``srun``, and programs named by a path (``./run.sh``).

A program or file named by a relative path (``./a.out``, ``bin/solver``,
``bash run.sh``, ``python main.py``) is the one beside the script: such a
folder is submitted from (``cd exp1 && sbatch job.slurm``), so the same text
in two folders runs two programs. The launch names it from the root
(``exp1/a.out``), and byte-identical scripts whose relative programs resolve
to different files are different jobs.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from scriptkeeper.parse.option_table import option_table
from scriptkeeper.records import ScriptResult
from scriptkeeper.redundancy.body import HEREDOC_MARK, Body

LaunchKey = tuple[tuple[bool, str, str], ...]
Kind = tuple[object, ...]

_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=")
_PYTHON = re.compile(r"python(\d+(\.\d+)?)?")
_SEPARATORS = frozenset({"&&", "||", ";", "|", "&", "|&", "(", ")", ";;"})
_PREFIXES = frozenset({"exec", "time", "nohup", "command", "builtin", "stdbuf", "nice"})
_LAUNCHERS = {"torchrun": "torchrun", "accelerate": "accelerate", "deepspeed": "deepspeed",
              "mpirun": "mpirun", "mpiexec": "mpirun", "horovodrun": "horovodrun"}
_SHELLS = frozenset({"bash", "sh", "zsh"})
# srun-only options that take a value (sbatch's table tells the others)
_SRUN_VALUE = frozenset({"mpi", "cpu-bind", "accel-bind", "bcast", "epilog", "prolog",
                         "task-epilog", "task-prolog", "het-group", "slurmd-debug", "relative",
                         "input", "multi-prog-file", "tres-per-task", "debugger-test"})
_SRUN_SHORT_VALUE = frozenset("AbcCDdeGiJLmMnNopqrSTtwWx")
_PYTHON_VALUE = frozenset({"-W", "-X", "-Q"})


def resource_kind(result: ScriptResult) -> Kind:
    job = result.job
    if job is None:
        return ()
    return (job.partition, job.nodes, job.nodes_max, job.tasks_per_node, job.ntasks is None,
            job.ntasks_per_node is None, job.gpus_per_node, job.gpu_type, job.gpus_per_task,
            job.components)


def _commands(body: Body) -> Iterator[list[str]]:
    for line in body.lines:
        if line and line[0].startswith(HEREDOC_MARK):
            continue
        words: list[str] = []
        for token in line:
            if token in _SEPARATORS:
                if words:
                    yield words
                words = []
            else:
                words.append(token)
        if words:
            yield words


def _skip_srun_options(words: list[str], i: int) -> int:
    table = option_table(None)
    while i < len(words) and words[i].startswith("-") and words[i] != "-":
        word = words[i]
        i += 1
        if word.startswith("--"):
            name, eq, _ = word[2:].partition("=")
            if eq:
                continue
            spec = table.resolve(name).spec
            takes = (spec is not None and spec.argument == "required") or name in _SRUN_VALUE
            if takes:
                i += 1
        elif len(word) == 2 and word[1] in _SRUN_SHORT_VALUE:
            i += 1
    return i


def _entry(words: list[str], i: int, python: bool) -> str:
    """The entry point among the launcher's arguments: a .py file or ``-m module``."""
    while i < len(words):
        word = words[i]
        if word == "-m" and i + 1 < len(words):
            return "-m " + words[i + 1]
        if word.startswith("-m") and python and len(word) > 2:
            return "-m " + word[2:]
        if word.endswith(".py"):
            return word.removeprefix("./")
        if python and word in _PYTHON_VALUE:
            i += 2
            continue
        if python and word == "-c":
            return "-c"
        if python and not word.startswith("-"):
            return word.removeprefix("./")
        i += 1
    return ""


# what a body finds from where it is submitted or stored: a "./" path (a "../" one may be
# shared by sibling folders; the launch key resolves those it runs), the submit folder,
# its own path, the working directory
_PLACE = re.compile(
    r"""(?:^|[\s=:'"(])\./|\$\{?0\b|BASH_SOURCE|SLURM_SUBMIT_DIR|\$\{?PWD\b|\bpwd\b"""
    r"|\bdirname\b|\brealpath\b|\breadlink\s+-f|\bscontrol\s+show\s+job")


def uses_its_folder(text: str) -> bool:
    """Whether a (canonical) body reaches files relative to its folder or its own path: the
    same text in two folders then runs two jobs."""
    return _PLACE.search(text) is not None


def _beside(word: str, folder: str) -> str:
    """``word`` as a path from the root, when it names a file relative to the script's folder
    (anything but an absolute path, a variable, a home path or a bare command name)."""
    if not word or word.startswith(("/", "$", "~", "-")) or word == "-c" or "`" in word:
        return word
    return posixpath.normpath(posixpath.join(folder, word)) if folder else \
        posixpath.normpath(word)


def _launch(words: list[str], folder: str = "") -> tuple[bool, str, str] | None:
    i = 0
    srun = False
    while i < len(words):
        word = words[i]
        if _ASSIGNMENT.match(word) or word in _PREFIXES:
            i += 1
        elif word == "env":
            i += 1
            while i < len(words) and (words[i].startswith("-") or _ASSIGNMENT.match(words[i])):
                i += 1
        elif word == "srun" and not srun:
            srun = True
            i = _skip_srun_options(words, i + 1)
        else:
            break
    if i >= len(words):
        return None
    program = words[i]
    base = program.rsplit("/", 1)[-1]
    rest = i + 1
    if _PYTHON.fullmatch(base):
        entry = _entry(words, rest, True)
        if entry in ("-m torch.distributed.run", "-m torch.distributed.launch"):
            module = entry[3:]
            after = words.index(module, rest) + 1 if module in words[rest:] else len(words)
            return srun, "torchrun", _entry(words, after, False)
        return srun, "python", _file(entry, folder)
    if base in _LAUNCHERS:
        if base == "accelerate" and rest < len(words) and words[rest] == "launch":
            rest += 1
        return srun, _LAUNCHERS[base], _file(_entry(words, rest, False), folder)
    if base in _SHELLS:
        for j in range(rest, len(words)):
            if words[j] == "-c":  # a command string, not a file
                return srun, "shell", "-c " + (words[j + 1] if j + 1 < len(words) else "")
            if not words[j].startswith("-"):
                return srun, "shell", _beside(words[j], folder)
        return srun, "shell", ""
    if "/" in program:
        return srun, "program", _beside(program, folder)
    if srun:
        return srun, "program", program
    return None


def _file(entry: str, folder: str) -> str:
    """An entry point read from the body: a module stays as it is, a file is the one beside
    the script."""
    return entry if not entry or entry.startswith("-") else _beside(entry, folder)


def launch_key(result: ScriptResult, body: Body | None) -> LaunchKey:
    """(srun?, launcher, entry point) of each launch step, in order.

    ``body`` (the canonical body) is read only for a script without launch steps.
    """
    folder = result.path.rpartition("/")[0]
    if result.steps:
        return tuple([(s.srun, s.launcher, _step_entry(s.entry, s.entry_exists, folder)
                       or _program(s.text or s.command, folder)) for s in result.steps])
    if body is None:
        raise ValueError("a script without launch steps needs its canonical body")
    found = (_launch(words, folder) for words in _commands(body))
    return tuple(k for k in found if k is not None)


def _step_entry(entry: str | None, exists: bool | None, folder: str) -> str:
    """A step's entry point: as the launch analysis found it in the repository, else (not
    found: built, downloaded or missing) the file of that name beside the script."""
    if not entry or exists or not (entry.endswith(".py") or "/" in entry):
        return entry or ""
    return _beside(entry, folder)


def _program(command: str, folder: str) -> str:
    """What a step without a known entry point runs from the script's folder: its first word
    that is a relative path (``./a.out`` in ``exp1/job.slurm``: ``exp1/a.out``, also after
    ``mpirun -np 4``); else nothing."""
    for word in command.split():
        if "/" in word and not word.startswith(("/", "$", "~", "-", "'", '"')) \
                and not _ASSIGNMENT.match(word):
            return _beside(word, folder)
    return ""
