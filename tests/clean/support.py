"""Helpers for the clean/restore tests: real git repositories in temporary folders.

Every helper runs the real thing: ``git`` and the ``scriptkeeper`` CLI in a
subprocess (``python -m scriptkeeper``), so a SIGKILL, a terminal or a git
hook is real too.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "navsim-workspace"
BACKUP = re.compile(r"^backup_\d{8}T\d{6}Z(?:_\d+)?$")


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child: no git or pre-commit variables leaking in from a hook."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GIT_", "SCRIPTKEEPER_")) and k != "PRE_COMMIT"}
    env.update({"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
                "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org",
                "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
                "HOME": env.get("HOME", "/root"), "NO_COLOR": "1"})
    env.update(extra or {})
    return env


def git(repo: Path, *args: str, check: bool = True, env: Mapping[str, str] | None = None,
        input: bytes | None = None) -> str:
    out = subprocess.run(["git", *args], cwd=repo, capture_output=True, check=False,
                         env=clean_env(env), input=input)
    if check and out.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {out.stderr.decode()}")
    return out.stdout.decode("utf-8", "surrogateescape")


def sk(cwd: Path, *args: str, env: Mapping[str, str] | None = None,
       input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the scriptkeeper CLI in ``cwd``."""
    return subprocess.run([sys.executable, "-m", "scriptkeeper", *args], cwd=cwd,
                          capture_output=True, text=True, env=clean_env(env), input=input,
                          check=False)


def init_repo(folder: Path) -> Path:
    git(folder, "init", "-q", "-b", "main")
    return folder


def commit_all(repo: Path, message: str = "initial") -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def copy_example(dest: Path) -> Path:
    """The shipped example workspace, writable, in a fresh git repository, committed."""
    shutil.copytree(EXAMPLE, dest)
    for folder, dirs, files in os.walk(dest):
        for name in dirs + files:
            full = Path(folder, name)
            full.chmod(full.stat().st_mode | stat.S_IWUSR)
    dest.chmod(dest.stat().st_mode | stat.S_IWUSR)
    init_repo(dest)
    commit_all(dest, "the example workspace")
    return dest


def file_state(path: Path) -> tuple[str, str]:
    """(kind, sha256) of a file or symlink (the link text for a symlink)."""
    if path.is_symlink():
        return "symlink", hashlib.sha256(os.fsencode(os.readlink(path))).hexdigest()
    mode = "exec" if path.stat().st_mode & 0o100 else "file"
    return mode, hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(root: Path, include_git: bool = False) -> dict[str, tuple[str, str]]:
    """Every file and folder below ``root`` with its kind and hash (.git only if asked)."""
    found: dict[str, tuple[str, str]] = {}
    for folder, dirs, files in os.walk(root):
        if not include_git and Path(folder) == root and ".git" in dirs:
            dirs.remove(".git")
        for name in dirs:
            full = Path(folder, name)
            rel = full.relative_to(root).as_posix()
            found[rel + "/"] = ("symlink", os.readlink(full)) if full.is_symlink() else (
                "dir", "")
        for name in files:
            full = Path(folder, name)
            found[full.relative_to(root).as_posix()] = file_state(full)
    return found


def git_state(repo: Path) -> dict[str, str]:
    """What git says: status, HEAD, the index file's hash, the staged and unstaged diffs."""
    index = repo / ".git" / "index"
    return {
        "status": git(repo, "status", "--porcelain=v1", "--untracked-files=all"),
        "head": git(repo, "rev-parse", "HEAD").strip(),
        "index": hashlib.sha256(index.read_bytes()).hexdigest() if index.exists() else "",
        "staged": git(repo, "diff", "--cached", "--binary"),
        "unstaged": git(repo, "diff", "--binary"),
    }


def backups(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("backup_*") if p.is_dir() and BACKUP.match(p.name)
                  and ".git" not in p.parts)


def changed_paths(repo: Path, rev: str = "HEAD") -> dict[str, str]:
    """path -> A/D/M of one commit, without rename detection."""
    out = git(repo, "diff-tree", "-r", "-z", "--no-renames", "--name-status", "--root", rev)
    fields = [f for f in out.split("\0") if f]
    if fields and re.fullmatch(r"[0-9a-f]{40}", fields[0]):
        fields = fields[1:]
    return {fields[i + 1]: fields[i] for i in range(0, len(fields), 2)}


def expected_moves(workspace: Path) -> set[str]:
    """From EXPECTED.md: every script broken or redundant, minus the pinned ones."""
    import yaml

    text = (workspace / "EXPECTED.md").read_text(encoding="utf-8")
    verdicts: dict[str, str] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].startswith("`") and cells[0].endswith("`"):
            verdicts["scripts/" + cells[0].strip("`")] = cells[1]
    pins = set(yaml.safe_load((workspace / "rules.yaml").read_text())["redundancy"]["pin"])
    return {p for p, v in verdicts.items() if v in ("broken", "redundant") and p not in pins}


def broken_script(tag: str) -> bytes:
    """A job script sbatch refuses (a comment before the shebang), unique by ``tag``."""
    return f"# job {tag}\n#!/bin/bash\n#SBATCH --time=10\necho {tag}\n".encode()


def kept_script(tag: str) -> bytes:
    """A job script with nothing wrong, unique by ``tag``."""
    return f"#!/bin/bash\n#SBATCH --time=10\n#SBATCH --ntasks=1\necho keep {tag}\n".encode()


def make_repo(folder: Path, files: Mapping[str, bytes], commit: bool = True) -> Path:
    """A git repository holding ``files`` (committed unless told not to)."""
    folder.mkdir(parents=True, exist_ok=True)
    init_repo(folder)
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    if commit:
        commit_all(folder)
    return folder
