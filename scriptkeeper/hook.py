"""The pre-commit hook: judge the job scripts about to be committed (``scriptkeeper-hook``).

A light entry point (argparse, no typer or rich) so that checking one file
costs little more than the judging itself. It takes the files pre-commit
passes (or, with ``--staged``, the staged files and their staged content,
for the plain git hook ``scriptkeeper install-hook`` writes), keeps those
whose name looks like a job script (``.slurm .sbatch .sh .bash .job``) and
whose content is one, and runs the pipeline on them. It never changes a
script. Exit 1 when one of them is broken; baselined findings do not count
(the codes are :mod:`scriptkeeper.cli.common`'s, which imports no typer).

Redundancy is judged against every job script of the repository; rules.yaml
``hook.redundancy`` makes a redundant script a ``warning`` (the default: it
is printed, the commit goes on), an ``error`` (the commit fails) or ``off``
(not looked for, which also spares reading the rest of the repository).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from scriptkeeper.cli.common import EXIT_BROKEN, EXIT_OK, configuration_error, hook_error
from scriptkeeper.pipeline.discover import (
    MAX_SIZE,
    Candidate,
    Discovery,
    is_job_script,
    not_a_job_reason,
)

if TYPE_CHECKING:
    from scriptkeeper.records import ScriptResult

JOB_NAME = re.compile(r"\.(slurm|sbatch|sh|bash|job)$")


def _git(root: Path | None, *args: str) -> bytes:
    out = subprocess.run(["git", *args], cwd=root, capture_output=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.decode(errors="replace").strip() or "git failed")
    return out.stdout


def staged_files() -> dict[str, bytes]:
    """The staged job-script-named files (added, copied, modified, renamed) and their content."""
    top = Path(_git(None, "rev-parse", "--show-toplevel").decode().strip()).resolve()
    names = [n for n in _git(top, "-c", "core.quotepath=off", "diff", "--cached", "--name-only",
                             "-z", "--diff-filter=ACMR").decode("utf-8", "surrogateescape")
             .split("\0") if n and JOB_NAME.search(n)]
    if not names:
        return {}
    blobs: dict[str, str] = {}
    for record in _git(top, "ls-files", "-s", "-z", "--", *names).decode(
            "utf-8", "surrogateescape").split("\0"):
        if record:
            meta, path = record.split("\t", 1)
            blobs[path] = meta.split()[1]
    batch = subprocess.run(["git", "cat-file", "--batch"], cwd=top, check=True,
                           input="".join(sha + "\n" for sha in blobs.values()).encode(),
                           capture_output=True).stdout
    contents: dict[str, bytes] = {}
    position = 0
    for path in blobs:
        header_end = batch.index(b"\n", position)
        size = int(batch[position:header_end].split()[2])
        contents[str(top / path)] = batch[header_end + 1:header_end + 1 + size]
        position = header_end + 1 + size + 1
    return contents


def _job_script(name: str, staged: dict[str, bytes]) -> bool:
    data = staged.get(name)
    if data is None:
        try:
            with open(name, "rb") as handle:
                data = handle.read(MAX_SIZE + 1)
        except OSError:
            return False
    # as discovery judges: a file that only writes or submits jobs is none
    return len(data) <= MAX_SIZE and is_job_script(name, data) and \
        not_a_job_reason(name, data) is None


def _merge(checked: Discovery, rest: Discovery | None) -> Discovery:
    """The checked scripts plus, for redundancy, every other job script of the repository."""
    if rest is None:
        return checked
    mine = {c.path for c in checked.scripts}
    scripts = checked.scripts + [c for c in rest.scripts if c.path not in mine]
    return Discovery(checked.root, checked.in_git, scripts, checked.skipped, rest.files)


def run(files: Sequence[str], config_file: Path | None = None, staged: bool = False,
        use_baseline: bool = True, use_cache: bool = True, out: TextIO = sys.stdout) -> int:
    """Check ``files`` (or the staged files) as the hook does; the exit status."""
    content: dict[str, bytes] = staged_files() if staged else {}
    names = list(content) if staged else [f for f in files if JOB_NAME.search(f)]
    if not any(_job_script(name, content) for name in names):
        return EXIT_OK  # before importing the pipeline: a commit of helper scripts stays quick
    from scriptkeeper.rules.config import ConfigError

    try:
        return _check([Path(n) for n in names], content, config_file, use_baseline, use_cache,
                      out)
    except ConfigError as error:
        return hook_error(configuration_error(error))


def _check(paths: list[Path], content: dict[str, bytes], config_file: Path | None,
           use_baseline: bool, use_cache: bool, out: TextIO) -> int:
    from scriptkeeper.pipeline import internal_error
    from scriptkeeper.pipeline.discover import discover
    from scriptkeeper.pipeline.scan import judge_discovery, prepare

    staged = bool(content)
    root, in_git, config = prepare(paths, config_file)
    base = config.base or root
    checked = discover(paths, config.include, config.exclude, root=root, in_git=in_git,
                       base=base)
    if staged:
        checked.scripts = [Candidate(c.path, content.get(str(root / c.path), c.data))
                           for c in checked.scripts]
    if not checked.scripts:
        return EXIT_OK
    mode = config.hook_redundancy
    rest = None
    if mode != "off":
        rest = discover([root], config.include, config.exclude, root=root, in_git=in_git,
                        base=base)
    report = judge_discovery(_merge(checked, rest), config, redundancy=mode != "off",
                             use_baseline=use_baseline, use_cache=use_cache)
    failed = _print(report.scripts[:len(checked.scripts)], mode, out)
    internal = internal_error.summary(report.scripts[:len(checked.scripts)])
    if internal is not None:  # the verdict is unknown: neither pass nor a plain failure
        return hook_error(internal)
    if failed:
        print(f"scriptkeeper: {failed} job script(s) would break; fix them, or accept today's "
              f"findings with 'scriptkeeper baseline'", file=out)
    return EXIT_BROKEN if failed else EXIT_OK


def _print(results: Sequence[ScriptResult], mode: str, out: TextIO) -> int:
    failed = 0
    for result in results:
        for f in result.findings:
            print(f"{result.path}:{f.line}: {f.severity} {f.rule} ({f.code}): {f.message}",
                  file=out)
            if f.fix:
                print(f"    fix: {f.fix}", file=out)
        redundant = result.verdict == "redundant" and mode != "off"
        if redundant:
            level = "error" if mode == "error" else "warning"
            print(f"{result.path}:1: {level} redundant: redundant of {result.redundant_of}",
                  file=out)
        if mode != "off":
            for note in result.notes:
                print(f"    {note}", file=out)
        if result.broken or (redundant and mode == "error"):
            failed += 1
    return failed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scriptkeeper-hook",
        description="Check the job scripts about to be committed (for pre-commit).")
    parser.add_argument("files", nargs="*", help="files to check (as pre-commit passes them)")
    parser.add_argument("--staged", action="store_true",
                        help="check the staged files, as staged (for a plain git hook)")
    parser.add_argument("--config", "-c", type=Path, help="a rules.yaml to use")
    parser.add_argument("--no-baseline", action="store_true",
                        help="also fail on findings the baseline accepts")
    parser.add_argument("--no-cache", action="store_true", help="ignore .scriptkeeper_cache")
    args = parser.parse_args(argv)
    try:
        return run(args.files, args.config, args.staged, not args.no_baseline,
                   not args.no_cache)
    except (RuntimeError, subprocess.CalledProcessError) as error:
        return hook_error(str(error))


def console() -> None:
    """The ``scriptkeeper-hook`` console script (what .pre-commit-hooks.yaml runs)."""
    from scriptkeeper.cli.process import for_batch_work, run_and_exit

    for_batch_work()
    run_and_exit(main)


if __name__ == "__main__":
    console()
