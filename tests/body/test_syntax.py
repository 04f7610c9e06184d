"""shell-syntax-error: tree-sitter suspects, bash -n decides, only for bash and sh."""

from __future__ import annotations

from pathlib import Path

import pytest

from scriptkeeper.body import shell, syntax
from tests.body.repo import judge, rules


def test_an_unclosed_if_is_reported_at_the_line_bash_names(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --time=10
        if [ -d data ]; then
            python train.py
    """, pins=None)
    [fact] = [f for f in result.findings if f.rule == "shell-syntax-error"]
    assert fact.line == 5
    assert "unexpected end of file" in fact.message
    assert result.verdict == "broken"


def test_a_missing_done_is_reported(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/sh
        for seed in 1 2 3; do
            python train.py --seed $seed
        echo finished
    """, pins=None)
    assert "shell-syntax-error" in rules(result)


def test_a_tree_sitter_quirk_bash_accepts_is_not_reported(tmp_path: Path) -> None:
    body = "for x in a b; { echo $x; }\n"
    assert shell.walk(body, {}).has_error  # tree-sitter cannot read bash's brace loop
    assert syntax.bash_error(body) is None
    result = judge(tmp_path, "#!/bin/bash\n#SBATCH --time=10\n" + body, pins=None)
    assert "shell-syntax-error" not in rules(result)


def test_extglob_after_shopt_is_not_reported(tmp_path: Path) -> None:
    text = "#!/bin/bash\nshopt -s extglob\nrm -f !(keep).log\n"
    assert syntax.bash_error(text) is not None  # bash -n does not run the shopt
    assert syntax.facts(text, "#!/bin/bash") == []


@pytest.mark.parametrize(("shebang", "judged"), [
    ("#!/bin/bash", True), ("#!/usr/bin/env bash", True), ("#!/bin/sh", True),
    ("#!/bin/bash -l", True), ("#!/usr/bin/env zsh", False), ("#!/usr/bin/python3", False),
    ("#!/bin/tcsh", False)])
def test_only_bash_and_sh_scripts_are_checked(shebang: str, judged: bool) -> None:
    broken = f"{shebang}\nif true; then\n"
    assert bool(syntax.facts(broken, shebang)) == judged


def test_a_python_job_script_body_is_not_read_as_shell(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/usr/bin/env python3
        #SBATCH --gres=gpu:1
        import os; print(os.environ["SLURM_JOB_ID"])
    """, pins=None)
    assert result.steps == [] and rules(result) == set()


def test_interpreter_names() -> None:
    assert syntax.interpreter("#!/usr/bin/env -S bash -l") == "bash"
    assert syntax.interpreter("#!/bin/sh") == "sh"
    assert syntax.interpreter("not a shebang") is None


def test_is_shell_kept_per_first_line_answers_each_line_for_itself() -> None:
    syntax.is_shell.cache_clear()
    assert syntax.is_shell("#!/bin/bash")
    assert not syntax.is_shell("#!/usr/bin/env python3")  # not the answer kept for bash
    assert syntax.is_shell("#!/bin/bash") and syntax.is_shell.cache_info().hits == 1
    assert syntax.is_shell("#!/usr/bin/env zsh") and syntax.is_shell("echo no shebang")
    assert syntax.is_shell.cache_info().maxsize is not None  # bounded
