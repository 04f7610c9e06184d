"""``scan --sbatch-check`` against the real local SLURM cluster (never queues a job)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from scriptkeeper.cluster.profile_import import from_scontrol, read_scontrol, version_of
from scriptkeeper.cluster.profile_write import merge
from scriptkeeper.cluster.sbatch_check import SbatchOptions, command, message_of, run_one
from tests.cluster.conftest import (
    disagreements,
    jobs_named,
    make_repo,
    refusals,
    scan,
    scan_json,
)

SH = b"#!/bin/bash\n"
T = TypeVar("T")


def script(*directives: str, body: str = "srun hostname\n") -> bytes:
    return SH + b"".join(f"#SBATCH {d}\n".encode() for d in directives) + body.encode()


REFUSED = {
    "bad_partition": script("--partition=nope", "--time=10"),
    "too_many_cpus": script("--ntasks-per-node=8", "--cpus-per-task=17"),
    "mem_conflict": script("--mem=64G", "--mem-per-cpu=4G"),
}
ACCEPTED = {
    "plain": script("--time=10"),
    "full_node": script("--ntasks-per-node=8", "--cpus-per-task=16", "--gres=gpu:h200:8",
                        "--mem=2000G"),
    "debug": script("--partition=debug", "--time=20"),
}


def cluster_profile() -> str:
    """rules.yaml with the profile of the running cluster (profile import --from-scontrol)."""
    out = read_scontrol()
    return merge(None, from_scontrol(out.nodes, out.partitions, out.config,
                                     version_of(out.version)))


def needs_cluster(test: T) -> T:
    """Mark a test that runs sbatch against the real local cluster."""
    return pytest.mark.slurm(pytest.mark.usefixtures("slurm_cluster")(test))


@needs_cluster
def test_refusals_become_findings_and_nothing_is_queued(tmp_path: Path, unique: str) -> None:
    scripts = {f"{unique}_{name}": data for name, data in {**REFUSED, **ACCEPTED}.items()}
    repo = make_repo(tmp_path / "repo", scripts)
    result, report = scan_json(repo, "--sbatch-check")
    assert result.returncode == 1  # something is broken
    refusal = {name.removeprefix(f"{unique}_"): [f for f in s["findings"]
                                                 if f["rule"] == "sbatch-refuses"]
               for name, s in report.items()}
    for name in ACCEPTED:
        assert refusal[name] == [], name
        assert report[f"{unique}_{name}"]["verdict"] == "keep"
    for name in REFUSED:
        assert len(refusal[name]) == 1, name
        finding = refusal[name][0]
        assert (finding["code"], finding["severity"]) == ("SK150", "error")
        assert report[f"{unique}_{name}"]["verdict"] == "broken"
    # sbatch's own words, and the line of the directive it is about
    assert "invalid partition specified: nope" in refusal["bad_partition"][0]["message"]
    assert refusal["bad_partition"][0]["line"] == 2
    assert "Requested node configuration is not available" in \
        refusal["too_many_cpus"][0]["message"]
    assert "--mem, --mem-per-cpu, and --mem-per-gpu are mutually exclusive" in \
        refusal["mem_conflict"][0]["message"]
    assert refusal["mem_conflict"][0]["line"] == 3
    assert "3 accepted, 3 refused, 0 not checked" in result.stderr
    # --test-only never queues: no job of these names, queued, running or just ended
    assert jobs_named(set(scripts)) == []


@needs_cluster
def test_disagreement_is_noted_both_ways(tmp_path: Path, unique: str) -> None:
    # A profile that is wrong in both directions: a partition the cluster does not
    # have (offline accepts what the cluster refuses) and a smaller node than the
    # real one (offline refuses what the cluster accepts).
    rules = ("cluster:\n  default_partition: h200\n  partitions:\n"
             "    h200: {cpus_per_node: 64}\n    ghost: {cpus_per_node: 64}\n")
    scripts = {
        f"{unique}_ghost": script("--partition=ghost"),
        f"{unique}_big": script("--ntasks-per-node=100"),
        f"{unique}_small": script("--ntasks-per-node=8"),
    }
    repo = make_repo(tmp_path / "repo", scripts, rules)
    result, report = scan_json(repo, "--sbatch-check")
    ghost, big, small = (report[f"{unique}_{n}"] for n in ("ghost", "big", "small"))
    assert any("the cluster refuses this job but scriptkeeper's offline checks predicted "
               "sbatch would accept it" in note for note in ghost["notes"])
    assert refusals(big) == ["request-exceeds-node"]
    assert any("offline rule(s) request-exceeds-node predict that SLURM refuses this job, "
               "but sbatch --test-only accepted it" in note for note in big["notes"])
    assert disagreements(small) == [] and small["verdict"] == "keep"
    assert "disagree on 2 script(s)" in result.stderr
    assert jobs_named(set(scripts)) == []


@needs_cluster
def test_offline_and_cluster_agree_without_notes(tmp_path: Path, unique: str) -> None:
    scripts = {f"{unique}_{name}": data for name, data in {**REFUSED, **ACCEPTED}.items()}
    repo = make_repo(tmp_path / "repo", scripts, cluster_profile())
    result, report = scan_json(repo, "--sbatch-check")
    assert all(disagreements(s) == [] for s in report.values()), report
    assert "the offline verdicts agree with the cluster" in result.stderr


@needs_cluster
def test_partition_and_account_are_passed_to_sbatch(tmp_path: Path, unique: str) -> None:
    scripts = {f"{unique}_nope": script("--partition=nope"), f"{unique}_plain": script()}
    repo = make_repo(tmp_path / "repo", scripts, cluster_profile())
    # the command line wins over #SBATCH --partition, as in sbatch
    _, report = scan_json(repo, "--sbatch-check", "--partition=debug", "--account=anyone")
    nope, plain = report[f"{unique}_nope"], report[f"{unique}_plain"]
    assert refusals(nope) == ["unknown-partition"]  # the file as written
    assert disagreements(nope) == []  # offline, judged with --partition=debug too, agrees
    assert refusals(plain) == []
    _, report = scan_json(repo, "--sbatch-check", "--partition=nowhere")
    plain = report[f"{unique}_plain"]
    assert refusals(plain) == ["sbatch-refuses"]
    assert "(with --partition=nowhere)" in plain["findings"][0]["message"]
    assert "invalid partition specified: nowhere" in plain["findings"][0]["message"]
    assert disagreements(plain) == []  # offline, with --partition=nowhere, predicts the refusal
    assert jobs_named(set(scripts)) == []


@needs_cluster
def test_suppressed_and_relevelled(tmp_path: Path, unique: str) -> None:
    pragma = SH + b"#SBATCH --partition=nope  # scriptkeeper: disable=sbatch-refuses\necho\n"
    scripts = {f"{unique}_pragma": pragma, f"{unique}_bad": script("--partition=nope")}
    repo = make_repo(tmp_path / "repo", scripts,
                     "rules:\n  sbatch-refuses: {severity: warning}\n")
    result, report = scan_json(repo, "--sbatch-check")
    assert refusals(report[f"{unique}_pragma"]) == []
    bad = report[f"{unique}_bad"]["findings"]
    assert [(f["rule"], f["severity"]) for f in bad
            if f["rule"] == "sbatch-refuses"] == [("sbatch-refuses", "warning")]
    assert result.returncode == 0  # a warning does not break


@needs_cluster
def test_concise_report_and_exit_code(tmp_path: Path, unique: str) -> None:
    repo = make_repo(tmp_path / "repo", {f"{unique}_bad": REFUSED["bad_partition"]})
    result = scan(repo, "--sbatch-check", "--format", "concise")
    assert result.returncode == 1
    assert (f"scripts/{unique}_bad.slurm:2: error sbatch-refuses: sbatch --test-only refuses "
            f"the job: invalid partition specified: nope") in result.stdout


def test_without_sbatch_on_path_exit_2(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"plain": ACCEPTED["plain"]})
    env = dict(os.environ, PATH=str(tmp_path))  # no sbatch there
    result = scan(repo, "--sbatch-check", env=env)
    assert result.returncode == 2
    assert "--sbatch-check needs sbatch, which is not on PATH" in result.stderr
    assert result.stdout == ""


def test_partition_without_sbatch_check_is_a_usage_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"plain": ACCEPTED["plain"]})
    result = scan(repo, "--partition=debug")
    assert result.returncode == 2
    assert "use them with --sbatch-check" in result.stderr


def _conf_for(tmp_path: Path, port: int, message_timeout: int | None = None) -> Path:
    """A copy of the cluster's slurm.conf whose controller is at ``port`` on localhost."""
    lines = []
    # the suite's own cluster: tests/conftest.py points SLURM_CONF at it
    for line in Path(os.environ["SLURM_CONF"]).read_text().splitlines():
        if line.startswith("SlurmctldPort="):
            line = f"SlurmctldPort={port}"
        lines.append(line)
    if message_timeout is not None:
        lines.append(f"MessageTimeout={message_timeout}")
    conf = tmp_path / "slurm.conf"
    conf.write_text("\n".join(lines) + "\n")
    return conf


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@needs_cluster
def test_unreachable_controller_is_not_a_refusal(tmp_path: Path) -> None:
    """sbatch that cannot reach slurmctld says nothing about the script: exit 2, no finding."""
    repo = make_repo(tmp_path / "repo", {"plain": ACCEPTED["plain"]})
    conf = _conf_for(tmp_path, _free_port(), message_timeout=1)
    result = scan(repo, "--sbatch-check", env=dict(os.environ, SLURM_CONF=str(conf)))
    assert result.returncode == 2
    assert "sbatch could not check any script" in result.stderr
    assert "Unable to contact slurm controller" in result.stderr


@pytest.fixture()
def silent_controller() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung slurmctld)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    server.close()


@needs_cluster
def test_hung_sbatch_is_stopped_at_the_timeout(tmp_path: Path, silent_controller: int,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    job = tmp_path / "job.slurm"
    job.write_bytes(ACCEPTED["plain"])
    monkeypatch.setenv("SLURM_CONF", str(_conf_for(tmp_path, silent_controller)))
    started = time.monotonic()
    outcome = run_one(job, SbatchOptions(timeout=2), "sbatch")
    elapsed = time.monotonic() - started
    assert outcome.status == "unchecked"
    assert outcome.message == "sbatch did not answer within 2 s"
    assert elapsed < 10


def test_command_line() -> None:
    argv = command("/usr/bin/sbatch", Path("/x/job.slurm"),
                   SbatchOptions(partition="gpu", account="proj"))
    assert argv == ["/usr/bin/sbatch", "--test-only", "--partition=gpu", "--account=proj",
                    "/x/job.slurm"]


def test_message_of_drops_prefixes_and_repeats() -> None:
    said = message_of("", "sbatch: error: Batch script contains DOS line breaks (\\r\\n)\n"
                          "sbatch: error: instead of expected UNIX line breaks (\\n).\n")
    assert said == ("Batch script contains DOS line breaks (\\r\\n); instead of expected UNIX "
                    "line breaks (\\n).")
    assert message_of("", "") == "(sbatch printed nothing)"
