"""Rule pages (documentation, beside the pipeline): one Markdown page a rule, from rules.yaml.

Every built-in rule carries its own documentation in ``rules.yaml`` (``doc``:
what SLURM or the launcher does, an example, the fixed example, when to
suppress). This module turns it into ``docs/rules/<name>.md`` plus an index,
and the SARIF report reuses :func:`rule_page` as each rule's help text.

It also writes ``docs/rules/fields.md``: what a rule of one's own can read
(each field of ``job``, ``step``, ``fact``, ``script`` and ``cluster``, with
the meaning written beside it in the source, :mod:`scriptkeeper.rules.rule_fields`)
and every fact kind with the rule that reports it.

Run ``python -m scriptkeeper.rules.pages`` to write the pages, ``--check`` to fail
(exit 1) when a page is missing, stale or left over from a removed rule.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from scriptkeeper.rules.config import FIXED_RULES, Rule

HEADER = ("<!-- Generated from rules.yaml by `python -m scriptkeeper.rules.pages`; "
          "edit rules.yaml, not this file. -->\n")
INDEX = "README.md"
FIELDS = "fields.md"
FIELDS_HEADER = ("<!-- Generated from rules.yaml and the comments beside the fields in the "
                 "source by `python -m scriptkeeper.rules.pages`; edit those, not this "
                 "file. -->\n")
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "docs" / "rules"

_FAMILIES = {
    "SK0": "reading the script as sbatch does",
    "SK1": "resources against the cluster",
    "SK2": "the shell body",
    "SK3": "launchers",
    "SK4": "redundancy",
}
_PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)\}")
_ONLY_PLACEHOLDER = re.compile(r"\s*\{fact\.[a-z_]+\}\s*")


def family(code: str) -> str | None:
    """The family a rule code belongs to (``SK3xx``: launchers), if it is a known one."""
    if code == "SK000":
        return "scriptkeeper itself"
    return _FAMILIES.get(code[:3])


def _text(text: str) -> str:
    """A doc text as written (its case kept: it may start with `sbatch` or `--mem`)."""
    return text.strip()


def readable_template(text: str) -> str:
    """A message template shown to a reader: ``{job.ntasks}`` becomes ``<ntasks>``."""
    def name(match: re.Match[str]) -> str:
        parts = match.group(1).split(".")
        return "<" + ".".join(parts[1:] or parts) + ">"

    return _PLACEHOLDER.sub(name, " ".join(text.split()))


def says_more(text: str) -> bool:
    """Whether a message or fix template says something beyond a fact's own text."""
    return bool(text.strip()) and not _ONLY_PLACEHOLDER.fullmatch(text)


def _block(text: str) -> str:
    body = text.rstrip("\n")
    language = "yaml" if body.lstrip().startswith("# rules.yaml") else "bash"
    fence = "````" if "```" in body else "```"
    return f"{fence}{language}\n{body}\n{fence}\n"


def _missing(what: str) -> str:
    return f"_Not documented yet: add `doc.{what}` to this rule in rules.yaml._\n"


def rule_page(rule: Rule, header: bool = True) -> str:
    """The Markdown page of one rule (``header``: the generated-file notice first)."""
    out = [HEADER if header else "", f"# {rule.name} ({rule.code})\n\n"]
    kind = family(rule.code)
    facts = [f"**Severity:** {rule.severity}"]
    if kind:
        facts.append(f"**Family:** {rule.code if rule.code == 'SK000' else rule.code[:3] + 'xx'}"
                     f", {kind}")
    out.append(" · ".join(facts) + "\n\n")
    if rule.summary:
        out.append(f"Finds: {_text(rule.summary)}\n\n")
    out.append("## What SLURM or the launcher does\n\n")
    out.append((_text(rule.doc.what) + "\n") if rule.doc.what.strip() else _missing("what"))
    out.append("\n## Example that triggers it\n\n")
    out.append(_block(rule.doc.example) if rule.doc.example.strip() else _missing("example"))
    out.append("\n## Fixed\n\n")
    out.append(_block(rule.doc.fixed) if rule.doc.fixed.strip() else _missing("fixed"))
    out.append("\n## How scriptkeeper finds it\n\n")
    if rule.fact:
        out.append(f"The parser or the body analysis establishes the fact `{rule.fact}`; "
                   f"this rule reports it.\n")
    elif rule.when:
        per = "each launch step" if rule.scope == "step" else "each job script"
        out.append(f"The condition below is evaluated over the job model for {per}:\n\n"
                   f"```python\n{' '.join(rule.when.split())}\n```\n")
    if says_more(rule.message):
        out.append(f"\nMessage: {readable_template(rule.message)}\n")
    if says_more(rule.fix):
        out.append(f"\nSuggested fix: {readable_template(rule.fix)}\n")
    if rule.autofix:
        out.append(_AUTOFIX[rule.autofix])
    out.append("\n## When to suppress it\n\n")
    out.append((_text(rule.doc.suppress) + "\n") if rule.doc.suppress.strip()
               else _missing("suppress"))
    if rule.name in FIXED_RULES:
        out.append(f"\nNo pragma or rules.yaml setting turns it off: {FIXED_RULES[rule.name]}.\n")
        return "".join(out)
    out.append(
        f"\nOne line: put `# scriptkeeper: disable={rule.name}` on the line or the line "
        f"before it. One script: `# scriptkeeper: disable-file={rule.name}`. The whole "
        f"repository, in its `rules.yaml`:\n\n"
        f"```yaml\nrules:\n  {rule.name}: {{enabled: false}}   # or {{severity: warning}}\n```\n")
    return "".join(out)


_AUTOFIX = {
    "safe": "\nAutomatic fix: safe. `scriptkeeper fix` makes it; the job does what it did.\n",
    "unsafe": "\nAutomatic fix: unsafe. `scriptkeeper fix --unsafe-fixes` makes it; it changes "
              "what the job does, so review the diff (`--diff`).\n",
    "none": "\nAutomatic fix: none. No edit is right without a person's choice.\n",
}


def _ordered(rules: Iterable[Rule]) -> list[Rule]:
    return sorted(rules, key=lambda r: (r.code, r.name))


def index_page(rules: Iterable[Rule]) -> str:
    """The index of all rule pages: code, name, severity, summary."""
    out = [HEADER, "# scriptkeeper rules\n\n",
           "Every rule scriptkeeper applies, generated from the built-in `rules.yaml`. "
           "`scriptkeeper rules` lists them too, `scriptkeeper rule NAME` explains one. "
           f"A rule of your own reads the fields listed in [{FIELDS}]({FIELDS}).\n\n",
           "| code | rule | severity | what it finds |\n", "|---|---|---|---|\n"]
    for rule in _ordered(rules):
        summary = rule.summary.replace("|", "\\|")
        out.append(f"| {rule.code} | [{rule.name}]({rule.name}.md) | {rule.severity} | "
                   f"{summary} |\n")
    return "".join(out)


def _cell(text: str) -> str:
    """A table cell: no line breaks, '|' escaped, reST's ``code`` as Markdown's."""
    return " ".join(text.split()).replace("``", "`").replace("|", "\\|")


def fields_page(rules: Iterable[Rule]) -> str:
    """What a rule can read: each name's fields, then the fact kinds and their rules."""
    from scriptkeeper.rules import fact_kinds, rule_fields

    out = [FIELDS_HEADER, "# What a rule can read\n\n",
           "A rule of your own in `rules.yaml` reads these fields in its `when:` condition, "
           "its `line:` and the `{...}` placeholders of its `message:` and `fix:` "
           "(`{step.devices}`). Loading `rules.yaml` refuses a `job.`, `step.`, `fact.`, "
           "`script.` or `cluster.` field that is not listed here, and a `fact:` kind that "
           "is not, with the file and line. A value of `None` "
           "is not known: comparing it with a number (`step.devices > 0`) makes the whole "
           "condition false, so the rule does not apply.\n"]
    for name, cls, where in rule_fields.SECTIONS:
        out.append(f"\n## `{name}`\n\n{_cell(rule_fields.summary(cls))} Read by: {where}.\n\n"
                   "| field | type | meaning |\n|---|---|---|\n")
        for doc in rule_fields.documented(cls):
            out.append(f"| `{name}.{doc.name}` | `{_cell(doc.type)}` | "
                       f"{_cell(doc.meaning)} |\n")
    reporting: dict[str, list[Rule]] = {}
    for rule in _ordered(rules):
        if rule.fact is not None:
            reporting.setdefault(rule.fact, []).append(rule)
    out.append("\n## Fact kinds\n\n"
               "A rule with `fact: KIND` reports each fact of that kind, with `{fact.detail}` "
               "and `{fact.fix}` as its message and fix unless it writes its own.\n\n"
               "| kind | made by | reported by |\n|---|---|---|\n")
    for kind, module in fact_kinds.KINDS.items():
        shown = ", ".join(f"[{r.name}]({r.name}.md) ({r.code})" for r in reporting.get(kind, []))
        out.append(f"| `{kind}` | `{module}` | {shown or 'no built-in rule'} |\n")
    return "".join(out)


def pages(rules: Mapping[str, Rule]) -> dict[str, str]:
    """File name -> text of every page for ``rules`` (built-in rules only)."""
    chosen = [r for r in rules.values() if r.builtin]
    result = {f"{r.name}.md": rule_page(r) for r in _ordered(chosen)}
    result[INDEX] = index_page(chosen)
    result[FIELDS] = fields_page(chosen)  # not a rule's page: a rule may not be named so
    return result


def differences(out: Path, expected: Mapping[str, str]) -> list[str]:
    """What is missing, stale or left over in ``out`` compared with ``expected``."""
    problems = []
    for name, text in expected.items():
        path = out / name
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{path}: out of date")
    if out.is_dir():
        for path in sorted(out.glob("*.md")):
            if path.name not in expected:
                problems.append(f"{path}: no such rule any more")
    return problems


def write(out: Path, expected: Mapping[str, str]) -> list[str]:
    """Write the pages into ``out``, remove pages of removed rules; the changed files."""
    out.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in expected.items():
        path = out / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(str(path))
    for path in sorted(out.glob("*.md")):
        if path.name not in expected:
            path.unlink()
            changed.append(str(path))
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scriptkeeper.rules.pages",
                                     description="Write docs/rules/ from the built-in rules.yaml.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="folder of the rule pages (default: docs/rules of this checkout)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 when a page is missing or out of date")
    args = parser.parse_args(argv)
    from scriptkeeper.rules.config import ConfigError, check_builtin

    try:
        rules = check_builtin()  # a page shows its rule: one a user could not write fails here
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    expected = pages(rules)
    if args.check:
        problems = differences(args.out, expected)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run 'python -m scriptkeeper.rules.pages' to regenerate the rule pages",
                  file=sys.stderr)
        return 1 if problems else 0
    changed = write(args.out, expected)
    print(f"{len(expected)} pages in {args.out}, {len(changed)} changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
