"""One option occurrence sbatch reads: the record the parse stage makes (parse stage).

Its own module, so that it stays interpreted when the parser is compiled: the
parser fills new instances' ``__dict__`` from memoised lines, and a class
compiled by mypyc has none.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, init=False)
class Directive:
    """One option occurrence sbatch reads, in canonical long form."""

    option: str
    value: str | None
    line: int
    written: str
    component: int = 0

    def __init__(self, option: str, value: str | None, line: int, written: str,
                 component: int = 0) -> None:
        # written out: the instance dict at once, not object.__setattr__ per field
        self.__dict__.update(option=option, value=value, line=line, written=written,
                             component=component)
