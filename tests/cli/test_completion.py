"""Shell completion through typer: ``scriptkeeper --install-completion`` works in bash."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.report.conftest import scriptkeeper_command

BASH = shutil.which("bash")


def bash(script: str, home: Path, interactive: bool = False) -> subprocess.CompletedProcess[str]:
    assert BASH is not None
    command = scriptkeeper_command()
    env = {"HOME": str(home), "SHELL": BASH, "LANG": "C.UTF-8",
           "PATH": os.pathsep.join([str(Path(command[0]).parent), "/usr/bin", "/bin"])}
    return subprocess.run([BASH, "-i" if interactive else "--norc", "-c", script], env=env,
                          capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)


def complete(*words: str) -> str:
    """Bash code asking the installed completion function about the last word."""
    quoted = " ".join(f"'{w}'" for w in words)
    return (f"COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; "
            "_scriptkeeper_completion scriptkeeper; printf '%s\\n' \"${COMPREPLY[@]}\"")


def test_install_completion_then_a_new_bash_completes(tmp_path: Path) -> None:
    # a user installs completion for the console script, so the test needs it installed
    assert Path(scriptkeeper_command()[0]).name == "scriptkeeper"
    # two commands, so that bash forks rather than execs: typer looks for a bash parent, which
    # a lone command would not have (the test then depended on how pytest was started)
    installed = bash("scriptkeeper --install-completion; exit $?", tmp_path)
    assert installed.returncode == 0, installed.stderr
    assert "bash completion installed" in installed.stdout
    assert "scriptkeeper" in (tmp_path / ".bashrc").read_text()
    commands = bash(complete("scriptkeeper", ""), tmp_path, interactive=True).stdout.split()
    assert {"scan", "rules", "rule", "init"} <= set(commands)
    options = bash(complete("scriptkeeper", "scan", "--for"), tmp_path, interactive=True).stdout
    assert options.split() == ["--format"]


def test_show_completion_prints_a_script(tmp_path: Path) -> None:
    out = subprocess.run([*scriptkeeper_command()],
                         env={**os.environ, "_SCRIPTKEEPER_COMPLETE": "source_bash"},
                         capture_output=True, text=True, check=False, cwd=tmp_path)
    assert "complete -o default -F _scriptkeeper_completion scriptkeeper" in out.stdout
