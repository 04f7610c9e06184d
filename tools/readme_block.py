"""Copy the example table (docs/example-output.txt) into README.md, shortened.

The README shows the head and the tail of the generated table between the
``<!-- example-output -->`` markers. ``--check`` exits 1 when they differ.

    python tools/readme_block.py [--check]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
OUTPUT = REPO / "docs" / "example-output.txt"
HEAD, TAIL = 20, 37
BLOCK = re.compile(r"(<!-- example-output -->\n)(.*?)(<!-- /example-output -->)", re.S)


def block(output: str) -> str:
    lines = output.rstrip("\n").split("\n")
    shown = lines if len(lines) <= HEAD + TAIL else [
        *lines[:HEAD], f"[... {len(lines) - HEAD - TAIL} more lines ...]", *lines[-TAIL:]]
    return "```\n" + "\n".join(shown) + "\n```\n"


def updated(readme: str, output: str) -> str:
    return BLOCK.sub(lambda m: m.group(1) + block(output) + m.group(3), readme)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if README is stale")
    args = parser.parse_args(argv)
    readme = README.read_text(encoding="utf-8")
    new = updated(readme, OUTPUT.read_text(encoding="utf-8"))
    if args.check:
        return 0 if new == readme else 1
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
