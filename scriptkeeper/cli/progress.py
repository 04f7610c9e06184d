"""A progress bar on standard error while ``clean`` or ``restore`` moves many files (cli stage).

Shown only on a terminal and from :data:`FILES_MIN` files: a few files move in
less time than a bar takes to draw.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

FILES_MIN = 200  # files moved before a bar is worth showing


@contextmanager
def moving(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """``advance(n)`` for ``n`` more files moved; a no-op when no bar is shown."""
    if total < FILES_MIN or not sys.stderr.isatty():
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(label, BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)
