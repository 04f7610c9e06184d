"""Process-wide settings of the command-line entry points (``scriptkeeper``, the hook).

Both only for the console scripts, never on import: collect cycles rarely, and
exit without tearing the interpreter down.

A scan keeps every script's result alive until the report: tens of thousands
of objects that survive each collection of CPython's cyclic garbage collector,
which then walks them again and again
(docs/performance.md#garbage-collector-and-exit). The pipeline makes almost
no reference cycles, so the entry points collect far less often; a library
user importing scriptkeeper keeps the interpreter's own settings.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable
from typing import NoReturn

# objects allocated (less freed) before a young collection; CPython's default is 700
YOUNG_THRESHOLD = 100_000


def for_batch_work() -> None:
    """Collect cycles rarely: the objects made by imports and the pipeline are long-lived."""
    gc.freeze()  # what the imports made is never garbage: keep it out of every collection
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


def run_and_exit(command: Callable[[], object]) -> NoReturn:
    """Run a console script's ``command`` and end the process at once with its status.

    As mypy does: tearing the interpreter down would free every object of a
    large scan one by one, for nothing. The output is
    flushed first; nothing of ours registers exit handlers.
    """
    try:
        code = command()
    except SystemExit as done:
        code = done.code
    if code is None or isinstance(code, bool):
        status = int(bool(code))
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): the message on standard error, status 1
        print(code, file=sys.stderr)
        status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: as Python's own exit would, fail
            status = status or 120
    os._exit(status)
