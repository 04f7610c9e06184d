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
from scriptkeeper.rules.config import CONFIG_NAME, Config, builtin_text, load_config

if TYPE_CHECKING:
    from scriptkeeper.cluster.sbatch_check import SbatchOptions


def _is_user_config(candidate: Path) -> bool:
    if not candidate.is_file():
        return False
    # scriptkeeper's own repository keeps the built-in rule set at its root
    try:
        return candidate.read_text(encoding="utf-8") != builtin_text()
    except (OSError, UnicodeDecodeError):
        return True


def config_path_for(root: Path, explicit: Path | None, start: Path | None = None) -> Path | None:
    """``--config``, else the nearest rules.yaml from ``start`` up to the root."""
    if explicit is not None:
        return explicit
    folder = (start or root).resolve()
    if not folder.is_dir():
        folder = folder.parent
    while True:
        if _is_user_config(folder / CONFIG_NAME):
            return folder / CONFIG_NAME
        if folder == root or root not in folder.parents:
            return None
        folder = folder.parent


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
                     base=config.base or root)
    return judge_discovery(found, config, redundancy, use_baseline, use_cache, sbatch)
