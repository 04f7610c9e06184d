"""The project's own .pre-commit-config.yaml is one the real pre-commit accepts."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_the_project_precommit_config_is_valid() -> None:
    done = subprocess.run([sys.executable, "-m", "pre_commit", "validate-config",
                           str(REPO / ".pre-commit-config.yaml")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
