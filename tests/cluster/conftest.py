"""Helpers for the cluster tests: a real git repository of job scripts, the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest


def make_repo(path: Path, scripts: Mapping[str, bytes], rules: str | None = None) -> Path:
    """A git repository with ``scripts/NAME.slurm`` for each script (and a rules.yaml)."""
    (path / "scripts").mkdir(parents=True)
    for name, data in scripts.items():
        (path / "scripts" / f"{name}.slurm").write_bytes(data)
    if rules is not None:
        (path / "rules.yaml").write_text(rules)
    subprocess.run(["git", "init", "-q", str(path)], check=True, timeout=60)
    return path


def scan(repo: Path, *args: str, env: Mapping[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    """``scriptkeeper scan ARGS`` in ``repo``, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "scriptkeeper", "scan", *args], cwd=repo,
                          capture_output=True, text=True, timeout=600, check=False,
                          env=dict(env) if env is not None else None)


def by_path(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The scripts of a JSON report by their name (``scripts/x.slurm`` -> ``x``)."""
    return {s["path"].removeprefix("scripts/").removesuffix(".slurm"): s
            for s in report["scripts"]}


def scan_json(repo: Path, *args: str) -> tuple[subprocess.CompletedProcess[str],
                                                dict[str, dict[str, Any]]]:
    result = scan(repo, "--format", "json", *args)
    assert result.returncode in (0, 1), result.stderr
    return result, by_path(json.loads(result.stdout))


def jobs_named(names: set[str]) -> list[str]:
    """Jobs the controller knows (queued, running or recently ended) with one of ``names``."""
    listed = subprocess.run(["squeue", "-h", "-a", "-o", "%j"], capture_output=True, text=True,
                            timeout=60, check=True).stdout.split()
    shown = subprocess.run(["scontrol", "show", "job", "-o"], capture_output=True, text=True,
                           timeout=60, check=True).stdout
    known = [n for n in listed if n in names]
    for line in shown.splitlines():
        for part in line.split():
            if part.startswith("JobName=") and part[len("JobName="):] in names:
                known.append(part[len("JobName="):])
    return known


def refusals(script: Mapping[str, Any]) -> list[str]:
    """The rules of a script's findings that say sbatch refuses it (offline or the cluster)."""
    from scriptkeeper.cluster.sbatch_check import REFUSAL_RULES, RULE

    return [f["rule"] for f in script["findings"] if f["rule"] in REFUSAL_RULES | {RULE}]


def disagreements(script: Mapping[str, Any]) -> list[str]:
    """The notes of --sbatch-check saying offline and cluster disagree (not redundancy's)."""
    notes = script.get("notes", [])
    assert isinstance(notes, list)
    return [n for n in notes if "offline checks predicted" in n
            or "predict that SLURM refuses" in n]


@pytest.fixture()
def unique() -> str:
    """A prefix no other test's job names share (sbatch names a job after its file)."""
    return f"sk{uuid.uuid4().hex[:10]}"
