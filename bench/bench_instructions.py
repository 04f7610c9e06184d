"""Benchmark: CPU instructions the per-file stage costs a script, counted by valgrind.

Wall times on these shared machines move by a third from one minute to the
next; an instruction count does not (callgrind counts the same for the same
code and input, whatever else runs). This judges the scripts of a synthetic
repository twice in one process, under ``valgrind --tool=callgrind``, with
and without a second pass over them, and reports the difference a script:
the per-file stage (parse, model, body walk, launch analysis, rules,
grouping keys) with its memos warm, as in a worker process of a scan.

    python bench/bench_instructions.py [--count 1200] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic

# what runs under valgrind: judge every script once (memos warm), then `passes` more times
_INNER = r"""
import sys
from pathlib import Path
from scriptkeeper.pipeline import fsview
from scriptkeeper.pipeline.discover import discover
from scriptkeeper.cli.process import for_batch_work
from scriptkeeper.pipeline.runner import judge_one
from scriptkeeper.pipeline.scan import prepare

for_batch_work()
root = Path(sys.argv[1])
found_root, in_git, config = prepare([root], None)
found = discover([root], config.include, config.exclude, root=found_root, in_git=in_git)
with fsview.one_scan():
    for candidate in found.scripts:
        judge_one(found_root, config, candidate)
    for _ in range(int(sys.argv[2])):
        for candidate in found.scripts:
            judge_one(found_root, config, candidate)
print(len(found.scripts), file=sys.stderr)
"""


def instructions(root: Path, passes: int) -> tuple[int, int]:
    """Instructions of one run judging the scripts 1 + ``passes`` times, and the script count."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
         "-c", _INNER, str(root), str(passes)],
        # in the repository, not a checkout: `-c` puts the working folder first on sys.path
        cwd=root, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"},
        check=False)
    if done.returncode != 0:
        raise SystemExit(f"valgrind failed:\n{done.stderr[-2000:]}")
    collected = [line for line in done.stderr.splitlines() if "Collected" in line]
    counts = [line for line in done.stderr.splitlines() if line.strip().isdigit()]
    return int(collected[-1].split()[-1].replace(",", "")), int(counts[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1200, help="scripts to judge")
    parser.add_argument("--keep", type=Path, help="build the repository here and keep it")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    synthetic.compile_package()
    with synthetic.repository(args.keep, args.count, "sk-bench-instructions-") as root:
        once, scripts = instructions(root, 0)
        twice, _ = instructions(root, 1)
    print(f"{scripts} job scripts, analysis {synthetic.analysis_build()}")
    print(f"  per-file stage, memos warm: {(twice - once) / scripts:,.0f} instructions a script")


if __name__ == "__main__":
    main()
