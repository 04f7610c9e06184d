"""Lines a file holds as text: here-document bodies and quoted strings (generated jobs).

A script that writes or submits another job (``cat > job.sh <<EOF``, ``sbatch <<EOF``,
``echo "#SBATCH ..."`` spread over lines, a Python template string) holds that job's
``#SBATCH`` lines as data. They are directives of the generated job, not of the file:
sbatch reading the file stops at its first command and never sees them as its own.

Light on purpose (discovery asks it for every file with a late ``#SBATCH`` line): a
line scanner for the shell, the standard tokenizer for Python, no tree-sitter.
"""

from __future__ import annotations

import re

MAGIC = "#SBATCH"
# characters that end a shell word outside quotes (a '#' after one starts a comment)
_METACHARS = frozenset(" \t;&|()<>")
_HEREDOC_WORD_END = frozenset(" \t;&|()<>\n")


def is_python(name: str, lines: list[str]) -> bool:
    """Python to the eye of whoever runs the file: its ``#!`` line, else its name."""
    if lines and lines[0].startswith("#!"):
        return "python" in lines[0]
    return name.endswith(".py")


def held_lines(lines: list[str], python: bool) -> frozenset[int] | None:
    """The numbers (1-based) of the lines that begin inside a here-document or a string.

    None when the file cannot be read as its language (a Python syntax error, a shell
    quote or here-document left open at the end): then no line is taken for data.
    """
    return _python_held(lines) if python else _shell_held(lines)


def generator_reason(name: str, text: str) -> str | None:
    """Why a file is no job script although it has ``#SBATCH`` lines at column 0.

    When every such line is held in a here-document or a string, the file writes or
    submits jobs but is not one (None otherwise). A line before the file's first command
    is read by sbatch as a directive whatever the rest holds: such a file is a job.
    """
    lines = text.split("\n")
    python = is_python(name, lines)
    numbers = [n for n, line in enumerate(lines, start=1) if line.startswith(MAGIC)]
    if not numbers:
        return None
    if _before_first_command(lines, numbers[0]):  # no string or here-document has begun
        return None
    held = held_lines(lines, python)
    if held is None or not all(n in held for n in numbers):
        return None
    if python:
        return "generates job scripts (the #SBATCH lines are inside Python strings)"
    return "generates job scripts (the #SBATCH lines are inside here-documents or strings)"


def submit_list_reason(text: str) -> str | None:
    """Why a file named like a job script is none: no ``#!``, no ``#SBATCH``, only ``sbatch`` lines.

    Such a file is run with bash to submit other jobs; sbatch would refuse it, and nobody
    submits it (with a ``#!`` line it would be a job that submits jobs, and stays one).
    """
    if text.startswith("#!"):
        return None
    lines = text.split("\n")
    if not only_sbatch(command_lines(lines)) or any(line.startswith(MAGIC) for line in lines):
        return None
    return "submits job scripts (a list of sbatch commands, run with bash)"


def command_lines(lines: list[str]) -> list[str]:
    """The lines that are neither blank nor comments, stripped."""
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def only_sbatch(commands: list[str]) -> bool:
    """Whether there are commands and every one is an ``sbatch`` call (a submit list)."""
    return bool(commands) and all(c.startswith("sbatch ") for c in commands)


def _before_first_command(lines: list[str], number: int) -> bool:
    for line in lines[: number - 1]:
        stripped = line.lstrip(" \t\n\r\v\f")
        if stripped and not stripped.startswith("#"):
            return False
    return True


def _python_held(lines: list[str]) -> frozenset[int] | None:
    import io
    import tokenize

    held: set[int] = set()
    opened: list[int] = []  # the start rows of the f-strings open (3.12 splits them)
    kinds = (tokenize.STRING, getattr(tokenize, "FSTRING_START", -1),
             getattr(tokenize, "FSTRING_END", -2))
    try:
        for token in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline):
            if token.type not in kinds:
                continue
            if token.type == kinds[1]:
                opened.append(token.start[0])
                continue
            start = opened.pop() if token.type == kinds[2] and opened else token.start[0]
            held.update(range(start + 1, token.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):  # IndentationError is a SyntaxError
        return None
    return frozenset(held)


_HEREDOC = re.compile(r"<<(-?)[ \t]*")


def _shell_held(lines: list[str]) -> frozenset[int] | None:
    """A line scanner for quotes, comments and here-documents, as bash reads them."""
    held: set[int] = set()
    quote = ""  # the open quote at the end of the line: ', " or $' (ANSI-C)
    pending: list[tuple[str, bool]] = []  # here-documents opened on the line: word, <<-
    body: tuple[str, bool] | None = None  # the here-document being read: word, <<-
    number = 0
    while number < len(lines):
        line = lines[number]
        number += 1
        if body is not None:
            word, strip_tabs = body
            if (line.lstrip("\t") if strip_tabs else line) == word:
                body = pending.pop(0) if pending else None
            else:
                held.add(number)
            continue
        if quote:
            held.add(number)
        quote = _scan(line, quote, pending)
        if pending and not quote:
            body = pending.pop(0)
    if quote or body is not None:  # the scanner lost its way, or the file is cut short
        return None
    return frozenset(held)


def _scan(line: str, quote: str, pending: list[tuple[str, bool]]) -> str:
    """Read one line from inside ``quote``; return the quote still open at its end."""
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if quote == "'":
            if ch == "'":
                quote = ""
        elif quote:  # '"' or "$'": a backslash escapes in both
            if ch == "\\":
                i += 1
            elif ch == quote[-1]:
                quote = ""
        elif ch == "\\":
            i += 1
        elif ch == "'" or ch == '"':
            quote = ch
        elif ch == "$" and line.startswith("$'", i):
            quote = "$'"
            i += 1
        elif ch == "#" and (i == 0 or line[i - 1] in _METACHARS):
            return ""
        elif ch == "<" and line.startswith("<<<", i):  # a here-string: a word, no body
            i += 3
            continue
        elif ch == "<" and line.startswith("<<", i):
            match = _HEREDOC.match(line, i)
            assert match is not None
            j = match.end()
            k = j
            while k < n and line[k] not in _HEREDOC_WORD_END:
                if line[k] in "'\"":  # a quoted part of the word may hold spaces
                    close = line.find(line[k], k + 1)
                    k = n if close < 0 else close + 1
                else:
                    k += 1
            word = line[j:k].replace("'", "").replace('"', "").replace("\\", "")
            if word:
                pending.append((word, match.group(1) == "-"))
            i = k
            continue
        i += 1
    return quote
