"""Process-wide settings of the command-line entry points (``scriptkeeper``, the hook).

A scan keeps every script's result alive until the report: tens of thousands
of objects that survive each collection of CPython's cyclic garbage collector,
which then walks them again and again (a third of a warm scan of 10,000
scripts). The pipeline makes almost no reference cycles, so the entry points
collect far less often; a library user importing scriptkeeper keeps the
interpreter's own settings.
"""

from __future__ import annotations

import gc

# objects allocated (less freed) before a young collection; CPython's default is 700
YOUNG_THRESHOLD = 100_000


def for_batch_work() -> None:
    """Collect cycles rarely: the objects made by imports and the pipeline are long-lived."""
    gc.freeze()  # what the imports made is never garbage: keep it out of every collection
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
