"""Every report format of ``scriptkeeper scan`` over some folders, into one file.

Used to show that a refactoring changes no output: run it before and after,
with the same folders, and compare the two files byte for byte::

    python tools/dump_reports.py OUT.txt examples/navsim-workspace tests/body/corpus_ok /tmp/sk10k

It calls the installed ``scriptkeeper`` command (so it does not depend on the
package's layout), with ``--no-cache`` and without colour, once per format.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

FORMATS = ["json", "concise", "table", "github", "sarif", "gitlab"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("folders", nargs="+", type=Path)
    args = parser.parse_args()
    command = shutil.which("scriptkeeper")
    if command is None:
        print("scriptkeeper is not on PATH", file=sys.stderr)
        return 2
    env = dict(os.environ, NO_COLOR="1", COLUMNS="120")
    with args.out.open("w", encoding="utf-8") as out:
        for folder in args.folders:
            for fmt in FORMATS:
                done = subprocess.run([command, "scan", "--no-cache", "--format", fmt, "."],
                                      cwd=folder, env=env, capture_output=True, text=True,
                                      check=False)
                out.write(f"=== {folder} {fmt} exit {done.returncode}\n")
                out.write(done.stdout)
                out.write(done.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
