"""One option occurrence sbatch reads: the record the parse stage makes (parse stage).

Apart from :mod:`scriptkeeper.parse.header`, which is compiled with mypyc: the
parser makes most directives by filling a new instance's ``__dict__`` from a
memoised line (no ``__init__`` call), and a compiled class has no
``__dict__``. A plain class here works the same compiled or not.
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
        # written out: the generated __init__ of a frozen dataclass sets each field through
        # object.__setattr__, three times slower (~10 directives a script)
        self.__dict__.update(option=option, value=value, line=line, written=written,
                             component=component)
