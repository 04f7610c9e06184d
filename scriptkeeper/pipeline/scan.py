"""Run the whole pipeline over a set of paths: discover, analyze, group, verdict.

The commands (``scan``, ``clean``, the hook) call :func:`run_scan` and get a
:class:`ScanReport`: plain data that the report formats print.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from scriptkeeper.pipeline.discover import Discovery, discover, find_root
from scriptkeeper.records import ScanReport
from scriptkeeper.rules import baseline, gpu_context
from scriptkeeper.rules.config import (
    CONFIG_NAME,
    TOP_KEYS,
    Config,
    builtin_text,
    load_config,
)

if TYPE_CHECKING:
    from scriptkeeper.cluster.sbatch_check import SbatchOptions


def not_ours(candidate: Path) -> str | None:
    """Why a ``rules.yaml`` is not scriptkeeper configuration, or None when it is.

    Another tool's ``rules.yaml`` (a linter's, semgrep's) may lie above the scanned
    folder. A file is scriptkeeper's when its top level is a mapping whose keys are all
    scriptkeeper's (a key close to one of them counts, so a typo still gets its error
    with file and line) and ``rules`` (when present) is a mapping, or when it is empty.
    A file that is not valid YAML counts as ours: its error is worth reading.
    """
    import difflib

    import yaml

    try:
        text = candidate.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # load_config says what is wrong with it
    if text == builtin_text():  # scriptkeeper's own repository keeps the built-in rules there
        return "the built-in rule set"
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    if raw is None:
        return None
    if not isinstance(raw, dict):
        return "its top level is not a mapping"
    for key in raw:
        if str(key) not in TOP_KEYS and not difflib.get_close_matches(str(key), TOP_KEYS,
                                                                      n=1, cutoff=0.8):
            return f"key '{key}' is none of scriptkeeper's ({', '.join(sorted(TOP_KEYS))})"
    if raw.get("rules") is not None and not isinstance(raw["rules"], dict):
        return "its 'rules' is a list, not scriptkeeper's mapping of rule names"
    return None


def find_config(root: Path, explicit: Path | None, start: Path | None = None
                ) -> tuple[Path | None, list[tuple[Path, str]]]:
    """``--config``, else the nearest scriptkeeper rules.yaml from ``start`` up to the root;
    and each rules.yaml passed over on the way, with why."""
    if explicit is not None:
        return explicit, []
    passed: list[tuple[Path, str]] = []
    folder = (start or root).resolve()
    if not folder.is_dir():
        folder = folder.parent
    while True:
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            why = not_ours(candidate)
            if why is None:
                return candidate, passed
            passed.append((candidate, why))
        if folder == root or root not in folder.parents:
            return None, passed
        folder = folder.parent


def config_path_for(root: Path, explicit: Path | None, start: Path | None = None) -> Path | None:
    """``--config``, else the nearest scriptkeeper rules.yaml from ``start`` up to the root."""
    return find_config(root, explicit, start)[0]


def prepare(paths: list[Path], config_file: Path | None) -> tuple[Path, bool, Config]:
    root, in_git = find_root(paths or [Path.cwd()])
    start = paths[0] if paths else Path.cwd()
    config = load_config(config_path_for(root, config_file, start))
    return root, in_git, config


def judge_discovery(found: Discovery, config: Config, redundancy: bool = True,
                    use_baseline: bool = True, use_cache: bool = True,
                    sbatch: SbatchOptions | None = None) -> ScanReport:
    """The stages after discovery, in order: analyse, sbatch check, group, verdict, baseline.

    The baseline comes last: it hides accepted findings and marks a broken script whose
    every error it accepts, but the verdicts (and the keepers) are the truth's.
    """
    # the runner on first use: it brings the analysis, which a scan answered from the result
    # cache may not need
    from scriptkeeper.pipeline import runner

    report = ScanReport(root=found.root, in_git=found.in_git, config=config,
                        skipped=list(found.skipped), named=list(found.named))
    # the sbatch check reads every job model: the workers send them all then; grouping runs
    # before the cache is saved, so that a cached result found damaged there is dropped
    with runner.analysed(found, config, use_cache, details=sbatch is not None) as scripts:
        report.scripts = scripts
        # repository-wide evidence (not in the per-file results the cache keys on the bytes)
        gpu_context.apply(scripts, config)
        accepted = baseline.load(found.root) if use_baseline else None
        if sbatch is not None:  # the cluster's answer, before redundancy picks the keepers
            from scriptkeeper.cluster import sbatch_check

            report.sbatch_check = sbatch_check.apply(scripts, found.root, config, sbatch)
        if redundancy:  # the verdicts: broken from the findings, redundant from grouping
            from scriptkeeper import redundancy as grouping

            grouping.apply(scripts, config, found.root, found.in_git)
        if accepted is not None:
            report.baselined = baseline.apply(scripts, accepted)
    return report


def run_scan(paths: list[Path], config_file: Path | None = None,
             redundancy: bool = True, use_baseline: bool = True,
             use_cache: bool = True, sbatch: SbatchOptions | None = None) -> ScanReport:
    root, in_git, config = prepare(paths, config_file)
    found = discover(paths, config.include, config.exclude, root=root, in_git=in_git,
                     base=config.base or root, archive=config.archive)
    return judge_discovery(found, config, redundancy, use_baseline, use_cache, sbatch)
