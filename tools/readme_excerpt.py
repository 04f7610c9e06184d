"""Write docs/example-output.txt: the table `scriptkeeper scan` prints for the shipped example.

The README shows this file. The example workspace is copied into a fresh git
repository of its own (as a user's repository would be), scanned there with
the installed `scriptkeeper` console script, and the table written without
colours. `--check` changes nothing and exits 1 when the file is out of date.

    python tools/readme_excerpt.py [--check]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

from example_copy import REPO, example_copy, scriptkeeper

OUTPUT = REPO / "docs" / "example-output.txt"
COMMAND = ["scan", "--format", "table", "--no-color"]



def excerpt() -> str:
    """The text of docs/example-output.txt, freshly computed."""
    with tempfile.TemporaryDirectory(prefix="scriptkeeper-example-") as tmp:
        work = example_copy(tmp)
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
        env["COLUMNS"] = "120"  # the table follows the terminal's width: the README's is fixed
        out = subprocess.run([*scriptkeeper(), *COMMAND], cwd=work, capture_output=True,
                             text=True, check=False, env=env)
        if out.returncode not in (0, 1):
            raise SystemExit(f"scriptkeeper scan failed ({out.returncode}):\n{out.stderr}")
    lines = [line.rstrip() for line in out.stdout.splitlines()]
    return "$ scriptkeeper scan\n" + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when docs/example-output.txt is out of date")
    args = parser.parse_args(argv)
    text = excerpt()
    current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.is_file() else None
    if args.check:
        if current != text:
            print(f"{OUTPUT} is out of date: run 'python tools/readme_excerpt.py'",
                  file=sys.stderr)
            return 1
        return 0
    if current != text:
        OUTPUT.parent.mkdir(parents=True, exist_ok=True)
        OUTPUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUTPUT}")
    else:
        print(f"{OUTPUT} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
