"""Helpers for tests that talk to the real single-node SLURM test cluster.

The cluster is started by ``.ci/slurm/setup.sh`` (see ``.ci/slurm/README.md``):
SLURM 22.05 from Debian, cluster ``sk``, one node with 128 CPUs, 2000G memory
and ``gpu:h200:8``, partitions ``h200`` (default) and ``debug``.

Marker convention: every test that needs the cluster is marked
``@pytest.mark.slurm`` (or ``pytestmark = pytest.mark.slurm`` per module) and
calls :func:`require_cluster` (or :func:`ensure_cluster`) before using it.
``conftest.py`` can register the marker with :func:`register_marker`.

The API is fixture-free: plain functions, so conftest.py decides on scoping.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

__all__ = [
    "MARKER",
    "REPO_ROOT",
    "SETUP_SCRIPT",
    "ClusterUnavailable",
    "SbatchResult",
    "SlurmError",
    "cluster_available",
    "ensure_cluster",
    "held_job",
    "in_ci",
    "parse_scontrol_record",
    "register_marker",
    "require_cluster",
    "sbatch_test_only",
]

MARKER = "slurm"
"""Name of the pytest marker for tests that need the SLURM cluster."""

REPO_ROOT = Path(__file__).resolve().parents[2]
SETUP_SCRIPT = REPO_ROOT / ".ci" / "slurm" / "setup.sh"

# Generous: on a fresh machine setup.sh runs apt-get install slurm-wlm munge.
SETUP_TIMEOUT = 900.0
COMMAND_TIMEOUT = 60.0
_QUICK_TIMEOUT = 15.0

# Compact node states (sinfo %t) in which the node accepts and runs jobs.
# A not-responding node shows as e.g. "idle*", and is not ready.
_READY_STATES = frozenset({"idle", "mix", "alloc", "comp"})

# A key in `scontrol show ... -o` output: starts a word, ends at '='.
# Keys look like JobId, AllocNode:Sid, Socks/Node, NtasksPerN:B:S:C.
_KEY_RE = re.compile(r"(?:^|(?<=\s))([A-Za-z][A-Za-z0-9_/:.()-]*)=")

# Outcome of the first setup attempt in this process, so that a failing
# setup.sh is not rerun for every test.
_setup_error: str | None = None


class SlurmError(RuntimeError):
    """A SLURM command failed or timed out."""


class ClusterUnavailable(SlurmError):
    """The test cluster is not running and could not be started."""


@dataclass(frozen=True)
class SbatchResult:
    """Outcome of ``sbatch --test-only``."""

    accepted: bool
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """stdout and stderr together (sbatch writes its verdict to stderr)."""
        return self.stdout + self.stderr


def in_ci() -> bool:
    """True when the environment variable CI is set to a non-empty value."""
    return bool(os.environ.get("CI", ""))


def register_marker(config: pytest.Config) -> None:
    """Register the ``slurm`` marker; call from ``pytest_configure``."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}: needs the real SLURM test cluster (.ci/slurm/setup.sh)",
    )


def _clean_env() -> dict[str, str]:
    """The environment without SBATCH_*/SLURM_* input variables.

    sbatch reads defaults from SBATCH_* variables, and a test run inside a
    SLURM job would inherit SLURM_* ones; both would change the verdicts.
    SLURM_CONF is kept so a non-default configuration can still be chosen.
    """
    return {
        key: value
        for key, value in os.environ.items()
        if key == "SLURM_CONF" or not (key.startswith("SBATCH_") or key.startswith("SLURM_"))
    }


def _run(
    argv: Sequence[str],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else _clean_env(),
        )
    except subprocess.TimeoutExpired as exc:
        raise SlurmError(f"{' '.join(argv)!s} timed out after {timeout:g}s") from exc
    except OSError as exc:
        raise SlurmError(f"cannot run {argv[0]}: {exc}") from exc


def cluster_available() -> bool:
    """True if the SLURM commands exist, slurmctld answers and the node is up."""
    if shutil.which("sbatch") is None or shutil.which("sinfo") is None:
        return False
    try:
        ping = _run(["scontrol", "ping"], timeout=_QUICK_TIMEOUT)
        if ping.returncode != 0 or "is UP" not in ping.stdout:
            return False
        # %t is the compact state; a trailing '*' means "not responding".
        nodes = _run(["sinfo", "-h", "-N", "-o", "%t"], timeout=_QUICK_TIMEOUT)
    except SlurmError:
        return False
    if nodes.returncode != 0:
        return False
    states = {state.strip() for state in nodes.stdout.splitlines() if state.strip()}
    return bool(states) and states <= _READY_STATES


def ensure_cluster() -> None:
    """Make sure the test cluster is up, starting it if possible.

    When the cluster is down and this process runs as root, runs
    ``.ci/slurm/setup.sh`` (which installs slurm-wlm and munge if needed and
    starts munged, slurmctld and slurmd).  Raises :class:`ClusterUnavailable`
    with the reason otherwise.  A failed setup is remembered: later calls in
    the same process raise at once instead of rerunning it.
    """
    global _setup_error
    if cluster_available():
        return
    if _setup_error is not None:
        raise ClusterUnavailable(_setup_error)
    if os.geteuid() != 0:
        _setup_error = (
            "the SLURM test cluster is not running and only root can start it: "
            f"run `sudo bash {SETUP_SCRIPT}`"
        )
        raise ClusterUnavailable(_setup_error)
    if not SETUP_SCRIPT.is_file():
        _setup_error = f"the SLURM test cluster is not running and {SETUP_SCRIPT} is missing"
        raise ClusterUnavailable(_setup_error)
    try:
        proc = _run(["bash", str(SETUP_SCRIPT)], timeout=SETUP_TIMEOUT, env=os.environ)
    except SlurmError as exc:
        _setup_error = f"{SETUP_SCRIPT} failed: {exc}"
        raise ClusterUnavailable(_setup_error) from exc
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-80:])
        _setup_error = f"{SETUP_SCRIPT} exited {proc.returncode}:\n{tail}"
        raise ClusterUnavailable(_setup_error)
    if not cluster_available():
        _setup_error = (
            f"{SETUP_SCRIPT} succeeded but the cluster is still not available "
            "(scontrol ping / sinfo)"
        )
        raise ClusterUnavailable(_setup_error)


def require_cluster() -> None:
    """:func:`ensure_cluster`, or skip the test -- but fail it under CI.

    Outside CI (variable CI unset or empty) a machine without the cluster
    skips the test; with CI set, a cluster that cannot be started is an error.
    """
    import pytest

    try:
        ensure_cluster()
    except ClusterUnavailable as exc:
        if in_ci():
            pytest.fail(f"SLURM test cluster unavailable under CI: {exc}", pytrace=False)
        pytest.skip(f"SLURM test cluster unavailable: {exc}")


def sbatch_test_only(
    script_path: str | os.PathLike[str],
    *extra_args: str,
    timeout: float = COMMAND_TIMEOUT,
) -> SbatchResult:
    """Run ``sbatch --test-only [extra_args] script_path``; nothing is queued.

    ``accepted`` is True when sbatch exits 0.  sbatch prints its verdict
    ("Job N to start at ..." or "allocation failure: ...") on stderr.
    Raises :class:`SlurmError` when sbatch hangs past ``timeout`` seconds.
    """
    proc = _run(
        ["sbatch", "--test-only", *extra_args, os.fspath(script_path)],
        timeout=timeout,
    )
    return SbatchResult(
        accepted=proc.returncode == 0,
        returncode=proc.returncode,
        stdout=proc.stdout,
        stderr=proc.stderr,
    )


def parse_scontrol_record(line: str) -> dict[str, str]:
    """Parse one ``scontrol show <entity> -o`` line into a dict.

    Values may contain spaces (``JobName=my job``): a value runs until the
    next ``Key=`` that starts a word.  If a key repeats, the first wins.
    """
    fields: dict[str, str] = {}
    matches = list(_KEY_RE.finditer(line))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        fields.setdefault(match.group(1), line[match.end() : end].strip())
    return fields


def held_job(
    script_path: str | os.PathLike[str],
    *extra_args: str,
    timeout: float = COMMAND_TIMEOUT,
) -> dict[str, str]:
    """Submit the script held, return its ``scontrol show job`` fields, cancel it.

    Submits with ``sbatch --hold --parsable [extra_args] script_path``, reads
    ``scontrol show job -o <id>`` into a dict (e.g. ``NumTasks``,
    ``TresPerNode``, ``TRES``, ``Partition``, ``TimeLimit``), and always
    ``scancel``s the job, also when reading it fails.  Raises
    :class:`SlurmError` when sbatch refuses the script or scontrol fails.
    """
    sub = _run(
        ["sbatch", "--hold", "--parsable", *extra_args, os.fspath(script_path)],
        timeout=timeout,
    )
    if sub.returncode != 0:
        raise SlurmError(
            f"sbatch refused {os.fspath(script_path)} (exit {sub.returncode}): "
            f"{(sub.stdout + sub.stderr).strip()}"
        )
    # --parsable prints "jobid" or "jobid;cluster".
    job_id = sub.stdout.strip().split(";", 1)[0]
    if not job_id.isdigit():
        raise SlurmError(f"unexpected sbatch --parsable output: {sub.stdout!r}")
    try:
        show = _run(["scontrol", "show", "job", "-o", job_id], timeout=timeout)
        if show.returncode != 0:
            raise SlurmError(
                f"scontrol show job {job_id} failed (exit {show.returncode}): "
                f"{(show.stdout + show.stderr).strip()}"
            )
        lines = [line for line in show.stdout.splitlines() if line.strip()]
        if not lines:
            raise SlurmError(f"scontrol show job {job_id} printed nothing")
        return parse_scontrol_record(lines[0])
    finally:
        _run(["scancel", job_id], timeout=timeout)
