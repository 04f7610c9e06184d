"""Run a command with its stderr on a pseudo-terminal, as a person at a terminal sees it."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path


def stderr_on_a_terminal(command: list[str], cwd: Path, env: dict[str, str]
                         ) -> tuple[int, str]:
    """The exit status and what the command wrote to stderr (a terminal: progress shows)."""
    main, other = pty.openpty()
    try:
        done = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=other,
                              env=env, check=False)
        os.close(other)
        other = -1
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the other end closed: all read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(main)
        if other != -1:
            os.close(other)
    return done.returncode, b"".join(chunks).decode(errors="replace")
