"""Numbered crash points for the fault-injection tests (clean stage).

Every step of a clean or restore that changes something on disk or in git
calls :func:`point` right after it. With ``SCRIPTKEEPER_FAULT_POINT=N`` in
the environment the process sends itself SIGKILL at the N-th point: a real,
uncatchable crash, so the tests prove the journal, not a mock.
``SCRIPTKEEPER_FAULT_TRACE=FILE`` appends ``N label`` for every point passed,
so a test can list the points of a run before choosing where to kill.
Neither variable is meant for anything but tests.
"""

from __future__ import annotations

import os
import signal

_passed = 0


def point(label: str) -> None:
    global _passed
    _passed += 1
    trace = os.environ.get("SCRIPTKEEPER_FAULT_TRACE")
    if trace:
        with open(trace, "a", encoding="utf-8") as out:
            out.write(f"{_passed} {label}\n")
    target = os.environ.get("SCRIPTKEEPER_FAULT_POINT")
    if target and target.strip() == str(_passed):
        os.kill(os.getpid(), signal.SIGKILL)
