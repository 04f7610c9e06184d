"""Score ``scriptkeeper scan`` against a hand-labelled corpus of public repositories.

The corpus is not in this repository: ``bench/corpus/manifest.tsv`` names each
repository and the commit it was judged at, and ``bench/corpus/labels.yaml``
holds the judgments. To get the trees, for each manifest row (``owner/name``,
``commit``):

    git clone https://github.com/owner/name CORPUS/owner+name
    git -C CORPUS/owner+name checkout COMMIT

(inside the project's sessions: ``fetch github:owner/name``, then
``git clone -n /work/.mirror/owner+name/repo CORPUS/owner+name``, ``git reset -q``
and ``git checkout-index -a -f`` there; files of 4 MiB and more are missing from
those snapshots, which no job script is). Then:

    python bench/score_corpus.py CORPUS [--labels bench/corpus/labels.yaml]
                                        [--repo NAME] [--json | --markdown]
    python bench/score_corpus.py CORPUS --redundancy [--repo NAME]

Every manifest row is scanned (``scriptkeeper scan --no-cache --format json .``
inside the tree) and every finding is matched with the labels. A label names
``repo``, ``path``, ``rule`` and optionally ``line`` (an int or a list; without
it the label covers every finding of that rule in that file) and says:

- ``judged: true``: the finding is right (a real refusal, hang, crash or waste);
- ``judged: false``: the finding is wrong; ``pattern`` says why, in one word;
- ``judged: missed``: a real failure the scan does not report; ``rule`` is the
  rule that should report it.

``--redundancy`` scores the other half of a scan, the ``redundant`` verdicts
(what ``clean`` moves), against ``bench/corpus/redundancy_labels.yaml``: each
label names ``repo``, ``path`` and ``keeper`` (the script's ``redundant_of``)
and says ``judged: right | wrong | debatable`` with a ``reason``. Printed: the
verdicts per judgment, the wrong and unjudged ones, and the labels of verdicts
the scan no longer gives.

Printed: the census per severity (findings and (file, rule) pairs; for errors
judged true / false / not yet judged), the false-error share by (repo, file,
rule) and by finding, the files "broken" only by false errors, recall over the
labelled failures (error findings judged true and missed ones, found if the scan reports
that rule in that file), and the false findings per pattern with one example
each.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "corpus" / "manifest.tsv"
LABELS = HERE / "corpus" / "labels.yaml"
REDUNDANCY_LABELS = HERE / "corpus" / "redundancy_labels.yaml"
VERDICT_JUDGMENTS = ("right", "wrong", "debatable")
JUDGMENTS = ("true", "false", "missed")


@dataclass(frozen=True)
class Finding:
    repo: str
    path: str
    rule: str
    severity: str
    line: int


@dataclass
class Label:
    repo: str
    path: str
    rule: str
    judged: str
    lines: frozenset[int] | None
    pattern: str
    reason: str
    severity: str = "error"
    used: int = 0


@dataclass
class Row:
    repo: str
    commit: str
    category: str
    scripts: int


@dataclass
class Scan:
    findings: list[Finding] = field(default_factory=list)
    scripts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # (repo, path, keeper) of every redundant verdict
    redundant: list[tuple[str, str, str]] = field(default_factory=list)
    # (repo, path) of files in the repository's own archive folders, which scan skips
    archived: set[tuple[str, str]] = field(default_factory=set)


def read_manifest(path: Path) -> list[Row]:
    rows = []
    for number, text in enumerate(path.read_text().splitlines()):
        cells = text.split("\t")
        if number == 0 or not text.strip() or text.startswith("#"):
            continue
        rows.append(Row(cells[0], cells[1], cells[2], int(cells[3])))
    return rows


def read_labels(path: Path) -> list[Label]:
    if not path.exists():
        return []
    labels = []
    for entry in yaml.safe_load(path.read_text()) or []:
        judged = str(entry["judged"]).lower()
        if judged not in JUDGMENTS:
            raise SystemExit(f"{path}: judged must be one of {JUDGMENTS}: {entry}")
        line = entry.get("line")
        lines = None if line is None else frozenset(line if isinstance(line, list) else [line])
        labels.append(
            Label(
                entry["repo"],
                entry["path"],
                entry["rule"],
                judged,
                lines,
                str(entry.get("pattern", "")),
                str(entry.get("reason", "")),
                str(entry.get("severity", "error")),
            )
        )
    return labels


def scan_command() -> list[str]:
    installed = shutil.which("scriptkeeper")
    base = [installed] if installed else [sys.executable, "-m", "scriptkeeper"]
    return [*base, "scan", "--no-cache", "--exit-zero", "--format", "json", "."]


def scan_repo(root: Path, row: Row, scan: Scan) -> None:
    tree = root / row.repo.replace("/", "+")
    if not tree.is_dir():
        scan.warnings.append(f"{row.repo}: no tree at {tree}")
        return
    head = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    if head != row.commit:
        scan.warnings.append(f"{row.repo}: HEAD is {head[:12]}, manifest says {row.commit[:12]}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SBATCH_")}
    done = subprocess.run(scan_command(), cwd=tree, capture_output=True, text=True, env=env)
    try:
        report: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        scan.warnings.append(f"{row.repo}: scan failed ({done.returncode}): {done.stderr[-300:]}")
        return
    scan.scripts[row.repo] = len(report["scripts"])
    if len(report["scripts"]) != row.scripts:
        scan.warnings.append(
            f"{row.repo}: {len(report['scripts'])} scripts, manifest says {row.scripts}"
        )
    for skipped in report.get("skipped", []):
        if str(skipped.get("reason", "")).startswith("in the archive folder"):
            scan.archived.add((row.repo, skipped["path"]))
    for script in report["scripts"]:
        if script["verdict"] == "redundant":
            scan.redundant.append((row.repo, script["path"], script.get("redundant_of") or ""))
        for item in script["findings"]:
            scan.findings.append(
                Finding(
                    row.repo,
                    script["path"],
                    item["rule"],
                    item["severity"],
                    int(item.get("line") or 0),
                )
            )


def label_of(finding: Finding, index: dict[tuple[str, str, str], list[Label]]) -> Label | None:
    """The label for a finding: one naming its line wins over one for the whole file."""
    candidates = [
        lab
        for lab in index.get((finding.repo, finding.path, finding.rule), [])
        if lab.judged != "missed"
    ]
    for lab in candidates:
        if lab.lines is not None and finding.line in lab.lines:
            return lab
    for lab in candidates:
        if lab.lines is None:
            return lab
    return None


def score(scan: Scan, labels: list[Label]) -> dict[str, Any]:
    index: dict[tuple[str, str, str], list[Label]] = defaultdict(list)
    for lab in labels:
        index[(lab.repo, lab.path, lab.rule)].append(lab)
    judged: dict[Finding, str] = {}
    pattern_of: dict[Finding, str] = {}
    for f in scan.findings:
        match = label_of(f, index)
        if match is not None:
            match.used += 1
            judged[f] = match.judged
            pattern_of[f] = match.pattern or "other"

    census: dict[str, dict[str, Any]] = {}
    for severity in ("error", "warning", "info"):
        found = [f for f in scan.findings if f.severity == severity]
        by_rule: dict[str, Counter[str]] = defaultdict(Counter)
        pairs: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
        for f in found:
            by_rule[f.rule]["findings"] += 1
            by_rule[f.rule][judged.get(f, "unjudged")] += 1
            pairs[f.rule].add((f.repo, f.path, f.rule))
        census[severity] = {
            "findings": len(found),
            "file_rule_pairs": len({(f.repo, f.path, f.rule) for f in found}),
            "by_rule": {
                rule: {**counts, "file_rule_pairs": len(pairs[rule])}
                for rule, counts in sorted(by_rule.items(), key=lambda kv: -kv[1]["findings"])
            },
        }

    errors = [f for f in scan.findings if f.severity == "error"]
    units: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for f in errors:
        units[(f.repo, f.path, f.rule)].add(judged.get(f, "unjudged"))
    unit_false = sum(1 for v in units.values() if v == {"false"})
    unit_true = sum(1 for v in units.values() if "true" in v)
    unit_open = sum(1 for v in units.values() if "unjudged" in v and "true" not in v)
    files: dict[tuple[str, str], set[str]] = defaultdict(set)
    for f in errors:
        files[(f.repo, f.path)].add(judged.get(f, "unjudged"))
    broken_only_false = sorted(k for k, v in files.items() if v == {"false"})

    patterns: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for f in sorted(scan.findings, key=lambda f: (f.repo, f.path, f.line)):
        if judged.get(f) != "false":
            continue
        entry = patterns[f.severity].setdefault(
            pattern_of[f],
            {
                "findings": 0,
                "units": set(),
                "files": set(),
                "rules": Counter(),
                "example": f"{f.repo} {f.path}:{f.line} ({f.rule})",
            },
        )
        entry["findings"] += 1
        entry["units"].add((f.repo, f.path, f.rule))
        entry["files"].add((f.repo, f.path))
        entry["rules"][f.rule] += 1

    reported = {(f.repo, f.path, f.rule) for f in scan.findings}
    # Real failures: error findings judged true and failures labelled missed; warnings
    # judged true are waste or hygiene, counted in the census but not here.
    # (labels of files in the repository's own archive folders are not scored: scan skips
    # those folders by design, rules.yaml scripts.archive)
    failures = [
        lab
        for lab in labels
        if (lab.judged == "missed" or (lab.judged == "true" and lab.severity == "error"))
        and (lab.repo, lab.path) not in scan.archived
    ]
    archived_failures = sum(
        1 for lab in labels
        if (lab.judged == "missed" or (lab.judged == "true" and lab.severity == "error"))
        and (lab.repo, lab.path) in scan.archived)
    missed = [lab for lab in failures if (lab.repo, lab.path, lab.rule) not in reported]
    stale = [
        lab
        for lab in labels
        if lab.judged in ("true", "false") and lab.used == 0 and lab.repo in scan.scripts
    ]

    return {
        "repos": len(scan.scripts),
        "repos_with_scripts": sum(1 for n in scan.scripts.values() if n),
        "scripts": sum(scan.scripts.values()),
        "broken_files": len(files),
        "census": census,
        "precision": {
            "error_units": len(units),
            "units_judged_false": unit_false,
            "units_judged_true": unit_true,
            "units_not_judged": unit_open,
            "false_share_units": round(unit_false / len(units), 3) if units else None,
            "error_findings": len(errors),
            "findings_judged_false": sum(1 for f in errors if judged.get(f) == "false"),
            "findings_judged_true": sum(1 for f in errors if judged.get(f) == "true"),
            "findings_not_judged": sum(1 for f in errors if f not in judged),
            "files_broken_only_by_false_errors": len(broken_only_false),
        },
        "false_by_pattern": {
            severity: {
                name: {
                    "findings": v["findings"],
                    "file_rule_pairs": len(v["units"]),
                    "files": len(v["files"]),
                    "rules": dict(v["rules"]),
                    "example": v["example"],
                }
                for name, v in sorted(block.items(), key=lambda kv: -kv[1]["findings"])
            }
            for severity, block in sorted(patterns.items())
        },
        "recall": {
            "labelled_failures": len(failures),
            "found": len(failures) - len(missed),
            "recall": round((len(failures) - len(missed)) / len(failures), 3) if failures else None,
            "missed": [f"{lab.repo} {lab.path} [{lab.rule}] {lab.reason}" for lab in missed],
            "in_archive_folders": archived_failures,
        },
        "stale_labels": [
            f"{lab.repo} {lab.path} [{lab.rule}] judged {lab.judged}" for lab in stale
        ],
        "warnings": scan.warnings,
    }


def show(result: dict[str, Any]) -> None:
    print(
        f"{result['repos']} repositories, {result['scripts']} job scripts, "
        f"{result['broken_files']} files with an error finding"
    )
    for severity, block in result["census"].items():
        if not block["findings"]:
            continue
        pairs = block["file_rule_pairs"]
        print(f"\n{severity}: {block['findings']} findings in {pairs} (file, rule) pairs")
        for rule, c in block["by_rule"].items():
            print(
                f"  {rule:28} {c['findings']:5} findings {c['file_rule_pairs']:4} pairs"
                f"  true {c.get('true', 0):4}  false {c.get('false', 0):4}"
                f"  not judged {c.get('unjudged', 0):4}"
            )
    p = result["precision"]
    print(
        f"\nerror (repo, file, rule) units: {p['error_units']}:"
        f" judged false {p['units_judged_false']} ({p['false_share_units']}),"
        f" true {p['units_judged_true']}, not judged {p['units_not_judged']}"
    )
    print(
        f"error findings: {p['error_findings']}: judged false {p['findings_judged_false']},"
        f" true {p['findings_judged_true']}, not judged {p['findings_not_judged']}"
    )
    print(f"files broken only by false error findings: {p['files_broken_only_by_false_errors']}")
    for severity, block in result["false_by_pattern"].items():
        print(f"\nfalse {severity} findings by pattern:")
        for name, c in block.items():
            print(
                f"  {name:24} {c['findings']:5} findings {c['file_rule_pairs']:4} pairs"
                f"  e.g. {c['example']}"
            )
    r = result["recall"]
    print(
        f"\nrecall: {r['found']} of {r['labelled_failures']} labelled failures reported"
        f" ({r['recall']}); {r['in_archive_folders']} more in archive folders scan skips"
    )
    for line in r["missed"]:
        print(f"  missed: {line}")
    for line in result["stale_labels"]:
        print(f"stale label (no such finding now): {line}")
    for line in result["warnings"]:
        print(f"warning: {line}", file=sys.stderr)


def markdown(result: dict[str, Any]) -> str:
    """The numbers as the Markdown of bench/corpus/REPORT.md."""
    p, r = result["precision"], result["recall"]
    out = [
        "# Real-world corpus: scriptkeeper findings against hand labels",
        "",
        "Written by `python bench/score_corpus.py CORPUS --markdown` (trees: see the",
        "script's docstring; repositories and commits: `manifest.tsv`; judgments: `labels.yaml`).",
        "",
        f"- repositories: {result['repos']} ({result['repos_with_scripts']} with job scripts);"
        f" job scripts discovered: {result['scripts']}",
        f'- files with an error finding ("broken"): {result["broken_files"]}',
        f"- error findings: {p['error_findings']} in {p['error_units']} (repo, file, rule) units;"
        f" judged false {p['findings_judged_false']} findings / {p['units_judged_false']} units"
        f" ({p['false_share_units']} of units), true {p['findings_judged_true']} /"
        f" {p['units_judged_true']}, not judged {p['findings_not_judged']} /"
        f" {p['units_not_judged']}",
        f'- files "broken" only by false error findings: {p["files_broken_only_by_false_errors"]}',
        f"- recall: {r['found']} of {r['labelled_failures']} labelled real failures reported"
        f" ({r['recall']}); {r['in_archive_folders']} more sit in archive folders, which scan "
        f"skips",
        "",
    ]
    for severity, block in result["census"].items():
        if not block["findings"]:
            continue
        out += [
            f"## {severity.capitalize()} findings by rule",
            "",
            "| rule | findings | (file, rule) pairs | judged true | judged false | not judged |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for rule, c in block["by_rule"].items():
            out.append(
                f"| {rule} | {c['findings']} | {c['file_rule_pairs']} | {c.get('true', 0)}"
                f" | {c.get('false', 0)} | {c.get('unjudged', 0)} |"
            )
        out.append("")
    for severity, patterns in result["false_by_pattern"].items():
        out += [
            f"## False {severity} findings by pattern",
            "",
            "| pattern | findings | (file, rule) pairs | files | rules | example |",
            "|---|---:|---:|---:|---|---|",
        ]
        for name, c in patterns.items():
            rules = ", ".join(f"{k} {v}" for k, v in c["rules"].items())
            out.append(
                f"| {name} | {c['findings']} | {c['file_rule_pairs']} | {c['files']} | {rules}"
                f" | {c['example']} |"
            )
        out.append("")
    out += ["## Labelled failures the scan misses", ""]
    out += [f"- {line}" for line in r["missed"]] or ["- none"]
    out.append("")
    return "\n".join(out)


def score_redundancy(scan: Scan, path: Path, repos: set[str]) -> dict[str, Any]:
    """The redundant verdicts against their hand judgments."""
    labels: dict[tuple[str, str, str], dict[str, Any]] = {}
    if path.exists():
        for entry in yaml.safe_load(path.read_text()) or []:
            judged = str(entry["judged"]).lower()
            if judged not in VERDICT_JUDGMENTS:
                raise SystemExit(f"{path}: judged must be one of {VERDICT_JUDGMENTS}: {entry}")
            if entry["repo"] in repos:
                labels[(entry["repo"], entry["path"], entry["keeper"])] = entry
    counts: Counter[str] = Counter()
    listed: dict[str, list[str]] = defaultdict(list)
    for verdict in sorted(scan.redundant):
        entry = labels.get(verdict)
        judged = str(entry["judged"]).lower() if entry else "unjudged"
        counts[judged] += 1
        if judged != "right":
            why = f": {entry['reason']}" if entry else ""
            listed[judged].append(f"{verdict[0]} {verdict[1]} -> {verdict[2]}{why}")
    gone = sorted(f"{k[0]} {k[1]} -> {k[2]} (judged {v['judged']})"
                  for k, v in labels.items() if k not in set(scan.redundant))
    total = len(scan.redundant)
    return {"verdicts": total, "counts": {j: counts[j] for j in (*VERDICT_JUDGMENTS,
                                                                  "unjudged")},
            "wrong_share": round(counts["wrong"] / total, 3) if total else None,
            "listed": dict(listed), "no_longer_given": gone, "warnings": scan.warnings}


def show_redundancy(result: dict[str, Any]) -> None:
    c = result["counts"]
    print(f"{result['verdicts']} redundant verdicts: right {c['right']}, wrong {c['wrong']}"
          f" ({result['wrong_share']}), debatable {c['debatable']}, not judged {c['unjudged']}")
    for judged, lines in result["listed"].items():
        print(f"\n{judged}:")
        for line in lines:
            print(f"  {line}")
    if result["no_longer_given"]:
        print("\nlabelled verdicts the scan no longer gives:")
        for line in result["no_longer_given"]:
            print(f"  {line}")
    for line in result["warnings"]:
        print(f"warning: {line}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "corpus", type=Path, help="folder holding the trees, one per row, named owner+name"
    )
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--repo", help="only this owner/name (or owner+name)")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--markdown", action="store_true", help="print REPORT.md")
    parser.add_argument("--redundancy", action="store_true",
                        help="score the redundant verdicts against --redundancy-labels")
    parser.add_argument("--redundancy-labels", type=Path, default=REDUNDANCY_LABELS)
    args = parser.parse_args(argv)
    rows = read_manifest(args.manifest)
    if args.repo:
        rows = [row for row in rows if args.repo.replace("+", "/") == row.repo]
    scan = Scan()
    for row in rows:
        scan_repo(args.corpus, row, scan)
    if args.redundancy:
        verdicts = score_redundancy(scan, args.redundancy_labels, {row.repo for row in rows})
        if args.json:
            print(json.dumps(verdicts, indent=2))
        else:
            show_redundancy(verdicts)
        return 0
    labels = [lab for lab in read_labels(args.labels) if lab.repo in {row.repo for row in rows}]
    result = score(scan, labels)
    if args.json:
        print(json.dumps(result, indent=2))
    elif args.markdown:
        print(markdown(result))
    else:
        show(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
