"""The pre-commit hook: judge the job scripts about to be committed (``scriptkeeper-hook``).

A light entry point (argparse, no typer or rich) so that checking one file
costs little more than the judging itself. It takes the files pre-commit
passes (or, with ``--staged``, the staged files and their staged content,
for the plain git hook ``scriptkeeper install-hook`` writes), keeps those
whose content is a job script, as ``scan`` judges it (a ``job.sub`` with
``#SBATCH`` lines is one; the name does not decide), and runs the pipeline on
them. pre-commit passes every text file of the commit (``types: [text]``):
ruling out a file that is none costs one read and one search for ``#SBATCH``,
before the pipeline is imported (bench/bench_hook_selection.py). It never changes a
script. Exit 1 when one of them is broken; baselined findings do not count
(the codes are :mod:`scriptkeeper.cli.common`'s, which imports no typer).

With ``--fix`` (the ``scriptkeeper-fix`` hook id) it makes the safe fixes
rules.yaml declares in those files instead, and exits 1 when it changed one
(the convention of fixing hooks: the commit stops so that the change is seen
and staged).

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
    BINARY_SUFFIXES,
    MAX_SIZE,
    Candidate,
    Discovery,
    is_job_script,
    not_a_job_reason,
)

if TYPE_CHECKING:
    from scriptkeeper.records import ScriptResult

# names that are never job scripts, whatever they hold (images, archives, weights)
_NOT_TEXT = re.compile("(?i)(" + "|".join(re.escape(s) for s in sorted(BINARY_SUFFIXES))
                       + ")$")


def _git(root: Path | None, *args: str) -> bytes:
    out = subprocess.run(["git", *args], cwd=root, capture_output=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.decode(errors="replace").strip() or "git failed")
    return out.stdout


def staged_files() -> dict[str, bytes]:
    """The staged files (added, copied, modified, renamed) that may be job scripts, and their
    content: none with a binary name, none over the size limit."""
    top = Path(_git(None, "rev-parse", "--show-toplevel").decode().strip()).resolve()
    names = [n for n in _git(top, "-c", "core.quotepath=off", "diff", "--cached", "--name-only",
                             "-z", "--diff-filter=ACMR").decode("utf-8", "surrogateescape")
             .split("\0") if n and not _NOT_TEXT.search(n)]
    if not names:
        return {}
    blobs: dict[str, str] = {}
    for record in _git(top, "ls-files", "-s", "-z", "--", *names).decode(
            "utf-8", "surrogateescape").split("\0"):
        if record:
            meta, path = record.split("\t", 1)
            mode, sha = meta.split()[:2]
            if mode != "160000":  # a submodule's commit is no file
                blobs[path] = sha
    sizes = subprocess.run(["git", "cat-file", "--batch-check"], cwd=top, check=True,
                           input="".join(sha + "\n" for sha in blobs.values()).encode(),
                           capture_output=True).stdout.split(b"\n")[:len(blobs)]
    blobs = {path: sha for (path, sha), line in zip(list(blobs.items()), sizes, strict=True)
             if int(line.split()[2]) <= MAX_SIZE}
    if not blobs:
        return {}
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
        use_baseline: bool = True, use_cache: bool = True, out: TextIO = sys.stdout,
        fix: bool = False) -> int:
    """Check ``files`` (or the staged files) as the hook does, or fix them (``fix``); the
    exit status."""
    content: dict[str, bytes] = staged_files() if staged else {}
    names = [n for n in (list(content) if staged else files) if _job_script(n, content)]
    if not names:
        return EXIT_OK  # before importing the pipeline: a commit of other files stays quick
    from scriptkeeper.rules.config import ConfigError

    try:
        if fix:
            return _fix([Path(n) for n in names], config_file, out)
        return _check([Path(n) for n in names], content, config_file, use_baseline, use_cache,
                      out)
    except ConfigError as error:
        return hook_error(configuration_error(error))


def _fix(paths: list[Path], config_file: Path | None, out: TextIO) -> int:
    """Make the safe fixes in ``paths``; 1 when a file changed."""
    from scriptkeeper.fix.apply import fix_script, fixable
    from scriptkeeper.fix.write import WriteRefused, write_atomic
    from scriptkeeper.pipeline.analyze import analyze_script
    from scriptkeeper.pipeline.discover import discover
    from scriptkeeper.pipeline.scan import prepare

    root, in_git, config = prepare(paths, config_file)
    found = discover(paths, config.include, config.exclude, root=root, in_git=in_git,
                     base=config.base or root)
    changed = 0
    for candidate in found.scripts:
        result = analyze_script(root, candidate.path, candidate.data, config)
        if not any(fixable(f, False) for f in result.findings):
            continue
        done = fix_script(root, candidate.path, candidate.data, config)
        for refusal in done.refused:
            print(f"{done.path}:{refusal.finding.line}: {refusal.finding.rule}: not fixed: "
                  f"{refusal.reason}", file=out)
        if not done.changed:
            continue
        try:
            write_atomic(root, done.path, done.before, done.after)
        except (WriteRefused, OSError) as error:
            print(f"scriptkeeper: {error}", file=out)
            continue
        changed += 1
        print(f"fixed {done.path}: " + ", ".join(f"{f.rule} (line {f.line})"
                                                  for f in done.applied), file=out)
    return EXIT_BROKEN if changed else EXIT_OK


def _check(paths: list[Path], content: dict[str, bytes], config_file: Path | None,
           use_baseline: bool, use_cache: bool, out: TextIO) -> int:
    from scriptkeeper.pipeline import internal_error
    from scriptkeeper.pipeline.discover import discover
    from scriptkeeper.pipeline.scan import judge_discovery, prepare

    staged = bool(content)
    root, in_git, config = prepare(paths, config_file)
    base = config.base or root
    checked = discover(paths, config.include, config.exclude, root=root, in_git=in_git,
                       base=base, archive=config.archive)
    if staged:
        checked.scripts = [Candidate(c.path, content.get(str(root / c.path), c.data))
                           for c in checked.scripts]
    if not checked.scripts:
        return EXIT_OK
    mode = config.hook_redundancy
    rest = None
    if mode != "off":
        rest = discover([root], config.include, config.exclude, root=root, in_git=in_git,
                        base=base, archive=config.archive)
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
    from scriptkeeper.rules.baseline import BASELINED_NOTE

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
                if note != BASELINED_NOTE:  # accepted: the hook stays quiet about it
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
    parser.add_argument("--fix", action="store_true",
                        help="make the safe fixes instead of checking; exit 1 when a file "
                             "changed (the scriptkeeper-fix hook)")
    args = parser.parse_args(argv)
    if args.fix and args.staged:
        return hook_error("--fix changes files in the work tree: it does not take --staged")
    try:
        return run(args.files, args.config, args.staged, not args.no_baseline,
                   not args.no_cache, fix=args.fix)
    except (RuntimeError, subprocess.CalledProcessError) as error:
        return hook_error(str(error))


def console() -> None:
    """The ``scriptkeeper-hook`` console script (what .pre-commit-hooks.yaml runs)."""
    from scriptkeeper.cli.process import for_batch_work, run_and_exit

    for_batch_work()
    run_and_exit(main)


if __name__ == "__main__":
    console()
