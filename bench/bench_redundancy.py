"""Benchmark of the redundancy grouping (group stage) on synthetic repositories.

Writes ``--count`` job scripts (default 100,000) into a temporary folder:
90% distinct jobs and 10% derived from them, half duplicates (reformatted
copies: short/long options, other units and time formats, continuations,
copy/backup names or unrelated names) and half newer versions (``_v2`` with
another argument). Each derived script makes exactly one script redundant,
so the expected count is known and checked.

The scripts are judged the way the scan's per-file stage models them
(directive parser + job model, in worker processes; not timed), then
:func:`scriptkeeper.redundancy.apply` is timed over all of them, with the
dates from file times (or from one ``git log`` with ``--git``). The baseline,
measured in the same run: SHA-256 over the same bytes with hashlib.

Budget (docs/performance.md#budgets): grouping of 100,000 scripts under 30 s and 300 MB. The
memory figure is what the grouping itself allocates (tracemalloc peak); the
process's peak RSS is printed too, but is mostly the job models the
per-file stage made before grouping starts.

    /work/venv/bin/python bench/bench_redundancy.py [--count N] [--git]
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import multiprocessing
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from scriptkeeper.model import build as model
from scriptkeeper.parse import header
from scriptkeeper.pipeline.analyze import parse_facts
from scriptkeeper.records import Finding, ScriptResult
from scriptkeeper.redundancy import apply
from scriptkeeper.rules.config import Config, load_config

_PARTITIONS = ["gpu", "h200", "a100"]
_ENTRIES = ["train.py", "src/train.py", "tools/finetune.py", "-m model.train"]
_EPOCH = 1_600_000_000


def _job(rng: random.Random, index: int) -> dict[str, object]:
    gpus = rng.choice([1, 2, 4, 8])
    return {"index": index, "gpus": gpus, "nodes": rng.choice([1, 1, 2]),
            "cpus": rng.choice([4, 8, 16, 32]), "mem_g": rng.choice([16, 64, 256]),
            "hours": rng.choice([1, 8, 24]), "partition": rng.choice(_PARTITIONS),
            "entry": rng.choice(_ENTRIES), "lr": rng.choice(["1e-3", "3e-4", "0.01"]),
            "srun": rng.random() < 0.6}


def _text(job: dict[str, object], variant: str = "", run: object = None) -> str:
    """A job script for ``job``; ``variant`` "reformat" writes the same job another way."""
    i, gpus, nodes = job["index"], job["gpus"], job["nodes"]
    launch = ("srun " if job["srun"] else "") + f"python {job['entry']}"
    args = [f"--run={run if run is not None else i}", f"--lr={job['lr']}", "--epochs=10"]
    if variant == "reformat":
        lines = ["#!/usr/bin/env bash", f"#SBATCH -J copy_of_{i}",
                 f"#SBATCH -p {job['partition']} -N {nodes}",
                 f"#SBATCH --ntasks-per-node={gpus}", f"#SBATCH --gpus-per-node={gpus}",
                 f"#SBATCH -c {job['cpus']}", f"#SBATCH --mem={int(str(job['mem_g'])) * 1024}M",
                 f"#SBATCH -t {int(str(job['hours'])) * 60}", "#SBATCH -o logs/copy_%j.out", "",
                 "# same as the original, tidied", "set -euo pipefail", "",
                 'export DATA="$SCRATCH/data"', f"{launch} \\",
                 *(f"    '{a}' \\" for a in args[:-1]), f"    {args[-1]}", ""]
    else:
        lines = ["#!/bin/bash", f"#SBATCH --job-name=job{i}",
                 f"#SBATCH --partition={job['partition']}", f"#SBATCH --nodes={nodes}",
                 f"#SBATCH --ntasks-per-node={gpus}", f"#SBATCH --gres=gpu:{gpus}",
                 f"#SBATCH --cpus-per-task={job['cpus']}", f"#SBATCH --mem={job['mem_g']}G",
                 f"#SBATCH --time={int(str(job['hours'])):02d}:00:00",
                 "#SBATCH --output=logs/%x_%j.out", "", "set -euo pipefail",
                 "export DATA=$SCRATCH/data", " ".join([launch, *args]), ""]
    return "\n".join(lines)


def generate(count: int, seed: int) -> tuple[list[tuple[str, bytes, int]], int]:
    """(path, bytes, mtime) of every script, and how many must come out redundant."""
    rng = random.Random(seed)
    derived = count // 10
    originals = count - derived
    jobs = [_job(rng, i) for i in range(originals)]
    scripts: list[tuple[str, bytes, int]] = []
    names = []
    for job in jobs:
        i = int(str(job["index"]))
        name = f"jobs/g{i // 100:04d}/exp{i}_{job['gpus']}gpu.slurm"
        names.append(name)
        scripts.append((name, _text(job).encode(), _EPOCH + i))
    for n, j in enumerate(rng.sample(range(originals), derived)):
        job, base = jobs[j], names[j][: -len(".slurm")]
        if n % 2 == 0:  # a duplicate, reformatted or byte-identical, newer
            suffix = rng.choice(["_copy", "_backup", " (copy)", "_old", "_again"])
            data = _text(job, "reformat") if rng.random() < 0.7 else _text(job)
            scripts.append((base + suffix + ".slurm", data.encode(), _EPOCH + 10**8 + n))
        else:  # a newer version with another argument
            data = _text(job, run=f"{j}-v2")
            scripts.append((base + "_v2.slurm", data.encode(), _EPOCH + 10**8 + n))
    return scripts, derived


def write(root: Path, scripts: list[tuple[str, bytes, int]], git: bool) -> None:
    for path, data, mtime in scripts:
        full = root / path
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_bytes(data)
        os.utime(full, (mtime, mtime))
    if git:
        env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@example.org",
                   GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@example.org")
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        originals = [p for p, _, m in scripts if m < _EPOCH + 10**8]
        later = [p for p, _, m in scripts if m >= _EPOCH + 10**8]
        for when, paths in (("2024-01-01T00:00:00", originals), ("2024-06-01T00:00:00", later)):
            listing = root / ".paths"
            listing.write_bytes(b"\0".join(p.encode() for p in paths))
            subprocess.run(["git", "-C", str(root), "add", "--pathspec-from-file=.paths",
                            "--pathspec-file-nul"], check=True)
            subprocess.run(["git", "-C", str(root), "commit", "-q", "-m", "scripts"], check=True,
                           env=dict(env, GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when))
            listing.unlink()


_CONFIG: Config | None = None


def _judge(chunk: list[tuple[str, bytes, int]]) -> list[ScriptResult]:
    """The job model of each script, as the scan's per-file stage builds it."""
    assert _CONFIG is not None
    results = []
    for path, data, _ in chunk:
        parsed = header.parse(data, _CONFIG.slurm_version)
        job = model.build(parsed, path.rsplit("/", 1)[-1], None)
        errors = [f for f in parse_facts(parsed) if f.kind in ("conflicting-options",)]
        findings = [Finding("SK", f.kind, "error", f.line, f.detail, "") for f in errors]
        results.append(ScriptResult(path=path, findings=findings, job=job, data=data,
                                    verdict="broken" if findings else "keep"))
    return results


def judge_all(scripts: list[tuple[str, bytes, int]], config: Config) -> list[ScriptResult]:
    global _CONFIG
    _CONFIG = config
    chunks = [scripts[i:i + 2000] for i in range(0, len(scripts), 2000)]
    with multiprocessing.get_context("fork").Pool(os.cpu_count() or 1) as pool:
        parts = pool.map(_judge, chunks)
    return [r for part in parts for r in part]


def _reset(results: list[ScriptResult]) -> None:
    for r in results:
        r.verdict = "broken" if r.broken else "keep"
        r.redundant_of = None
        r.notes.clear()
        r.extra.clear()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--git", action="store_true", help="date the scripts by git commits")
    options = parser.parse_args()

    config = load_config(None)
    scripts, expected = generate(options.count, options.seed)
    with tempfile.TemporaryDirectory(prefix="sk-bench-red-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        write(root, scripts, options.git)
        print(f"wrote {len(scripts):,} scripts in {time.perf_counter() - t0:.1f} s"
              + (" (in git, 2 dated commits)" if options.git else " (file times)"))
        t0 = time.perf_counter()
        results = judge_all(scripts, config)
        print(f"modelled them in {time.perf_counter() - t0:.1f} s (setup, not the budget)")
        data = [r.data for r in results]
        del scripts
        gc.collect()

        t0 = time.perf_counter()
        digests = [hashlib.sha256(d).digest() for d in data]
        baseline = time.perf_counter() - t0
        del digests
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        t0 = time.perf_counter()
        apply(results, config, root, options.git)
        grouping = time.perf_counter() - t0
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        redundant = sum(r.verdict == "redundant" for r in results)
        verdicts = {r.path: r.verdict for r in results}
        bad_keeper = sum(1 for r in results
                         if r.redundant_of is not None and verdicts[r.redundant_of] != "keep")
        _reset(results)
        gc.collect()
        tracemalloc.start()
        apply(results, config, root, options.git)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

    total_mb = sum(len(d) for d in data) / 1e6
    print(f"scripts: {len(results):,} ({total_mb:.1f} MB of script text)")
    print(f"redundant: {redundant:,} (expected {expected:,}); keepers not kept: {bad_keeper}")
    print(f"grouping: {grouping:.2f} s ({grouping / len(results) * 1e6:.1f} us a script)")
    print(f"baseline sha256 of the same bytes: {baseline:.3f} s; grouping / baseline = "
          f"{grouping / baseline:.0f}x")
    print(f"memory allocated by the grouping (tracemalloc peak): {peak / 1e6:.1f} MB")
    print(f"process peak RSS: {rss_before:.0f} MB before grouping (the bench's scripts and "
          f"job models, built in worker processes), {rss_after:.0f} MB after")
    ok = redundant == expected and bad_keeper == 0 and grouping < 30 and peak < 300e6
    print("grouping within budget (< 30 s, < 300 MB allocated)" if ok else
          "OVER BUDGET OR WRONG COUNT")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
