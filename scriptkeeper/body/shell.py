"""Walk a job script's shell body with tree-sitter-bash (model stage, body analysis).

:func:`walk` turns shell text into the simple commands the batch shell will
run, in order, each with its words expanded as far as the script itself
tells: variables assigned earlier (exported or not), ``${X:-default}``,
arithmetic on known numbers, function arguments, word splitting of unquoted
expansions. Whatever comes from outside the script (the environment, a
command substitution, a loop variable, ``read``) is :data:`UNKNOWN` inside the
word, never guessed.

Control flow is followed the way bash runs it: functions at their calls,
``if``/``case`` branches and ``&&``/``||`` tails as "maybe" (a variable that
differs between branches becomes unknown), loop bodies as "zero or more
times", pipelines and subshells in a copy of the variables. ``eval`` of a
known string is walked in place. ``bash -c`` strings are walked by the caller
(:mod:`scriptkeeper.body.steps`), which knows whether they run in the batch shell
or in an srun task.

The parser is created once per process and each text is parsed once.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

import tree_sitter
import tree_sitter_bash

from scriptkeeper.parse.c_numbers import LONG_MAX, clamped

UNKNOWN = "\x00"
# `~trainer.params.strategy`: a dotted name is no login name bash could expand (it stays as
# written, and Hydra reads it as a deletion)
_HYDRA_DELETION = re.compile(r"~[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)+$")
"""Marks the part of a value the script does not determine."""

# Bounds on what expansion builds, so that the walk's memory does not grow with what a
# script computes (X=$X$X doubles on each line): one value longer than VALUE_MAX
# characters is unknown, and once the values built exceed their own source text by
# EXPANSION_BUDGET characters in total, every further one that would is unknown.
VALUE_MAX = 1 << 16
EXPANSION_BUDGET = 1 << 20
# Statements nested deeper than this (blocks, branches, function calls, bash -c) are not
# walked: their commands may launch unseen and the variables they assign are unknown.
# Python's stack, not any script anyone writes, is what this guards.
NESTING_MAX = 100
_ASSIGNED = re.compile(r"(?<![\w$-])([A-Za-z_][A-Za-z0-9_]*)\+?=")

# Per-task SLURM variables: the batch shell has them (= 0) but each srun task has its own.
RANK_VARIABLES = frozenset({"SLURM_PROCID", "SLURM_NODEID", "SLURM_LOCALID"})

_PLACEHOLDER = "__sk_unknown__"
_PLACEHOLDER_BYTES = _PLACEHOLDER.encode()
_UNKNOWN_BYTES = UNKNOWN.encode()
# Variables from the environment that are one word when unknown (numbers, names, paths);
# any other unknown variable written unquoted may be several words, or none.
ONE_WORD = frozenset({
    "RANDOM", "SECONDS", "LINENO", "BASHPID", "PPID", "UID", "EUID", "HOSTNAME", "PWD",
    "OLDPWD", "HOME", "USER", "LOGNAME", "TMPDIR", "SCRATCH", "WORK", "MASTER_ADDR",
    "MASTER_PORT", "PBS_JOBID", "JOB_ID",
})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MAX_CALL_DEPTH = 8
_MAX_COMMANDS = 5000


@dataclass(frozen=True)
class Var:
    """One shell variable as the script leaves it at some point."""

    value: str | None  # None: unknown; UNKNOWN marks the unknown parts of a value
    exported: bool = False
    line: int = 0  # where the script assigned it (0: not assigned by the script)
    is_set: bool = True
    rank: bool = False  # built from a per-task SLURM variable (SLURM_PROCID, ...)
    single: bool = False  # unknown, but one word: from $(...) or $((...))


Env = dict[str, Var]


@dataclass
class Command:
    """A simple command the shell runs, with its words as far as they are known."""

    argv: list[str]
    wild: frozenset[int]  # words that may expand to any number of words (unquoted unknowns)
    line: int
    end_line: int
    text: str
    env: Env  # the variables the command sees (its own VAR=value prefixes applied)
    prefix: dict[str, Var]  # the VAR=value assignments written before the command
    background: bool = False
    cwd: str | None = ""  # working directory relative to where the job starts; None: unknown
    rank_vars: tuple[str, ...] = ()  # per-task SLURM variables expanded into the words
    files_unknown: bool = False  # the script may have created files nobody can name
    produced: frozenset[str] = frozenset()  # paths the script wrote before this command
    depth: int = 0  # 0 in the script, 1 inside a function, a loop or a branch


@dataclass
class Walk:
    """The commands of one text and whether tree-sitter found a syntax error."""

    commands: list[Command] = field(default_factory=list)
    has_error: bool = False
    error_line: int = 0
    opaque: list[int] = field(default_factory=list)  # lines of commands that may launch unseen


@functools.cache
def parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))


def known(value: str | None) -> bool:
    return value is not None and UNKNOWN not in value


def as_int(value: str | None) -> int | None:
    """A whole number written in ASCII digits, or None; past 2**63 - 1, unknown.

    No launcher takes a count that large, and reading it whole would cost work that
    grows with the number written.
    """
    if value is None or UNKNOWN in value:
        return None
    text = value.strip()
    if not text.isascii() or not text.isdigit():
        return None
    number = clamped(text, LONG_MAX)
    return None if number >= LONG_MAX else number


# --- expansion ---------------------------------------------------------------------------

_ESCAPES_IN_DQ = {"$": "$", "`": "`", '"': '"', "\\": "\\", "\n": ""}


def _unescape_dq(text: str) -> str:
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPES_IN_DQ:
            out.append(_ESCAPES_IN_DQ[text[i + 1]])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _unescape_word(text: str) -> str:
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            if text[i + 1] != "\n":
                out.append(text[i + 1])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _int64(value: int) -> int:
    """Bash arithmetic is in signed 64 bits and wraps: so does ours, which keeps it small."""
    low = value & 0xFFFFFFFFFFFFFFFF
    return low - 2**64 if low > LONG_MAX else low


def _div(a: int, b: int) -> int:
    quotient = abs(a) // abs(b)  # C division truncates toward zero
    return quotient if (a < 0) == (b < 0) else -quotient


def _mod(a: int, b: int) -> int:
    return a - _div(a, b) * b


_ARITH_OPS: dict[type, Callable[[int, int], int]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.FloorDiv: _div,
    ast.Mod: _mod,
}


def _arith(tree: ast.AST) -> int:
    if isinstance(tree, ast.Expression):
        return _arith(tree.body)
    if isinstance(tree, ast.Constant) and isinstance(tree.value, int):
        return _int64(tree.value)
    if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.USub):
        return _int64(-_arith(tree.operand))
    if isinstance(tree, ast.BinOp) and type(tree.op) in _ARITH_OPS:
        return _int64(_ARITH_OPS[type(tree.op)](_arith(tree.left), _arith(tree.right)))
    raise ValueError("unsupported arithmetic")


class _State:
    """The mutable part of a walk: variables, working directory, files written."""

    __slots__ = ("allexport", "cwd", "env", "files_unknown", "produced")

    def __init__(self, env: Env, cwd: str | None) -> None:
        self.env = env
        self.cwd = cwd
        self.allexport = False
        self.produced: set[str] = set()
        self.files_unknown = False

    def copy(self) -> _State:
        other = _State(dict(self.env), self.cwd)
        other.allexport = self.allexport
        other.produced = set(self.produced)
        other.files_unknown = self.files_unknown
        return other

    def merge(self, others: Iterable[_State]) -> None:
        """Become what is certain after any one of ``self`` (unchanged) and ``others`` ran."""
        for other in others:
            env, other_env = self.env, other.env
            # equal dicts (the usual case: a branch that set nothing) change nothing below
            for name in (env.keys() | other_env.keys()) if env != other_env else ():
                mine, theirs = env.get(name), other_env.get(name)
                # copies share their Var objects: most names are the very same object
                if mine is theirs or mine == theirs:
                    continue
                if mine is not None and theirs is not None and (
                        mine.value == theirs.value and mine.is_set == theirs.is_set):
                    self.env[name] = replace(mine, exported=mine.exported or theirs.exported,
                                             rank=mine.rank or theirs.rank,
                                             single=mine.single and theirs.single)
                    continue
                base = mine or theirs
                assert base is not None
                self.env[name] = Var(None, exported=(mine is not None and mine.exported) or (
                    theirs is not None and theirs.exported), line=base.line,
                    rank=bool((mine and mine.rank) or (theirs and theirs.rank)))
            if self.cwd != other.cwd:
                self.cwd = None
            self.allexport = self.allexport and other.allexport
            self.produced |= other.produced
            self.files_unknown = self.files_unknown or other.files_unknown


class _Expansion:
    """Words being expanded: the values, which of them are wild, and what they used."""

    # a plain class with slots: made for each command and assignment, cheaper than a dataclass
    __slots__ = ("rank_vars",)

    def __init__(self) -> None:
        self.rank_vars: list[str] = []


SourceReader = Callable[[str, str | None], "tuple[str, bytes] | None"]


class _Walker:
    def __init__(self, src: bytes, line_offset: int, positional: list[str] | None,
                 source_reader: SourceReader | None) -> None:
        self._src = b""
        self._plain: str | None = None
        self.src = src
        self.line_offset = line_offset
        self.positional = positional
        self.functions: dict[str, tuple[tree_sitter.Node, bytes]] = {}
        self.calls: list[str] = []
        self.commands: list[Command] = []
        self.source_reader = source_reader
        self.sourced: set[str] = set()
        self.depth = 0
        self.checkouts: frozenset[str] = frozenset()
        self.opaque: list[int] = []
        self.budget = EXPANSION_BUDGET  # characters expansion may still add (VALUE_MAX)
        self.nesting = 0  # statements being walked inside one another (NESTING_MAX)

    def bounded(self, value: str, source_length: int) -> str:
        """``value``, or UNKNOWN once it is too long or the walk's budget is spent."""
        extra = len(value) - source_length
        if extra <= 0:
            return value
        if len(value) > VALUE_MAX or extra > self.budget:
            return UNKNOWN
        self.budget -= extra
        return value

    # --- text helpers --------------------------------------------------------------
    @property
    def src(self) -> bytes:
        return self._src

    @src.setter
    def src(self, data: bytes) -> None:
        if data is self._src:
            return  # a function of the same text, or back from it: nothing to redo
        self._src = data
        # ASCII text without the placeholder: byte offsets are string offsets, and a slice
        # of the decoded text is what decoding the slice of bytes gives
        plain = data.isascii() and _PLACEHOLDER_BYTES not in data
        self._plain = data.decode("ascii") if plain else None

    def decode(self, start: int, end: int) -> str:
        plain = self._plain
        if plain is not None:
            return plain[start:end]
        text = self._src[start:end].decode("utf-8", "replace")
        return text.replace(_PLACEHOLDER, UNKNOWN) if _PLACEHOLDER in text else text

    def text(self, node: tree_sitter.Node) -> str:
        plain = self._plain
        if plain is not None:
            return plain[node.start_byte:node.end_byte]
        return self.decode(node.start_byte, node.end_byte)

    def line(self, node: tree_sitter.Node) -> int:
        return node.start_point[0] + 1 + self.line_offset

    # --- values --------------------------------------------------------------------
    def lookup(self, name: str, st: _State, exp: _Expansion) -> str:
        var = st.env.get(name)
        if var is not None and var.rank and name not in exp.rank_vars:
            exp.rank_vars.append(name)
        if var is None:
            return UNKNOWN
        if not var.is_set:
            return ""
        return UNKNOWN if var.value is None else var.value

    def positional_value(self, name: str) -> str:
        if self.positional is None:
            return UNKNOWN
        if name == "#":
            return str(len(self.positional))
        if name in ("@", "*"):
            return " ".join(self.positional)
        if name.isascii() and name.isdigit():
            index = clamped(name, len(self.positional) + 1)
            if index == 0:
                return UNKNOWN
            return self.positional[index - 1] if index <= len(self.positional) else ""
        return UNKNOWN

    def variable(self, name: str, st: _State, exp: _Expansion) -> str:
        if name.isdigit() or name in ("@", "*", "#"):
            return self.positional_value(name)
        if name in ("?", "$", "!", "-", "_"):
            return UNKNOWN
        return self.lookup(name, st, exp)

    def value(self, node: tree_sitter.Node, st: _State, exp: _Expansion,
              quoted: bool = False, kind: str | None = None) -> str:
        """The string a word node expands to (no splitting), with UNKNOWN parts."""
        if kind is None:
            kind = node.type
        if kind == "word":
            text = self.text(node)
            if text.startswith("~") and not _HYDRA_DELETION.match(text):
                rest = text.split("/", 1)
                return UNKNOWN + ("/" + _unescape_word(rest[1]) if len(rest) > 1 else "")
            return _unescape_dq(text) if quoted else _unescape_word(text)
        if kind in ("number", "extglob_pattern", "special_variable_name", "variable_name",
                    "test_operator", "file_descriptor"):
            return self.text(node)
        if kind == "raw_string":
            return self.text(node)[1:-1]
        if kind == "ansi_c_string":
            inner = self.text(node)[2:-1]
            return inner if "\\" not in inner else UNKNOWN
        if kind in ("string", "translated_string"):
            return self.pieces(node, st, exp, quoted=True, strip=1)
        if kind == "string_content":
            return _unescape_dq(self.text(node))
        if kind == "concatenation":
            return self.pieces(node, st, exp, quoted=quoted, strip=0)
        if kind == "simple_expansion":
            raw = self.text(node)  # inside a string tree-sitter may start it at a space
            body = raw.lstrip()
            return raw[: len(raw) - len(body)] + self.variable(body[1:], st, exp)
        if kind == "expansion":
            return self.expansion(node, st, exp)
        if kind == "arithmetic_expansion":
            return self.arithmetic(node, st, exp)
        if kind in ("command_substitution", "process_substitution", "brace_expression", "array"):
            return UNKNOWN
        return UNKNOWN

    def pieces(self, node: tree_sitter.Node, st: _State, exp: _Expansion, quoted: bool,
               strip: int) -> str:
        start = node.start_byte + strip
        end = node.end_byte - strip
        out: list[str] = []
        pos = start
        length = 0
        for child in node.children:
            child_start, child_end = child.start_byte, child.end_byte
            if child_start < start or child_end > end:
                continue
            kind = child.type
            if kind == '"':
                continue
            if child_start > pos:
                gap = self.decode(pos, child_start)
                out.append(_unescape_dq(gap) if quoted else _unescape_word(gap))
            piece = self.value(child, st, exp, quoted=quoted, kind=kind)
            if piece == UNKNOWN and out and out[-1].endswith(UNKNOWN):
                pos = child_end  # unknown then unknown is one unknown: $X$X stays small
                continue
            length += len(piece)
            if length > VALUE_MAX:
                return UNKNOWN  # before the join: no value past the bound is ever built
            out.append(piece)
            pos = child_end
        if pos < end:
            gap = self.decode(pos, end)
            out.append(_unescape_dq(gap) if quoted else _unescape_word(gap))
        return self.bounded("".join(out), end - start)

    def expansion(self, node: tree_sitter.Node, st: _State, exp: _Expansion) -> str:
        raw = self.text(node)
        lead = raw[: len(raw) - len(raw.lstrip())]
        body = raw.strip()
        if not (body.startswith("${") and body.endswith("}")):
            return lead + UNKNOWN
        inner = body[2:-1]
        if _NAME.fullmatch(inner) or inner.isdigit() or inner in ("@", "*", "#"):
            return lead + self.variable(inner, st, exp)
        if inner.startswith("#") and _NAME.fullmatch(inner[1:]):
            value = self.variable(inner[1:], st, exp)
            return lead + (UNKNOWN if UNKNOWN in value else str(len(value)))
        match = re.match(r"([A-Za-z_][A-Za-z0-9_]*|[0-9]+)(:?[-=+?])", inner)
        if match is None:
            return lead + UNKNOWN
        name, op = match.group(1), match.group(2)
        current = self.variable(name, st, exp)
        var = st.env.get(name)
        # the operand: the children after the operator, up to the closing brace
        operand_nodes = []
        seen_op = False
        for i, child in enumerate(node.children):
            if node.field_name_for_child(i) == "operator":
                seen_op = True
            elif seen_op and child.type != "}":
                operand_nodes.append(child)
        if seen_op:
            pieces = [self.value(c, st, exp, quoted=True) for c in operand_nodes]
            operand = UNKNOWN if sum(map(len, pieces)) > VALUE_MAX else self.bounded(
                "".join(pieces), len(raw))
        else:
            operand = inner[match.end():]
            if "$" in operand or "`" in operand:
                operand = UNKNOWN
        is_known_unset = var is not None and not var.is_set
        is_null = known(current) and current == ""
        if name.isascii() and name.isdigit() and self.positional is not None:
            is_known_unset = clamped(name, len(self.positional) + 1) > len(self.positional)
        if var is None and not name.isdigit():
            return lead + UNKNOWN  # set or not depends on the environment
        if name.isdigit() and self.positional is None:
            return lead + UNKNOWN
        use_default = is_known_unset or (op.startswith(":") and is_null)
        if op.endswith("-") or op.endswith("="):
            result = operand if use_default else current
            if op.endswith("=") and use_default and _NAME.fullmatch(name):
                st.env[name] = Var(operand,
                                   exported=bool(var and var.exported), line=self.line(node))
            return lead + result
        if op.endswith("+"):
            return lead + ("" if use_default else operand)
        return lead + current  # ${X:?message}

    def arithmetic(self, node: tree_sitter.Node, st: _State, exp: _Expansion) -> str:
        text = self.text(node).strip()
        if not (text.startswith("$((") and text.endswith("))")):
            return UNKNOWN
        body = text[3:-2]

        def name_value(match: re.Match[str]) -> str:
            value = self.variable(match.group(1), st, exp)
            number = as_int(value) if value != "" else 0
            if number is None:
                raise ValueError(match.group(1))
            return str(number)

        try:
            body = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*|[0-9])\}?", name_value, body)
            body = re.sub(r"\b([A-Za-z_][A-Za-z0-9_]*)\b", name_value, body)
            tree = ast.parse(body.strip().replace("/", "//"), mode="eval")
            return str(_arith(tree))
        except (ValueError, SyntaxError, ZeroDivisionError, RecursionError):
            return UNKNOWN

    def fields(self, node: tree_sitter.Node, st: _State, exp: _Expansion,
               kind: str | None = None) -> list[tuple[str, bool]]:
        """The words one argument node becomes: (value, wild) pairs."""
        if kind is None:
            kind = node.type
        if kind == "word":
            return [(self.value(node, st, exp, kind=kind), False)]
        if kind in ("simple_expansion", "expansion"):
            name = self.text(node).strip().lstrip("$").strip("{}")
            if name in ("@", "*"):
                if self.positional is None:
                    return [(UNKNOWN, True)]
                return [(p, False) for p in self.positional]
            value = self.value(node, st, exp)
            if UNKNOWN in value:
                if value.strip() != UNKNOWN:
                    # a value with known words around the unknown part: the unknown part is
                    # taken as one word (SLURM_JOB_ID, a host name), the known words stay put
                    return [(w, False) for w in value.split()]
                base = name.split(":", 1)[0].split("-", 1)[0]
                var = st.env.get(base)
                one_word = base.startswith("SLURM_") or base in ONE_WORD or (
                    var is not None and var.single)
                return [(value.strip(), not one_word)]
            return [(w, False) for w in value.split()]
        if kind == "string":
            # "$@" keeps the arguments apart
            children = [c for c in node.children if c.type != '"']
            if len(children) == 1 and children[0].type in ("simple_expansion", "expansion"):
                name = self.text(children[0]).strip().lstrip("$").strip("{}")
                if name == "@":
                    if self.positional is None:
                        return [(UNKNOWN, True)]
                    return [(p, False) for p in self.positional]
            return [(self.value(node, st, exp), False)]
        if kind == "concatenation":
            value = self.value(node, st, exp)
            splits = any(c.type in ("simple_expansion", "expansion") for c in node.children)
            if splits and UNKNOWN not in value and any(ch.isspace() for ch in value):
                return [(w, False) for w in value.split()]
            return [(value, False)]
        if kind in ("command_substitution", "brace_expression"):
            return [(UNKNOWN, True)]
        return [(self.value(node, st, exp, kind=kind), False)]

    # --- statements ----------------------------------------------------------------
    def block(self, nodes: list[tree_sitter.Node], st: _State,
              kinds: list[str] | None = None) -> None:
        if kinds is None:
            kinds = [n.type for n in nodes]
        last = len(nodes) - 1
        for index, node in enumerate(nodes):
            if len(self.commands) > _MAX_COMMANDS:
                return
            background = index < last and kinds[index + 1] == "&"
            self.statement(node, st, background, kinds[index])

    def _block_without(self, node: tree_sitter.Node, st: _State, skip: tuple[str, ...]) -> None:
        """Walk the children of ``node`` but those of the kinds in ``skip``."""
        nodes: list[tree_sitter.Node] = []
        kinds: list[str] = []
        for child in node.children:
            kind = child.type
            if kind not in skip:
                nodes.append(child)
                kinds.append(kind)
        self.block(nodes, st, kinds)

    def statement(self, node: tree_sitter.Node, st: _State, background: bool = False,
                  kind: str | None = None) -> None:
        if self.nesting >= NESTING_MAX:
            self.unwalked(node, st)
            return
        # no try/finally (a cost on every statement): nothing catches an exception out of
        # a statement and walks on, so the count only matters while the walk goes on
        self.nesting += 1
        if kind is None:
            kind = node.type
        if kind == "command":
            self.command(node, st, background)
        elif kind == "variable_assignment":
            self.assign(node, st, export=st.allexport)
        elif kind == "variable_assignments":
            for child in node.children:
                if child.type == "variable_assignment":
                    self.assign(child, st, export=st.allexport)
        elif kind == "declaration_command":
            self.declaration(node, st)
        elif kind == "unset_command":
            self.unset(node, st)
        elif kind == "function_definition":
            name = node.child_by_field_name("name")
            body = node.child_by_field_name("body")
            if name is not None and body is not None:
                self.functions[self.text(name)] = (body, self.src)
        elif kind == "if_statement":
            self.if_statement(node, st)
        elif kind == "case_statement":
            self.case_statement(node, st)
        elif kind in ("for_statement", "c_style_for_statement", "while_statement",
                      "select_statement"):
            self.loop(node, st)
        elif kind == "pipeline":
            for child in node.children:
                if child.is_named:
                    sub = st.copy()
                    self.statement(child, sub, background)
                    st.produced |= sub.produced
                    st.files_unknown = st.files_unknown or sub.files_unknown
        elif kind == "list":
            self.list_statement(node, st, background)
        elif kind == "subshell":
            sub = st.copy()
            self._block_without(node, sub, ("(", ")"))
            st.produced |= sub.produced
            st.files_unknown = st.files_unknown or sub.files_unknown
        elif kind in ("compound_statement", "do_group", "program"):
            self._block_without(node, st, ("{", "}", "do", "done"))
        elif kind == "redirected_statement":
            body = node.child_by_field_name("body")
            self.redirects(node, st)
            if body is not None:
                self.statement(body, st, background)
        elif kind == "negated_command":
            for child in node.children:
                if child.is_named:
                    self.statement(child, st, background)
        elif kind == "ERROR":
            self.block([c for c in node.children if c.is_named], st)
        self.nesting -= 1

    def unwalked(self, node: tree_sitter.Node, st: _State) -> None:
        """A statement nested past NESTING_MAX: what it runs and sets becomes unknown."""
        line = self.line(node)
        self.opaque.append(line)
        for name in set(_ASSIGNED.findall(self.text(node))):
            st.env[name] = Var(None, line=line)
        st.files_unknown = True

    def redirects(self, node: tree_sitter.Node, st: _State) -> None:
        for child in node.children:
            if child.type == "file_redirect":
                op = child.children[0].type if child.children else ""
                if child.children and child.children[0].type == "file_descriptor":
                    op = child.children[1].type if len(child.children) > 1 else ""
                dest = child.child_by_field_name("destination")
                if dest is not None and op in (">", ">>", "&>", "&>>", ">|"):
                    value = self.value(dest, st, _Expansion())
                    if UNKNOWN in value:
                        st.files_unknown = True
                    else:
                        st.produced.add(_normal(value, st.cwd))
            elif child.type == "heredoc_redirect":
                self.redirects(child, st)

    def list_statement(self, node: tree_sitter.Node, st: _State, background: bool) -> None:
        parts = [c for c in node.children if c.is_named]
        if not parts:
            return
        self.statement(parts[0], st, background and len(parts) == 1)
        if len(parts) > 1:
            maybe = st.copy()
            self.depth += 1
            for part in parts[1:]:
                self.statement(part, maybe, background)
            self.depth -= 1
            st.merge([maybe])

    def if_statement(self, node: tree_sitter.Node, st: _State) -> None:
        branches: list[list[tree_sitter.Node]] = [[]]
        conditions: list[tree_sitter.Node] = []
        has_else = False
        part = "condition"
        for i, child in enumerate(node.children):
            kind = child.type
            field_name = node.field_name_for_child(i)
            if kind in ("if", "fi", ";", "&"):
                continue
            if kind == "then":
                part = "then"
                continue
            if field_name == "condition" or part == "condition":
                conditions.append(child)
                continue
            if kind in ("elif_clause", "else_clause"):
                has_else = has_else or kind == "else_clause"
                branches.append([child])
                continue
            branches[0].append(child)
        self.block(conditions, st)
        self.branches(branches, st, exhaustive=has_else)

    def branches(self, branches: list[list[tree_sitter.Node]], st: _State,
                 exhaustive: bool) -> None:
        outcomes = []
        self.depth += 1
        for nodes in branches:
            sub = st.copy()
            for child in nodes:
                if child.type in ("elif_clause", "else_clause"):
                    inner = [c for c in child.children
                             if c.type not in ("elif", "else", "then", ";", "&")]
                    self.block(inner, sub)
                else:
                    self.statement(child, sub)
            outcomes.append(sub)
        self.depth -= 1
        if not outcomes:
            return
        if exhaustive:
            first = outcomes[0]
            first.merge(outcomes[1:])
            st.env, st.cwd, st.allexport = first.env, first.cwd, first.allexport
            st.produced, st.files_unknown = first.produced, first.files_unknown
        else:
            st.merge(outcomes)

    def case_statement(self, node: tree_sitter.Node, st: _State) -> None:
        branches = []
        exhaustive = False
        for item in node.children:
            if item.type != "case_item":
                continue
            body = []
            seen_paren = False
            for i, child in enumerate(item.children):
                if child.type == ")" and not seen_paren:
                    seen_paren = True
                    continue
                if not seen_paren:
                    if item.field_name_for_child(i) == "value" and self.text(child) == "*":
                        exhaustive = True
                    continue
                if child.is_named:
                    body.append(child)
            branches.append(body)
        self.branches(branches, st, exhaustive=exhaustive)

    def loop(self, node: tree_sitter.Node, st: _State) -> None:
        variable = node.child_by_field_name("variable")
        if variable is not None:
            st.env[self.text(variable)] = Var(None, line=self.line(variable))
        body = node.child_by_field_name("body")
        for i, child in enumerate(node.children):
            if node.field_name_for_child(i) == "condition" and child.is_named:
                self.statement(child, st)
        if body is None:
            return
        sub = st.copy()
        self.depth += 1
        self.statement(body, sub)
        self.depth -= 1
        st.merge([sub])

    def assign(self, node: tree_sitter.Node, st: _State, export: bool,
               target: dict[str, Var] | None = None) -> None:
        # one pass over the children instead of two field lookups and a list of types (each
        # builds new Node objects)
        name_node: tree_sitter.Node | None = None
        value_node: tree_sitter.Node | None = None
        appending = False
        for i, child in enumerate(node.children):
            field_name = node.field_name_for_child(i)
            if field_name == "name":
                if name_node is None:
                    name_node = child
            elif field_name == "value":
                if value_node is None:
                    value_node = child
            elif child.type == "+=":
                appending = True
        if name_node is None:
            return
        name = self.text(name_node)
        if name_node.type != "variable_name":  # arr[0]=x
            st.env[name.split("[", 1)[0]] = Var(None, exported=export, line=self.line(node))
            return
        value_kind = "" if value_node is None else value_node.type
        exp = _Expansion()
        value = "" if value_node is None else self.value(value_node, st, exp, kind=value_kind)
        if value_kind == "array":
            value = UNKNOWN
        env = st.env if target is None else target
        old = env.get(name) or st.env.get(name)
        if appending:
            base = self.lookup(name, st, exp) if old is not None else UNKNOWN
            value = self.bounded(base + value, len(value)) if len(base) + len(value) <= \
                VALUE_MAX else UNKNOWN
        exported = export or bool(old and old.exported and old.is_set)
        single = value_kind in ("command_substitution", "arithmetic_expansion")
        env[name] = Var(value, exported=exported,
                        line=node.start_point[0] + 1 + self.line_offset, rank=bool(exp.rank_vars),
                        single=single)

    def declaration(self, node: tree_sitter.Node, st: _State) -> None:
        children = node.children
        keyword = children[0].type if children else ""
        flags = ""
        for child in children[1:]:
            if child.type == "word":
                text = self.text(child)
                if text.startswith(("-", "+")):
                    flags += text
        export = keyword == "export" or (keyword in ("declare", "typeset", "local")
                                          and "-x" in flags)
        unexport = keyword == "export" and "-n" in flags
        for child in children[1:]:
            kind = child.type
            if kind == "variable_assignment":
                self.assign(child, st, export=export and not unexport)
                if "-a" in flags or "-A" in flags:
                    name_node = child.child_by_field_name("name")
                    if name_node is not None:
                        st.env[self.text(name_node)] = Var(None, exported=export,
                                                           line=self.line(child))
            elif kind == "variable_name":
                name = self.text(child)
                old = st.env.get(name)
                if keyword == "export" or export:
                    if old is None:
                        continue  # exporting an environment variable changes nothing we know
                    st.env[name] = replace(old, exported=not unexport)
                elif keyword == "local":
                    st.env[name] = Var("", line=self.line(child))
                elif old is None and keyword in ("declare", "typeset"):
                    st.env[name] = Var("", line=self.line(child), is_set=False)

    def unset(self, node: tree_sitter.Node, st: _State) -> None:
        words = [self.text(c) for c in node.children[1:]]
        if "-f" in words:
            for name in words:
                self.functions.pop(name, None)
            return
        for child in node.children[1:]:
            if child.type in ("variable_name", "word") and not self.text(child).startswith("-"):
                st.env[self.text(child)] = Var("", is_set=False, line=self.line(child))

    # --- commands ------------------------------------------------------------------
    def command(self, node: tree_sitter.Node, st: _State, background: bool) -> None:
        # Each child list or field lookup builds new Node objects: take the children once and
        # find the name among them rather than by child_by_field_name("name").
        children = node.children
        checked = False  # whether the name was already found to matter
        if children and children[0].type == "command_name":  # nothing before the name
            words = children[0].children
            if len(words) == 1 and words[0].type == "word":
                name = self.text(words[0])
                if name not in self.functions and not interesting(name):
                    self.skipped(name, node)
                    return  # echo, module, mkdir, ...: nothing the analysis needs
                checked = True
        prefix_nodes: list[tree_sitter.Node] = []
        name_node: tree_sitter.Node | None = None
        # the words after the name, in order: a plain word already as its text (it depends on
        # the source only, so taking it here changes nothing), any other node with its type
        args: list[str | tuple[tree_sitter.Node, str]] = []
        redirected = False
        plain = self._plain
        for child in children:
            kind = child.type
            if kind == "word" and name_node is not None:  # most children: tested first
                text = plain[child.start_byte:child.end_byte] if plain is not None else \
                    self.text(child)
                args.append(text if "\\" not in text and not text.startswith("~") else
                            (child, kind))
            elif kind == "command_name":
                name_node = child
            elif kind == "variable_assignment" and name_node is None:
                prefix_nodes.append(child)
            elif kind in ("file_redirect", "heredoc_redirect", "herestring_redirect"):
                redirected = True
            elif name_node is not None and child.is_named:
                args.append((child, kind))
        if name_node is not None and not checked:
            words = name_node.children
            if len(words) == 1 and words[0].type == "word":
                name = self.text(words[0])
                if name not in self.functions and not interesting(name):
                    self.skipped(name, node)
                    return
                checked = True
        if redirected:
            self.redirects(node, st)
        if name_node is None:
            for child in prefix_nodes:
                self.assign(child, st, export=st.allexport)
            return
        first = name_node.children[0] if name_node.children else name_node
        first_kind = first.type
        if first_kind == "word" and not checked:
            name = self.text(first)
            if name not in self.functions and not interesting(name):
                self.skipped(name, node)
                return  # echo, module, mkdir, ...: nothing the analysis needs
        prefix: dict[str, Var] = {}
        for child in prefix_nodes:
            self.assign(child, st, export=True, target=prefix)
        exp = _Expansion()
        argv: list[str] = []
        wild: set[int] = set()
        for part in [(first, first_kind), *args]:
            if isinstance(part, str):
                argv.append(part)
                continue
            part_node, part_kind = part
            if part_kind == "word":  # most words: plain text, one field, never wild
                text = plain[part_node.start_byte:part_node.end_byte] if plain is not None \
                    else self.text(part_node)
                if "\\" not in text and not text.startswith("~"):
                    argv.append(text)
                    continue
            for value, is_wild in self.fields(part_node, st, exp, part_kind):
                if is_wild:
                    wild.add(len(argv))
                argv.append(value)
        if not argv:
            return
        start = node.start_point[0] + 1 + self.line_offset
        name = argv[0]
        if name in self.functions and 0 not in wild and name not in self.calls and \
                len(self.calls) < _MAX_CALL_DEPTH:
            self.call(name, argv, frozenset(wild), st)
            return
        if name in _BUILTINS or name.rsplit("/", 1)[-1] in _WRITERS:
            self.builtin(argv, frozenset(wild), start, st)
            return
        env = dict(st.env)
        if prefix:
            env.update(prefix)
        end = node.end_point[0] + 1 + self.line_offset
        self.commands.append(Command(
            argv=argv, wild=frozenset(wild), line=start, end_line=end,
            text=self.text(node), env=env, prefix=prefix, background=background,
            cwd=st.cwd, rank_vars=tuple(exp.rank_vars),
            files_unknown=st.files_unknown, produced=frozenset(st.produced),
            depth=min(self.depth, 1)))

    def call(self, name: str, argv: list[str], wild: frozenset[int], st: _State) -> None:
        """Run a function of the script: its body, with the call's arguments."""
        body, src = self.functions[name]
        saved = (self.positional, self.src)
        self.positional = None if wild else argv[1:]
        self.src = src
        self.calls.append(name)
        self.depth += 1
        self.statement(body, st)
        self.depth -= 1
        self.calls.pop()
        self.positional, self.src = saved

    def builtin(self, argv: list[str], wild: frozenset[int], line: int, st: _State) -> None:
        """Builtins that change what later commands see, and commands that write files."""
        name = argv[0]
        if name in ("cd", "pushd"):
            target = next((a for a in argv[1:] if not a.startswith("-")), None)
            st.cwd = _chdir(st.cwd, target, self.checkouts)
        elif name == "popd":
            st.cwd = None
        elif name == "set":
            for arg in argv[1:]:
                if arg.startswith("-") and "a" in arg and not arg.startswith("--"):
                    st.allexport = True
                elif arg.startswith("+") and "a" in arg:
                    st.allexport = False
            if "allexport" in argv and "-o" in argv:
                st.allexport = True
        elif name in ("read", "mapfile", "readarray", "getopts"):
            for arg in argv[1:]:
                if _NAME.fullmatch(arg):
                    st.env[arg] = Var(None, line=line)
        elif name in ("source", ".") and len(argv) > 1:
            self.source(argv[1], st, line)
        elif name == "eval" and len(argv) > 1:
            text = " ".join(argv[1:])
            if UNKNOWN not in text and not wild:
                self.inline(text, st, line)
            else:  # eval "$header ...": it may run a launcher nobody can read
                self.opaque.append(line)
        else:
            _note_written_files(argv, wild, st)

    def skipped(self, name: str, node: tree_sitter.Node) -> None:
        """A command whose words are not read: note it unless it is known to start nothing."""
        if name.rsplit("/", 1)[-1] not in QUIET:
            self.opaque.append(self.line(node))

    def source(self, path: str, st: _State, line: int) -> None:
        if self.source_reader is None or UNKNOWN in path:
            return
        found = self.source_reader(path, st.cwd)
        if found is None:
            return
        key, data = found
        if key in self.sourced:
            return
        self.sourced.add(key)
        tree = parser().parse(data)
        saved = (self.src, self.line_offset)
        self.src, self.line_offset = data, line - 1
        self.depth += 1
        # a sourced file's lines all point at the 'source' line of the script
        self.block_fixed_line(tree.root_node, st, line)
        self.depth -= 1
        self.src, self.line_offset = saved

    def block_fixed_line(self, root: tree_sitter.Node, st: _State, line: int) -> None:
        first = len(self.commands)
        self.line_offset = 0
        self.statement(root, st)
        for cmd in self.commands[first:]:
            cmd.line = cmd.end_line = line

    def inline(self, text: str, st: _State, line: int) -> None:
        data = text.encode()
        tree = parser().parse(data)
        saved = (self.src, self.line_offset)
        self.src = data
        self.block_fixed_line(tree.root_node, st, line)
        self.src, self.line_offset = saved


# Commands whose words the analysis reads: launchers, the wrappers around them, the
# builtins that change what later commands see, and the commands that write files.
INTERESTING = frozenset({
    "srun", "torchrun", "accelerate", "deepspeed", "mpirun", "mpiexec", "mpiexec.hydra",
    "orterun", "horovodrun", "nvidia-smi", "env", "time", "nohup", "exec", "command",
    "builtin", "stdbuf", "nice", "timeout", "numactl", "taskset", "singularity", "apptainer",
    "conda", "micromamba", "mamba", "uv", "poetry", "pixi", "bash", "sh", "zsh", "dash",
    "cd", "pushd", "popd", "set", "source", ".", "eval", "read", "mapfile", "readarray",
    "getopts", "cp", "mv", "ln", "rsync", "scp", "install", "tee", "touch", "tar", "unzip",
    "git", "gunzip", "wget", "curl", "aws", "gsutil", "rclone", "hf", "huggingface-cli", "sed",
    "envsubst", "patch", "xvfb-run",
})


# Commands known not to start GPU work (what the job runs besides its launchers); any other
# command the walk does not read may be a console script that launches training.
QUIET = frozenset({
    "echo", "printf", "module", "ml", "export", "unset", "declare", "local", "typeset",
    "readonly", "let", "shift", "trap", "wait", "exit", "return", "true", "false", "test", "[",
    "[[", "ulimit", "umask", "alias", "unalias", "hash", "type", "which", "whereis", "mkdir",
    "rmdir", "rm", "chmod", "chown", "chgrp", "ls", "pwd", "cat", "head", "tail", "grep",
    "egrep", "fgrep", "awk", "gawk", "cut", "sort", "uniq", "wc", "tr", "paste", "comm",
    "join", "shuf", "seq", "expr", "bc", "basename", "dirname", "readlink", "realpath",
    "mktemp", "date", "sleep", "hostname", "uname", "id", "whoami", "groups", "nproc", "lscpu",
    "free", "df", "du", "ps", "kill", "pkill", "top", "uptime", "ip", "ss", "netstat",
    "ifconfig", "ping", "hostnamectl", "scontrol", "squeue", "sacct", "sinfo", "sstat",
    "scancel", "sbatch", "printenv", "find", "xargs", "diff", "md5sum", "sha256sum", "stat",
    "file", "gzip", "zip", "bzip2", "xz", "zcat", "jq", "yq", "cmp", "tac", "rev", "fold",
    "column", "lsof", "ldd", "pip", "pip3", "deactivate", "activate", "nvcc", "gcc", "make",
    "cmake", "spack", "lmod", "conda", "source", "clear", "logger", "mail", "sync", "cd",
    "dos2unix", "yes",
})

# Handled by the walk itself: they change the variables, the working directory or the files.
_BUILTINS = frozenset({"cd", "pushd", "popd", "set", "source", ".", "eval", "read", "mapfile",
                       "readarray", "getopts"})
_WRITERS = frozenset({"cp", "mv", "ln", "rsync", "scp", "install", "tee", "touch", "tar",
                      "unzip", "git", "gunzip", "wget", "curl", "aws", "gsutil", "rclone", "hf",
                      "huggingface-cli", "sed", "envsubst", "patch"})


def interesting(name: str) -> bool:
    """Whether the analysis needs the words of a command named ``name``."""
    # the same few names (module, echo, srun, ...) come back in every script: remember them
    answer = _INTERESTING_SEEN.get(name)
    if answer is None:
        base = name.rsplit("/", 1)[-1]
        answer = base in INTERESTING or base.startswith("python") or UNKNOWN in name
        if len(_INTERESTING_SEEN) >= _INTERESTING_SEEN_MAX:
            _INTERESTING_SEEN.clear()
        _INTERESTING_SEEN[name] = answer
    return answer


_INTERESTING_SEEN: dict[str, bool] = {}
_INTERESTING_SEEN_MAX = 4096


def _normal(path: str, cwd: str | None) -> str:
    if path.startswith("/") or cwd in ("", None):
        return path.removeprefix("./")
    return f"{cwd}/{path.removeprefix('./')}"


def checkout_name(folder: str) -> str:
    """A folder name as a checkout of it may be spelt (``navsim-workspace``, ``navsim_workspace``).

    The corpus stores a repository as ``owner+name``; its checkouts are called ``name``.
    """
    name = folder.rstrip("/").rsplit("/", 1)[-1].rsplit("+", 1)[-1]
    return re.sub(r"[-_.]", "", name.lower())


def _chdir(cwd: str | None, target: str | None,
           checkouts: frozenset[str] = frozenset()) -> str | None:
    """The working directory after ``cd target``; None when it is not in the repository.

    An absolute or variable target (``cd $HOME/ws/src``) is the repository only when one
    of its folders is named like the repository (``checkouts``); the rest is followed
    from there. Any other such place is not ours: docs/launch-contracts.md §4.1.
    """
    if target is None or target == "-":
        return None
    if target.startswith(("/", "~")) or UNKNOWN in target:
        pieces = target.split("/")
        known = [i for i, p in enumerate(pieces)
                 if p and UNKNOWN not in p and checkout_name(p) in checkouts]
        if not known or any(UNKNOWN in p for p in pieces[known[-1] + 1:]):
            return None
        cwd, target = "", "/".join(pieces[known[-1] + 1:])
    if cwd is None:
        return None
    parts = [p for p in cwd.split("/") if p]
    for piece in target.split("/"):
        if piece in ("", "."):
            continue
        if piece == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(piece)
    return "/".join(parts)


_WRITES_LAST = frozenset({"cp", "mv", "ln", "rsync", "scp", "install"})
_WRITES_ALL = frozenset({"tee", "touch"})
_UNPACKS = frozenset({"tar", "unzip", "git", "gunzip", "wget", "curl", "aws", "gsutil",
                      "rclone", "hf", "huggingface-cli", "sed", "envsubst", "patch"})


def _note_written_files(argv: list[str], wild: frozenset[int], st: _State) -> None:
    name = argv[0].rsplit("/", 1)[-1]
    if name in _WRITES_LAST:
        args = [a for a in argv[1:] if not a.startswith("-")]
        if wild or not args:
            st.files_unknown = st.files_unknown or bool(wild)
            return
        target = args[-1]
        if UNKNOWN in target:
            st.files_unknown = True
        else:
            st.produced.add(_normal(target, st.cwd))
    elif name in _WRITES_ALL:
        for arg in argv[1:]:
            if arg.startswith("-"):
                continue
            if UNKNOWN in arg:
                st.files_unknown = True
            else:
                st.produced.add(_normal(arg, st.cwd))
    elif name in _UNPACKS:
        if name == "git" and (len(argv) < 2 or argv[1] not in ("clone", "checkout", "pull",
                                                               "submodule", "lfs", "restore",
                                                               "switch", "worktree")):
            return
        if name == "sed" and "-i" not in argv and not any(a.startswith("-i") for a in argv):
            return
        st.files_unknown = True


def initial_env(values: dict[str, str | None]) -> Env:
    """Variables the batch environment provides: a value, ``None`` (unknown) or unset ('')."""
    env: Env = {}
    for name, value in values.items():
        env[name] = Var(value, exported=True, rank=name in RANK_VARIABLES)
    return env


def absent(names: Iterable[str]) -> Env:
    """Variables known not to be set (SLURM did not export them)."""
    return {name: Var("", exported=True, is_set=False) for name in names}


def walk(text: str | bytes, env: Env, *, line_offset: int = 0, cwd: str | None = "",
         positional: list[str] | None = None,
         source_reader: SourceReader | None = None,
         checkouts: frozenset[str] = frozenset()) -> Walk:
    """The commands of a shell text, in the order the shell reaches them.

    ``checkouts``: the names (:func:`checkout_name`) a checkout of the repository goes by.
    """
    data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
    if _UNKNOWN_BYTES in data:
        data = data.replace(_UNKNOWN_BYTES, _PLACEHOLDER_BYTES)
    tree = parser().parse(data)
    root = tree.root_node
    walker = _Walker(data, line_offset, positional, source_reader)
    walker.checkouts = checkouts
    state = _State(dict(env), cwd)
    walker.statement(root, state)
    result = Walk(commands=walker.commands, has_error=root.has_error, opaque=walker.opaque)
    if root.has_error:
        result.error_line = _first_error_line(root) + line_offset
    return result


def _first_error_line(root: tree_sitter.Node) -> int:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            return node.start_point[0] + 1
        if node.has_error:
            stack.extend(reversed(node.children))
    return root.start_point[0] + 1
