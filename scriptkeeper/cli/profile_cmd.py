"""``scriptkeeper profile import``: write the cluster profile of rules.yaml from the cluster.

From a slurm.conf (``profile import PATH``) or from the running cluster
(``profile import --from-scontrol``); the reading is
:mod:`scriptkeeper.cluster.profile_import`, the merge into rules.yaml
:mod:`scriptkeeper.cluster.profile_write`.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from scriptkeeper.cli.common import fail

if TYPE_CHECKING:
    from scriptkeeper.model.cluster_profile import ClusterProfile

app = typer.Typer(name="profile", help="The cluster profile in rules.yaml (node limits, "
                                       "partitions, SLURM release).", no_args_is_help=True)


def _describe(profile: ClusterProfile) -> str:
    lines = []
    for name, part in profile.partitions.items():
        gpus = ""
        if part.gpus_per_node:
            kinds = f" {','.join(part.gpu_types)}" if part.gpu_types else ""
            gpus = f", {part.gpus_per_node}{kinds} GPUs"
        mem = f", {part.mem_per_node_mb} MB" if part.mem_per_node_mb is not None else ""
        default = " (default)" if name == profile.default_partition else ""
        cpus = part.cpus_per_node if part.cpus_per_node is not None else "no nodes"
        lines.append(f"  {name}{default}: {cpus} CPUs{gpus}{mem} per node")
    version = profile.slurm_version or "unknown (kept as it was; --slurm-version sets it)"
    return f"SLURM {version}; partitions:\n" + "\n".join(lines)


@app.command("import")
def import_profile(
    slurm_conf: Path = typer.Argument(None, metavar="[SLURM_CONF]",
                                      help="A slurm.conf to read (its Include files too)."),
    from_scontrol: bool = typer.Option(False, "--from-scontrol",
                                       help="Ask the running cluster instead: scontrol show "
                                            "node/partition/config."),
    config: Path = typer.Option(None, "--config", "-c",
                                help="The rules.yaml to write (default: rules.yaml at the "
                                     "repository root; created if missing)."),
    slurm_version: str = typer.Option(None, "--slurm-version", metavar="X.Y",
                                      help="The cluster's SLURM release (slurm.conf does not "
                                           "say it)."),
    dry_run: bool = typer.Option(False, "--dry-run",
                                 help="Print the resulting rules.yaml instead of writing it."),
) -> None:
    """Write the cluster: section of rules.yaml from slurm.conf or scontrol.

    Partitions, CPUs, GPUs with their types, memory per node (the largest node
    of each partition), GRES types and the SLURM release. Comments and the
    keys it does not own (plugin_options, gpus_managed, every other section)
    are kept.
    """
    from scriptkeeper.cluster import profile_import, profile_write
    from scriptkeeper.pipeline.discover import find_root
    from scriptkeeper.rules.config import CONFIG_NAME

    if (slurm_conf is None) == (not from_scontrol):
        fail("give either a slurm.conf path or --from-scontrol (one of the two)")
    try:
        if from_scontrol:
            out = profile_import.read_scontrol()
            version = slurm_version or profile_import.version_of(out.version)
            profile = profile_import.from_scontrol(out.nodes, out.partitions, out.config,
                                                   version)
            source = "scontrol"
        else:
            if not slurm_conf.is_file():
                fail(f"no such file: {slurm_conf}")
            profile, cluster_name = profile_import.from_slurm_conf(slurm_conf, slurm_version)
            if profile.slurm_version is None:
                local = profile_import.local_version_for(cluster_name)
                if local is not None:
                    profile = replace(profile, slurm_version=local)
            source = str(slurm_conf)
    except profile_import.ProfileImportError as error:
        fail(str(error))
    target = config if config is not None else find_root([Path.cwd()])[0] / CONFIG_NAME
    try:
        if dry_run:
            original = target.read_text(encoding="utf-8") if target.is_file() else None
            sys.stdout.write(profile_write.merge(original, profile))
            return
        _refuse_builtin(target)
        profile_write.write(target, profile)
    except (profile_write.ProfileWriteError, OSError, UnicodeDecodeError) as error:
        fail(str(error))
    typer.echo(f"wrote the cluster profile from {source} to {target}\n{_describe(profile)}")


def _refuse_builtin(target: Path) -> None:
    """Never write a profile into scriptkeeper's own built-in rule set."""
    from scriptkeeper.rules.config import builtin_text

    if target.is_file() and target.read_text(encoding="utf-8") == builtin_text():
        fail(f"{target} is scriptkeeper's built-in rule set; write the profile to your own "
             f"rules.yaml (--config PATH)")
