"""Measure ``scriptkeeper fix`` on the real-world corpus: what gets an edit, what is refused.

For every repository of ``bench/corpus/manifest.tsv`` under CORPUS (see
score_corpus.py for getting the trees), every script is scanned and fixed as
``scriptkeeper fix --unsafe-fixes --diff`` would fix it (nothing is written).
Printed: the findings per rule with and without an edit, the fixes made and
refused (with the reasons), the scripts changed and those left without an
error. ``--diffs FOLDER`` writes each changed script's diff there for reading
(keep that folder out of the repository: the diffs quote third-party code).

    python bench/fix_corpus.py CORPUS [--diffs /tmp/fix-diffs]
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from pathlib import Path

from scriptkeeper.fix.apply import fix_script, fixable
from scriptkeeper.fix.unified_diff import render
from scriptkeeper.pipeline.scan import run_scan

MANIFEST = Path(__file__).parent / "corpus" / "manifest.tsv"


def repositories(corpus: Path) -> list[Path]:
    with MANIFEST.open(encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle, delimiter="\t") if row and "/" in row[0]]
    return [corpus / row[0].replace("/", "+") for row in rows
            if (corpus / row[0].replace("/", "+")).is_dir()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--diffs", type=Path, help="write each changed script's diff here")
    args = parser.parse_args()
    findings: Counter[str] = Counter()
    with_edit: Counter[str] = Counter()
    marked: Counter[str] = Counter()
    applied: Counter[str] = Counter()
    refused: Counter[tuple[str, str]] = Counter()
    changed = repaired = broken = 0
    for repo in repositories(args.corpus):
        report = run_scan([repo], redundancy=False, use_cache=False)
        for result in report.scripts:
            broken += result.broken
            for f in result.findings:
                findings[f.rule] += 1
                if f.autofix is not None:
                    marked[f"{f.rule} ({f.autofix.applicability})"] += 1
                    if f.autofix.edits:
                        with_edit[f.rule] += 1
            if not any(fixable(f, True) for f in result.findings):
                continue
            done = fix_script(report.root, result.path, result.data, report.config,
                              unsafe=True)
            applied.update(f.rule for f in done.applied)
            refused.update((r.finding.rule, r.reason) for r in done.refused)
            if done.changed:
                changed += 1
                repaired += result.broken and not any(f.severity == "error"
                                                      for f in done.remaining)
                if args.diffs is not None:
                    name = f"{repo.name}+{result.path.replace('/', '+')}.diff"
                    args.diffs.mkdir(parents=True, exist_ok=True)
                    (args.diffs / name).write_text(
                        render(result.path, done.before, done.after), encoding="utf-8",
                        errors="surrogateescape")
    total = sum(findings.values())
    print(f"findings: {total}; with an edit: {sum(with_edit.values())}; "
          f"autofix declared: {sum(marked.values())}")
    for rule in sorted(findings, key=lambda r: (-findings[r], r)):
        print(f"  {rule:30} {findings[rule]:5} findings  {with_edit[rule]:5} with an edit  "
              f"{applied[rule]:5} fixed")
    print(f"declared: {dict(sorted(marked.items()))}")
    print(f"fixes made: {sum(applied.values())}; refused: {sum(refused.values())}")
    for (rule, reason), count in sorted(refused.items()):
        print(f"  refused {count:3}  {rule}: {reason}")
    print(f"scripts changed: {changed}; broken scripts: {broken}; "
          f"broken scripts left without an error: {repaired}")


if __name__ == "__main__":
    main()
