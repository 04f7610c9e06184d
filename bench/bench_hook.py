"""Benchmark: the pre-commit hook checking one staged job script.

The hook (``scriptkeeper-hook FILE``, what .pre-commit-hooks.yaml runs) in a
repository of ``--count`` synthetic job scripts, median of ``--runs`` runs,
as a ratio to ``python3 -c pass`` measured in the same run, interleaved so
that both see the same machine load. Budget: under 10 times ``python3 -c
pass``, and the 150 ms wall of docs/performance.md#budgets. ``python3`` is whatever the PATH gives
(a pyenv shim here, which costs far more than the interpreter), so the bare
interpreter (``sys.executable -c pass``) is shown too.

Variants: with the result cache warm (the usual case: the other scripts were
judged at the last commit), without it (``--no-cache``), and with
``hook: {redundancy: off}`` (only the file itself is read and judged). Then
the modules the hook imports, by cumulative import time.

    python bench/bench_hook.py [--count 50] [--runs 20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic

HOOK = str(Path(sys.executable).parent / "scriptkeeper-hook")


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr.decode()}")
    return elapsed


def import_profile(command: list[str], cwd: Path, top: int = 12) -> list[tuple[int, str]]:
    """The slowest top-level imports of ``command`` (microseconds, cumulative)."""
    done = subprocess.run([sys.executable, "-X", "importtime", *command], cwd=cwd,
                          capture_output=True, text=True, check=False)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (part.strip() for part in line[len("import time:"):].split("|"))
        if cumulative.isdigit() and not name.startswith(" ") and "." not in name.strip():
            rows.append((int(cumulative), name.strip()))
    rows.extend((int(c), n.strip()) for c, n in _scriptkeeper_rows(done.stderr))
    return sorted(set(rows), reverse=True)[:top]


def _scriptkeeper_rows(text: str) -> list[tuple[str, str]]:
    rows = []
    for line in text.splitlines():
        parts = line[len("import time:"):].split("|") if line.startswith("import time:") else []
        if len(parts) == 3 and parts[2].strip().startswith("scriptkeeper.") and \
                parts[1].strip().isdigit():
            rows.append((parts[1].strip(), parts[2]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=50, help="job scripts in the repository")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    synthetic.compile_package()
    temp = Path(tempfile.mkdtemp(prefix="sk-bench-hook-"))
    try:
        root = temp / "repo"
        paths = synthetic.make_repository(root, args.count)
        one = str(paths[0].relative_to(root))
        off = temp / "off"
        shutil.copytree(root, off, symlinks=True)
        (off / "rules.yaml").write_text("hook:\n  redundancy: 'off'\n")
        env_check = subprocess.run([HOOK, one], cwd=root, capture_output=True, text=True,
                                   check=False)
        if env_check.returncode not in (0, 1):
            raise SystemExit(env_check.stderr)
        subprocess.run([HOOK, one], cwd=off, capture_output=True, check=False)  # warm its cache
        variants: dict[str, tuple[list[str], Path]] = {
            "python3 -c pass (PATH)": (["python3", "-c", "pass"], root),
            "interpreter -c pass": ([sys.executable, "-c", "pass"], root),
            "hook, cache warm": ([HOOK, one], root),
            "hook, --no-cache": ([HOOK, "--no-cache", one], root),
            "hook, redundancy off": ([HOOK, one], off),
        }
        times: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.runs):
            for name, (command, cwd) in variants.items():
                times[name].append(timed(command, cwd))
        median = {name: statistics.median(values) for name, values in times.items()}
        base = median["python3 -c pass (PATH)"]
        bare = median["interpreter -c pass"]
        load = os.getloadavg()[0]
        print(f"hook on one file of {args.count} job scripts, median of {args.runs} runs, "
              f"{os.cpu_count()} CPUs, load average {load:.1f}")
        for name, value in median.items():
            print(f"  {name:24} {value * 1000:7.1f} ms  = {value / base:5.2f} x python3 -c pass"
                  f"  = {value / bare:5.1f} x bare interpreter")
        print("slowest imports of the hook (cumulative, ms):")
        for micros, name in import_profile(["-m", "scriptkeeper.hook", one], root):
            print(f"  {micros / 1000:7.1f}  {name}")
    finally:
        shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    main()
