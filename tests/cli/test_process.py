"""The console scripts' process settings: statuses and output survive the quick exit."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap

import pytest


def run(body: str) -> subprocess.CompletedProcess[str]:
    code = textwrap.dedent("""
        import sys
        from scriptkeeper.cli.process import for_batch_work, run_and_exit
        for_batch_work()
        def command():
    """) + textwrap.indent(textwrap.dedent(body), "    ") + "\nrun_and_exit(command)\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)


@pytest.mark.parametrize("body,status", [
    ("return None", 0), ("return 0", 0), ("return 1", 1), ("return 2", 2),
    ("raise SystemExit(3)", 3), ("raise SystemExit(None)", 0), ("raise SystemExit(True)", 1),
])
def test_the_status_is_the_commands(body: str, status: int) -> None:
    assert run(body).returncode == status


def test_a_message_exit_goes_to_standard_error_with_status_1() -> None:
    done = run("raise SystemExit('scriptkeeper: no such file')")
    assert done.returncode == 1 and done.stderr.strip() == "scriptkeeper: no such file"


def test_buffered_output_is_flushed_before_the_exit() -> None:
    # no newline, far more than a buffer: all of it must arrive
    done = run("sys.stdout.write('x' * 200_000)\nsys.stderr.write('e')\nreturn 1")
    assert done.returncode == 1 and done.stdout == "x" * 200_000 and done.stderr == "e"


def test_an_exception_is_not_swallowed() -> None:
    done = run("raise RuntimeError('boom')")
    assert done.returncode == 1 and "RuntimeError: boom" in done.stderr


def test_importing_the_package_leaves_the_collector_alone() -> None:
    before = gc.get_threshold()
    import scriptkeeper.cli.app
    import scriptkeeper.hook  # noqa: F401

    assert gc.get_threshold() == before and gc.isenabled()
