"""Templates, placeholders and notes: files that are not the job sbatch will get (parse stage).

Three shapes of file carry #SBATCH lines that sbatch would refuse as written,
for reasons that are not the job's:

- a template a *tool* fills before submission (Jinja ``{{ nodes }}`` /
  ``{% if %}``, RELION's ``XXXqueueXXX``, Allinea/Arm's ``NUM_NODES_TAG``, or
  bare capitalised placeholders such as ``NTASKS`` in a file a name or a
  ``templates/`` folder marks as a template). Its placeholders say nothing of
  the filled job: the parser's refusals caused by them are dropped and one
  ``template-file`` fact says what the file is;
- a script with placeholders a *person* fills (``<partition>``,
  ``YOUR_PARTITION``, ``#SBATCH <SLURM OPTIONS>``): sbatch refuses it as
  written, so the refusal stays, once per rule, saying it is a placeholder;
- notes of pasted #SBATCH headers, or a list of ``sbatch x.slurm`` lines, kept
  under a job script's name: sbatch refuses them (no ``#!`` line) and that
  stays, saying what the file looks like; the options repeated from one pasted
  header to the next are not reported as duplicates.

Decided from the file alone (its text, name and folder), so the result cache,
keyed on the bytes and the repository's file set, covers it.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from scriptkeeper.parse import embedded
from scriptkeeper.parse.header import MAGIC, ParsedScript
from scriptkeeper.parse.validate import VALUE_CHECKS
from scriptkeeper.parse.value_grammar import ValueProblem
from scriptkeeper.records import Fact
from scriptkeeper.rules import fact_kinds

FACTS = fact_kinds.declare(__name__, "template-file")

# Jinja expressions and statements
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}")
_JINJA_LINE = re.compile(r"^\s*(\{%.*%\}|\{#.*#\}|\{\{.*\}\})\s*$")
# placeholders of known template-filling tools: RELION (XXXqueueXXX), Allinea/Arm
# queue templates (NUM_NODES_TAG)
_TOOL_WORD = re.compile(r"XXX[A-Za-z_]+XXX|\b[A-Z][A-Z0-9_]*_TAG\b")
# a bare capitalised placeholder (NTASKS, JOBNAME, $NODES, ${NODES}, {nodes}): a template's
# only in a file its name or folder marks as one
_BARE_WORD = re.compile(r"^(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\{[A-Za-z_][A-Za-z0-9_.]*\}"
                        r"|[A-Z][A-Z0-9_]{2,})$")
_TEMPLATE_NAME = re.compile(r"(^|[/._-])(templates?|tmpl|tpl)([/._-]|$)|\.(j2|jinja2?|qtf)$",
                            re.IGNORECASE)
# a placeholder a person fills: <partition>, YOUR_ACCOUNT, MY_QOS, XXX
_PERSON = re.compile(r"^<.*>?$|^<|^(YOUR|MY)_[A-Za-z0-9_]+$|^X{3,}$|^your[_-]", re.IGNORECASE)
# any capitalised word with an underscore, once the file has a person's placeholder
_CAPS = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$")

# the refusals a placeholder causes
_VALUE_KINDS = frozenset({"invalid-value", "invalid-directive", "unknown-option"})


@dataclass(frozen=True)
class Shape:
    """What kind of file this is, with the evidence."""

    kind: str  # "tool-template", "person-placeholders", "header-notes", "submit-list" or ""
    evidence: str = ""
    line: int = 1


def _directive_values(lines: list[str]) -> list[tuple[int, str]]:
    return [(number, line[len(MAGIC):]) for number, line in enumerate(lines, start=1)
            if line.startswith(MAGIC)]


def _values(rest: str) -> list[str]:
    words = []
    for word in rest.split():
        if word.startswith("#"):
            break
        words.append(word.partition("=")[2] if word.startswith("-") and "=" in word else word)
    return words


_SHORT = {"n": "ntasks", "N": "nodes", "t": "time", "c": "cpus-per-task", "G": "gpus"}


def _option_values(rest: str) -> list[tuple[str, str]]:
    """(long option name, value) of the ``--opt=value`` and ``-Xvalue`` words of a line."""
    found = []
    for word in rest.split():
        if word.startswith("#"):
            break
        if word.startswith("--") and "=" in word:
            name, _, value = word[2:].partition("=")
            found.append((name, value))
        elif word.startswith("-") and len(word) > 2 and word[1] in _SHORT:
            found.append((_SHORT[word[1]], word[2:]))
    return found


def _refused(option: str, value: str) -> bool:
    """sbatch refuses ``value`` for ``option`` (a bare word is a placeholder only then:
    ALL, NONE, INFINITE are values sbatch takes)."""
    check = VALUE_CHECKS.get(option)
    if check is None:
        return False
    try:
        check(value)
    except ValueProblem:
        return True
    return False


def named_as_template(path: str) -> bool:
    """The file's name or a folder says it is a template."""
    return bool(_TEMPLATE_NAME.search(path))


def tool_template(path: str, text: str, lines: list[str]) -> Shape | None:
    """The evidence that a tool fills this file before submission, or None."""
    jinja = "{{" in text or "{%" in text
    named = bool(_TEMPLATE_NAME.search(path))
    if not (jinja or named or "XXX" in text or "_TAG" in text) or MAGIC not in text:
        return None
    header = _directive_values(lines)
    for number, rest in header:
        found = _JINJA.search(rest) or _TOOL_WORD.search(rest)
        if found:
            return Shape("tool-template", f"'{found.group(0)}' on line {number}", number)
    for number, line in enumerate(lines, start=1) if jinja else ():
        if _JINJA_LINE.match(line):
            return Shape("tool-template", f"'{line.strip()[:40]}' on line {number}", number)
    if named:
        for number, rest in header:
            values = _values(rest)
            if any(_PERSON.match(v) for v in values):
                return None  # a person's placeholder: judged as written
            for option, value in _option_values(rest):
                if _BARE_WORD.match(value) and _refused(option, value):
                    return Shape("tool-template",
                                 f"'{value}' on line {number} in a file named as a template",
                                 number)
    return None


def neutral_text(data: bytes) -> bytes:
    """A Jinja template's bytes with its statement lines blanked and each ``{{ x }}`` one
    word, line numbers kept: what the parser reads in place of the file."""
    text = data.decode("utf-8", errors="replace")
    out = []
    for line in text.split("\n"):
        if _JINJA_LINE.match(line):
            out.append("")
        else:
            out.append(_JINJA.sub(lambda m: re.sub(r"\s+", "", m.group(0)), line))
    return "\n".join(out).encode()


def is_placeholder_line(line: str) -> bool:
    return bool(_JINJA.search(line) or _TOOL_WORD.search(line)) or any(
        _BARE_WORD.match(v) for v in _values(line[len(MAGIC):] if line.startswith(MAGIC)
                                             else line))


def template_facts(parsed: ParsedScript, facts: list[Fact], shape: Shape,
                   fragment: bool) -> list[Fact]:
    """The facts of a tool's template: its placeholders' refusals dropped, one fact added."""
    kept = []
    for fact in facts:
        line = parsed.lines[fact.line - 1] if 0 < fact.line <= len(parsed.lines) else ""
        if fact.kind in _VALUE_KINDS and is_placeholder_line(line):
            continue
        if fact.kind == "missing-shebang" and fragment:
            continue  # a fragment the tool includes below its own '#!' line
        kept.append(fact)
    kept.append(Fact(
        "template-file", shape.line,
        f"a template ({shape.evidence}): a tool fills its values before submission; "
        f"scriptkeeper judges the filled job, not this file",
        "scan the job files the tool writes, or keep this one out of the scan "
        "(rules.yaml scripts.exclude)", data={"evidence": shape.evidence}))
    return kept


def _placeholder_of(fact: Fact, parsed: ParsedScript) -> str | None:
    if fact.kind == "invalid-value":
        written = fact.detail.split("'", 2)[1] if fact.detail.count("'") >= 2 else ""
        value = written.partition("=")[2] if "=" in written else written
        if value and (_PERSON.match(value) or _CAPS.match(value)):
            return written
    if fact.kind == "invalid-directive" and fact.detail.startswith("'<"):
        line = parsed.lines[fact.line - 1] if 0 < fact.line <= len(parsed.lines) else ""
        found = re.search(r"<[^>]*>?", line)
        return found.group(0) if found else None
    return None


def placeholder_facts(parsed: ParsedScript, facts: list[Fact]) -> list[Fact]:
    """A person's placeholders: the refusals they cause, once per rule, saying so."""
    shown: dict[str, list[tuple[Fact, str]]] = {}
    for fact in facts:
        written = _placeholder_of(fact, parsed)
        if written is not None:
            shown.setdefault(fact.kind, []).append((fact, written))
    if not any(_PERSON.match(w.partition("=")[2] or w) or w.startswith("<")
               for found in shown.values() for _, w in found):
        return facts
    result = []
    for fact in facts:
        found = shown.get(fact.kind)
        if not found or all(fact is not f for f, _ in found):
            result.append(fact)
            continue
        if fact is not found[0][0]:
            continue
        listed = ", ".join(f"'{w}' (line {f.line})" for f, w in found)
        many = len(found) > 1
        sbatch_says = fact.detail.rsplit(": ", 1)[-1] if fact.kind == "invalid-directive" \
            else "it refuses the value"
        if fact.kind == "invalid-directive":
            said = f"sbatch stops with {sbatch_says}" if sbatch_says.startswith("'") else \
                fact.detail
        else:
            said = "sbatch refuses " + ("them" if many else "it") + " as written"
        result.append(dataclasses.replace(
            fact,
            detail=f"placeholder{'s' if many else ''} to fill before submitting: {listed}; "
                   f"{said}",
            fix="replace each placeholder with your cluster's value ('sinfo -s' lists the "
                "partitions)"))
    return result


def notes_shape(parsed: ParsedScript) -> Shape | None:
    """Notes of pasted #SBATCH headers, or a list of sbatch commands, under a script's name."""
    if not parsed.refused:
        return None
    commands = embedded.command_lines(parsed.lines)
    if embedded.only_sbatch(commands):
        return Shape("submit-list", f"{len(commands)} 'sbatch ...' command"
                     f"{'s' if len(commands) > 1 else ''} and nothing else")
    if not commands and parsed.directives:
        seen: set[str] = set()
        repeated = 0
        for d in parsed.directives:
            repeated += d.option in seen
            seen.add(d.option)
        shebangs = sum(line.startswith("#!") for line in parsed.lines)
        if repeated >= 2 or shebangs >= 1:
            return Shape("header-notes", f"#SBATCH lines only, {repeated} options given "
                         f"again further down, no commands")
    return None


def notes_facts(facts: list[Fact], shape: Shape) -> list[Fact]:
    what = ("a list of sbatch commands (run it with bash), not a job script"
            if shape.kind == "submit-list"
            else "notes of pasted #SBATCH headers, not a job script")
    result = []
    for fact in facts:
        if shape.kind == "header-notes" and fact.kind == "duplicate-option":
            continue  # the pasted headers are alternatives, never read together
        if fact.kind == "missing-shebang":
            fact = dataclasses.replace(
                fact, detail=f"looks like {what} ({shape.evidence}): {fact.detail}")
        result.append(fact)
    return result
