"""Benchmark: ``scriptkeeper scan`` of 10,000 synthetic job scripts, cold and warm.

Budgets (docs/performance.md#budgets): cold (no result cache) under 3 s on 2 cores, warm (every
script answered by the cache) under 0.5 s. Each figure is also given as a
ratio to ``cat``-ing the same files in the same run, which is what reading
them costs on this machine. Then a breakdown of one cold and one warm scan
by stage, in process, to show where the time goes.

    python bench/bench_scan.py [--count 10000] [--runs 3] [--keep DIR] [--profile]
                               [--also PYTHON ...]

``--also`` times the same scans with other installs' interpreters, interleaved
in the same runs (e.g. a compiled build beside the pure-Python one).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic

SCAN = ["-m", "scriptkeeper", "scan", "--format", "json", "."]


def wall(command: list[str], cwd: Path, env: dict[str, str] | None = None
         ) -> tuple[float, float]:
    """Wall time and CPU time (user + system, all processes) of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          env=env, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr.decode()}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cpu_time() -> float:
    """CPU time of this process and its finished children so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def cat_files(root: Path) -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True,
                            check=True).stdout.decode().split("\0")
    return [name for name in listed if name]


def timed_cat(root: Path, names: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(["xargs", "-0", "cat"], cwd=root, input="\0".join(names).encode(),
                   stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def stages(root: Path, use_cache: bool, workers: int | None = None) -> dict[str, float]:
    """One scan in this process, timed stage by stage (wall time)."""
    from scriptkeeper import redundancy
    from scriptkeeper.cli.process import for_batch_work
    from scriptkeeper.pipeline import runner
    from scriptkeeper.pipeline.discover import Discovery, discover
    from scriptkeeper.pipeline.scan import prepare
    from scriptkeeper.records import ScanReport
    from scriptkeeper.report import renderer
    from scriptkeeper.rules import baseline

    times: dict[str, float] = {}
    for_batch_work()  # the collector settings of the console script

    def step(name: str, action: Callable[[], object]) -> object:
        start = time.perf_counter()
        value = action()
        times[name] = time.perf_counter() - start
        return value

    found_root, in_git, config = prepare([root], None)
    found = step("discover", lambda: discover([root], config.include, config.exclude,
                                              root=found_root, in_git=in_git))
    assert isinstance(found, Discovery)
    results = step("judge (cache or analysis)",
                   lambda: runner.analyze_all(found, config, use_cache=use_cache,
                                              workers=workers))
    assert isinstance(results, list)
    step("baseline", lambda: baseline.load(found_root))
    step("redundancy", lambda: redundancy.apply(results, config, found_root, in_git))
    report = ScanReport(found_root, in_git, config, results, found.skipped)
    step("report (json)", lambda: renderer("json")(report, False))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3, help="runs of each timing (median)")
    parser.add_argument("--keep", type=Path, help="build the repository here and keep it")
    parser.add_argument("--profile", action="store_true",
                        help="also profile one cold scan in process (cProfile, top 25)")
    parser.add_argument("--also", action="append", default=[], metavar="PYTHON",
                        help="another install's interpreter to time in the same runs")
    args = parser.parse_args()
    synthetic.compile_package()
    pythons = [sys.executable, *args.also]

    with synthetic.repository(args.keep, args.count, "sk-bench-scan-") as root:
        names = cat_files(root)
        cache_dir = root / ".scriptkeeper_cache"
        env = {k: v for k, v in os.environ.items() if k != "SCRIPTKEEPER_NO_CACHE"}
        timed_cat(root, names)  # the same page cache for everyone
        cold: dict[str, list[tuple[float, float]]] = {p: [] for p in pythons}
        warm: dict[str, list[tuple[float, float]]] = {p: [] for p in pythons}
        cat = []
        for _ in range(args.runs):
            cat.append(timed_cat(root, names))
            for python in pythons:
                shutil.rmtree(cache_dir, ignore_errors=True)
                cold[python].append(wall([python, *SCAN], root, env))
                warm[python].append(wall([python, *SCAN], root, env))
        k = statistics.median(cat)
        print(f"{args.count} job scripts, {len(names)} files, {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.1f}, median of {args.runs}")
        print(f"  cat of the same files : {k:7.3f} s")
        for python in pythons:
            print(f"  {python}: analysis {synthetic.analysis_build(python)}")
            for label, runs, budget in (("cold (no cache)", cold[python], 3.0),
                                        ("warm (cache)", warm[python], 0.5)):
                w = statistics.median(r[0] for r in runs)
                cpu = statistics.median(r[1] for r in runs)
                print(f"    scan, {label:15} : {w:7.3f} s  = {w / k:5.1f} x cat   (budget "
                      f"{budget} s; CPU time {cpu:.3f} s)")
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import scriptkeeper.cli.app"], check=True)
        print(f"  of which interpreter + imports of the CLI: {time.perf_counter() - start:.3f} s")
        stages(root, True)  # the cache, should the package have changed since the runs above
        for label, use_cache, workers in (("cold, one process", False, 1),
                                          ("cold, worker processes", False, None),
                                          ("warm", True, None)):
            before = cpu_time()
            times = stages(root, use_cache, workers)
            print(f"  in process, {label}: " + ", ".join(
                f"{name} {seconds:.3f} s" for name, seconds in times.items())
                + f"; CPU time {cpu_time() - before:.3f} s")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(stages, root, False)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
