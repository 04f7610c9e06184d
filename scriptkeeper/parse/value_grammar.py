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

from scriptkeeper.parse.c_numbers import (
    LONG_MAX,
    ULLONG_MAX,
    as_c_int,
    as_uint64,
    clamped,
    strtol,
)


class ValueProblem(ValueError):
    """The value is not one sbatch or the controller accepts."""

    def for_option(self, option: str) -> str:
        """What sbatch says, for the option it was given to."""
        return str(self)


class NumberTooBig(ValueProblem):
    """A count sbatch reads with strtol and refuses once it reaches LONG_MAX."""

    def for_option(self, option: str) -> str:
        return f"Numeric argument ({LONG_MAX}) to big for --{option}."


class BadMemory(ValueProblem):
    """A memory size ``str_to_mbytes`` does not read (sbatch names the option)."""

    def for_option(self, option: str) -> str:
        return f"Invalid --{option} specification"


INFINITE = -1
COUNT_MAX = ULLONG_MAX  # strtoull's ceiling: a gres count that reaches it is refused

_TIME_FORMS = (
    re.compile(r"^(?P<m>[0-9]+)$"),
    re.compile(r"^(?P<m>[0-9]+):(?P<s>[0-9]+)$"),
    re.compile(r"^(?P<h>[0-9]+):(?P<m>[0-9]+):(?P<s>[0-9]+)$"),
    re.compile(r"^(?P<d>[0-9]+)-$"),  # days alone: sbatch 22.05 accepts '1-'
    re.compile(r"^(?P<d>[0-9]+)-(?P<h>[0-9]+)$"),
    re.compile(r"^(?P<d>[0-9]+)-(?P<h>[0-9]+):(?P<m>[0-9]+)$"),
    re.compile(r"^(?P<d>[0-9]+)-(?P<h>[0-9]+):(?P<m>[0-9]+):(?P<s>[0-9]+)$"),
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
            # 22.05 takes any number of digits here: each field as strtol reads it
            parts = {k: strtol(v) for k, v in match.groupdict().items() if v is not None}
            seconds = (
                parts.get("d", 0) * 86400
                + parts.get("h", 0) * 3600
                + parts.get("m", 0) * 60
                + parts.get("s", 0)
            )
            return (seconds + 59) // 60
    raise ValueProblem(f"Invalid time limit specification '{text}'")


_MEM = re.compile(r"^(?P<n>[0-9]+)(?P<unit>[KMGTkmgt]?)[Bb]?$")
_MEM_FACTORS = {"": 1, "M": 1, "G": 1024, "T": 1024 * 1024}


@functools.lru_cache(maxsize=4096)
def parse_memory(text: str) -> int:
    """Megabytes of a SLURM memory size (``0`` means the whole node), as sbatch holds them.

    ``str_to_mbytes`` reads the number with strtoll: one past LLONG_MAX is refused; a
    suffix multiplies in 64 bits, and a product that overflows wraps (22.05 accepts
    ``--mem=18014398509481984G``, which wraps to 0: the whole node).
    """
    match = _MEM.match(text.strip())
    if not match:
        raise ValueProblem(f"Invalid memory specification '{text}'")
    number = clamped(match.group("n"), LONG_MAX + 1)
    if number > LONG_MAX:
        raise BadMemory(f"Invalid memory specification '{text}'")
    unit = match.group("unit").upper()
    if unit == "K":
        return (number + 1023) // 1024
    return as_uint64(number * _MEM_FACTORS[unit]) & LONG_MAX  # the top bit is a flag


@functools.lru_cache(maxsize=4096)
def parse_positive_int(text: str) -> int:
    """A count as sbatch stores it: ``parse_int`` (strtol, then a C ``int``).

    The value read must be positive; the ``int`` it is stored in may not be (2**32 + 1
    is stored as 1, 2**31 as -2**31): each option judges that on its own.
    """
    value = text.strip()
    if not re.fullmatch(r"[0-9]+", value) or not value.lstrip("0"):
        raise ValueProblem(f"Invalid numeric value '{text}'")
    return _stored_int(value)


@functools.lru_cache(maxsize=4096)
def parse_nonnegative_int(text: str) -> int:
    value = text.strip()
    if not re.fullmatch(r"[0-9]+", value):
        raise ValueProblem(f"Invalid numeric value '{text}'")
    return _stored_int(value)


def _stored_int(digits: str) -> int:
    # the digits, not int(): a number thousands of digits long is no exception either
    read = strtol(digits)
    if read >= LONG_MAX:
        raise NumberTooBig(f"Invalid numeric value '{digits}'")
    return as_c_int(read)


def count_value(text: str | None) -> int | None:
    """The count an option holds once sbatch read it, or None: absent, unread, not positive.

    What the model takes from a count option; a count stored as 0 or less (a value of
    2**31 or more, wrapped) is read as not given.
    """
    if text is None:
        return None
    try:
        value = parse_nonnegative_int(text)
    except ValueProblem:
        return None
    return value if value > 0 else None


_NODES = re.compile(r"^(?P<min>[0-9]+)(?:-(?P<max>[0-9]+))?$")


@functools.lru_cache(maxsize=4096)
def parse_nodes(text: str) -> tuple[int, int]:
    """``N`` or ``MIN-MAX`` node counts, as ``verify_node_count`` reads them.

    Each count is strtol's, stored in a C ``int``. A single count stored negative is
    refused; a range's negative minimum becomes 1; a maximum of 0 is no maximum (read
    here as the minimum). 22.05 accepts ``--nodes=0``.
    """
    match = _NODES.match(text.strip())
    if not match:
        raise ValueProblem(f"Invalid node count specification '{text}'")
    low = as_c_int(strtol(match.group("min")))
    if match.group("max") is None:
        if low < 0:
            raise ValueProblem(f'"{text.strip()}" is not a valid node count')
        return low, low
    low = max(low, 1) if low < 0 else low
    high = as_c_int(strtol(match.group("max")))
    if high == 0:
        return low, low
    if high < low:
        raise ValueProblem(f"Maximum node count {high} is less than minimum node count {low}")
    return low, high


@dataclass(frozen=True)
class GpuCount:
    """A GPU request: how many, and of which type if one is named."""

    count: int
    type: str | None


_NAME = r"[A-Za-z_][A-Za-z0-9_.\-]*"
# a GPU type is the site's own word: sbatch takes any (1080ti, 3g.40gb, a100_80g)
_TYPE = r"[^:,\s]+"
_COUNT = re.compile(r"([0-9]+)([KMGTkmgt]?)")
_SUFFIX = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


# a count that reaches strtoull's ceiling: sbatch refuses a typed request itself, the
# controller an untyped one (both seen on 22.05)
_TRES = "Invalid Trackable RESource (TRES) specification"


def _count(text: str, whole: str, typed: bool) -> int:
    match = _COUNT.fullmatch(text)
    assert match is not None
    digits, suffix = match.groups()
    count = clamped(digits, COUNT_MAX) * _SUFFIX[suffix.upper()]
    if count >= COUNT_MAX:
        raise ValueProblem(f"Invalid generic resource (gres) specification '{whole}'"
                           if typed else _TRES)
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
            count = _count(rest.pop(), text, len(rest) > 0)
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
    if len(parts) == 1 and re.fullmatch(r"[0-9]+", parts[0]):
        count, gtype = _count(parts[0], text, False), None
    elif len(parts) == 2 and re.fullmatch(_TYPE, parts[0]) and re.fullmatch(r"[0-9]+", parts[1]):
        count, gtype = _count(parts[1], text, True), parts[0]
    elif len(parts) == 1 and re.fullmatch(_NAME, parts[0]):
        count, gtype = 1, parts[0]
    else:
        raise ValueProblem(f"Invalid GPU specification '{text}'")
    return GpuCount(count, gtype)  # 0 is accepted and means no GPU
