"""Benchmark: the pre-commit hook choosing job scripts by content on a commit of ordinary files.

.pre-commit-hooks.yaml used to pass the hook only names ending in
``.slurm .sbatch .sh .bash .job``; it now passes every text file
(``types: [text]``) and the hook keeps the job scripts by content, as ``scan``
does. The cost that matters is a commit touching many files that are no job
scripts: ``--files`` ordinary text files (Python modules, Markdown, YAML and
a share of helper ``.sh`` scripts without ``#SBATCH``) in a repository of
``--count`` job scripts.

Measured in the same run, interleaved, median of ``--runs``:

- ``python3 -c pass`` (the unit of the other benchmarks);
- the real ``pre-commit run --files ...`` with the old hook definition (the
  name filter) and with the new one (``types: [text]``), each from a git
  repository of this working tree's code, so the framework's own cost is in
  both;
- the hook itself on the files the old filter passed and on all of them.

    python bench/bench_hook_selection.py [--files 500] [--count 50] [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic

REPO = Path(__file__).resolve().parent.parent
HOOK = str(Path(sys.executable).parent / "scriptkeeper-hook")
OLD_FILTER = "  files: \\.(slurm|sbatch|sh|bash|job)$\n  types: [file]\n"
GIT_ENV = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@e", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@e"}


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, check=True,
                          capture_output=True, text=True).stdout.strip()


def hook_repository(target: Path, old: bool) -> str:
    """This working tree committed at ``target`` (with the old name filter if ``old``)."""
    listed = _git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file() and not source.is_symlink():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    if old:
        hooks = target / ".pre-commit-hooks.yaml"
        text = hooks.read_text()
        start = text.index("  # every text file")
        end = text.index("  types: [text]\n") + len("  types: [text]\n")
        hooks.write_text(text[:start] + OLD_FILTER + text[end:])
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "snapshot"]):
        _git(target, *args)
    return _git(target, "rev-parse", "HEAD")


def ordinary_files(root: Path, count: int) -> list[str]:
    names = []
    for i in range(count):
        kind = i % 10
        if kind < 6:
            name, text = f"src/pkg{i % 7}/mod{i}.py", f'"""Module {i}."""\n\nVALUE = {i}\n' * 20
        elif kind < 8:
            name, text = f"docs/page{i}.md", f"# Page {i}\n\nSome prose, a list:\n\n- a\n- b\n" * 10
        elif kind < 9:
            name, text = f"conf/c{i}.yaml", f"name: c{i}\nvalues: [1, 2, 3]\n" * 10
        else:
            name, text = f"tools/helper{i}.sh", f"#!/bin/bash\nset -e\necho helper {i}\n" * 5
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
        names.append(name)
    return names


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} ... failed:\n{done.stdout.decode()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=500, help="ordinary files in the commit")
    parser.add_argument("--count", type=int, default=50, help="job scripts in the repository")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    temp = Path(tempfile.mkdtemp(prefix="sk-bench-hook-selection-"))
    try:
        env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(temp / "pre-commit-home")}
        revs = {"old": hook_repository(temp / "hook-old", old=True),
                "new": hook_repository(temp / "hook-new", old=False)}
        projects: dict[str, Path] = {}
        names: list[str] = []
        for which, rev in revs.items():
            project = temp / f"project-{which}"
            synthetic.make_repository(project, args.count)
            names = ordinary_files(project, args.files)
            (project / ".pre-commit-config.yaml").write_text(
                f"repos:\n- repo: {temp / f'hook-{which}'}\n  rev: {rev}\n"
                f"  hooks:\n  - id: scriptkeeper\n")
            _git(project, "add", "-A")
            done = subprocess.run([sys.executable, "-m", "pre_commit", "install-hooks"],
                                  cwd=project, env=env, capture_output=True, text=True,
                                  check=False)
            if done.returncode != 0:
                raise SystemExit(done.stdout + done.stderr)
            projects[which] = project
        old_names = [n for n in names if n.endswith((".slurm", ".sbatch", ".sh", ".bash",
                                                     ".job"))]
        run = [sys.executable, "-m", "pre_commit", "run", "scriptkeeper", "--files"]
        variants = {
            "python3 -c pass": (["python3", "-c", "pass"], projects["new"]),
            "pre-commit, old name filter": ([*run, *names], projects["old"]),
            "pre-commit, types: [text]": ([*run, *names], projects["new"]),
            f"hook on the {len(old_names)} old-filter files": ([HOOK, *old_names],
                                                              projects["new"]),
            f"hook on all {len(names)} files": ([HOOK, *names], projects["new"]),
        }
        for command, cwd in variants.values():  # warm every cache once
            timed(command, cwd, env)
        times: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.runs):
            for name, (command, cwd) in variants.items():
                times[name].append(timed(command, cwd, env))
        median = {name: statistics.median(values) for name, values in times.items()}
        base = median["python3 -c pass"]
        old = median["pre-commit, old name filter"]
        print(f"a commit of {len(names)} ordinary text files in a repository of {args.count} "
              f"job scripts; median of {args.runs} runs, {os.cpu_count()} CPUs, load "
              f"average {os.getloadavg()[0]:.1f}")
        for name, value in median.items():
            print(f"  {name:34} {value * 1000:8.1f} ms  = {value / base:5.2f} x python3 -c pass"
                  f"  = {value / old:5.2f} x pre-commit with the old filter")
    finally:
        shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    main()
