"""``#PBS`` and ``#BSUB`` lines, which sbatch 22.05 also reads (parse stage).

Seen on SLURM 22.05: unless ``--ignore-pbs`` is given, sbatch applies the
``#PBS`` and ``#BSUB`` directives of the header *after* the ``#SBATCH`` ones,
so ``#PBS -N x`` overrides ``#SBATCH -J y`` wherever it stands. Scripts
ported from PBS or LSF keep such lines by accident. This module maps the
options that change the allocation onto sbatch's long names, so the model
sees what SLURM will apply, and reports each line as a fact.

The SLURM facts relied on here: docs/launch-contracts.md §1.9.
"""

from __future__ import annotations

import re
import shlex

from scriptkeeper.parse.c_numbers import LONG_MAX, clamped
from scriptkeeper.parse.directive import Directive
from scriptkeeper.records import Fact
from scriptkeeper.rules import fact_kinds

# the fact kinds made here; the import checks them against fact_kinds.KINDS, which
# rules.yaml loading reads without importing this module
FACTS = fact_kinds.declare(__name__, "foreign-directive")


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _pbs_resources(text: str) -> list[tuple[str, str]]:
    options: list[tuple[str, str]] = []
    for item in text.split(","):
        key, _, value = item.partition("=")
        key = key.strip().lower()
        if key == "walltime" and value:
            options.append(("time", value))
        elif key == "nodes" and value:
            # seen on 22.05: nodes=1:ppn=4 gives NumTasks=4 and no tasks-per-node
            parts = value.split(":")
            nodes = clamped(parts[0], LONG_MAX) if _digits(parts[0]) else 1
            if _digits(parts[0]):
                options.append(("nodes", parts[0]))
            for part in parts[1:]:
                name, _, number = part.partition("=")
                if name == "ppn" and _digits(number):
                    options.append(("ntasks", str(nodes * clamped(number, LONG_MAX))))
        elif key in ("mem", "pmem") and value:
            unit = re.sub(r"^\d+", "", value).lower().rstrip("b")
            number = re.sub(r"\D.*$", "", value)
            if number:
                suffix = {"k": "K", "m": "M", "g": "G", "t": "T"}.get(unit, "")
                options.append(("mem" if key == "mem" else "mem-per-cpu", number + suffix))
    return options


_PBS_SIMPLE = {"-N": "job-name", "-q": "partition", "-A": "account", "-o": "output",
               "-e": "error", "-M": "mail-user"}
_BSUB_SIMPLE = {"-J": "job-name", "-q": "partition", "-P": "account", "-o": "output",
                "-e": "error", "-n": "ntasks", "-W": "time"}


def _words(rest: str) -> list[str]:
    try:
        return shlex.split(rest, comments=True)
    except ValueError:
        return rest.split()


def read(lines: list[str], first_command_line: int | None,
         component: int = 0) -> tuple[list[Directive], list[Fact]]:
    """The directives ``#PBS``/``#BSUB`` header lines add, and a fact per line."""
    directives: list[Directive] = []
    facts: list[Fact] = []
    end = (first_command_line - 1) if first_command_line else len(lines)
    for number, line in enumerate(lines[:end], start=1):
        if line.startswith("#PBS"):
            table, rest, kind = _PBS_SIMPLE, line[4:], "PBS"
        elif line.startswith("#BSUB"):
            table, rest, kind = _BSUB_SIMPLE, line[5:], "BSUB"
        else:
            continue
        words = _words(rest)
        applied: list[tuple[str, str]] = []
        i = 0
        while i < len(words):
            flag = words[i]
            value = words[i + 1] if i + 1 < len(words) else None
            if flag in table and value is not None:
                if kind == "BSUB" and flag == "-W" and re.fullmatch(r"\d+:\d+", value):
                    value += ":00"  # LSF's -W is [hours:]minutes
                applied.append((table[flag], value))
                i += 2
            elif kind == "PBS" and flag == "-l" and value is not None:
                applied.extend(_pbs_resources(value))
                i += 2
            else:
                i += 1
        for option, value in applied:
            directives.append(Directive(option, value, number, f"#{kind} {rest.strip()}",
                                        component))
        shown = ", ".join(f"--{o}={v}" for o, v in applied) or "options SLURM may apply"
        facts.append(Fact(
            "foreign-directive", number,
            f"sbatch also reads '#{kind}' lines and applies them after every #SBATCH line: "
            f"'{line.strip()}' sets {shown}",
            f"translate it into an #SBATCH line and delete it, or add '#SBATCH --ignore-pbs' "
            f"to make sbatch skip #{kind} lines"))
    return directives, facts
