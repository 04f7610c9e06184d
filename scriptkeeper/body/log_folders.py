"""Whether the folders of ``--output``/``--error`` will exist when the job starts (body stage).

slurmd opens the job's output and error files before the script runs and does not
create their folder: a missing folder fails the job at once, with no log at all
(docs/launch-contracts.md §2.11). The path is relative to ``--chdir``, else to the
submit directory, which scriptkeeper does not know: the repository root and the
script's own folder (and the configured base) are each taken as possible, and a
folder present under any of them counts as there. A folder also counts as expected
when the repository says it is made by hand or before submission: a ``.gitignore``
pattern names it as a folder (it exists in the author's checkout, untracked), or an
``mkdir``/``os.makedirs`` naming it stands in a file that runs before sbatch (a
shell script, a Makefile, a README's instructions, a Python file named as a
submitter: ``submit_*.py``, ``launch.py``). An ``mkdir`` in a job script's
own body comes too late and does not count. Folders built from patterns (``%x``,
``%j``), variables (sbatch expands none), ``~`` and absolute paths are not judged.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

from scriptkeeper.model.jobmodel import JobModel
from scriptkeeper.pipeline import fsview
from scriptkeeper.records import Fact
from scriptkeeper.rules import fact_kinds

FACTS = fact_kinds.declare(__name__, "output-dir-missing")

# what runs before sbatch or tells a person what to do first; every file read is one the
# result cache must watch, so Python files only when their name says they submit. Not
# .slurm/.sbatch/.job: job scripts, whose own mkdir runs too late, and reading every one of
# them made each scan (each worker) read the whole repository once more
_READ_SUFFIXES = (".sh", ".bash", ".zsh", ".md", ".rst", ".txt", ".mk")
_READ_NAMES = frozenset({"Makefile", "makefile", "GNUmakefile", "justfile", "Justfile"})
_SUBMITTER = re.compile(r"(submit|launch|sbatch|slurm|run|queue|sweep)[^/]*\.py$", re.IGNORECASE)
_SKIP_DIRS = frozenset({".git", "node_modules", ".scriptkeeper_cache", "__pycache__", ".venv",
                        "venv", ".tox"})
_MAX_READ = 256 * 1024
_MAX_FILES = 20000
_PROBE = "scriptkeeper-probe"  # a file name no ignore pattern for log files matches
# the words after mkdir (its options skipped later), or the first argument of makedirs/mkdir()
_MKDIR = re.compile(r"\bmkdir\b([^\n;&|)`]*)|\b(?:makedirs|mkdir)\(\s*[rfbu]?['\"]([^'\"]+)")
_SUBMITS = re.compile(r"^[^#\n]*\bsbatch\b", re.MULTILINE)


def _clean(path: str) -> str:
    path = path.strip().strip("'\"").rstrip("/")
    while path.startswith("./"):
        path = path[2:]
    return path


@fsview.per_scan
def _made_by_hand(root: str) -> tuple[frozenset[str], object]:
    """The folders the repository makes before submission, and its .gitignore patterns."""
    made: set[str] = set()
    patterns: list[str] = []
    seen = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS and not d.startswith("backup_")]
        rel = os.path.relpath(folder, root)
        for name in files:
            seen += 1
            if seen > _MAX_FILES:
                break
            full = os.path.join(folder, name)
            if name == ".gitignore":
                patterns.extend(_gitignore_lines(full, "" if rel == "." else rel))
                continue
            if not (name.endswith(_READ_SUFFIXES) or name in _READ_NAMES
                    or _SUBMITTER.search(name)):
                continue
            text = _read(full)
            if text is None or ("mkdir" not in text and "makedirs" not in text):
                continue
            # a job script's own mkdir runs after slurmd opened its output: too late
            if "\n#SBATCH" in text and not _SUBMITS.search(text.replace("#SBATCH", "")):
                continue
            for found in _MKDIR.finditer(text):
                words = found.group(1).split() if found.group(1) is not None \
                    else [found.group(2)]
                for word in words:
                    if not word.startswith("-"):
                        made.add(_clean(word))
    spec = None
    if patterns:
        import pathspec

        spec = pathspec.GitIgnoreSpec.from_lines(patterns)
    return frozenset(made), spec


def _read(path: str) -> str | None:
    try:
        if os.path.getsize(path) > _MAX_READ:
            return None
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return None


def _gitignore_lines(path: str, under: str) -> list[str]:
    text = _read(path) or ""
    lines = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        body = line[1:] if negate else line
        if under:  # a nested .gitignore: its patterns are relative to its folder
            body = f"{under}/{body.lstrip('/')}" if "/" in body.rstrip("/") else \
                f"{under}/**/{body}"
        lines.append(("!" if negate else "") + body)
    return lines


def _expected(folder: str, bases: tuple[str, ...], root: str) -> bool:
    made, spec = _made_by_hand(root)
    for base in bases:
        full = os.path.normpath(os.path.join(base, folder))
        rel = os.path.relpath(full, root)
        if rel.startswith(".."):
            continue
        if rel in made or any(m.endswith("/" + rel) or rel.endswith("/" + m) for m in made):
            return True
        # ignored as a folder ('logs/'), or every file in it ('logs/*'): kept untracked
        if spec is not None and (spec.match_file(rel + "/")  # type: ignore[attr-defined]
                                 or spec.match_file(rel + "/" + _PROBE)):  # type: ignore
            return True
    return folder in made


@fsview.per_scan
def _missing(folder: str, bases: tuple[str, ...], root: str) -> bool:
    """Whether ``folder`` will be missing from every place sbatch may be run from."""
    places = [os.path.normpath(os.path.join(b, folder)) for b in bases]
    if all(os.path.relpath(p, root).startswith("..") for p in places):
        return False  # outside the repository: not judged
    if any(fsview.isdir(p) for p in places):
        return False
    return not _expected(_clean(folder), bases, root)


def submit_dirs(root: str, script_path: str, base: str | None) -> tuple[str, ...]:
    """Where sbatch may be run from: the configured base, the root, and every folder from
    the root down to the script's own (``sbatch SCRIPTS/x.sh`` from the project folder)."""
    return _submit_dirs(root, script_path[:script_path.rfind("/") + 1], base)


@functools.lru_cache(maxsize=1024)
def _submit_dirs(root: str, script_folder: str, base: str | None) -> tuple[str, ...]:
    places = [base] if base is not None else []
    places.append(root)
    parts = script_folder.rstrip("/").split("/") if script_folder else []
    for depth in range(1, len(parts) + 1):
        places.append(os.path.join(root, *parts[:depth]))
    return tuple(dict.fromkeys(os.path.normpath(p) for p in places))


def facts(job: JobModel, root: Path, bases: tuple[str, ...]) -> list[Fact]:
    """An ``output-dir-missing`` fact for each output/error folder that will not be there.

    ``bases``: the folders sbatch may be run from (:func:`submit_dirs`).
    """
    found: list[Fact] = []
    chdir = job.options.get("chdir")
    if chdir is not None:
        if chdir.startswith(("/", "~")) or "$" in chdir or "%" in chdir:
            return []
        bases = tuple(os.path.join(b, chdir) for b in bases)
    for option in ("output", "error"):
        value = job.options.get(option)
        if not value or "/" not in value:
            continue
        folder = value.rsplit("/", 1)[0]
        if not folder or folder.startswith(("/", "~")) or any(c in folder for c in "$%`{"):
            continue
        if not _missing(folder, bases, str(root)):
            continue
        found.append(Fact(
            "output-dir-missing", job.lines.get(option, 1),
            f"`--{option}={value}` writes into {folder}/, which is not in the repository and "
            f"nothing in it creates before submission: slurmd cannot open the file, and the "
            f"job fails at once (JobState=FAILED, Reason=JobLaunchFailure) without any log",
            f"create {folder}/ before sbatch (commit it with a .gitkeep, or `mkdir -p {folder}` "
            f"in the submit script); an `mkdir` in the job's own body runs too late",
            data={"option": option, "folder": folder}))
    return found
