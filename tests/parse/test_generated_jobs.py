"""#SBATCH lines a script holds as data (here-documents, strings) are the generated job's.

Late directives and lookalikes inside them are no facts of the file; the same lines
outside any here-document or string still are.
"""

from __future__ import annotations

from scriptkeeper.parse.header import parse


def kinds(text: str) -> list[str]:
    return [f.kind for f in parse(text.encode()).facts]


def late_lines(text: str) -> list[int]:
    return [f.line for f in parse(text.encode()).facts if f.kind == "directive-after-command"]


WRITES_A_JOB = """#!/bin/bash
for n in 1 2; do
  cat > job_$n.sh <<EOF
#!/bin/bash
#SBATCH --nodes=$n
# SBATCH --time=10
srun ./run $n
EOF
  sbatch job_$n.sh
done
"""


def test_heredoc_written_to_a_file_gives_no_facts() -> None:
    assert kinds(WRITES_A_JOB) == []


def test_heredoc_fed_to_sbatch_with_quoted_and_dash_delimiters() -> None:
    quoted = "#!/bin/bash\nmodule load x\nsbatch <<'END'\n#!/bin/bash\n#SBATCH -N2\nsrun a\nEND\n"
    dashed = "#!/bin/bash\nset -e\nsbatch <<-  \"END\"\n\t#SBATCH -N2\n#SBATCH -n4\n\tEND\n"
    assert kinds(quoted) == []
    assert kinds(dashed) == []


def test_multiline_quoted_strings_hold_their_lines() -> None:
    double = '#!/bin/bash\necho "#!/bin/bash\n#SBATCH --mem=4G\nsrun x" > job.sh\n'
    ansi = "#!/bin/bash\nprintf '%s' $'a\\'b\n#SBATCH -N1\n' > job.sh\n"
    single = "#!/bin/bash\nJOB='#!/bin/bash\n#SBATCH -t 5\n'\n"
    assert kinds(double) == []
    assert kinds(ansi) == []
    assert kinds(single) == []


def test_a_here_string_opens_no_body() -> None:
    text = ('#!/bin/bash\nread -ra parts <<< "$HOSTS"\nn=$(bc <<< "1+1")\n'
            'cat > j.sh <<EOF\n#SBATCH -N$n\nEOF\n')
    assert kinds(text) == []


def test_late_directive_outside_any_heredoc_is_still_flagged() -> None:
    text = "#!/bin/bash\ncat > j.sh <<EOF\n#SBATCH -N1\nEOF\n#SBATCH -N2\nsrun a\n"
    assert late_lines(text) == [5]
    # a '<<' in a comment or a here-string opens nothing
    assert late_lines("#!/bin/bash\necho hi  # see <<EOF\n#SBATCH -N2\n") == [3]
    assert late_lines("#!/bin/bash\ncat <<< \"x\"\n#SBATCH -N2\n") == [3]
    # a quote inside a word ends where it closes
    assert late_lines("#!/bin/bash\necho it\\'s \"a\"'b'\n#SBATCH -N2\n") == [3]


def test_lookalike_outside_a_heredoc_is_still_flagged() -> None:
    text = "#!/bin/bash\n# SBATCH -N1\ncat <<EOF\n# SBATCH -N2\nEOF\n"
    lookalikes = [f.line for f in parse(text.encode()).facts
                  if f.kind == "ignored-directive-lookalike"]
    assert lookalikes == [2]


def test_an_unterminated_heredoc_hides_nothing() -> None:
    # the scanner may have misread the file: the late directive stays reported
    text = "#!/bin/bash\necho $((1 <<2))\n#SBATCH -N2\nsrun a\n"
    assert late_lines(text) == [3]


def test_header_directives_before_a_heredoc_are_kept() -> None:
    text = ("#!/bin/bash\n#SBATCH --nodes=2\n#SBATCH --time=5\n"
            "cat > next.sh <<EOF\n#!/bin/bash\n#SBATCH --nodes=8\nEOF\nsrun a\n")
    parsed = parse(text.encode())
    assert [(d.option, d.value) for d in parsed.directives] == [("nodes", "2"), ("time", "5")]
    assert parsed.facts == []
    assert parsed.ignored == []


def test_python_strings_hold_lines_but_comments_do_not() -> None:
    docstring = ('#!/usr/bin/env python\n"""Run me with:\n\n#!/bin/bash\n#SBATCH -N2\n'
                 'srun python this.py\n"""\nimport os\n')
    assert kinds(docstring) == []
    job = "#!/usr/bin/env python\n#SBATCH --nodes=2\n#SBATCH -t 5\nimport os\nprint(os.getpid())\n"
    parsed = parse(job.encode())
    assert [(d.option, d.value) for d in parsed.directives] == [("nodes", "2"), ("time", "5")]
    assert parsed.facts == []
    late = "#!/usr/bin/env python\nimport os\n#SBATCH -N2\n"
    assert late_lines(late) == [3]


def test_held_lines_of_an_fstring_template() -> None:
    from scriptkeeper.parse.embedded import held_lines

    lines = ['n = 2', 'job = f"""#!/bin/bash', '#SBATCH --nodes={n}', '"""', 'print(job)']
    assert held_lines(lines, python=True) == frozenset({3, 4})
    assert held_lines(["x = '''"], python=True) is None  # not Python: no line is held



def test_broken_shebang_is_one_fact_not_a_pile() -> None:
    text = "!/bin/bash\n\n#SBATCH --nodes=1\n#SBATCH --time=5\n\nhostname\n"
    parsed = parse(text.encode())
    assert [f.kind for f in parsed.facts] == ["missing-shebang"]
    assert "'#' of the '#!' line is missing" in parsed.facts[0].detail
    assert [d.option for d in parsed.directives] == ["nodes", "time"]
