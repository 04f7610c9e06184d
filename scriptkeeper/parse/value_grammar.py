"""Value grammars of sbatch options (parse stage).

Each checker takes the text given to an option and returns either the
normalised value or raises :class:`ValueProblem` with the message sbatch (or
the controller) gives. Normalised units: time in minutes, memory in MB.

The SLURM facts relied on here: docs/launch-contracts.md §1.7.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass


class ValueProblem(ValueError):
    """The value is not one sbatch or the controller accepts."""


class NumberTooBig(ValueProblem):
    """A count sbatch reads with strtol and refuses once it reaches LONG_MAX."""

    def for_option(self, option: str) -> str:
        return f"Numeric argument ({LONG_MAX}) to big for --{option}."


INFINITE = -1
LONG_MAX = 2**63 - 1  # strtol's ceiling: sbatch refuses a count that reaches it
COUNT_MAX = 2**64 - 1  # strtoull's ceiling: a gres count that reaches it is refused

_TIME_FORMS = (
    re.compile(r"^(?P<m>\d+)$"),
    re.compile(r"^(?P<m>\d+):(?P<s>\d+)$"),
    re.compile(r"^(?P<h>\d+):(?P<m>\d+):(?P<s>\d+)$"),
    re.compile(r"^(?P<d>\d+)-$"),  # days alone: sbatch 22.05 accepts '1-'
    re.compile(r"^(?P<d>\d+)-(?P<h>\d+)$"),
    re.compile(r"^(?P<d>\d+)-(?P<h>\d+):(?P<m>\d+)$"),
    re.compile(r"^(?P<d>\d+)-(?P<h>\d+):(?P<m>\d+):(?P<s>\d+)$"),
)


@functools.lru_cache(maxsize=4096)
def parse_time(text: str) -> int:
    """Minutes of a SLURM time string (``INFINITE`` is -1); seconds round up."""
    value = text.strip()
    if value.upper() in ("INFINITE", "UNLIMITED") or value == "-1":
        return INFINITE
    for form in _TIME_FORMS:
        match = form.match(value)
        if match:
            parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
            seconds = (
                parts.get("d", 0) * 86400
                + parts.get("h", 0) * 3600
                + parts.get("m", 0) * 60
                + parts.get("s", 0)
            )
            return (seconds + 59) // 60
    raise ValueProblem(f"Invalid time limit specification '{text}'")


_MEM = re.compile(r"^(?P<n>\d+)(?P<unit>[KMGTkmgt]?)[Bb]?$")
_MEM_FACTORS = {"": 1.0, "K": 1 / 1024, "M": 1.0, "G": 1024.0, "T": 1024.0 * 1024}


@functools.lru_cache(maxsize=4096)
def parse_memory(text: str) -> int:
    """Megabytes of a SLURM memory size (``0`` means the whole node)."""
    match = _MEM.match(text.strip())
    if not match:
        raise ValueProblem(f"Invalid memory specification '{text}'")
    factor = _MEM_FACTORS[match.group("unit").upper()]
    return int(int(match.group("n")) * factor + 0.999999) if factor < 1 else int(
        int(match.group("n")) * factor
    )


@functools.lru_cache(maxsize=4096)
def parse_positive_int(text: str) -> int:
    value = parse_nonnegative_int(text)
    if value <= 0:
        raise ValueProblem(f"Invalid numeric value '{text}'")
    return value


@functools.lru_cache(maxsize=4096)
def parse_nonnegative_int(text: str) -> int:
    value = text.strip()
    if not re.fullmatch(r"\d+", value):
        raise ValueProblem(f"Invalid numeric value '{text}'")
    # the digits, not int(): a number thousands of digits long is no exception either
    if len(value.lstrip("0")) > len(str(LONG_MAX)) or int(value) >= LONG_MAX:
        raise NumberTooBig(f"Invalid numeric value '{text}'")
    return int(value)


_NODES = re.compile(r"^(?P<min>\d+)(?:-(?P<max>\d+))?$")


@functools.lru_cache(maxsize=4096)
def parse_nodes(text: str) -> tuple[int, int]:
    """``N`` or ``MIN-MAX`` node counts."""
    match = _NODES.match(text.strip())
    if not match:
        raise ValueProblem(f"Invalid node count specification '{text}'")
    low = int(match.group("min"))
    high = int(match.group("max")) if match.group("max") else low
    if high < low:  # 22.05 accepts --nodes=0
        raise ValueProblem(f"Invalid node count specification '{text}'")
    return low, high


@dataclass(frozen=True)
class GpuCount:
    """A GPU request: how many, and of which type if one is named."""

    count: int
    type: str | None


_NAME = r"[A-Za-z_][A-Za-z0-9_.\-]*"
# a GPU type is the site's own word: sbatch takes any (1080ti, 3g.40gb, a100_80g)
_TYPE = r"[^:,\s]+"
_COUNT = re.compile(r"(\d+)([KMGTkmgt]?)")
_SUFFIX = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def _count(text: str, whole: str) -> int:
    match = _COUNT.fullmatch(text)
    assert match is not None
    digits, suffix = match.groups()
    if len(digits.lstrip("0")) > len(str(COUNT_MAX)):
        raise ValueProblem(f"Invalid generic resource (gres) specification '{whole}'")
    count = int(digits) * _SUFFIX[suffix.upper()]
    if count >= COUNT_MAX:
        raise ValueProblem(f"Invalid generic resource (gres) specification '{whole}'")
    return count


def parse_gres(text: str) -> dict[str, GpuCount]:
    """``name[[:type]:count]`` items; returns the request per gres name.

    Only GPU requests matter to the model; other gres are validated for form.
    """
    return dict(_gres(text))  # a new dict each time: the caller may change it


@functools.lru_cache(maxsize=4096)
def _gres(text: str) -> tuple[tuple[str, GpuCount], ...]:
    requests: dict[str, GpuCount] = {}
    value = text.strip()
    if value.lower() == "none":
        return ()
    typed: dict[str, set[bool]] = {}
    for item in value.split(","):
        parts = item.split(":")
        if not parts[0] or not re.fullmatch(_NAME, parts[0]):
            raise ValueProblem(f"Invalid generic resource (gres) specification '{text}'")
        name = parts[0]
        gtype: str | None = None
        count = 1
        rest = parts[1:]
        if rest and _COUNT.fullmatch(rest[-1]):
            count = _count(rest.pop(), text)
        if len(rest) > 1 or (rest and not re.fullmatch(_TYPE, rest[0])):
            raise ValueProblem(f"Invalid generic resource (gres) specification '{text}'")
        if rest:
            gtype = rest[0]
        typed.setdefault(name, set()).add(gtype is not None)
        if len(typed[name]) > 1:  # sbatch's own words, without the value
            raise ValueProblem("Invalid GRES specification (with and without type identification)")
        requests[name] = GpuCount(count, gtype)  # a count of 0 is accepted: none
    return tuple(requests.items())


@functools.lru_cache(maxsize=4096)
def parse_gpus(text: str) -> GpuCount:
    """``[type:]count`` of ``--gpus``, ``--gpus-per-node``, ``--gpus-per-task``."""
    parts = text.strip().split(":")
    if len(parts) == 1 and re.fullmatch(r"\d+", parts[0]):
        count, gtype = _count(parts[0], text), None
    elif len(parts) == 2 and re.fullmatch(_TYPE, parts[0]) and re.fullmatch(r"\d+", parts[1]):
        count, gtype = _count(parts[1], text), parts[0]
    elif len(parts) == 1 and re.fullmatch(_NAME, parts[0]):
        count, gtype = 1, parts[0]
    else:
        raise ValueProblem(f"Invalid GPU specification '{text}'")
    return GpuCount(count, gtype)  # 0 is accepted and means no GPU
