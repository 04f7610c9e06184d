"""Judge every discovered script (the per-file stage over a whole scan).

Between discover and group: each script comes from the result cache when
its bytes, the configuration and the tool are unchanged, else it goes
through :func:`~scriptkeeper.analyze.analyze_script`, in worker processes
when there are enough of them to pay for the workers. A progress bar shows
on standard error when it is a terminal and the scan is large.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from . import cache as result_cache
from .analyze import analyze_script
from .result import ScriptResult
from .config import Config
from .discover import Candidate, Discovery

# Scripts to judge before worker processes pay for their start. Measured on 2 CPUs
# (bench/bench_scan.py; ~0.85 ms a script): 200 scripts 166 ms alone, 106 ms with 2
# workers; 2,000 scripts 1.73 s alone, 0.98 s with 2 workers; 100 scripts: slower.
POOL_MIN = 200
CHUNK = 100  # scripts a worker takes at a time
PROGRESS_MIN = 300  # scripts before a progress bar is worth showing

Reads = dict[str, list[int]]


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# What the forked workers judge: set before the pool starts, inherited, never pickled.
_WORK: tuple[Path, Config, list[Candidate], bool] | None = None


def _judge(root: Path, config: Config, scripts: list[Candidate], record: bool
           ) -> tuple[list[ScriptResult], Reads]:
    if not record:
        return [analyze_script(root, c.path, c.data, config) for c in scripts], {}
    with result_cache.recording(root) as reads:
        results = [analyze_script(root, c.path, c.data, config) for c in scripts]
    return results, dict(reads)


def _judge_chunk(bounds: tuple[int, int]) -> tuple[list[ScriptResult], Reads]:
    assert _WORK is not None
    root, config, scripts, record = _WORK
    results, reads = _judge(root, config, scripts[bounds[0]:bounds[1]], record)
    for result in results:
        result.data = b""  # the parent has the bytes: do not send them back
    return results, reads


def _judged(root: Path, config: Config, scripts: list[Candidate], record: bool,
            workers: int | None) -> Iterator[tuple[list[ScriptResult], Reads]]:
    """Results in order, a chunk at a time; in worker processes when that pays."""
    if workers is None:
        workers = min(_cpus(), len(scripts) // CHUNK) if len(scripts) >= POOL_MIN else 1
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        for start in range(0, len(scripts), CHUNK):
            yield _judge(root, config, scripts[start:start + CHUNK], record)
        return
    global _WORK
    _WORK = (root, config, scripts, record)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            bounds = [(s, min(s + CHUNK, len(scripts))) for s in range(0, len(scripts), CHUNK)]
            for (start, _), (results, reads) in zip(
                    bounds, pool.imap(_judge_chunk, bounds), strict=True):
                for offset, result in enumerate(results):
                    result.data = scripts[start + offset].data
                yield results, reads
    finally:
        _WORK = None


@contextmanager
def _progress(total: int, show: bool) -> Iterator[Callable[[int], None]]:
    if not show:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    # no refresh thread: the worker processes are forked while this is shown
    with Progress("judging", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True, auto_refresh=False) as bar:
        task = bar.add_task("judging", total=total)

        def advance(n: int) -> None:
            bar.advance(task, n)
            bar.refresh()

        yield advance


def analyze_all(found: Discovery, config: Config, use_cache: bool = True,
                progress: bool | None = None, workers: int | None = None
                ) -> list[ScriptResult]:
    """The per-file result of every script ``found``, in order.

    ``workers``: processes judging the scripts the cache does not hold (default:
    one a CPU when there are at least ``POOL_MIN`` of them, else none).
    """
    scripts = found.scripts
    store = None
    if use_cache and scripts and not result_cache.disabled_by_environment():
        store = result_cache.ResultCache.open(found.root, found.in_git)
    results: list[ScriptResult | None] = [None] * len(scripts)
    todo: list[int] = []
    for index, candidate in enumerate(scripts):
        hit = store.lookup(candidate.path, candidate.data, config) if store else None
        if hit is None:
            todo.append(index)
        else:
            results[index] = hit
    if progress is None:
        progress = len(scripts) > PROGRESS_MIN and sys.stderr.isatty()
    with _progress(len(scripts), progress) as advance:
        advance(len(scripts) - len(todo))
        pending = iter(todo)
        for chunk, reads in _judged(found.root, config, [scripts[i] for i in todo],
                                    store is not None, workers):
            for result in chunk:
                index = next(pending)
                results[index] = result
                if store is not None:
                    store.store(result, scripts[index].data, config)
            if store is not None:
                store.record_reads(reads)
            advance(len(chunk))
    if store is not None:
        store.save()
    done = [r for r in results if r is not None]
    assert len(done) == len(scripts)
    return done
