"""Small repositories on disk for the launch tests: a job script, entry points, pins.

Everything is real: files in a temporary folder, read by the same pipeline
``scriptkeeper scan`` runs (parse, model, body analysis, judge).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from scriptkeeper.model.build import LaunchStep
from scriptkeeper.pipeline.analyze import analyze_script
from scriptkeeper.records import ScriptResult
from scriptkeeper.rules.config import load_config

LIGHTNING_GPU = """\
import lightning as L


def main():
    trainer = L.Trainer(accelerator="gpu", devices="auto", strategy="ddp")
    trainer.fit(None)


if __name__ == "__main__":
    main()
"""

CLUSTER = """\
cluster:
  slurm_version: "22.05"
  default_partition: gpu
  partitions:
    gpu: {cpus_per_node: 128, gpus_per_node: 8, mem_per_node: 2000G}
"""


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def judge(root: Path, script: str, files: dict[str, str] | None = None,
          name: str = "job.slurm", pins: str | None = "lightning==2.2.1\n",
          rules: str | None = None) -> ScriptResult:
    """Write the script (dedented) and the files into ``root``, and judge the script."""
    write(root, files or {})
    if pins is not None and not (root / "requirements.txt").exists():
        (root / "requirements.txt").write_text(pins)
    if rules is not None:
        (root / "rules.yaml").write_text(textwrap.dedent(rules))
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    data = textwrap.dedent(script).lstrip("\n").encode()
    path.write_bytes(data)
    config = load_config(root / "rules.yaml" if (root / "rules.yaml").exists() else None)
    return analyze_script(root, name, data, config)


def errors(result: ScriptResult) -> set[str]:
    return {f.rule for f in result.findings if f.severity == "error"}


def rules(result: ScriptResult) -> set[str]:
    return {f.rule for f in result.findings}


def finding(result: ScriptResult, rule: str):  # type: ignore[no-untyped-def]
    found = [f for f in result.findings if f.rule == rule]
    assert found, f"{rule} not among {[f.rule for f in result.findings]}"
    return found[0]


def only_step(result: ScriptResult) -> LaunchStep:
    assert len(result.steps) == 1, result.steps
    return result.steps[0]
