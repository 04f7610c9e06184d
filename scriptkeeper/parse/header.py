"""Read a job script's bytes exactly as sbatch does (parse stage).

Reproduces ``src/sbatch/sbatch.c`` and ``opt.c``: the script checks that make
sbatch refuse a file outright (empty, no ``#!``, DOS line breaks, NUL), the
``#SBATCH`` magic word at column 0, the stop at the first command, the
tokenizer (quotes, backslash escapes, trailing ``#`` comments) and GNU
``getopt_long`` over the tokens of all directive lines together, with the
option table of the configured SLURM release.

The result is a :class:`ParsedScript`: the directives sbatch applies, the ones
it silently ignores (:class:`~scriptkeeper.parse.directive.Directive` s), and
:class:`~scriptkeeper.records.Fact` s for every problem. Problems are never
exceptions: any bytes give a ParsedScript.

The SLURM facts relied on here: docs/launch-contracts.md §1.1-§1.5.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from scriptkeeper.parse import embedded
from scriptkeeper.parse.directive import Directive
from scriptkeeper.parse.option_table import (
    WELL_KNOWN_PLUGIN_OPTIONS,
    OptionSpec,
    OptionTable,
    option_table,
)
from scriptkeeper.records import Fact
from scriptkeeper.rules import fact_kinds

# the fact kinds made here; the import checks them against fact_kinds.KINDS, which
# rules.yaml loading reads without importing this module
FACTS = fact_kinds.declare(
    __name__,
    "empty-script", "missing-shebang", "dos-line-endings", "nul-byte", "unknown-option",
    "plugin-option", "invalid-directive", "directive-after-command", "ignored-directive-lookalike")

MAGIC = "#SBATCH"
_WORD = re.compile(r"[^ \t\n\v\f\r]+")  # sbatch splits on C isspace(), not Unicode space
# '#sbatch', '# SBATCH', an indented '#SBATCH' (not '##SBATCH'), as whole lines
# (tested on each line that is not an #SBATCH line)
_LOOKALIKE_LINE = re.compile(r"[ \t\v\f\r]*#[ \t\v\f\r]*sbatch\b", re.IGNORECASE)
# '# sbatch job.slurm', '#   sbatch --nodes 2 scripts/x.sh', '# sbatch \\': the sbatch command
# written in a usage comment (lower case, after a space), with a file, a path or a line
# continuation as its argument; never a switched-off directive
_USAGE = re.compile(r"#[ \t]+sbatch[ \t]")
_USAGE_ARGUMENT = re.compile(r"^(\\|.*[/$].*|.*\.(sh|bash|slurm|sbatch|job|py|R|jl|m)$)")


def _usage_comment(line: str) -> bool:
    found = _USAGE.search(line)
    if found is None:
        return False
    words = line[found.end():].split()
    return any(not w.startswith("-") and _USAGE_ARGUMENT.match(w) for w in words)


# '#SBTACH --nodes=2', '#BATCH -p gpu': a misspelled magic word is a plain comment too
# (docs/launch-contracts.md §1.11); the word, and what follows it
_NEAR_MISS = re.compile(r"[ \t]*#[ \t]*([A-Za-z]{4,9})[ \t]+(\S+)")
_MAGIC_WORD = "SBATCH"
# other schedulers' magic words, which sbatch does not read on purpose
_OTHER_SCHEDULERS = frozenset({"PBS", "BSUB", "FLUX", "COBALT", "MSUB", "LSF", "SGE"})


def _edits(word: str, target: str = _MAGIC_WORD) -> int:
    """Optimal-string-alignment distance: insertions, deletions, substitutions, swaps."""
    rows = [list(range(len(target) + 1))]
    for i, a in enumerate(word, start=1):
        row = [i] + [0] * len(target)
        for j, b in enumerate(target, start=1):
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (a != b))
            if i > 1 and j > 1 and a == target[j - 2] and word[i - 2] == b:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def _is_sbatch_option(table: OptionTable, word: str) -> bool:
    if word.startswith("--"):
        name = word[2:].partition("=")[0]
        return bool(name) and table.resolve(name).spec is not None
    return len(word) >= 2 and word[0] == "-" and word[1] in table.by_short


def near_miss(line: str, table: OptionTable) -> str | None:
    """The misspelled magic word of a comment meant as a directive, or None.

    One edit from 'SBATCH' (two for a word of six letters or more that starts with
    'S' and has five of its letters: 'SBTAHC', not 'SEARCH'), and followed by a word
    sbatch would take as one of its options: '#BATCH SIZE' in prose and '#PATCH' notes
    are left alone.
    """
    found = _NEAR_MISS.match(line)
    if found is None:
        return None
    word = found.group(1)
    upper = word.upper()
    if upper == _MAGIC_WORD or upper in _OTHER_SCHEDULERS:
        return None
    distance = _edits(upper)
    if distance > 2 or (distance == 2 and (len(upper) < 6 or upper[0] != "S" or sum(
            min(upper.count(c), 1) for c in _MAGIC_WORD) < 5)):
        return None
    return word if _is_sbatch_option(table, found.group(2)) else None


_HETJOB = re.compile(r"^\s*(hetjob|packjob)\s*(#.*)?$")


class Token(NamedTuple):
    text: str
    line: int


_new_token = tuple.__new__  # Token(text, line) without the Python-level __new__ of NamedTuple


@dataclass
class ParsedScript:
    """Everything the parse stage knows about one script."""

    text: str
    lines: list[str]
    directives: list[Directive] = field(default_factory=list)
    ignored: list[Directive] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    first_command_line: int | None = None
    refused: bool = False  # sbatch refuses the file before reading directives
    components: int = 1

    @property
    def body_start(self) -> int:
        """Index (0-based) of the first line of the body: the first command."""
        if self.first_command_line is None:
            return len(self.lines)
        return self.first_command_line - 1


def decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _script_checks(data: bytes) -> list[Fact]:
    """The checks sbatch makes on the whole file before any directive."""
    if len(data) == 0:
        return [Fact("empty-script", 1, "the script is empty: sbatch says 'Batch script is empty!'",
                     "write the job's commands, starting with a '#!/bin/bash' line")]
    if not data.strip(b" \t\n\r\v\f"):
        return [Fact("empty-script", 1,
                     "the script holds only white space: sbatch says "
                     "'Batch script contains only whitespace!'",
                     "write the job's commands, starting with a '#!/bin/bash' line")]
    facts = []
    if not data.startswith(b"#!"):
        first = decode(data.split(b"\n", 1)[0])
        if data.startswith(b"\xef\xbb\xbf"):
            why = "it starts with a UTF-8 byte order mark"
            fix = "save the file as UTF-8 without a BOM"
        elif not first.strip():
            why = "its first line is blank"
            fix = "remove the blank line(s) before the '#!' line"
        elif first.lstrip().startswith("#!"):
            why = "the '#!' line is indented"
            fix = "start the '#!' line at column 0"
        elif first.startswith("!/"):
            why = "the '#' of the '#!' line is missing"
            fix = "write the first line as '#" + first.strip() + "'"
        elif first.startswith("#"):
            why = "a comment comes before the '#!' line"
            fix = "move the '#!' line to the very top"
        else:
            why = "the first line is not '#!' followed by an interpreter"
            fix = "add '#!/bin/bash' as the first line"
        facts.append(Fact("missing-shebang", 1,
                          f"sbatch refuses the script ('This does not look like a batch "
                          f"script'): {why}", fix))
    if b"\r\n" in data:
        line = data[: data.index(b"\r\n")].count(b"\n") + 1
        facts.append(Fact("dos-line-endings", line,
                          "the script has DOS line breaks (\\r\\n): sbatch refuses it "
                          "('Batch script contains DOS line breaks')",
                          "convert it with 'dos2unix FILE' or save it with LF line endings"))
    if b"\0" in data:
        line = data[: data.index(b"\0")].count(b"\n") + 1
        facts.append(Fact("nul-byte", line,
                          "the script contains a NUL byte: SLURM does not accept it",
                          "remove the NUL byte(s); the file may be binary or corrupt"))
    return facts


def _is_command(line: str) -> bool:
    stripped = line.lstrip(" \t\n\r\v\f")
    return bool(stripped) and not stripped.startswith("#")


def tokenize(text: str, line: int) -> tuple[list[Token], Fact | None]:
    """Split the rest of a directive line the way sbatch's _get_argument does."""
    words, quote = _split(text)
    tokens = [_new_token(Token, (word, line)) for word in words]
    if quote:
        return tokens, Fact("invalid-directive", line,
                            f"unmatched {quote} in the directive: sbatch stops with "
                            f"'Unmatched `{quote}`'", "close the quote")
    return tokens, None


@functools.lru_cache(maxsize=8192)
def _split(text: str) -> tuple[tuple[str, ...], str]:
    """The words of a directive line, and the quote left open ('' when none).

    Memoised: the same directive lines come back in script after script.
    """
    if not ('"' in text or "'" in text or "\\" in text or "#" in text):  # plain words
        return tuple(_WORD.findall(text)), ""
    words: list[str] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in " \t\n\r\v\f":
            i += 1
        if i >= n or text[i] == "#":
            return tuple(words), ""
        out: list[str] = []
        quote = ""
        escape = False
        while i < n and (quote or text[i] not in " \t\n\r\v\f"):
            ch = text[i]
            if escape:
                escape = False
            elif ch == "\\":
                escape = True
                i += 1
                continue
            elif quote:
                if ch == quote:
                    quote = ""
                    i += 1
                    continue
            elif ch in "\"'":
                quote = ch
                i += 1
                continue
            elif ch == "#":
                break
            out.append(ch)
            i += 1
        if quote:
            return tuple(words), quote
        words.append("".join(out))
        if i < n and text[i] == "#":
            return tuple(words), ""


class _Getopt:
    """GNU getopt_long over sbatch's option string (which starts with '+')."""

    def __init__(self, table: OptionTable, tokens: list[Token], component: int) -> None:
        self.table = table
        self.tokens = tokens
        self.component = component
        self.pos = 0
        self.directives: list[Directive] = []
        self.facts: list[Fact] = []

    def run(self) -> None:
        while self.pos < len(self.tokens):
            token = self.tokens[self.pos]
            text = token.text
            if text == "--":
                self.pos += 1
                break
            if text.startswith("--"):
                self.pos += 1
                self._long(token)
            elif text.startswith("-") and text != "-":
                self.pos += 1
                self._short(token)
            else:
                break
        if self.pos < len(self.tokens):
            token = self.tokens[self.pos]
            self.facts.append(Fact(
                "invalid-directive", token.line,
                f"'{token.text}' is not an option: sbatch stops with 'Invalid directive found "
                f"in batch script: {token.text}'",
                "remove the stray word, or give it to the option it belongs to with '='",
            ))

    def _take_value(self, spec: OptionSpec, token: Token, attached: str | None,
                    written: str) -> tuple[str | None, bool]:
        if spec.argument == "none":
            if attached is not None:
                self.facts.append(Fact(
                    "invalid-directive", token.line,
                    f"'--{spec.long}' takes no value: sbatch says \"option '{written}' doesn't "
                    f"allow an argument\"", f"write '--{spec.long}' alone"))
                return None, False
            return None, True
        if attached is not None:
            return attached, True
        if spec.argument == "optional":
            return None, True
        if self.pos < len(self.tokens):
            value = self.tokens[self.pos].text
            self.pos += 1
            return value, True
        self.facts.append(Fact(
            "invalid-directive", token.line,
            f"'{written}' needs a value: sbatch says \"option '{written}' requires an argument\"",
            f"give a value: '--{spec.long}=VALUE'"))
        return None, False

    def _long(self, token: Token) -> None:
        body = token.text[2:]
        name, eq, attached_text = body.partition("=")
        attached = attached_text if eq else None
        resolution = self.table.resolve(name)
        if resolution.ambiguous:
            listed = ", ".join("--" + m for m in resolution.ambiguous[:6])
            self.facts.append(Fact(
                "unknown-option", token.line,
                f"'--{name}' is ambiguous: sbatch says \"option '{token.text}' is ambiguous\" "
                f"(it could be {listed})", "write the option's full name"))
            return
        spec = resolution.spec
        if spec is None:
            self.facts.append(self._unknown(token, name))
            return
        value, ok = self._take_value(spec, token, attached, token.text)
        if ok:
            self.directives.append(Directive(spec.long, value, token.line, token.text,
                                             self.component))

    def _unknown(self, token: Token, name: str) -> Fact:
        plugin = WELL_KNOWN_PLUGIN_OPTIONS.get(name)
        if plugin is not None:
            return Fact(
                "plugin-option", token.line,
                f"'--{name}' comes from the {plugin} SPANK plugin: sbatch refuses it unless "
                f"the cluster has {plugin} installed",
                f"if your cluster has {plugin}, list '{name}' in rules.yaml "
                f"cluster.plugin_options", data={"option": name, "plugin": plugin})
        program = self.table.program_for(name)
        if program is not None:
            return Fact(
                "unknown-option", token.line,
                f"'--{name}' is an option of {program}, not of sbatch: sbatch stops with "
                f"\"unrecognized option '--{name}'\"",
                f"remove it from the #SBATCH lines and give it to {program} on the "
                f"launch line (e.g. 'srun --{name}=... python ...')")
        return Fact(
            "unknown-option", token.line,
            f"sbatch does not know '--{name}' (SLURM {self.table.release}): it stops with "
            f"\"unrecognized option '--{name}'\"",
            "check the spelling against 'man sbatch'",
            data={"option": name, "written": token.text.partition("=")[0]})

    def _short(self, token: Token) -> None:
        text = token.text
        i = 1
        while i < len(text):
            letter = text[i]
            spec = self.table.by_short.get(letter)
            if spec is None:
                other = self.table.other_short.get(letter)
                where = f" (it is an option of {other})" if other else ""
                self.facts.append(Fact(
                    "unknown-option", token.line,
                    f"sbatch does not know '-{letter}'{where}: it stops with "
                    f"\"invalid option -- '{letter}'\"", "check the option against 'man sbatch'"))
                return
            rest = text[i + 1:]
            if spec.argument == "none":
                self.directives.append(Directive(spec.long, None, token.line, "-" + letter,
                                                 self.component))
                i += 1
                continue
            if rest:
                value: str | None = rest
            elif spec.argument == "optional":
                value = None
            elif self.pos < len(self.tokens):
                value = self.tokens[self.pos].text
                self.pos += 1
            else:
                self.facts.append(Fact(
                    "invalid-directive", token.line,
                    f"'-{letter}' needs a value: sbatch says \"option requires an argument -- "
                    f"'{letter}'\"", f"give a value: '-{letter} VALUE'"))
                return
            self.directives.append(Directive(spec.long, value, token.line, text,
                                             self.component))
            return


# the instance dict of a Directive for each option a directive line gives (line and
# component 0); shared by the memo, never changed
_LineOptions = tuple[dict[str, Any], ...]
_new_directive = object.__new__


@functools.lru_cache(maxsize=8192)
def _line_options(table: OptionTable, rest: str) -> _LineOptions | None:
    """The options of one directive line read on its own, when that is all it does.

    None when reading the line depends on its neighbours or gives a fact: an open
    quote, an option whose value is on the next line, a word that stops getopt
    (``--`` included), an unknown option. Memoised: most directive lines come back in
    script after script, and getopt over the tokens of a group of such lines gives
    exactly the options of each line in turn.
    """
    tokens, problem = tokenize(rest, 0)
    if problem is not None or any(token.text == "--" for token in tokens):
        return None
    getopt = _Getopt(table, tokens, 0)
    getopt.run()
    if getopt.facts or getopt.pos != len(tokens):
        return None
    return tuple(dict(vars(d)) for d in getopt.directives)


def _broken_shebang(lines: list[str]) -> bool:
    """A first line '!/bin/bash': the '#' of '#!' lost, which missing-shebang reports."""
    return bool(lines) and lines[0].startswith("!/")


def _first_command(lines: list[str], skip_first: bool = False) -> int | None:
    # a broken '#!' line is not the author's first command: read the header after it,
    # so one missing-shebang is reported, not a directive-after-command for every line
    for number, line in enumerate(lines, start=1):
        if number == 1 and skip_first:
            continue
        if line[:1] != "#" and _is_command(line):
            return number
    return None


def parse(data: bytes, release: str | None = None,
          plugin_options: tuple[str, ...] = ()) -> ParsedScript:
    """Parse a job script's bytes; never raises."""
    text = decode(data)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    script = ParsedScript(text=text, lines=lines)
    script.facts.extend(_script_checks(data))
    script.refused = bool(script.facts) and any(
        f.kind in ("empty-script", "missing-shebang", "dos-line-endings", "nul-byte")
        for f in script.facts)
    table = option_table(release, tuple(sorted(plugin_options)))

    first_cmd = script.first_command_line = _first_command(lines, _broken_shebang(lines))
    header_end = len(lines) if first_cmd is None else first_cmd - 1
    # one pass: the #SBATCH lines, and the comments that look like one (in text order)
    magic: list[tuple[int, str]] = []
    lookalikes: list[tuple[int, str]] = []
    misspelled: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if line.startswith(MAGIC):
            magic.append((number, line[len(MAGIC):]))
        elif "#" in line and _LOOKALIKE_LINE.match(line) and not _usage_comment(line):
            lookalikes.append((number, line))
        elif line[:1] == "#" and line[1:2] not in ("#", "!") and near_miss(line, table):
            misspelled.append((number, line))
    has_foreign = ("#PBS" in text or "#BSUB" in text) and any(
        line.startswith(("#PBS", "#BSUB")) for line in lines[:header_end])

    component = 0
    # per component: its lines with their options read alone (None: read them with
    # getopt over the whole group, as sbatch does, with the tokens already made)
    group: list[tuple[int, str, _LineOptions | None, list[Token] | None]] = []
    alone = True  # every line of the group read on its own
    groups: list[tuple[int, list[tuple[int, str, _LineOptions | None, list[Token] | None]],
                       bool]] = []
    late: list[tuple[int, str]] = []
    for number, rest in magic:
        if number > header_end:
            late.append((number, rest))
            continue
        if ("hetjob" in rest or "packjob" in rest) and _HETJOB.match(rest):
            groups.append((component, group, alone))
            component += 1
            group = []
            alone = True
            continue
        options = _line_options(table, rest)
        found: list[Token] | None = None
        if options is None:
            alone = False
            found, problem = tokenize(rest, number)
            if problem:
                script.facts.append(problem)
        group.append((number, rest, options, found))
    groups.append((component, group, alone))
    script.components = component + 1
    for comp, lines_of, alone in groups:
        if alone:
            read = script.directives
            for number, _, options, _ in lines_of:
                for state in options or ():
                    # the instance dict copied from the line's, in field order: no __init__
                    d = _new_directive(Directive)
                    d.__dict__.update(state, line=number, component=comp)
                    read.append(d)
            continue
        tokens: list[Token] = []
        for number, rest, _, found in lines_of:
            tokens.extend(tokenize(rest, number)[0] if found is None else found)
        getopt = _Getopt(table, tokens, comp)
        getopt.run()
        script.directives.extend(getopt.directives)
        script.facts.extend(getopt.facts)
    if has_foreign and not any(d.option == "ignore-pbs" for d in script.directives):
        from scriptkeeper.parse import (
            pbs_bsub,  # sbatch applies #PBS/#BSUB lines after #SBATCH ones
        )

        foreign, foreign_facts = pbs_bsub.read(lines, script.first_command_line)
        script.directives.extend(foreign)
        script.facts.extend(foreign_facts)

    if late or lookalikes or misspelled:
        # lines of a here-document or string the file writes or submits: directives of
        # the generated job, not of this one (sbatch never reads them as the file's)
        held = embedded.held_lines(lines, embedded.is_python("", lines)) or frozenset()
        late = [(n, rest) for n, rest in late if n not in held]
        lookalikes = [(n, line) for n, line in lookalikes if n not in held]
        misspelled = [(n, line) for n, line in misspelled if n not in held]
    for number, rest in late:
        found, _ = tokenize(rest, number)
        getopt = _Getopt(table, found, component)
        getopt.run()
        script.ignored.extend(getopt.directives)
        shown = (MAGIC + rest).strip()
        command = lines[first_cmd - 1].strip() if first_cmd else ""
        script.facts.append(Fact(
            "directive-after-command", number,
            f"'{shown}' comes after the first command (line {first_cmd}: '{command}'); sbatch "
            f"stops reading directives there and silently ignores it",
            "move every #SBATCH line above the first command",
            data={"options": [d.option for d in getopt.directives]}))

    for number, line in lookalikes:
        script.facts.append(Fact(
            "ignored-directive-lookalike", number,
            f"'{line.strip()}' looks like a directive but is a plain comment to sbatch "
            f"(only '#SBATCH' at column 0, in capitals, counts): it is ignored",
            "write it as '#SBATCH ...' at the start of the line, or as '##SBATCH' "
            "to switch it off on purpose"))
    for number, line in misspelled:
        word = near_miss(line, table) or ""
        shown = line.strip()
        script.facts.append(Fact(
            "ignored-directive-lookalike", number,
            f"'{shown}' is not a directive: '#{word}' is not '#SBATCH', so sbatch reads the "
            f"line as a plain comment and silently does not apply "
            f"'{shown.split(word, 1)[-1].strip()}'",
            "spell it '#SBATCH' at the start of the line (or '##SBATCH' to switch it off on "
            "purpose)", data={"misspelled": word}))
    return script
