"""The directive parser reads #SBATCH lines exactly as sbatch does."""

from __future__ import annotations

from scriptkeeper.parse.header import parse, tokenize


def kinds(data: bytes, release: str | None = None) -> list[str]:
    return [f.kind for f in parse(data, release).facts]


def opts(data: bytes) -> list[tuple[str, str | None]]:
    return [(d.option, d.value) for d in parse(data).directives]


def test_long_forms_and_short_forms() -> None:
    script = b"#!/bin/bash\n#SBATCH --time=10 --nodes 2\n#SBATCH -N2 -n 4\n#SBATCH -c8\necho\n"
    assert opts(script) == [("time", "10"), ("nodes", "2"), ("nodes", "2"), ("ntasks", "4"),
                            ("cpus-per-task", "8")]


def test_unique_prefix_is_accepted_and_ambiguous_refused() -> None:
    assert opts(b"#!/bin/bash\n#SBATCH --partit=gpu\n") == [("partition", "gpu")]
    assert kinds(b"#!/bin/bash\n#SBATCH --gpu=4\n") == ["unknown-option"]
    # an exact name wins over longer names it prefixes
    assert opts(b"#!/bin/bash\n#SBATCH --gpus=4\n") == [("gpus", "4")]


def test_optional_argument_takes_value_only_with_equals() -> None:
    script = b"#!/bin/bash\n#SBATCH --exclusive user\n"
    parsed = parse(script)
    assert [(d.option, d.value) for d in parsed.directives] == [("exclusive", None)]
    assert [f.kind for f in parsed.facts] == ["invalid-directive"]
    assert opts(b"#!/bin/bash\n#SBATCH --exclusive=user\n") == [("exclusive", "user")]


def test_srun_only_option_names_its_program() -> None:
    facts = parse(b"#!/bin/bash\n#SBATCH --mpi=pmix\n").facts
    assert facts[0].kind == "unknown-option"
    assert "srun" in facts[0].detail


def test_plugin_option_is_a_warning_fact_unless_declared() -> None:
    script = b"#!/bin/bash\n#SBATCH --container-image=nvcr.io/x\n"
    assert kinds(script) == ["plugin-option"]
    declared = parse(script, None, ("container-image",))
    assert declared.facts == []
    assert [(d.option, d.value) for d in declared.directives] == [
        ("container-image", "nvcr.io/x")]


def test_stop_at_first_command_and_late_directives() -> None:
    script = b"#!/bin/bash\n#SBATCH -N1\n\n# comment\nmodule load x\n#SBATCH --gres=gpu:8\n"
    parsed = parse(script)
    assert [(d.option, d.value) for d in parsed.directives] == [("nodes", "1")]
    assert [d.option for d in parsed.ignored] == ["gres"]
    assert [(f.kind, f.line) for f in parsed.facts] == [("directive-after-command", 6)]
    assert parsed.first_command_line == 5


def test_lookalikes_are_flagged_but_double_hash_is_not() -> None:
    script = b"#!/bin/bash\n#sbatch -N 2\n# SBATCH -N 2\n  #SBATCH -N 2\n##SBATCH -N 2\n"
    parsed = parse(script)
    assert parsed.directives == []
    assert [(f.kind, f.line) for f in parsed.facts] == [
        ("ignored-directive-lookalike", 2), ("ignored-directive-lookalike", 3),
        ("ignored-directive-lookalike", 4)]


def texts(line: str) -> list[str]:
    return [t.text for t in tokenize(line, 1)[0]]


def test_quotes_escapes_and_comments() -> None:
    assert texts(' --job-name="a b" --comment=\'c d\' # trailing') == [
        "--job-name=a b", "--comment=c d"]
    assert texts(" --job-name=a\\\"b") == ['--job-name=a"b']
    assert texts(" --job-name=a#b --time=5") == ["--job-name=a"]


def test_escaped_space_still_splits_as_in_sbatch() -> None:
    # sbatch's tokenizer tests for white space before it looks at an escape:
    # '#SBATCH --job-name=x\\ y' gives 'Invalid directive found in batch script: y'
    assert texts(" --job-name=x\\ y") == ["--job-name=x", "y"]
    _tokens, problem = tokenize(' --job-name="unterminated', 3)
    assert problem is not None and problem.kind == "invalid-directive" and problem.line == 3


def test_stray_word_is_an_invalid_directive() -> None:
    assert kinds(b"#!/bin/bash\n#SBATCH --nodes=2 gpu\n") == ["invalid-directive"]


def test_script_checks() -> None:
    assert kinds(b"") == ["empty-script"]
    assert kinds(b"  \n\n") == ["empty-script"]
    assert kinds(b"\xef\xbb\xbf#!/bin/bash\necho\n") == ["missing-shebang"]
    assert kinds(b"\n#!/bin/bash\necho\n") == ["missing-shebang"]
    assert kinds(b"#!/bin/bash\r\necho\r\n") == ["dos-line-endings"]
    assert kinds(b"#!/bin/bash\necho \0\n") == ["nul-byte"]
    assert kinds(b"#!/bin/bash\necho ok\n") == []


def test_value_spanning_two_directive_lines() -> None:
    # sbatch hands all directive words to getopt as one argument vector
    assert opts(b"#!/bin/bash\n#SBATCH --time\n#SBATCH 10\n") == [("time", "10")]


def test_flag_with_value_is_refused() -> None:
    assert kinds(b"#!/bin/bash\n#SBATCH --hold=yes\n") == ["invalid-directive"]


def test_release_table_differences() -> None:
    # --segment exists from 24.05 on
    assert kinds(b"#!/bin/bash\n#SBATCH --segment=2\n", "22.05") == ["unknown-option"]
    assert kinds(b"#!/bin/bash\n#SBATCH --segment=2\n", "24.05") == []


def test_short_option_letter_unknown() -> None:
    assert kinds(b"#!/bin/bash\n#SBATCH -y\n") == ["unknown-option"]


def test_hetjob_separates_components() -> None:
    parsed = parse(b"#!/bin/bash\n#SBATCH -N1\n#SBATCH hetjob\n#SBATCH -N2\n")
    assert parsed.components == 2
    assert [(d.option, d.value, d.component) for d in parsed.directives] == [
        ("nodes", "1", 0), ("nodes", "2", 1)]
