"""Helpers for tests that talk to the suite's own single-node SLURM cluster.

The cluster is started by ``.ci/slurm/setup.sh`` (see ``.ci/slurm/README.md``):
SLURM 22.05 from Debian, cluster ``sktest``, one node with 128 CPUs, 2000G
memory and ``gpu:h200:8``, partitions ``h200`` (default) and ``debug``.

Isolation: the suite only ever talks to the cluster it starts itself, even
when another SLURM cluster runs on the same machine.  That cluster has its own
configuration (:data:`SLURM_CONF`, under /var/lib/scriptkeeper-slurm, never
/etc/slurm), ClusterName, ports (16817/16818, not the defaults 6817/6818),
state, spool, log and pid files, and its own munged (own socket and key).
:func:`use_suite_cluster` (called from ``tests/conftest.py`` when pytest
starts) sets ``SLURM_CONF`` in this process's environment, so every
``sbatch``/``scontrol``/``sinfo``/``squeue``/``srun``/``scancel`` a test
runs -- directly, through these helpers, or through scriptkeeper's own
``scan --sbatch-check`` and ``profile import --from-scontrol`` -- reaches the
suite's cluster and no other.  A cluster that answers at that configuration
with another ClusterName, or a program holding one of its ports, is reported
as :class:`ForeignCluster`: the test fails with a message saying so (never a
silent skip, and never a run against that cluster).

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
    "CLUSTER_NAME",
    "MARKER",
    "REPO_ROOT",
    "SETUP_SCRIPT",
    "SLURM_CONF",
    "ClusterUnavailable",
    "ForeignCluster",
    "SbatchResult",
    "SlurmError",
    "answering_cluster",
    "cluster_available",
    "ensure_cluster",
    "held_job",
    "in_ci",
    "parse_scontrol_record",
    "register_marker",
    "require_cluster",
    "sbatch_test_only",
    "use_suite_cluster",
]

MARKER = "slurm"
"""Name of the pytest marker for tests that need the SLURM cluster."""

REPO_ROOT = Path(__file__).resolve().parents[2]
SETUP_SCRIPT = REPO_ROOT / ".ci" / "slurm" / "setup.sh"

# The suite's own cluster, as .ci/slurm/paths.sh defines it (a test checks that
# the two agree).
SLURM_CONF = Path("/var/lib/scriptkeeper-slurm/etc/slurm.conf")
"""The suite cluster's slurm.conf: clients reach that cluster through ``SLURM_CONF``."""
CLUSTER_NAME = "sktest"
"""The suite cluster's ClusterName; a controller answering with another is foreign."""

# setup.sh's exit status when a program that is not the suite's daemon holds
# one of the suite cluster's ports.
_SETUP_FOREIGN = 3

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


class SlurmError(RuntimeError):
    """A SLURM command failed or timed out."""


class ClusterUnavailable(SlurmError):
    """The test cluster is not running and could not be started."""


class ForeignCluster(ClusterUnavailable):
    """A cluster the suite did not start is in the suite cluster's way.

    Tests fail on it, also outside CI: the suite never runs against a cluster
    it did not start, and must not hide one by skipping.
    """

# Outcome of the first setup attempt in this process, so that a failing
# setup.sh is not rerun for every test.
_setup_failure: ClusterUnavailable | None = None


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


def use_suite_cluster() -> None:
    """Point this process, and every command it starts, at the suite's cluster.

    Sets ``SLURM_CONF`` to :data:`SLURM_CONF` (whatever it was: a developer's
    own cluster is never the suite's) and drops ``SLURM_CLUSTERS``, which
    would send client commands to other clusters.  Subprocesses inherit the
    environment, scriptkeeper's own sbatch and scontrol runs included.  Call
    once when the test session starts (``tests/conftest.py`` does).
    """
    os.environ["SLURM_CONF"] = str(SLURM_CONF)
    os.environ.pop("SLURM_CLUSTERS", None)


def _clean_env() -> dict[str, str]:
    """The environment without SBATCH_*/SLURM_* input variables.

    sbatch reads defaults from SBATCH_* variables, and a test run inside a
    SLURM job would inherit SLURM_* ones; both would change the verdicts.
    SLURM_CONF is kept: it points at the suite's cluster (:func:`use_suite_cluster`),
    or at the configuration a test chose on purpose.
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


def answering_cluster() -> str | None:
    """The ClusterName of the controller ``scontrol`` reaches, or None if none answers."""
    try:
        shown = _run(["scontrol", "show", "config"], timeout=_QUICK_TIMEOUT)
    except SlurmError:
        return None
    if shown.returncode != 0:
        return None
    for line in shown.stdout.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "ClusterName":
            return value.strip()
    return None


def cluster_available() -> bool:
    """True if the suite's cluster answers at :data:`SLURM_CONF` and its node is up.

    A controller that answers with another ClusterName is not the suite's
    cluster, so it does not count.
    """
    if shutil.which("sbatch") is None or shutil.which("sinfo") is None:
        return False
    if os.environ.get("SLURM_CONF") != str(SLURM_CONF):
        return False  # use_suite_cluster() was not called: never talk to another cluster
    try:
        ping = _run(["scontrol", "ping"], timeout=_QUICK_TIMEOUT)
        if ping.returncode != 0 or "is UP" not in ping.stdout:
            return False
        if answering_cluster() != CLUSTER_NAME:
            return False
        # %t is the compact state; a trailing '*' means "not responding".
        nodes = _run(["sinfo", "-h", "-N", "-o", "%t"], timeout=_QUICK_TIMEOUT)
    except SlurmError:
        return False
    if nodes.returncode != 0:
        return False
    states = {state.strip() for state in nodes.stdout.splitlines() if state.strip()}
    return bool(states) and states <= _READY_STATES


def _fail_setup(error: ClusterUnavailable) -> ClusterUnavailable:
    """Remember a failed setup for the rest of the session; return the error to raise."""
    global _setup_failure
    _setup_failure = error
    return error


def ensure_cluster() -> None:
    """Make sure the suite's cluster is up, starting (or restarting) it if possible.

    When the cluster is down or unhealthy and this process runs as root, runs
    ``.ci/slurm/setup.sh`` (which installs slurm-wlm and munge if needed,
    starts the suite's munged, slurmctld and slurmd, and restarts daemons of
    its own that do not give a ready node).  Raises :class:`ForeignCluster`
    when a cluster the suite did not start is in the way (it holds one of the
    suite cluster's ports, or answers at :data:`SLURM_CONF` with another
    ClusterName), :class:`ClusterUnavailable` with the reason otherwise.  A
    failed setup is remembered: later calls in the same process raise at once
    instead of rerunning it.
    """
    if os.environ.get("SLURM_CONF") != str(SLURM_CONF):
        use_suite_cluster()
    if cluster_available():
        return
    if _setup_failure is not None:
        raise type(_setup_failure)(str(_setup_failure))
    if os.geteuid() != 0:
        raise _fail_setup(ClusterUnavailable(
            "the suite's SLURM test cluster is not running and only root can start it: "
            f"run `sudo bash {SETUP_SCRIPT}`"))
    if not SETUP_SCRIPT.is_file():
        raise _fail_setup(ClusterUnavailable(
            f"the suite's SLURM test cluster is not running and {SETUP_SCRIPT} is missing"))
    try:
        proc = _run(["bash", str(SETUP_SCRIPT)], timeout=SETUP_TIMEOUT, env=os.environ)
    except SlurmError as exc:
        raise _fail_setup(ClusterUnavailable(f"{SETUP_SCRIPT} failed: {exc}")) from exc
    tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-80:])
    if proc.returncode == _SETUP_FOREIGN:
        raise _fail_setup(ForeignCluster(
            f"a program the test suite did not start holds a port of the suite's own "
            f"SLURM cluster, so the suite cannot run beside it:\n{tail}"))
    if proc.returncode != 0:
        raise _fail_setup(ClusterUnavailable(f"{SETUP_SCRIPT} exited {proc.returncode}:\n{tail}"))
    answering = answering_cluster()
    if answering is not None and answering != CLUSTER_NAME:
        raise _fail_setup(ForeignCluster(
            f"the controller at {SLURM_CONF} says it is cluster {answering!r}, not the "
            f"suite's {CLUSTER_NAME!r}: a cluster the suite did not start is in its place, "
            "and the suite does not use it"))
    if not cluster_available():
        raise _fail_setup(ClusterUnavailable(
            f"{SETUP_SCRIPT} succeeded but the cluster is still not available "
            "(scontrol ping / show config / sinfo)"))


def require_cluster() -> None:
    """:func:`ensure_cluster`, or skip the test -- but fail it under CI.

    Outside CI (variable CI unset or empty) a machine without the cluster
    skips the test; with CI set, a cluster that cannot be started is an error.
    A :class:`ForeignCluster` in the way is always an error.
    """
    import pytest

    try:
        ensure_cluster()
    except ForeignCluster as exc:
        pytest.fail(f"SLURM test cluster blocked by a cluster the suite did not start: {exc}",
                    pytrace=False)
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
