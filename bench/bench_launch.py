"""Benchmark: the body analysis (scriptkeeper.body.steps) per script, by part, in process.

Uses the synthetic repository of ``synthetic.py`` (entry points and pins on
disk, so entry-point reading and pin lookup are included and their caches
warm up as they do in a scan). Reports CPU microseconds per script for: the
tree-sitter parse alone, the shell walk, and the whole body analysis
(walk + launcher reading + srun layout + entry points + pins), plus the whole
per-file stage (parse, model, body, judge) for comparison.

    python bench/bench_launch.py [--count 2000] [--repeat 3] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic

from scriptkeeper.body import shell, steps
from scriptkeeper.model import build as model
from scriptkeeper.parse import header
from scriptkeeper.pipeline.analyze import analyze_script
from scriptkeeper.rules.config import load_config


def per_script(label: str, count: int, repeat: int, run: object) -> float:
    """Best CPU time of ``repeat`` runs (CPU, not wall: steadier on a shared machine)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        run()  # type: ignore[operator]
        best = min(best, time.process_time() - start)
    micro = best / count * 1e6
    print(f"{label:<34} {micro:8.1f} us/script   ({count / best:,.0f} scripts/s on one core)")
    return micro


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        paths = synthetic.make_repository(root, args.count, git=False)
        config = load_config(None)
        scripts = []
        for path in paths:
            data = path.read_bytes()
            rel = path.relative_to(root).as_posix()
            parsed = header.parse(data, None)
            job = model.build(parsed, path.name, None)
            scripts.append((rel, data, parsed, job))
        bodies = ["\n".join(p.lines[p.body_start:]).encode() for _, _, p, _ in scripts]
        envs = [steps.batch_env(job) for _, _, _, job in scripts]
        ts = shell.parser()

        def parse_only() -> None:
            for body in bodies:
                ts.parse(body)

        def walk() -> None:
            for body, env in zip(bodies, envs, strict=True):
                shell.walk(body, env)

        def body() -> None:
            for rel, _, parsed, job in scripts:
                if not parsed.refused:
                    steps.analyze(parsed, job, root, rel, config)

        def whole() -> None:
            for rel, data, _, _ in scripts:
                analyze_script(root, rel, data, config)

        print(f"{args.count} synthetic job scripts, best of {args.repeat}")
        per_script("tree-sitter parse of the body", args.count, args.repeat, parse_only)
        per_script("shell walk (parse included)", args.count, args.repeat, walk)
        per_script("body analysis (steps.analyze)", args.count, args.repeat, body)
        per_script("whole per-file stage", args.count, args.repeat, whole)
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            body()
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
