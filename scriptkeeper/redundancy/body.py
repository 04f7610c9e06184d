"""The canonical text of a job script's body (group stage, part of the signature).

Two bodies that bash runs the same way should read the same here, and two
bodies bash runs differently must never: only rewrites that are exact in
bash are made.

- comments and blank lines dropped, backslash-newline continuations joined,
  runs of blanks between words collapsed, a line ending in ``&&``, ``||`` or
  ``|`` joined with the next (bash continues the command there);
- each word re-quoted canonically: the literal characters of a word
  (unquoted, single-quoted, or double-quoted without expansions) are quoted
  with :func:`shlex.quote`, so ``'a=b'``, ``"a=b"`` and ``a=b`` are one word;
  expansions keep their quoting context (``"$X"`` is not ``$X``), written
  ``${X}`` so that ``$X`` and ``${X}`` are one expansion; glob and brace
  characters outside quotes stay active;
- in the value of an assignment (``A=...`` where a command starts, and, in
  bash, the ``NAME=value`` arguments of ``export``/``declare``/``local``/
  ``readonly``/``typeset``) bash neither splits words nor expands globs or
  braces, so ``A="$X"`` is ``A=$X`` and ``A='*'`` is ``A=*`` there;
- here-document bodies are kept verbatim (a ``#`` line in one is data).

The lexer is a small hand-written scanner (regular expressions over runs of
plain characters): fast enough for 100,000 scripts and exact about the few
rules above. Command substitutions, arithmetic and ``${...}`` are kept as
written.
"""

from __future__ import annotations

import functools
import re
import shlex
from dataclasses import dataclass

# characters with a meaning outside quotes; everything else is a plain character
_PLAIN = re.compile(r"[^ \t\n'\"\\$`|&;()<>#*?\[\]{}~]+")
_BLANKS = re.compile(r"[ \t]+")
_DQ_PLAIN = re.compile(r"[^\"\\$`]+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS = ("<<<", "<<-", ";;&", "&>>", "<<", ">>", "&&", "||", ";;", ";&", "|&", ">|",
              "<>", ">&", "<&", "&>", "|", "&", ";", "(", ")", "<", ">")
_ACTIVE = "*?[]{}~"
_SPECIAL_PARAMS = "@*#?$!-0123456789"
_CONTINUES = frozenset({"&&", "||", "|", "|&"})
_SIMPLE_WORD = re.compile(r"[^ \t\n'\"\\$`|&;()<>#*?\[\]{}~]+(?=[ \t\n;|&()]|$)")
_PLAIN_LINE = re.compile(r"([^'\"\\$`|&;()<>#*?\[\]{}~\n]*)(?:\n|$)")
# a line of blank-separated words, each plain characters or an unquoted $NAME
_WORD = r"(?:[^ \t\n'\"\\$`|&;()<>#*?\[\]{}~]+|\$[A-Za-z_][A-Za-z0-9_]*)"
_WORDS_LINE = re.compile(rf"([ \t]*(?:{_WORD}(?:[ \t]+{_WORD})*)?[ \t]*)\n")
_NOT_BLANK = re.compile(r"[^ \t]+")
_ASSIGN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=")
_RESERVED = frozenset({"!", "{", "then", "do", "else", "elif", "if", "while", "until", "time"})
_DECLARATIONS = frozenset({"export", "declare", "local", "readonly", "typeset"})
_REDIRECTIONS = frozenset({"<", ">", ">>", ">|", "<>", ">&", "<&", "&>", "&>>", "<<<"})
HEREDOC_MARK = "\x1d"


@dataclass(frozen=True)
class Body:
    """The canonical body: one tuple of tokens per logical line."""

    lines: tuple[tuple[str, ...], ...]

    @property
    def text(self) -> str:
        return "\n".join(map(" ".join, self.lines))


def _matching(text: str, i: int, open_ch: str, close_ch: str) -> int:
    """Index just past the ``close_ch`` matching the ``open_ch`` at ``i - 1``."""
    depth = 1
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "'":
            end = text.find("'", i + 1)
            i = n if end < 0 else end + 1
            continue
        if ch == '"':
            i = _dq_end(text, i + 1)
            continue
        if ch == "`":
            i = _backtick_end(text, i + 1)
            continue
        if ch == open_ch:
            depth += 1
        elif ch == close_ch:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def _dq_end(text: str, i: int) -> int:
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
        elif ch == '"':
            return i + 1
        elif ch == "$" and i + 1 < n and text[i + 1] in "({":
            i = _matching(text, i + 2, text[i + 1], ")" if text[i + 1] == "(" else "}")
        elif ch == "`":
            i = _backtick_end(text, i + 1)
        else:
            i += 1
    return n


def _backtick_end(text: str, i: int) -> int:
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
        elif ch == "`":
            return i + 1
        else:
            i += 1
    return n


def _expansion(text: str, i: int) -> tuple[str | None, int]:
    """The expansion starting with the ``$`` at ``i``, canonical, and where it ends.

    None when the ``$`` is a literal dollar sign.
    """
    n = len(text)
    nxt = text[i + 1] if i + 1 < n else ""
    if nxt == "(":
        end = _matching(text, i + 2, "(", ")")
        return text[i:end], end
    if nxt == "{":
        end = _matching(text, i + 2, "{", "}")
        return text[i:end], end
    if nxt and nxt in _SPECIAL_PARAMS:
        return "${" + nxt + "}", i + 2
    match = _NAME.match(text, i + 1)
    if match:
        return "${" + match.group(0) + "}", match.end()
    return None, i + 1


_quote = functools.lru_cache(maxsize=1 << 16)(shlex.quote)


# What reading one physical line did to the lexer, by the line and the state it
# was read from (see _Lexer._state): the tokens it ended a logical line with, or
# None; the tokens it left pending; the command state after it. A line read from
# the same state reads the same in any script, and scripts of one repository
# share most of their lines.
_LineKey = tuple[str, bool, bool, bool, "bool | None"]
_LineEffect = tuple["tuple[str, ...] | None", tuple[str, ...], bool, bool, bool]
_SEEN: dict[bool, dict[_LineKey, _LineEffect]] = {True: {}, False: {}}
_SEEN_MAX = 1 << 14  # bounded memory (docs/performance.md#redundancy)


class _Lexer:
    def __init__(self, text: str, bash: bool) -> None:
        self.text = text
        self.bash = bash
        self.lines: list[tuple[str, ...]] = []
        self.tokens: list[str] = []
        self.pieces: list[str] = []
        self.lit: list[str] = []
        self.in_word = False
        self.quoted = False  # the word has a quoted part: '' is a word
        self.plain_digits = True  # the word so far is unquoted digits (an io number)
        self.value = False  # in the value of an assignment: no splitting, no globbing
        self.assignment = False
        self.command_position = True
        self.declaring = False  # the arguments of export, declare, local, ...
        self.after_redirect = False
        self.heredocs: list[tuple[str, bool]] = []
        self.want_delimiter: bool | None = None  # after << or <<-: strip tabs?

    # --- words ---------------------------------------------------------------
    def _may_assign(self) -> bool:
        return (self.command_position or self.declaring) and not self.after_redirect

    def _literal(self, chars: str, quoted: bool) -> None:
        if not self.in_word:
            self.in_word = True
            if not quoted and self._may_assign() and _ASSIGN.match(chars):
                self.assignment = self.value = True
        self.lit.append(chars)
        if quoted:
            self.quoted = True
        if quoted or not chars.isdigit():
            self.plain_digits = False

    def _active(self, piece: str) -> None:
        self.in_word = True
        self._flush_literal()
        self.pieces.append(piece)
        self.plain_digits = False

    def _flush_literal(self) -> None:
        if self.lit:
            self.pieces.append(_quote("".join(self.lit)))
            self.lit = []
            self.quoted = False
        elif self.quoted:
            self.pieces.append("''")
            self.quoted = False

    def _end_word(self) -> None:
        if not self.in_word:
            return
        raw = "".join(self.lit)
        self._flush_literal()
        word = "".join(self.pieces)
        self.pieces = []
        self.in_word = False
        self.plain_digits = True
        self.value = False
        if self.want_delimiter is not None:
            self.heredocs.append((raw, self.want_delimiter))
            self.want_delimiter = None
        self._word_done(word, self.assignment)
        self.assignment = False

    def _word_done(self, word: str, assignment: bool) -> None:
        self.tokens.append(word)
        if self.after_redirect:
            self.after_redirect = False
        elif assignment or word in _RESERVED:
            pass  # still in command position
        elif self.command_position:
            self.command_position = False
            self.declaring = self.bash and word in _DECLARATIONS

    def _words(self, words: list[str]) -> None:
        """Whole words, each plain characters or a ``$NAME``, one after the other."""
        k = 0
        while k < len(words) and (self.command_position or self.declaring or
                                  self.after_redirect):
            word = words[k]
            if word[0] == "$":
                self._word_done("${" + word[1:] + "}", False)
            else:
                self._word_done(_quote(word), self._may_assign() and
                                _ASSIGN.match(word) is not None)
            k += 1
        # past the command name, its assignments and redirections nothing changes
        # the state: the words are only tokens
        self.tokens.extend(["${" + word[1:] + "}" if word[0] == "$" else _quote(word)
                            for word in words[k:]])

    def _command_boundary(self) -> None:
        self.command_position = True
        self.declaring = False
        self.after_redirect = False

    # --- lines ---------------------------------------------------------------
    def _end_line(self, pos: int) -> int:
        """End the logical line at the newline at ``pos``; read here-documents."""
        self._end_word()
        self._command_boundary()
        if self.tokens and self.tokens[-1] in _CONTINUES and not self.heredocs:
            return pos + 1
        if self.tokens:
            self.lines.append(tuple(self.tokens))
            self.tokens = []
        pos += 1
        if not self.heredocs:
            return pos
        for delimiter, strip_tabs in self.heredocs:
            body: list[str] = []
            while pos < len(self.text):
                end = self.text.find("\n", pos)
                end = len(self.text) if end < 0 else end
                line = self.text[pos:end]
                pos = end + 1
                if strip_tabs:
                    line = line.lstrip("\t")
                if line == delimiter:
                    break
                body.append(line)
            self.lines.append((HEREDOC_MARK + "\n".join(body),))
        self.heredocs = []
        return pos

    # --- lines already seen --------------------------------------------------
    def _state(self, line: str) -> _LineKey:
        """What a line's reading depends on, at a line start between words.

        Outside a word, with no here-document or delimiter pending, the
        lexer's state is the command state and the tokens so far, of which
        only whether the last one continues the line (``&&``, ``|``, ...) is
        ever read again.
        """
        tokens = self.tokens
        return (line, self.command_position, self.declaring, self.after_redirect,
                tokens[-1] in _CONTINUES if tokens else None)

    def _learn(self, known: dict[_LineKey, _LineEffect], key: _LineKey, mark: int,
               tokens_before: int) -> None:
        """Remember what reading the line of ``key`` did (since ``mark`` lines and
        ``tokens_before`` tokens), now that it was read to its end, between words."""
        added = len(self.lines) - mark
        if added == 0:
            effect: _LineEffect = (None, tuple(self.tokens[tokens_before:]),
                                   self.command_position, self.declaring, self.after_redirect)
        elif added == 1 and not self.tokens:
            effect = (self.lines[mark][tokens_before:], (), self.command_position,
                      self.declaring, self.after_redirect)
        else:  # a here-document read to the end of the text: depends on what follows
            return
        if len(known) >= _SEEN_MAX:
            known.clear()
        known[key] = effect

    def _replay(self, known: dict[_LineKey, _LineEffect], i: int) -> int:
        """Replay the lines from ``i`` on read before from the same state (see
        :meth:`_state`); where the first line not read before starts."""
        text = self.text
        lines = self.lines
        tokens = self.tokens
        position, declaring, redirect = self.command_position, self.declaring, self.after_redirect
        while True:
            end = text.find("\n", i) + 1
            if not end:
                break
            seen = known.get((text[i:end], position, declaring, redirect,
                              tokens[-1] in _CONTINUES if tokens else None))
            if seen is None:
                break
            head, tail, position, declaring, redirect = seen
            if head is None:
                tokens.extend(tail)
            elif tokens:
                lines.append((*tokens, *head))
                tokens = []
            else:
                lines.append(head)
            i = end
        self.tokens = tokens
        self.command_position, self.declaring, self.after_redirect = position, declaring, redirect
        return i

    # --- the scanner ---------------------------------------------------------
    def run(self) -> Body:
        text = self.text
        n = len(text)
        known = _SEEN[self.bash]
        start_key: _LineKey | None = None  # the line being read, if it may be remembered
        start = mark = tokens_before = 0
        i = 0
        while i < n:
            if not self.in_word and self.want_delimiter is None:
                if (i == 0 or text[i - 1] == "\n") and not self.heredocs:
                    # between lines, between words: a line read the same way before
                    # (from the same state) is replayed, one just read is remembered
                    if start_key is not None and text.find("\n", start) == i - 1:
                        self._learn(known, start_key, mark, tokens_before)
                    start_key = None
                    i = self._replay(known, i)
                    if i >= n:
                        break
                    end = text.find("\n", i) + 1
                    if end:
                        start_key, start = self._state(text[i:end]), i
                        mark, tokens_before = len(self.lines), len(self.tokens)
                    line = _PLAIN_LINE.match(text, i)
                    if line:  # a whole line of plain words: the most common case
                        self._words(line.group(1).split())
                        i = self._end_line(line.end(1)) if line.end(1) < n else n
                        continue
                    line = _WORDS_LINE.match(text, i)
                    if line:  # plain words and expansions of names: the next most common
                        self._words(_NOT_BLANK.findall(line.group(1)))
                        i = self._end_line(line.end(1))
                        continue
                simple = _SIMPLE_WORD.match(text, i)
                if simple:  # a whole word of plain characters: the common case
                    word = simple.group(0)
                    self._word_done(_quote(word), self._may_assign() and
                                    _ASSIGN.match(word) is not None)
                    i = simple.end()
                    continue
            match = _PLAIN.match(text, i)
            if match:
                self._literal(match.group(0), False)
                i = match.end()
                continue
            ch = text[i]
            if ch in " \t":
                self._end_word()
                i = _BLANKS.match(text, i).end()  # type: ignore[union-attr]
            elif ch == "\n":
                i = self._end_line(i)
            elif ch == "'":
                end = text.find("'", i + 1)
                end = n if end < 0 else end
                self._literal(text[i + 1:end], True)
                i = end + 1
            elif ch == '"':
                i = self._double_quoted(i + 1)
            elif ch == "\\":
                if i + 1 < n and text[i + 1] == "\n":
                    i += 2  # a continuation: the line goes on
                elif i + 1 < n:
                    self._literal(text[i + 1], True)
                    i += 2
                else:
                    self._literal("\\", True)
                    i += 1
            elif ch == "$":
                i = self._dollar(i, False)
            elif ch == "`":
                end = _backtick_end(text, i + 1)
                self._active(text[i:end])
                i = end
            elif ch == "#":
                if self.in_word:
                    self._literal("#", False)
                    i += 1
                else:
                    end = text.find("\n", i)
                    i = n if end < 0 else end
            elif ch in _ACTIVE:
                if self.value and ch != "~":
                    self._literal(ch, False)  # no globbing or braces in an assignment
                else:
                    self._active(ch)
                i += 1
            else:
                i = self._operator(i)
        if (start_key is not None and i == n and text.find("\n", start) == n - 1
                and not self.in_word and self.want_delimiter is None and not self.heredocs):
            self._learn(known, start_key, mark, tokens_before)  # the last line
        self._end_line(n)
        return Body(tuple(self.lines))

    def _double_quoted(self, i: int) -> int:
        text = self.text
        n = len(text)
        self.in_word = True
        self.plain_digits = False
        before = (len(self.pieces), len(self.lit))
        while i < n:
            match = _DQ_PLAIN.match(text, i)
            if match:
                self._literal(match.group(0), True)
                i = match.end()
                continue
            ch = text[i]
            if ch == '"':
                if (len(self.pieces), len(self.lit)) == before:
                    self.quoted = True  # "" is an empty word
                return i + 1
            if ch == "\\":
                nxt = text[i + 1] if i + 1 < n else ""
                if nxt == "\n":
                    i += 2
                elif nxt and nxt in '$`"\\':
                    self._literal(nxt, True)
                    i += 2
                else:
                    self._literal("\\", True)
                    i += 1
            elif ch == "$":
                i = self._dollar(i, True)
            else:  # a backtick
                end = _backtick_end(text, i + 1)
                piece = text[i:end]
                self._active(piece if self.value else '"' + piece + '"')
                i = end
        return n

    def _dollar(self, i: int, quoted: bool) -> int:
        text = self.text
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if not quoted and nxt == "'":  # $'...' ANSI-C quoting: kept as written
            end = i + 2
            while end < len(text) and text[end] != "'":
                end += 2 if text[end] == "\\" else 1
            self._active(text[i:end + 1])
            return end + 1
        if not quoted and nxt == '"':  # $"..." locale string: a double-quoted string
            return self._double_quoted(i + 2)
        piece, end = _expansion(text, i)
        if piece is None:
            self._literal("$", quoted)
        else:
            # in an assignment's value "$X" and $X are the same: no word splitting
            self._active('"' + piece + '"' if quoted and not self.value else piece)
        return end

    def _operator(self, i: int) -> int:
        text = self.text
        for op in _OPERATORS:
            if text.startswith(op, i):
                break
        else:  # pragma: no cover - every caller passes an operator character
            op = text[i]
        if op[0] in "<>" and self.in_word and self.plain_digits and not self.quoted:
            number = "".join(self.lit)
            self.lit = []
            self.pieces = []
            self.in_word = False
            self.assignment = self.value = False
            self.tokens.append(number + op)
        else:
            self._end_word()
            self.tokens.append(op)
        if op in _REDIRECTIONS:
            self.after_redirect = True
        elif op not in ("<<", "<<-"):
            self._command_boundary()
        if op in ("<<", "<<-"):
            self.want_delimiter = op == "<<-"
        return i + len(op)


def canonical(text: str, bash: bool = True) -> Body:
    """The canonical form of a shell text (a job script's body).

    ``bash``: the arguments of ``export``, ``declare``, ``local``, ``readonly``
    and ``typeset`` that look like assignments are assignments (bash does not
    split them); other shells may.
    """
    return _Lexer(text, bash).run()


_FIRST_COMMAND = re.compile(r"^[ \t\r\v\f]*[^# \t\r\v\f\n]", re.MULTILINE)
# the lines before it: blank, or blanks and a comment, each ended by a newline
_HEADER = re.compile(r"(?:[ \t\r\v\f]*(?:#[^\n]*)?\n)*")


def body_text(data: bytes) -> str:
    """The body of a job script: from its first command to the end.

    Everything before it (the ``#!`` line, ``#SBATCH`` lines, comments and
    blank lines) is a comment to bash.
    """
    text = data.decode("utf-8", errors="replace")
    # the first line after the header is the first command, or the last line
    # (blank or a comment) without its newline
    header = _HEADER.match(text)
    start = header.end() if header else 0
    return text[start:] if _FIRST_COMMAND.match(text, start) else ""


def interpreter(data: bytes) -> str:
    """The ``#!`` line's program (its file name) and arguments."""
    if not data.startswith(b"#!"):
        return ""
    end = data.find(b"\n")
    first = data[2:end if end >= 0 else len(data)].decode("utf-8", errors="replace").split()
    if not first:
        return ""
    program = first[0].rsplit("/", 1)[-1]
    args = first[1:]
    if program == "env" and args:
        while args and args[0].startswith("-"):
            args = args[1:]
        if args:
            program, args = args[0].rsplit("/", 1)[-1], args[1:]
    return " ".join([program, *args])


def canonical_body(data: bytes, shebang: str) -> Body:
    """The canonical body of a script whose ``#!`` line runs ``shebang``."""
    return canonical(body_text(data), bash=shebang.split(" ", 1)[0] == "bash")
