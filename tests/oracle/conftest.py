"""Fixtures of the oracle tier: the heavy dependencies and one shared batch of real jobs.

``oracle_runs`` submits every shape the session's tests ask for (all of them
unless ``-k`` or node ids select fewer) once per session and waits for all of
them (a few minutes, bounded by the jobs' 2-minute limits). Missing torch or
lightning skips the tier outside CI and fails it in CI, like the cluster.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .compare import SUMMARY
from .observe import JobRun
from .runner import cancel, run_all
from .shapes import ALL_SHAPES, Shape

HEAVY = ("torch", "lightning")
INSTALL = ".ci/oracle/install.sh"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def oracle_python() -> Path:
    """The interpreter the jobs run: this one, which must have torch and lightning."""
    python = Path(sys.executable)
    missing = [name for name in HEAVY if importlib.util.find_spec(name) is None
               and not (name == "lightning" and importlib.util.find_spec("pytorch_lightning"))]
    if not missing and not (python.parent / "torchrun").is_file():
        missing.append(f"torchrun next to {python}")
    if missing:
        message = (f"the oracle tier needs {', '.join(missing)} in {python}: "
                   f"run `bash {INSTALL} {Path(sys.prefix)}`")
        if _in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return python


def _selected_shapes(session: pytest.Session) -> list[Shape]:
    """The shapes of the collected (selected) tests that use ``oracle_runs``."""
    names = {item.callspec.params.get("name") for item in session.items
             if "oracle_runs" in getattr(item, "fixturenames", ())
             and hasattr(item, "callspec")}
    return [shape for shape in ALL_SHAPES if shape.name in names]


@pytest.fixture(scope="session")
def oracle_runs(request: pytest.FixtureRequest, oracle_python: Path, slurm_cluster: None,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, JobRun]]:
    """The selected shapes run for real on the cluster, by shape name."""
    runs = run_all(_selected_shapes(request.session), tmp_path_factory.mktemp("oracle"),
                   oracle_python)
    yield runs
    cancel(run.job_id for run in runs.values() if run.state not in ("COMPLETED", "FAILED",
                                                                      "TIMEOUT", "CANCELLED"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SUMMARY:
        terminalreporter.section("oracle: observed runs and scriptkeeper's verdicts")
        for line in SUMMARY:
            terminalreporter.write_line(line)
