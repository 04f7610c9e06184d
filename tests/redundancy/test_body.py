"""The canonical body: layout that bash ignores is ignored, meaning bash sees is kept."""

from __future__ import annotations

import subprocess

import pytest

from scriptkeeper.redundancy.body import HEREDOC_MARK, body_text, canonical

SAME = [
    ("continuations", "python train.py \\\n    --lr=0.1 \\\n    --epochs=3\n",
     "python train.py --lr=0.1 --epochs=3\n"),
    ("blanks between words", "srun   python\ttrain.py  a\n", "srun python train.py a\n"),
    ("comments and blank lines", "# setup\n\ncd /x  # go\n\n\necho hi\n", "cd /x\necho hi\n"),
    ("quoting of plain words", "python 'train.py' \"--lr=0.1\" a\"b\"'c'\n",
     "python train.py --lr=0.1 abc\n"),
    ("quoted blanks", "echo 'a b' \"a b\" a\\ b\n", "echo 'a b' 'a b' 'a b'\n"),
    ("braces around a name", 'echo $HOME "$USER" ${PWD}\n', 'echo ${HOME} "${USER}" $PWD\n'),
    ("a pipe continued on the next line", "cat x |\n  grep y\n", "cat x | grep y\n"),
    ("an escaped newline in double quotes", 'echo "a\\\nb"\n', 'echo "ab"\n'),
    ("comment after the last command, no newline", "echo a # done", "echo a\n"),
    ("an empty string stays a word", "echo '' x\n", 'echo "" x\n'),
]

DIFFERENT = [
    ("another value", "python train.py --lr=0.1\n", "python train.py --lr=0.01\n"),
    ("quoted and unquoted expansion", 'echo "$X"\n', "echo $X\n"),
    ("a glob and a quoted star", "ls *.py\n", "ls '*.py'\n"),
    ("one word and two", "echo 'a b'\n", "echo a b\n"),
    ("io number and argument", "cmd 2>&1\n", "cmd 2 >&1\n"),
    ("a hash inside a word is not a comment", "echo a#b\n", "echo a\n"),
    ("a comment line inside a here-document is data",
     "cat <<EOF\n# keep\nx\nEOF\n", "cat <<EOF\nx\nEOF\n"),
    ("blanks inside a here-document", "cat <<EOF\n  x\nEOF\n", "cat <<EOF\nx\nEOF\n"),
    ("a hash in single quotes", "echo '# not a comment'\n", "echo\n"),
    ("a tilde quoted", "cd ~/x\n", "cd '~/x'\n"),
    ("an empty string dropped", "f '' x\n", "f x\n"),
    ("a continuation inside single quotes is literal", "echo 'a\\\nb'\n", "echo 'ab'\n"),
    ("two commands and one", "echo a\necho b\n", "echo a echo b\n"),
    ("variable boundaries", "echo $Xb\n", "echo ${X}b\n"),
]


@pytest.mark.parametrize(("why", "a", "b"), SAME, ids=[s[0] for s in SAME])
def test_bash_equivalent_bodies_are_equal(why: str, a: str, b: str) -> None:
    assert canonical(a) == canonical(b), why


@pytest.mark.parametrize(("why", "a", "b"), DIFFERENT, ids=[d[0] for d in DIFFERENT])
def test_bodies_bash_runs_differently_stay_different(why: str, a: str, b: str) -> None:
    assert canonical(a) != canonical(b), why


def _bash_words(script: str) -> str:
    """What bash passes as arguments, one per line, for each command in ``script``."""
    program = "args() { printf '<%s>' \"$@\"; echo; }\nX='v w'\n" + script
    out = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    return out.stdout


def _as_args(text: str) -> str:
    """The same text with every command replaced by ``args`` (which prints its words)."""
    return "\n".join("args " + line.split(" ", 1)[1] if " " in line and line[0].isalpha()
                     else line for line in text.split("\n"))


RUNNABLE = [s for s in SAME if s[0] not in ("a pipe continued on the next line",
                                            "comments and blank lines")]


@pytest.mark.parametrize(("why", "a", "b"), RUNNABLE, ids=[s[0] for s in RUNNABLE])
def test_real_bash_agrees_on_equal_pairs(why: str, a: str, b: str) -> None:
    first, second = _as_args(a), _as_args(b)
    assert first.startswith("args") and second.startswith("args")
    assert _bash_words(first) == _bash_words(second), why


def test_real_bash_agrees_on_canonical_text() -> None:
    script = ("args 'a b' \"c$X\" d\\ e \"\" 'f'\"g\" ${X}h \"$X\"\n"
              "args x \\\n  y   z # comment\n")
    again = canonical(script).text + "\n"
    assert _bash_words(script) == _bash_words(again)


def test_here_document_body_is_kept_verbatim() -> None:
    lines = canonical("python - <<'EOF'\nimport os  # comment\n\tprint(1)\nEOF\necho done\n").lines
    assert lines == (("python", "-", "<<", "EOF"),
                     (HEREDOC_MARK + "import os  # comment\n\tprint(1)",),
                     ("echo", "done"))


def test_body_starts_at_the_first_command() -> None:
    data = b"#!/bin/bash\n#SBATCH -N 1\n\n# comment\n  \nmodule load x\n#SBATCH --late\necho\n"
    assert body_text(data) == "module load x\n#SBATCH --late\necho\n"
    assert canonical(body_text(data)).text == "module load x\necho"
    assert body_text(b"#!/bin/bash\n#SBATCH -N 1\n") == ""


ASSIGNMENTS = [
    ('A="$X"\nargs "$A"\n', 'A=$X\nargs "$A"\n'),
    ('A="$X" args_env\n', "A=$X args_env\n"),
    ('export A="$X/data"\nargs "$A"\n', "export A=$X/data\nargs \"$A\"\n"),
    ("A='*'\nargs \"$A\"\n", 'A=*\nargs "$A"\n'),
    ("if true; then A=\"$X\"; fi\nargs \"$A\"\n", "if true; then A=$X; fi\nargs \"$A\"\n"),
]


@pytest.mark.parametrize(("a", "b"), ASSIGNMENTS)
def test_quoting_in_an_assignment_value_does_not_count(a: str, b: str) -> None:
    assert canonical(a) == canonical(b)
    env = "args_env() { printf '<%s>' \"$A\"; echo; }\n"
    assert _bash_words(env + a) == _bash_words(env + b)


@pytest.mark.parametrize(("a", "b"), [
    ('args A="$X"\n', "args A=$X\n"),  # an argument, not an assignment: split
    ('args > "$X"\n', "args > $X\n"),  # a redirection target
    ("A=~/x\n", "A='~/x'\n"),  # tilde expansion happens in assignments
])
def test_words_that_only_look_like_assignments_keep_their_quotes(a: str, b: str) -> None:
    assert canonical(a) != canonical(b)


def test_export_arguments_are_assignments_only_in_bash() -> None:
    a, b = 'export A="$X"\n', "export A=$X\n"
    assert canonical(a, bash=True) == canonical(b, bash=True)
    assert canonical(a, bash=False) != canonical(b, bash=False)
