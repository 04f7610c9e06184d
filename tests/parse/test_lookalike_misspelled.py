"""ignored-directive-lookalike: a misspelled magic word (#SBTACH) is a comment to sbatch."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scriptkeeper.parse.header import parse
from scriptkeeper.parse.option_table import option_table


def _facts(line: str) -> list[tuple[str, int]]:
    data = f"#!/bin/bash\n#SBATCH --time=10\n{line}\nhostname\n".encode()
    return [(f.kind, f.line) for f in parse(data).facts]


@pytest.mark.parametrize("line", [
    "#SBTACH --nodes=2",        # two letters swapped
    "#SBACTH -N 2",
    "#SABTCH --gres=gpu:4",
    "#SBATC --time=10",         # a letter missing
    "#SBACH --mem=8G",
    "#BATCH -p batch           # batch partition",  # the S missing, a short option after
    "#SBTAHC --ntasks=4",       # two edits, six letters, starting with S
    "#sbtach --partition=gpu",  # in lower case too
    "# SBTACH --nodes=2",       # after a space
    "#SBATCHH",                 # (not a near miss: sbatch reads it, see below)
])
def test_a_misspelled_directive_is_reported(line: str) -> None:
    if line == "#SBATCHH":
        # '#SBATCH' followed by 'H': a directive sbatch reads and refuses, not a comment
        assert ("invalid-directive", 3) in _facts(line + " --mem=4G")
        return
    assert _facts(line) == [("ignored-directive-lookalike", 3)]


def test_the_message_names_the_option_dropped() -> None:
    data = b"#!/bin/bash\n#SBTACH --nodes=2\nhostname\n"
    fact = next(f for f in parse(data).facts if f.kind == "ignored-directive-lookalike")
    assert "'#SBTACH' is not '#SBATCH'" in fact.detail and "'--nodes=2'" in fact.detail
    assert fact.data == {"misspelled": "SBTACH"}


@pytest.mark.parametrize("line", [
    "#BATCH SIZE 32 works best",   # prose: the next word is no option
    "#PBS -l nodes=1",             # other schedulers (reported as foreign-directive, if at all)
    "#BSUB -n 4",
    "#$ -l h_rt=1:00:00",
    "#FLUX: -N 2",
    "#COBALT -n 2",
    "#MSUB -l nodes=1",
    "#PATCH -p1",                  # two edits from SBATCH, not starting with S
    "#WATCH --time=5",
    "#BTACH -N 2",                 # two edits, five letters: too far
    "##SBTACH --nodes=2",          # switched off on purpose
    "#!SBTACH -N 1",
    "#SBATCH_OFF --nodes=1",       # (sbatch reads this one: not a comment at all)
    "# SBATCH_SIZE=32",
    "#STATS -v",                   # far from SBATCH
    "#SEARCH --nodes",             # two edits, but only four of SBATCH's letters
])
def test_ordinary_comments_are_left_alone(line: str) -> None:
    kinds = [k for k, _ in _facts(line)]
    assert "ignored-directive-lookalike" not in kinds


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40))
def test_a_comment_without_an_option_after_its_first_word_is_never_a_near_miss(
        rest: str) -> None:
    from scriptkeeper.parse.header import near_miss

    table = option_table(None)
    line = "#SBTACH " + rest
    words = rest.split()
    found = near_miss(line, table)
    if not words or not words[0].startswith("-"):
        assert found is None
