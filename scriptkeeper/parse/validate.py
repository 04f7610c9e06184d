"""Check the values and combinations of the directives sbatch applies (parse stage).

Per-option value grammars (time, memory, counts, gres, ``--gpus*``), options
that sbatch refuses together, options given twice with different values, and
SPANK plugin options the cluster profile declares. Produces facts only.

The SLURM facts relied on here: docs/launch-contracts.md §1.8 and §1.10.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from scriptkeeper.parse.c_numbers import clamped
from scriptkeeper.parse.directive import Directive
from scriptkeeper.parse.value_grammar import (
    ValueProblem,
    parse_gpus,
    parse_gres,
    parse_memory,
    parse_nodes,
    parse_nonnegative_int,
    parse_positive_int,
    parse_time,
)
from scriptkeeper.records import Fact
from scriptkeeper.rules import fact_kinds

# the fact kinds made here; the import checks them against fact_kinds.KINDS, which
# rules.yaml loading reads without importing this module
FACTS = fact_kinds.declare(__name__, "invalid-value", "conflicting-options", "duplicate-option")

_MAIL_TYPES = {
    "NONE", "BEGIN", "END", "FAIL", "REQUEUE", "ALL", "INVALID_DEPEND", "STAGE_OUT",
    "TIME_LIMIT", "TIME_LIMIT_90", "TIME_LIMIT_80", "TIME_LIMIT_50", "ARRAY_TASKS",
}


def _mail_type(text: str) -> None:
    for item in text.split(","):
        if item.strip().upper() not in _MAIL_TYPES:
            raise ValueProblem(f"--mail-type={text} invalid")


def _open_mode(text: str) -> None:
    # sbatch reads the first letter only ('a'/'A' append, 't'/'T' truncate): 22.05 takes
    # "append;" and "tx" and refuses "sometimes"
    if text[:1].lower() not in ("a", "t"):
        raise ValueProblem(f"Invalid --open-mode argument: {text}")


# one optional '[' before the index list and ']' after an index (bit_unfmt skips a leading
# '[' and stops a number at ']'): 22.05 takes [0-3], [0-3]%2, [0-3],5 and 0-3], refuses
# [[0-3]] and x[0-3]
_INDEX = r"[0-9]+(-[0-9]+(:[0-9]+)?)?\]?"
_ARRAY = re.compile(rf"^\[?{_INDEX}(,{_INDEX})*(%[0-9]+)?$")


_ARRAY_NUMBERS = re.compile(r"([0-9]+)(?:-([0-9]+)(?::([0-9]+))?)?")
# slurm.conf(5): MaxArraySize "may not exceed 4000001", so no cluster takes a higher index
ARRAY_INDEX_MAX = 4000000


def _array(text: str) -> None:
    value = text.strip()
    if not _ARRAY.match(value):
        raise ValueProblem(f"Invalid job array specification '{text}'")
    # the controller refuses an index past any MaxArraySize, and a step of 0 (22.05)
    for match in _ARRAY_NUMBERS.finditer(value.split("%", 1)[0]):
        first, last, step = match.groups()
        if (clamped(first, ARRAY_INDEX_MAX + 1) > ARRAY_INDEX_MAX
                or (last is not None and clamped(last, ARRAY_INDEX_MAX + 1) > ARRAY_INDEX_MAX)
                or (step is not None and clamped(step, 1) == 0)):
            raise ValueProblem(f"Invalid job array specification '{text}'")


def _ntasks(text: str) -> None:
    # sbatch keeps the count in a C int: 2**31 is stored negative and refused after reading
    stored = parse_positive_int(text)
    if stored < 0:
        raise ValueProblem(f"invalid number of tasks (-n {stored})")


def _cpus_per_task(text: str) -> None:
    stored = parse_positive_int(text)
    if stored <= 0:
        raise ValueProblem(f"invalid number of cpus per task (-c {stored})")


def _exclusive(text: str) -> None:
    if text.lower() not in ("user", "mcs", "topo"):
        raise ValueProblem(f"Invalid --exclusive specification '{text}'")


_PLACEHOLDER = re.compile(r"^<[^>]*>$|^\{\{.*\}\}$|^\$\{?[A-Z_]+\}?$|^(YOUR|MY)_[A-Z_]+$|^X{3,}$")


def _name_like(what: str) -> Callable[[str], None]:
    def check(text: str) -> None:
        if not text.strip():
            raise ValueProblem(f"empty {what}")
        for item in text.split(","):
            if _PLACEHOLDER.match(item.strip()):
                raise ValueProblem(f"'{item}' is a template placeholder, not a {what}: "
                                   f"the controller refuses it ('invalid {what} specified')")
    return check


VALUE_CHECKS: dict[str, Callable[[str], Any]] = {
    "time": parse_time,
    "time-min": parse_time,
    "mem": parse_memory,
    "mem-per-cpu": parse_memory,
    "mem-per-gpu": parse_memory,
    "tmp": parse_memory,
    "nodes": parse_nodes,
    "ntasks": _ntasks,
    "cpus-per-task": _cpus_per_task,
    "ntasks-per-node": parse_positive_int,
    "ntasks-per-gpu": parse_positive_int,
    "ntasks-per-socket": parse_positive_int,
    "ntasks-per-core": parse_positive_int,
    "cpus-per-gpu": parse_positive_int,
    "mincpus": parse_positive_int,
    "sockets-per-node": parse_positive_int,
    "cores-per-socket": parse_positive_int,
    "threads-per-core": parse_positive_int,
    "core-spec": parse_nonnegative_int,
    "gres": parse_gres,
    "gpus": parse_gpus,
    "gpus-per-node": parse_gpus,
    "gpus-per-task": parse_gpus,
    "gpus-per-socket": parse_gpus,
    "mail-type": _mail_type,
    "open-mode": _open_mode,
    "array": _array,
    "partition": _name_like("partition"),
}

_OPTIONAL_CHECKS: dict[str, Callable[[str], Any]] = {"exclusive": _exclusive}

# Pairs sbatch refuses outright ("... are mutually exclusive"). Not here:
# --exclusive with --oversubscribe, which SLURM 22.05 accepts (the last wins).
EXCLUSIVE_GROUPS: tuple[tuple[str, ...], ...] = (
    ("mem", "mem-per-cpu", "mem-per-gpu"),
    ("ntasks-per-gpu", "ntasks-per-node"),
    ("ntasks-per-gpu", "gpus-per-task"),
    ("ntasks-per-gpu", "gpus-per-socket"),
    ("cpus-per-task", "cpus-per-gpu"),
)

_EXCLUSIVE_OPTIONS = frozenset(o for group in EXCLUSIVE_GROUPS for o in group)
_GPU_OPTIONS = ("gpus", "gpus-per-node", "gpus-per-task", "gpus-per-socket")


def value_facts(directives: Iterable[Directive]) -> list[Fact]:
    facts = []
    for d in directives:
        check = VALUE_CHECKS.get(d.option)
        if d.value is None:
            continue
        if check is None:
            check = _OPTIONAL_CHECKS.get(d.option)
        if check is None:
            continue
        try:
            check(d.value)
        except ValueProblem as problem:
            said = _shortened(problem.for_option(d.option))
            facts.append(Fact(
                "invalid-value", d.line,
                f"'{_shortened(d.written)}' has a value sbatch refuses: {said}",
                _value_fix(d.option), data={"option": d.option}))
    return facts


_SHOWN_MAX = 120


def _shortened(text: str) -> str:
    """A message quoting a value thousands of characters long keeps its start and length."""
    if len(text) <= _SHOWN_MAX:
        return text
    return f"{text[:_SHOWN_MAX - 40]}... ({len(text)} characters)"


def _value_fix(option: str) -> str:
    return {
        "time": "write the time as MM, HH:MM:SS or D-HH:MM:SS (e.g. --time=12:00:00)",
        "time-min": "write the time as MM, HH:MM:SS or D-HH:MM:SS",
        "mem": "write a whole number with an optional K, M, G or T suffix (e.g. --mem=1536M)",
        "mem-per-cpu": "write a whole number with an optional K, M, G or T suffix",
        "mem-per-gpu": "write a whole number with an optional K, M, G or T suffix",
        "nodes": "write a node count N or a range MIN-MAX",
        "gres": "write gres as name[:type][:count], e.g. --gres=gpu:a100:4",
        "gpus": "write [type:]count, e.g. --gpus=a100:4",
        "gpus-per-node": "write [type:]count, e.g. --gpus-per-node=4",
        "gpus-per-task": "write [type:]count, e.g. --gpus-per-task=1",
        "partition": "put your cluster's partition name here ('sinfo -s' lists them)",
    }.get(option, f"give --{option} a value 'man sbatch' allows (a positive whole number for "
                  f"counts)")


def last_values(directives: Iterable[Directive], component: int = 0) -> dict[str, Directive]:
    """The directive that wins for each option (the last one, as in sbatch)."""
    result: dict[str, Directive] = {}
    for d in directives:
        if d.component == component:
            result[d.option] = d
    return result


def conflict_facts(directives: list[Directive], components: int,
                   first: dict[str, Directive] | None = None) -> list[Fact]:
    """``first``: ``last_values(directives, 0)`` when the caller has it already."""
    facts = []
    for comp in range(components):
        final = first if comp == 0 and first is not None else last_values(directives, comp)
        # a group needs two of its options: most scripts have at most one of each
        for group in EXCLUSIVE_GROUPS if len(_EXCLUSIVE_OPTIONS.intersection(final)) > 1 else ():
            present = [final[o] for o in group if o in final]
            if len(present) >= 2:
                later = max(present, key=lambda d: d.line)
                names = " and ".join(f"--{d.option}" for d in present)
                facts.append(Fact(
                    "conflicting-options", later.line,
                    f"{names} cannot be used together: sbatch refuses the script "
                    f"(they are mutually exclusive)",
                    f"keep one of {names}", data={"options": [d.option for d in present]}))
        typed: list[Directive] = []
        untyped: list[Directive] = []
        for option in _GPU_OPTIONS:
            d = final.get(option)
            if d is None or d.value is None:
                continue
            try:
                (typed if parse_gpus(d.value).type else untyped).append(d)
            except ValueProblem:
                continue
        gres = final.get("gres")
        if gres is not None and gres.value is not None:
            try:
                gpu = parse_gres(gres.value).get("gpu")
            except ValueProblem:
                gpu = None
            if gpu is not None:
                (typed if gpu.type else untyped).append(gres)
        if typed and untyped:
            later = max(typed + untyped, key=lambda d: d.line)
            facts.append(Fact(
                "conflicting-options", later.line,
                "the GPU requests mix typed and untyped forms ("
                + ", ".join(d.written for d in typed + untyped)
                + "): the controller refuses the job",
                "name the GPU type in every GPU request, or in none"))
    return facts


# Options whose repeats sbatch combines instead of letting the last one win (slurm_opt.c
# ORs each --mail-type into the job's; `sbatch -vv` shows BEGIN,END,FAIL).
COMBINED = frozenset({"mail-type"})


def duplicate_facts(directives: list[Directive]) -> list[Fact]:
    facts = []
    seen: dict[tuple[int, str], Directive] = {}
    for d in directives:
        if d.option in COMBINED:
            continue
        key = (d.component, d.option)
        earlier = seen.get(key)
        if earlier is not None and earlier.value != d.value:
            facts.append(Fact(
                "duplicate-option", d.line,
                f"--{d.option} is given twice ('{earlier.written}' on line {earlier.line}, "
                f"'{d.written}' here): the last one wins, so '{d.written}' applies",
                f"remove the line you did not mean (line {earlier.line} or {d.line})",
                data={"overridden": earlier}))
        seen[key] = d
    return facts
