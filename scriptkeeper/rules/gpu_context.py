"""missing-gpu-request where the cluster hands out GPUs without a request (judge stage).

docs/launch-contracts.md §2.9: where SLURM does not manage GPUs, or gives
whole nodes, a job sees GPUs it never asked for. missing-gpu-request then
cannot be an error. The evidence, in order:

- the profile: ``cluster.gpus_managed: false`` (the rule's condition holds the
  rule back); ``gpus_managed: true`` said explicitly keeps it an error whatever
  the rest says;
- the script: ``--exclusive`` gives the job whole nodes, with their GPUs where
  the nodes' GRES come with them (sbatch(1) ``--exclusive``): a warning;
  ``--gres=gpu:0`` / ``--gpus=0`` with only ``nvidia-smi`` as GPU work is a
  deliberate node probe: no finding (:func:`per_script`, in the per-file stage);
- the repository: no scanned job script requests a GPU while several do GPU
  work: a warning saying so (:func:`apply`, after the per-file stage, since it
  depends on other files than the script's own and the result cache is keyed
  on the script's bytes).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from scriptkeeper.records import Finding, ScriptResult

if TYPE_CHECKING:  # the warm path (a scan answered from the cache) imports no analysis
    from scriptkeeper.model.jobmodel import JobModel, LaunchStep
    from scriptkeeper.rules.config import Config

RULE = "missing-gpu-request"
_ZERO = re.compile(r"^(gpu(:[^:,]+)?:0|([^:,]+:)?0)$")
_GPU_DIRECTIVE = re.compile(rb"^#SBATCH[^\n]*(--gres[= ][^\n]*gpu|--gpus|-G ?\d)", re.MULTILINE)


def _said_managed(config: Config) -> bool:
    cluster = config.cluster
    return cluster is not None and cluster.gpus_managed_known and cluster.gpus_managed


def _softened(finding: Finding, why: str) -> Finding:
    return Finding(code=finding.code, rule=finding.rule, severity="warning", line=finding.line,
                   message=f"{finding.message}; but {why}", fix=finding.fix,
                   autofix=finding.autofix)


def _declined(job: JobModel) -> bool:
    """The script asks for zero GPUs itself (--gres=gpu:0, --gpus=0)."""
    for option in ("gres", "gpus", "gpus-per-node"):
        value = job.options.get(option)
        if value is not None and _ZERO.match(value.strip()):
            return True
    return False


def per_script(findings: list[Finding], job: JobModel | None, steps: Sequence[LaunchStep],
               config: Config) -> list[Finding]:
    """missing-gpu-request on this script alone: --exclusive, or a node probe."""
    if job is None or not any(f.rule == RULE and f.severity == "error" for f in findings):
        return findings
    gpu_steps = [s for s in steps if s.uses_gpu]
    if _declined(job) and gpu_steps and all(s.launcher == "nvidia-smi" for s in gpu_steps):
        return [f for f in findings if f.rule != RULE]  # a probe that asked for no GPU
    if job.exclusive and not _said_managed(config):
        why = ("--exclusive gives the job whole nodes, and on clusters where a node's GPUs "
               "come with it (sbatch(1) --exclusive: all CPUs and GRES) the job gets them "
               "without a request; request them explicitly to be sure")
        return [_softened(f, why) if f.rule == RULE and f.severity == "error" else f
                for f in findings]
    return findings


def apply(results: Sequence[ScriptResult], config: Config) -> int:
    """missing-gpu-request across the scanned scripts: the number of findings softened."""
    if _said_managed(config):
        return 0
    users = [r for r in results
             if any(f.rule == RULE and f.severity == "error" for f in r.findings)]
    if len(users) < 2:
        return 0
    if any(_GPU_DIRECTIVE.search(r.data) for r in results):
        return 0  # some script asks for GPUs: the cluster hands them out on request
    why = (f"no job script here requests a GPU while {len(users)} do GPU work: the cluster "
           f"seems to give GPUs without a request (whole nodes, or GPUs SLURM does not "
           f"manage); say which in rules.yaml cluster.gpus_managed")
    softened = 0
    for result in users:
        kept = []
        for f in result.findings:
            if f.rule == RULE and f.severity == "error":
                f = _softened(f, why)
                softened += 1
            kept.append(f)
        result.findings = kept
        if result.verdict == "broken" and not result.broken:
            result.verdict = "keep"
    return softened
