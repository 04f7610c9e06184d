"""Write docs/explain-example.txt and its README block: `scriptkeeper explain` on the example.

The example workspace's train_8gpu_ddp_CORRECT.slurm (one process, seven GPUs
idle), then the same script with the fix its finding gives applied (one task
per GPU, started by srun: eight processes; 16 CPUs per task, so that the
node's 128 CPUs hold the 8 tasks). There is no `scriptkeeper fix`
command yet, so the fixed copy is made here by applying that fix's two
changes. Both pictures come from the installed `scriptkeeper` console script,
80 columns, without colours, in a fresh git repository holding a copy of the
workspace. `--check` changes nothing and exits 1 when either file is stale.

    python tools/readme_explain.py [--check]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from example_copy import REPO, example_copy, scriptkeeper

OUTPUT = REPO / "docs" / "explain-example.txt"
README = REPO / "README.md"
SCRIPT = "scripts/train_8gpu_ddp_CORRECT.slurm"
FIXED = "scripts/train_8gpu_ddp_FIXED.slurm"
BLOCK = re.compile(r"(<!-- explain-example -->\n)(.*?)(<!-- /explain-example -->)", re.S)



def fixed(text: str) -> str:
    """The script with the fix of its lightning-single-process finding applied, and the
    CPUs shared among the 8 tasks (8 x 128 would be request-exceeds-node)."""
    text = text.replace("#SBATCH --ntasks=1\n", "#SBATCH --ntasks-per-node=8\n")
    text = text.replace("#SBATCH --cpus-per-task=128\n", "#SBATCH --cpus-per-task=16\n")
    return text.replace("\npython navsim/", "\nsrun python navsim/")


def _run(work: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    out = subprocess.run([*scriptkeeper(), "explain", *args], cwd=work, capture_output=True,
                         text=True, check=False, env=env)
    if out.returncode != 0:
        raise SystemExit(f"scriptkeeper explain failed ({out.returncode}):\n{out.stderr}")
    return out.stdout


def pictures() -> str:
    """The text of docs/explain-example.txt, freshly computed."""
    with tempfile.TemporaryDirectory(prefix="scriptkeeper-explain-") as tmp:
        work = example_copy(tmp)
        (work / FIXED).write_text(fixed((work / SCRIPT).read_text(encoding="utf-8")),
                                  encoding="utf-8")
        errors = [f for f in json.loads(_run(work, FIXED, "--format", "json"))["findings"]
                  if f["severity"] == "error"]
        if errors:
            raise SystemExit(f"the fixed script still has errors: {errors}")
        parts = []
        for name in (SCRIPT, FIXED):
            text = _run(work, name, "--no-color", "--width", "80")
            parts.append(f"$ scriptkeeper explain {name}\n" + text.rstrip("\n") + "\n")
    return "\n".join(parts)


def readme_with(readme: str, text: str) -> str:
    return BLOCK.sub(lambda m: m.group(1) + "```\n" + text + "```\n" + m.group(3), readme)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when docs/explain-example.txt or the README is stale")
    args = parser.parse_args(argv)
    text = pictures()
    readme = README.read_text(encoding="utf-8")
    current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.is_file() else None
    new_readme = readme_with(readme, text)
    if args.check:
        if current != text or new_readme != readme or not BLOCK.search(readme):
            print("docs/explain-example.txt or README.md is out of date: run "
                  "'python tools/readme_explain.py'", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    README.write_text(new_readme, encoding="utf-8")
    print(f"wrote {OUTPUT} and the README block")
    return 0


if __name__ == "__main__":
    sys.exit(main())
