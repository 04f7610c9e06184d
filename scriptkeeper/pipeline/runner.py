"""Judge every discovered script (the per-file stage over a whole scan).

Between discover and group: each script comes from the result cache when
its bytes, the configuration and the tool are unchanged, else it goes
through :func:`~scriptkeeper.pipeline.analyze.analyze_script`, in worker processes
when there are enough of them to pay for the workers. A progress bar shows
on standard error when it is a terminal and the scan is large.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from scriptkeeper.cache import entry
from scriptkeeper.cache import store as result_cache
from scriptkeeper.pipeline import fsview, internal_error
from scriptkeeper.pipeline.discover import Candidate, Discovery
from scriptkeeper.records import ScriptResult
from scriptkeeper.rules.config import Config, ConfigError

# Scripts before worker processes pay for their start (docs/performance.md#worker-processes).
POOL_MIN = 200
CHUNK = 100  # scripts a worker takes at a time
FIRST = 0  # scripts judged here before the workers are forked (see _judged)
PROGRESS_MIN = 300  # scripts before a progress bar is worth showing

Reads = dict[str, list[int]]
# what a worker sends back for one script: its cache entry, or the result itself
# when the cache cannot hold it exactly
Judged = entry.Entry | ScriptResult


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def judge_one(root: Path, config: Config, candidate: Candidate) -> ScriptResult:
    """The per-file stage for one script: analysis, then its redundancy grouping keys.

    Whatever the analysis raises becomes this script's internal-error result (the scan
    goes on); a rule that fails to evaluate is the configuration's error and stops it.
    """
    analyze, keys = _ANALYSIS or _analysis()
    try:
        result: ScriptResult = analyze.analyze_script(root, candidate.path, candidate.data,
                                                      config)
        result.keys = keys(result, config.redundancy, config.slurm_version,
                           config.plugin_options)
    except ConfigError:
        raise
    except Exception as error:  # one script's bug must not end the scan of the others
        return internal_error.result_for(candidate.path, candidate.data, error)
    return result


# the analysis, imported on the first cache miss (a warm scan never needs it) and kept here:
# no import statement per script
_ANALYSIS: tuple[ModuleType, Callable[..., tuple[bytes, bytes]]] | None = None


def _analysis() -> tuple[ModuleType, Callable[..., tuple[bytes, bytes]]]:
    global _ANALYSIS
    from scriptkeeper.pipeline import (
        analyze,  # the module, not its function: tests may replace the function
    )
    from scriptkeeper.redundancy.keys import keys

    _ANALYSIS = (analyze, keys)
    return _ANALYSIS


# What the forked workers judge: set before the pool starts, inherited, never pickled.
_WORK: tuple[Path, Config, list[Candidate], bool, bool] | None = None


def _judge(root: Path, config: Config, scripts: list[Candidate], record: bool
           ) -> tuple[list[ScriptResult], Reads]:
    if not record:
        return [judge_one(root, config, c) for c in scripts], {}
    with result_cache.recording(root) as reads:
        results = [judge_one(root, config, c) for c in scripts]
    return results, dict(reads)


def _as_entry(result: ScriptResult, data: bytes, config: Config, detail: bool) -> Judged:
    if internal_error.is_internal(result):
        return result  # never an entry: the cache must not keep it as a verdict
    try:
        return result_cache.entry_for(result, data, config, detail)
    except entry.EntryError:
        result.data = b""  # the parent has the bytes: do not send them back
        return result


def _judge_chunk(bounds: tuple[int, int]) -> tuple[list[Judged], Reads]:
    assert _WORK is not None
    root, config, scripts, record, detail = _WORK
    chunk = scripts[bounds[0]:bounds[1]]
    results, reads = _judge(root, config, chunk, record)
    return [_as_entry(r, c.data, config, detail) for r, c in zip(results, chunk, strict=True)
            ], reads


def _judged(root: Path, config: Config, scripts: list[Candidate], record: bool,
            workers: int | None, detail: bool) -> Iterator[tuple[list[Judged], Reads]]:
    """Results (or their entries) in order, a chunk at a time; in worker processes when that pays.
    """
    if workers is None:
        workers = min(_cpus(), len(scripts) // CHUNK) if len(scripts) >= POOL_MIN else 1
    if workers >= 2:
        import multiprocessing  # only when a pool starts: the one-file hook never needs it
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        for start in range(0, len(scripts), CHUNK):
            results, reads = _judge(root, config, scripts[start:start + CHUNK], record)
            yield list(results), reads
        return
    # the analysis imported before the fork, for the workers to inherit; each warms its own
    # memos (judging a first chunk here did not pay: docs/performance.md#worker-processes)
    _analysis()
    if FIRST:
        results, reads = _judge(root, config, scripts[:FIRST], record)
        yield list(results), reads
        if len(scripts) <= FIRST:
            return
    global _WORK
    _WORK = (root, config, scripts, record, detail)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            bounds = [(s, min(s + CHUNK, len(scripts)))
                      for s in range(FIRST, len(scripts), CHUNK)]
            yield from pool.imap(_judge_chunk, bounds)
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
                progress: bool | None = None, workers: int | None = None,
                details: bool = False) -> list[ScriptResult]:
    """The per-file result of every script ``found``, in order (see :func:`analysed`)."""
    with analysed(found, config, use_cache, progress, workers, details) as done:
        return done


@contextmanager
def analysed(found: Discovery, config: Config, use_cache: bool = True,
             progress: bool | None = None, workers: int | None = None,
             details: bool = False) -> Iterator[list[ScriptResult]]:
    """The per-file result of every script ``found``, in order; the cache is saved on leaving.

    ``workers``: processes judging the scripts the cache does not hold (default:
    one a CPU when there are at least ``POOL_MIN`` of them, else none). The
    stages that read a cached result's job model (grouping) run inside the
    block, so that one found damaged then is dropped from the cache, and one
    worked out then is kept. ``details``: the worker processes send every job
    model too (for a stage that reads them all); by default the parent
    analyses again the few scripts whose model it needs, which is cheaper
    than encoding every model.
    """
    scripts = found.scripts
    store = None
    if use_cache and scripts and not result_cache.disabled_by_environment():
        store = result_cache.ResultCache.open(found.root, found.in_git, found.files)
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
    # one look at each repository file the analyses ask about, also in the workers (forked
    # inside the block)
    with _progress(len(scripts), progress) as advance, fsview.one_scan():
        advance(len(scripts) - len(todo))
        pending = iter(todo)
        for chunk, reads in _judged(found.root, config, [scripts[i] for i in todo],
                                    store is not None, workers, details):
            for judged in chunk:
                index = next(pending)
                candidate = scripts[index]
                if isinstance(judged, ScriptResult):
                    judged.data = candidate.data
                    if store is not None and not internal_error.is_internal(judged):
                        store.store(judged, candidate.data, config)
                    results[index] = judged
                else:  # an entry from a worker: read it back as a warm scan would
                    results[index] = entry.decode(
                        candidate.path, candidate.data, judged,
                        result_cache.reanalysis(found.root, candidate.path, candidate.data,
                                                config))
                    if store is not None:
                        store.store_entry(candidate.path, judged)
            if store is not None:
                store.record_reads(reads)
            advance(len(chunk))
    done = [r for r in results if r is not None]
    assert len(done) == len(scripts)
    yield done
    if store is not None:
        store.complete(done)
        store.save()
