"""The README's commands and excerpt stay true."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def block(marker: str) -> str:
    match = re.search(rf"<!-- {marker} -->\n```\n(.*?)\n```\n<!-- /{marker} -->", README, re.S)
    assert match, f"README has no {marker} block"
    return match.group(1)


def test_two_start_commands() -> None:
    run = block("run-command")
    assert "pip install -e ." in run and "scriptkeeper scan examples/navsim-workspace" in run
    test = block("test-command")
    assert "pip install -e '.[test]'" in test and "pytest" in test


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text()
    assert "test-command" in ci and 'bash -c "$TEST_COMMAND"' in ci


def test_example_excerpt_is_the_generated_table() -> None:
    done = subprocess.run([sys.executable, str(REPO / "tools" / "readme_block.py"), "--check"],
                          check=False)
    assert done.returncode == 0, "run 'python tools/readme_block.py' to refresh the README"


def test_generated_table_is_up_to_date() -> None:
    done = subprocess.run([sys.executable, str(REPO / "tools" / "readme_excerpt.py"), "--check"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, ("run 'python tools/readme_excerpt.py' and "
                                  "'python tools/readme_block.py': " + done.stdout + done.stderr)


def test_rule_links_resolve() -> None:
    for target in re.findall(r"\]\((docs/[^)#]+)\)", README):
        assert (REPO / target).exists(), target


def test_the_fix_example_is_what_fix_prints() -> None:
    match = re.search(r"<!-- fix-example -->\n```diff\n(.*?)```\n<!-- /fix-example -->", README,
                      re.S)
    assert match, "README has no fix-example block"
    done = subprocess.run([sys.executable, "-m", "scriptkeeper", "fix", "--unsafe-fixes", "--diff",
                           "examples/navsim-workspace/scripts/train_8gpu_ddp_CORRECT.slurm"],
                          cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stderr
    assert done.stdout == match.group(1)


def test_explain_pictures_are_up_to_date() -> None:
    done = subprocess.run([sys.executable, str(REPO / "tools" / "readme_explain.py"), "--check"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, ("run 'python tools/readme_explain.py': "
                                  + done.stdout + done.stderr)


def test_explain_block_shows_idle_gpus_then_eight_processes() -> None:
    pictures = block("explain-example").split("$ scriptkeeper explain ")
    correct, fixed = pictures[1], pictures[2]
    assert "7 of 8 GPUs idle" in correct and "world size 1" in correct
    assert "every GPU busy" in fixed and "world size 8" in fixed
    assert "rank 7→GPU 7" in fixed and "error" not in fixed
