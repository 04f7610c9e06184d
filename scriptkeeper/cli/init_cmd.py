"""``scriptkeeper init``: write a commented starter rules.yaml into the current repository.

It finds the job scripts the way ``scan`` does, sets ``scripts.include`` to
the folder(s) holding them (checked: the starter file selects exactly the
scripts a plain scan finds), and leaves every other section as a commented
example. It never overwrites an existing rules.yaml. Where ``scontrol`` is on
PATH it offers the cluster profile: ``--cluster`` (or yes at the prompt on a
terminal) fills the cluster section with ``profile import``'s own readers,
otherwise it points at ``scriptkeeper profile import --from-scontrol``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import typer

from scriptkeeper.cli.common import EXIT_USAGE, fail

_GLOB_SPECIAL = "\\[]*?"


def _escape(folder: str) -> str:
    """A folder name as a literal gitignore pattern."""
    text = "".join("\\" + c if c in _GLOB_SPECIAL else c for c in folder)
    if text.startswith(("#", "!")):
        text = "\\" + text
    if text.endswith(" "):
        text = text[:-1] + "\\ "
    return text


def _quote(text: str) -> str:
    """A YAML double-quoted scalar."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _scripts(root: Path, in_git: bool, include: tuple[str, ...] = ()) -> list[str]:
    from scriptkeeper.pipeline.discover import discover

    return [c.path for c in discover([root], include, root=root, in_git=in_git).scripts]


def detect_include(root: Path, in_git: bool) -> tuple[list[str], list[str]]:
    """The job scripts of the repository and ``scripts.include`` patterns selecting them.

    The patterns name the deepest folder holding every script, else each
    top-level folder that holds some; none (scan everything) when a script
    sits at the top level or the patterns would not select the same scripts.
    """
    found = _scripts(root, in_git)
    folders = sorted({path.rpartition("/")[0] for path in found})
    if not found or "" in folders:
        return found, []
    common = os.path.commonpath(folders)
    chosen = [common] if common else sorted({f.split("/", 1)[0] for f in folders})
    patterns = [_escape(folder) + "/**" for folder in chosen]
    if _scripts(root, in_git, tuple(patterns)) != found:
        return found, []
    return found, patterns


def _cluster_hint(profile_command: bool) -> str:
    if profile_command:
        return ("# Run `scriptkeeper profile import --from-scontrol` on a login node of the\n"
                "# cluster to fill it in from scontrol.\n")
    return ("# Fill it in from `scontrol show partition` and `scontrol show node` on a\n"
            "# login node of the cluster.\n")


_CLUSTER_INTRO = (
    "# The cluster the jobs run on: enables the checks against node limits\n"
    "# (request-exceeds-node, unknown-partition) and the option table of its\n"
    "# SLURM release.\n"
)
_CLUSTER_EXAMPLE = (
    "#cluster:\n"
    "#  slurm_version: \"23.11\"\n"
    "#  default_partition: gpu\n"
    "#  partitions:\n"
    "#    gpu: {cpus_per_node: 128, gpus_per_node: 8, mem_per_node: 2000G}\n"
    "#  plugin_options: [container-image, container-mounts]  # options of SPANK plugins\n"
)


def starter(patterns: list[str], count: int, profile_command: bool,
            cluster: str | None = None) -> str:
    """The text of a starter rules.yaml; ``cluster``: a real cluster section to put in."""
    if patterns:
        where = ", ".join(p[:-3] + "/" for p in patterns)
        scripts = (f"# {count} job script(s) found under {where} when this file was written.\n"
                   f"scripts:\n  include: [{', '.join(_quote(p) for p in patterns)}]\n"
                   f"  exclude: []\n")
    else:
        found = f"{count} job script(s) found" if count else "no job script found yet"
        scripts = (f"# {found}: every file of the repository is looked at. To narrow it:\n"
                   f"#scripts:\n#  include: [\"slurm/**\"]\n#  exclude: []\n")
    return (
        "# scriptkeeper settings for this repository, written by `scriptkeeper init`.\n"
        "# Everything not set here comes from the built-in rules: `scriptkeeper rules`\n"
        "# lists them, `scriptkeeper rule NAME` explains one. Unknown keys are errors,\n"
        "# so a typo is caught. Lines starting with '#' followed by a key are examples:\n"
        "# remove the '#' to use them.\n"
        "\n"
        "# Which files are job scripts to judge (gitignore patterns, relative to this\n"
        "# file). A job script is a file with an #SBATCH line or a .slurm/.sbatch name.\n"
        + scripts
        + "\n"
        + (_CLUSTER_INTRO + _cluster_hint(profile_command) + _CLUSTER_EXAMPLE
           if cluster is None else cluster)
        + "\n"
        "# Scripts to keep whatever their copies look like.\n"
        "#redundancy:\n"
        "#  pin: [scripts/train.slurm]\n"
        "\n"
        "# Where `scriptkeeper clean` moves the scripts it takes away, and whether it\n"
        "# records the move in a git commit.\n"
        "#backup:\n"
        "#  dir: \"backup_{timestamp}\"\n"
        "#  commit: true\n"
        "\n"
        "# Change a built-in rule (severity, enabled, message, fix) or add one of your\n"
        "# own: a condition over the job model, as the built-in rules are written.\n"
        "#rules:\n"
        "#  duplicate-option: {severity: error}\n"
        "#  plugin-option: {enabled: false}\n"
        "#  require-account:\n"
        "#    when: \"not job.account\"\n"
        "#    severity: error\n"
        "#    message: \"every job must name an account (--account)\"\n"
    )


def _profile_command() -> bool:
    return importlib.util.find_spec("scriptkeeper.cluster.profile_import") is not None


def _cluster_section() -> str:
    """The cluster section from the running cluster, by ``profile import``'s own readers."""
    from scriptkeeper.cluster import profile_import, profile_write

    try:
        out = profile_import.read_scontrol()
        profile = profile_import.from_scontrol(out.nodes, out.partitions, out.config,
                                               profile_import.version_of(out.version))
    except profile_import.ProfileImportError as error:
        fail(f"cannot import the cluster profile: {error}; nothing written (run init "
             f"without --cluster)")
    return profile_write.merge(None, profile)


def _want_cluster(choice: bool | None, profile_command: bool) -> bool:
    """--cluster / --no-cluster, else ask on a terminal when scontrol is on PATH."""
    if choice is not None:
        return choice
    if not (profile_command and shutil.which("scontrol")):
        return False
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return False
    return typer.confirm("scontrol is on PATH: put this cluster's profile (partitions, node "
                         "limits, SLURM release) into rules.yaml?", default=True)


def init(
    cluster: bool = typer.Option(None, "--cluster/--no-cluster",
                                 help="Fill in the cluster section from scontrol (as 'profile "
                                      "import --from-scontrol' does). Default: ask when "
                                      "scontrol is on PATH and this is a terminal."),
    to_stdout: bool = typer.Option(False, "--stdout",
                                   help="Print the starter file instead of writing it."),
) -> None:
    """Write a commented starter rules.yaml at the top of the current repository."""
    from scriptkeeper.pipeline.discover import find_root
    from scriptkeeper.rules.config import CONFIG_NAME

    root, in_git = find_root([Path.cwd()])
    target = root / CONFIG_NAME
    if not to_stdout and (target.exists() or target.is_symlink()):
        fail(f"{target} already exists; init never overwrites it (edit it, or move it "
             f"away and run init again)", EXIT_USAGE)
    found, patterns = detect_include(root, in_git)
    profile_command = _profile_command()
    if cluster and not profile_command:
        fail("this scriptkeeper cannot import a cluster profile")
    imported = _want_cluster(cluster, profile_command)
    text = starter(patterns, len(found), profile_command,
                   _cluster_section() if imported else None)
    if to_stdout:
        typer.echo(text, nl=False)
        return
    with target.open("x", encoding="utf-8") as handle:
        handle.write(text)
    where = f" under {', '.join(patterns)}" if patterns else ""
    typer.echo(f"wrote {target}: {len(found)} job script(s) found{where}")
    if imported:
        typer.echo("the cluster section comes from scontrol; rerun 'scriptkeeper profile "
                   "import --from-scontrol' when the cluster changes")
    elif cluster is None and shutil.which("scontrol"):
        if profile_command:
            typer.echo("scontrol is on PATH: run 'scriptkeeper profile import --from-scontrol' "
                       "(or 'scriptkeeper init --cluster') to add this cluster's partitions "
                       "to rules.yaml")
        else:
            typer.echo("scontrol is on PATH: fill in the cluster section of rules.yaml from "
                       "'scontrol show partition' to check jobs against the node limits")
    typer.echo("next: 'scriptkeeper scan' judges the scripts")
