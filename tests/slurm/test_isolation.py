"""The suite's SLURM cluster is its own: another cluster on the machine changes nothing.

The first tests need no cluster: the suite's configuration path and name are
the ones ``.ci/slurm/setup.sh`` uses, and the session points ``SLURM_CONF`` at
it.  The ``slurm`` ones check the running controller, then start a *foreign*
cluster the default way (``.ci/slurm/foreign.sh``: /etc/slurm/slurm.conf,
ports 6817/6818, partition ``gpu``) next to it, and check that setup.sh, the
test helpers and scriptkeeper's own sbatch/scontrol runs keep to the suite's
cluster, and that ``stop.sh`` stops the suite's daemons and none of the other.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.support import slurm

SLURM_DIR = slurm.REPO_ROOT / ".ci" / "slurm"
FOREIGN = SLURM_DIR / "foreign.sh"
JOB = "#!/bin/bash\n#SBATCH --time=00:01:00\necho hello\n"
# Accepted by the suite's cluster; the foreign one has neither the partition nor the GPUs.
SUITE_ONLY = "#!/bin/bash\n#SBATCH --partition=debug --gres=gpu:h200:8 --time=10\necho hi\n"


def _paths_sh(*names: str) -> list[str]:
    """Values of variables of .ci/slurm/paths.sh, as setup.sh and stop.sh see them."""
    script = f'source "$1"; printf "%s\\n" {" ".join(f"${n}" for n in names)}'
    env = {k: v for k, v in os.environ.items() if not k.startswith("SK_SLURM_")}
    done = subprocess.run(["bash", "-c", script, "bash", str(SLURM_DIR / "paths.sh")],
                          capture_output=True, text=True, timeout=30, check=True, env=env)
    return done.stdout.splitlines()


def _run(argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
         timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False,
                          stdin=subprocess.DEVNULL, env=env, cwd=cwd)


def _default_env() -> dict[str, str]:
    """A user's shell: SLURM commands find the default /etc/slurm/slurm.conf."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "SBATCH_"))}


def _partitions(env: dict[str, str] | None = None) -> set[str]:
    done = _run(["sinfo", "-h", "-o", "%P"], env=env, timeout=30)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


def _pid(path: str) -> int:
    return int(Path(path).read_text().strip())


def _alive(pid: int, name: str) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == name
    except OSError:
        return False


def test_paths_agree_with_setup() -> None:
    conf, cluster, ctld_port, slurmd_port = _paths_sh(
        "SK_CONF", "SK_CLUSTER", "SK_CTLD_PORT", "SK_SLURMD_PORT")
    assert (conf, cluster) == (str(slurm.SLURM_CONF), slurm.CLUSTER_NAME)
    assert not conf.startswith("/etc/slurm/")
    assert {ctld_port, slurmd_port}.isdisjoint({"6817", "6818"})  # SLURM's defaults


def test_the_session_points_at_the_suite_cluster() -> None:
    assert os.environ["SLURM_CONF"] == str(slurm.SLURM_CONF)


@pytest.mark.slurm
def test_the_controller_is_the_suites(slurm_cluster: None) -> None:
    shown = _run(["scontrol", "show", "config"], timeout=30)
    assert shown.returncode == 0, shown.stderr
    config = {key.strip(): value.strip() for key, _, value in
              (line.partition("=") for line in shown.stdout.splitlines())}
    assert config["ClusterName"] == slurm.CLUSTER_NAME
    assert config["SLURM_CONF"] == str(slurm.SLURM_CONF)
    state, spool, socket = _paths_sh("SK_STATE_DIR", "SK_SPOOL_DIR", "SK_MUNGE_SOCKET")
    assert (config["StateSaveLocation"], config["SlurmdSpoolDir"]) == (state, spool)
    assert config["AuthInfo"] == f"socket={socket}"
    assert {config["SlurmctldPort"], config["SlurmdPort"]}.isdisjoint({"6817", "6818"})


@pytest.fixture()
def foreign_cluster(slurm_cluster: None) -> Iterator[None]:
    """A foreign cluster at the default config and ports, running beside the suite's.

    Reuses one that foreign.sh already started (a developer's manual check) and
    leaves it running; stops the one it starts.
    """
    if os.geteuid() != 0:
        pytest.skip("starting a foreign cluster needs root")
    already = _run(["bash", str(FOREIGN), "status"], env=_default_env()).returncode == 0
    if not already:
        started = _run(["bash", str(FOREIGN), "start"], env=_default_env())
        if started.returncode != 0:
            # e.g. a real cluster's /etc/slurm/slurm.conf, or its daemons on 6817/6818
            pytest.skip(f"cannot start a stand-in foreign cluster here: {started.stderr.strip()}")
    try:
        yield
    finally:
        if not already:
            stopped = _run(["bash", str(FOREIGN), "stop"], env=_default_env())
            assert stopped.returncode == 0, stopped.stdout + stopped.stderr
            # the foreign cluster (and its munged) going away leaves the suite's up
            assert slurm.cluster_available()


@pytest.mark.slurm
def test_a_foreign_cluster_changes_nothing(foreign_cluster: None, tmp_path: Path) -> None:
    # it is there, and a client without SLURM_CONF reaches it
    assert _partitions(_default_env()) == {"gpu*"}
    foreign = {"slurmctld": _pid("/run/slurmctld.pid"), "slurmd": _pid("/run/slurmd.pid")}

    # setup.sh finds the suite's own cluster up and leaves the foreign one alone
    setup = _run(["bash", str(slurm.SETUP_SCRIPT)], timeout=300)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert f"cluster {slurm.CLUSTER_NAME} is up" in setup.stdout

    # the helpers and the session's own commands reach the suite's cluster
    assert _partitions() == {"h200*", "debug"}
    job = tmp_path / "job.sh"
    job.write_text(JOB)
    verdict = slurm.sbatch_test_only(job)
    assert verdict.accepted and "in partition h200" in verdict.stderr, verdict.output
    assert slurm.held_job(job)["Partition"] == "h200"

    # and so do scriptkeeper's own scontrol and sbatch runs
    imported = _run([sys.executable, "-m", "scriptkeeper", "profile", "import",
                     "--from-scontrol", "--dry-run", "-c", str(tmp_path / "absent.yaml")])
    assert imported.returncode == 0, imported.stderr
    profile = yaml.safe_load(imported.stdout)["cluster"]
    assert (profile["default_partition"], set(profile["partitions"])) == ("h200", {"h200", "debug"})
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    (repo / "scripts" / "suite_only.slurm").write_text(SUITE_ONLY)
    subprocess.run(["git", "init", "-q", str(repo)], check=True, timeout=60)
    scanned = _run([sys.executable, "-m", "scriptkeeper", "scan", "--sbatch-check",
                    "--format", "concise"], cwd=repo, timeout=300)
    assert scanned.returncode == 0, scanned.stdout + scanned.stderr
    assert "1 accepted, 0 refused" in scanned.stderr

    # stop.sh stops the suite's daemons and none of the foreign cluster's
    stop = _run(["bash", str(SLURM_DIR / "stop.sh")], timeout=300)
    assert stop.returncode == 0, stop.stdout + stop.stderr
    assert not slurm.cluster_available()
    assert all(_alive(pid, name) for name, pid in foreign.items()), stop.stdout
    assert _partitions(_default_env()) == {"gpu*"}

    # and setup.sh starts the suite's cluster again beside the foreign one
    setup = _run(["bash", str(slurm.SETUP_SCRIPT)], timeout=300)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert slurm.cluster_available()
    assert _partitions() == {"h200*", "debug"}
    assert all(_alive(pid, name) for name, pid in foreign.items())
