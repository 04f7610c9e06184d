"""The edits beside the parse stage's facts: CRLF, the '#!' line, duplicates, late and
lookalike directives, a misspelt option (parse/sbatch_edits.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fix.support import checked, fix, script

FIXED = [
    ("dos-line-endings", b"#!/bin/bash\r\n#SBATCH --time=10\r\necho hi\r\n",
     b"#!/bin/bash\n#SBATCH --time=10\necho hi\n"),
    ("dos-line-endings", b"#!/bin/bash\r\n#SBATCH --time=10\r\necho 'a\rb'\r\necho end",
     b"#!/bin/bash\n#SBATCH --time=10\necho 'a\rb'\necho end"),  # lone CR, no final newline
    ("missing-shebang", b"\xef\xbb\xbf#!/bin/bash\n#SBATCH --time=10\necho hi\n",
     b"#!/bin/bash\n#SBATCH --time=10\necho hi\n"),
    ("missing-shebang", b"\n\n#!/bin/bash\n#SBATCH --time=10\necho hi\n",
     b"#!/bin/bash\n\n\n#SBATCH --time=10\necho hi\n"),
    ("missing-shebang", b"# train the model\n#!/bin/bash\n#SBATCH --time=10\necho hi\n",
     b"#!/bin/bash\n# train the model\n#SBATCH --time=10\necho hi\n"),
    ("missing-shebang", b"   #!/bin/bash\n#SBATCH --time=10\necho hi\n",
     b"#!/bin/bash\n#SBATCH --time=10\necho hi\n"),
    ("missing-shebang", b"!/bin/bash\n#SBATCH --time=10\necho hi\n",
     b"#!/bin/bash\n#SBATCH --time=10\necho hi\n"),
    ("duplicate-option", script("""
        #!/bin/bash
        #SBATCH --time=12:00:00
        #SBATCH --time=1:00:00
        echo hi
     """), script("""
        #!/bin/bash
        #SBATCH --time=1:00:00
        echo hi
     """)),
    ("duplicate-option", script("""
        #!/bin/bash
        #SBATCH --nodes=1 -t 12:00:00 --mem=4G   # the first try
        #SBATCH --time=1:00:00
        echo hi
     """), script("""
        #!/bin/bash
        #SBATCH --nodes=1 --mem=4G   # the first try
        #SBATCH --time=1:00:00
        echo hi
     """)),
    ("directive-after-command", script("""
        #!/bin/bash
        #SBATCH --time=10
        module load cuda
        #SBATCH --mem=4G
        echo hi
        #SBATCH --nodes=1
     """), script("""
        #!/bin/bash
        #SBATCH --time=10
        #SBATCH --mem=4G
        #SBATCH --nodes=1
        module load cuda
        echo hi
     """)),
    ("ignored-directive-lookalike", script("""
        #!/bin/bash
        # SBATCH --mem=4G
        #sbatch --time=10
          #SBATCH --nodes=1
        echo hi
     """), script("""
        #!/bin/bash
        #SBATCH --mem=4G
        #SBATCH --time=10
        #SBATCH --nodes=1
        echo hi
     """)),
    ("unknown-option", script("""
        #!/bin/bash
        #SBATCH --cpu-per-task=4 --time=10
        echo hi
     """), script("""
        #!/bin/bash
        #SBATCH --cpus-per-task=4 --time=10
        echo hi
     """)),
    ("unknown-option", script("""
        #!/bin/bash
        #SBATCH --job_name train
        echo hi
     """), script("""
        #!/bin/bash
        #SBATCH --job-name train
        echo hi
     """)),
]


@pytest.mark.parametrize(("rule", "before", "after"), FIXED,
                         ids=[f"{f[0]}-{i}" for i, f in enumerate(FIXED)])
def test_fixed(tmp_path: Path, rule: str, before: bytes, after: bytes) -> None:
    checked(tmp_path, before, rule, after)


LEFT_ALONE = [
    ("no '#!' line at all: the interpreter would be a guess", "missing-shebang",
     b"#SBATCH --time=10\necho hi\n"),
    ("a command before the '#!' line", "missing-shebang",
     b"echo first\n#!/bin/bash\necho hi\n"),
    ("#SBATCH lines before the '#!' line would become directives", "missing-shebang",
     b"#SBATCH --time=10\n# the next job\n#!/bin/bash\n#SBATCH --time=20\necho hi\n"),
    ("an option no known one is close to", "unknown-option",
     b"#!/bin/bash\n#SBATCH --frobnicate=3\necho hi\n"),
    ("two known options are as close", "unknown-option",
     b"#!/bin/bash\n#SBATCH --mem-per-xpu=3G\necho hi\n"),
    ("an srun option is not a misspelling", "unknown-option",
     b"#!/bin/bash\n#SBATCH --mpi=pmix\nsrun hostname\n"),
]


@pytest.mark.parametrize(("why", "rule", "data"), LEFT_ALONE, ids=[c[0] for c in LEFT_ALONE])
def test_left_alone(tmp_path: Path, why: str, rule: str, data: bytes) -> None:
    done = fix(tmp_path, data)
    assert rule in {f.rule for f in done.remaining}, why
    assert rule not in {f.rule for f in done.applied}, why
    assert all(f.autofix is None for f in done.remaining if f.rule == rule), why


def test_safe_fixes_wait_for_unsafe_ones_to_be_asked(tmp_path: Path) -> None:
    data = script("""
        #!/bin/bash
        echo start
        #SBATCH --time=10
    """)
    done = fix(tmp_path, data, unsafe=False)
    assert not done.changed and done.unsafe_left == 1


def test_a_lookalike_after_the_first_command_is_refused(tmp_path: Path) -> None:
    # '#SBATCH' there would be a directive sbatch ignores: an error the script did not have
    data = script("""
        #!/bin/bash
        echo start
        # SBATCH --time=10
    """)
    done = fix(tmp_path, data)
    assert not done.changed
    assert [(r.finding.rule, r.reason) for r in done.refused] == [
        ("ignored-directive-lookalike",
         "it would leave a new error: directive-after-command")]


def test_conflicting_options_say_there_is_no_automatic_fix(tmp_path: Path) -> None:
    data = script("""
        #!/bin/bash
        #SBATCH --mem=4G
        #SBATCH --mem-per-cpu=2G
        echo hi
    """)
    done = fix(tmp_path, data)
    conflict = [f for f in done.remaining if f.rule == "conflicting-options"]
    assert conflict and conflict[0].autofix is not None
    assert conflict[0].autofix.applicability == "none" and not conflict[0].autofix.edits
    assert "no automatic fix" in conflict[0].fix
    assert not done.changed
