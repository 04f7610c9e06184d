"""Differential tests: scriptkeeper's directive verdicts agree with real sbatch.

For every script of the corpus, ``sbatch --test-only`` on the local SLURM
22.05 cluster refuses it if and only if scriptkeeper reports an error-level
finding from the rules that mean "sbatch or the controller refuses this".
``directive-after-command`` is an error for another reason (SLURM silently
ignores the directive and runs the job without it), so it is checked
separately against what SLURM really applied to a held job.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scriptkeeper.pipeline.analyze import analyze_script
from scriptkeeper.rules.config import Config, load_config
from tests.differential.corpus import CASES, s
from tests.support import slurm as cluster

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]

REFUSAL_RULES = {
    "missing-shebang", "dos-line-endings", "empty-script", "nul-byte", "unknown-option",
    "invalid-directive", "invalid-value", "conflicting-options", "request-exceeds-node",
    "unknown-partition",
}

# The profile of the local test cluster (.ci/slurm/setup.sh).
PROFILE = """\
cluster:
  slurm_version: "22.05"
  default_partition: h200
  gres_types: [gpu]
  partitions:
    h200: {cpus_per_node: 128, gpus_per_node: 8, gpu_types: [h200], mem_per_node: 2000G}
    debug: {cpus_per_node: 128, gpus_per_node: 8, gpu_types: [h200], mem_per_node: 2000G}
"""


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    path = tmp_path_factory.mktemp("profile") / "rules.yaml"
    path.write_text(PROFILE)
    return load_config(path)


@pytest.mark.parametrize("name", sorted(CASES))
def test_refused_iff_error(name: str, config: Config, tmp_path: Path) -> None:
    data = CASES[name]
    script = tmp_path / f"{name}.sh"
    script.write_bytes(data)
    result = cluster.sbatch_test_only(script)
    judged = analyze_script(tmp_path, script.name, data, config)
    refusals = [f for f in judged.findings if f.severity == "error" and f.rule in REFUSAL_RULES]
    said = "; ".join(f"{f.rule}: {f.message}" for f in refusals) or "nothing"
    assert (not result.accepted) == bool(refusals), (
        f"sbatch {'refused' if not result.accepted else 'accepted'} {name} "
        f"({(result.stderr or result.stdout).strip()!r}) but scriptkeeper said {said}")


# GPU types are the site's words: sbatch parses these, and only the controller refuses them
# here, because the local cluster has no such type (scriptkeeper says so with its profile)
SITE_GPU_TYPES = {
    "gres_type_digit": s("--gres=gpu:1080ti:1"),
    "gres_type_mig": s("--gres=gpu:3g.40gb:1"),
    "gres_type_underscore_digit": s("--gres=gpu:a100_80g:2"),
    "gpus_type_digit": s("--gpus=1080ti:1"),
    "gpus_per_node_type_mig": s("--gpus-per-node=3g.40gb:1"),
}


@pytest.mark.parametrize("name", sorted(SITE_GPU_TYPES))
def test_site_gpu_types_pass_sbatch_and_only_the_profile_refuses_them(
        name: str, config: Config, tmp_path: Path) -> None:
    data = SITE_GPU_TYPES[name]
    script = tmp_path / f"{name}.sh"
    script.write_bytes(data)
    result = cluster.sbatch_test_only(script)
    assert "sbatch: error" not in result.output, result.output  # the parser took it
    assert "Requested node configuration is not available" in result.output, result.output
    rules = {f.rule for f in analyze_script(tmp_path, script.name, data, config).findings
             if f.severity == "error"}
    without = {f.rule for f in analyze_script(tmp_path, script.name, data, load_config(None))
               .findings if f.severity == "error"}
    assert rules == {"request-exceeds-node"} and not without, (rules, without)


def test_repeated_mail_types_are_combined(tmp_path: Path) -> None:
    script = tmp_path / "mail.sh"
    script.write_bytes(CASES["mail_type_repeated"])
    result = cluster.sbatch_test_only(script, "-vv")
    assert "mail-type           : BEGIN,END,FAIL" in result.output, result.output
    judged = analyze_script(tmp_path, script.name, CASES["mail_type_repeated"],
                            load_config(None))
    assert not [f for f in judged.findings if f.rule == "duplicate-option"]


LATE_AND_LOOKALIKE = {
    "late_cpus": (b"#!/bin/bash\n#SBATCH --ntasks=1\nhostname\n#SBATCH --cpus-per-task=4\n",
                  "cpus_per_task", 1),
    "lookalike_cpus": (b"#!/bin/bash\n#SBATCH --ntasks=1\n# SBATCH --cpus-per-task=4\nhostname\n",
                       "cpus_per_task", 1),
    "lowercase_cpus": (b"#!/bin/bash\n#sbatch --cpus-per-task=4\n#SBATCH -n 1\nhostname\n",
                       "cpus_per_task", 1),
    "real_cpus": (b"#!/bin/bash\n#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=4\nhostname\n",
                  "cpus_per_task", 4),
    "late_ntasks": (b"#!/bin/bash\n#SBATCH -N 1\nhostname\n#SBATCH --ntasks=3\n",
                    "ntasks", None),
    "real_ntasks": (b"#!/bin/bash\n#SBATCH -N 1\n#SBATCH --ntasks=3\nhostname\n", "ntasks", 3),
    "pbs_overrides_sbatch": (b"#!/bin/bash\n#PBS -l nodes=1:ppn=4\n#SBATCH --ntasks=2\nhostname\n",
                             "ntasks", 4),
    "pbs_ignored": (b"#!/bin/bash\n#PBS -l nodes=1:ppn=4\n#SBATCH --ignore-pbs -n 2\nhostname\n",
                    "ntasks", 2),
}


@pytest.mark.parametrize("name", sorted(LATE_AND_LOOKALIKE))
def test_applied_values_match_model(name: str, config: Config, tmp_path: Path) -> None:
    data, attribute, expected = LATE_AND_LOOKALIKE[name]
    script = tmp_path / f"{name}.sh"
    script.write_bytes(data)
    fields = cluster.held_job(script)
    judged = analyze_script(tmp_path, script.name, data, config)
    assert judged.job is not None
    modelled = getattr(judged.job, attribute)
    assert modelled == expected
    if attribute == "cpus_per_task":
        assert int(fields["MinCPUsNode"]) == modelled * 1, fields
    else:
        # without a task option SLURM still runs one task, but exports no SLURM_NTASKS
        assert int(fields["NumTasks"]) == (modelled if modelled is not None else 1), fields
