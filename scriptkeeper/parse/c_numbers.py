"""How sbatch's C code reads a digit string: strtol and friends, and int casts (parse stage).

sbatch reads counts with ``strtol`` (clamped at LONG_MAX), memory with ``strtoll``,
GPU counts with ``strtoull``, then often stores the result in a C ``int``, which keeps
the low 32 bits. These helpers give the same numbers without ever turning a long digit
string into a Python int: a script may hold a number thousands of digits long, and the
analysis must cost the same whatever number is written. The SLURM code relied on:
docs/launch-contracts.md §1.7.
"""

from __future__ import annotations

INT_MAX = 2**31 - 1
LONG_MAX = 2**63 - 1
ULLONG_MAX = 2**64 - 1

_WIDTH = len(str(ULLONG_MAX))  # more significant digits than this exceed every ceiling


def clamped(digits: str, ceiling: int) -> int:
    """``min(int(digits), ceiling)`` for a string of ASCII digits, in bounded work."""
    significant = digits.lstrip("0")
    if not significant:
        return 0
    if len(significant) > _WIDTH:
        return ceiling
    return min(int(significant), ceiling)


def strtol(digits: str) -> int:
    """What ``strtol`` returns for a string of ASCII digits: LONG_MAX at most."""
    return clamped(digits, LONG_MAX)


def as_c_int(value: int) -> int:
    """A C ``long`` stored in an ``int`` (two's complement, the low 32 bits)."""
    low = value & 0xFFFFFFFF
    return low - 2**32 if low > INT_MAX else low


def as_uint64(value: int) -> int:
    """A signed 64-bit product that overflowed, as the ``uint64_t`` it is cast to."""
    return value & ULLONG_MAX
