"""The git side of the clean stage, through GitPython (imported only here).

- the states in which ``clean``/``restore`` refuse: a merge, rebase, am,
  cherry-pick, revert or bisect in progress, no committer identity;
- what git knows about the scripts to move (``status``, HEAD, the index);
- the commit: built in a *temporary* index (``GIT_INDEX_FILE``) read from
  HEAD, so it holds exactly the given changes whatever the user staged, then
  HEAD moves with a compare-and-swap ``update-ref``;
- the user's index: only the moved paths change (one ``update-index
  --index-info``, which takes git's own ``index.lock``); every other staged
  or unstaged change stays as it was.

Every command runs with literal pathspecs (a script named ``a*.slurm`` is
that file, not a glob) and without optional locks (reading never rewrites
the index).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scriptkeeper.clean.errors import Refused

ZERO = "0" * 40
_LOCK_TRIES = 50
MODE_LINK, MODE_FILE, MODE_EXEC = "120000", "100644", "100755"
_CHUNK = 500


class GitError(RuntimeError):
    pass


@dataclass(frozen=True)
class Change:
    """One index entry to set (``mode`` and ``sha``) or to remove (``mode`` None)."""

    path: str
    mode: str | None = None
    sha: str | None = None

    def record(self) -> bytes:
        if self.mode is None:
            return f"0 {ZERO}\t".encode() + self.path.encode("utf-8", "surrogateescape") + b"\0"
        return (f"{self.mode} {self.sha}\t".encode()
                + self.path.encode("utf-8", "surrogateescape") + b"\0")


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def _split0(data: bytes) -> list[str]:
    return [p.decode("utf-8", "surrogateescape") for p in data.split(b"\0") if p]


class GitRepo:
    """A repository's work tree at ``root`` (the top level)."""

    def __init__(self, root: Path) -> None:
        import git

        self.root = root
        self.repo: Any = git.Repo(root)
        self.git_dir = Path(self.repo.git_dir).resolve()

    # -- running git -------------------------------------------------------------
    def run(self, *args: str, input: bytes | None = None, env: dict[str, str] | None = None,
            check: bool = True) -> tuple[int, bytes, str]:
        environment = {"GIT_LITERAL_PATHSPECS": "1", "GIT_OPTIONAL_LOCKS": "0"}
        environment.update(env or {})
        with tempfile.TemporaryFile() as stdin:
            if input is not None:
                stdin.write(input)
                stdin.seek(0)
            status, out, err = self.repo.git.execute(
                ["git", *args], istream=stdin if input is not None else None, env=environment,
                with_extended_output=True, with_exceptions=False, stdout_as_string=False,
                strip_newline_in_stdout=False)
        if check and status != 0:
            raise GitError(f"git {' '.join(args[:3])} failed: {str(err).strip()}")
        return int(status), bytes(out), str(err)

    def out(self, *args: str, input: bytes | None = None,
            env: dict[str, str] | None = None) -> bytes:
        return self.run(*args, input=input, env=env)[1]

    # -- states --------------------------------------------------------------------
    def head(self) -> str | None:
        status, out, _ = self.run("rev-parse", "-q", "--verify", "HEAD^{commit}", check=False)
        return out.decode().strip() if status == 0 else None

    def operation_in_progress(self) -> str | None:
        """A merge, rebase, am, cherry-pick, revert or bisect under way, or None."""
        checks = (("MERGE_HEAD", "a merge"), ("rebase-merge", "a rebase"),
                  ("rebase-apply/applying", "a 'git am'"), ("rebase-apply", "a rebase"),
                  ("CHERRY_PICK_HEAD", "a cherry-pick"), ("REVERT_HEAD", "a revert"),
                  ("sequencer", "a cherry-pick or revert sequence"), ("BISECT_LOG", "a bisect"))
        for name, what in checks:
            if (self.git_dir / name).exists():
                return what
        return None

    def index_locked(self) -> bool:
        """Is ``index.lock`` there (another git command running, or one that crashed)?"""
        return (self.git_dir / "index.lock").exists()

    def hidden_changes(self, paths: list[str]) -> set[str]:
        """Paths marked assume-unchanged or skip-worktree: status cannot vouch for them."""
        flagged: set[str] = set()
        for chunk in _chunks(paths):
            for record in self.out("ls-files", "-v", "-z", "--", *chunk).split(b"\0"):
                if len(record) > 2 and (record[:1].islower() or record[:1] == b"S"):
                    flagged.add(record[2:].decode("utf-8", "surrogateescape"))
        return flagged

    def refuse_states(self) -> None:
        what = self.operation_in_progress()
        if what is not None:
            raise Refused(f"{what} is in progress in {self.root}: finish or abort it first")

    def identity_problem(self) -> str | None:
        for var in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"):
            status, _, err = self.run("var", var, check=False)
            if status != 0:
                first = next((line for line in err.splitlines() if line.strip()), "")
                return (f"git has no {var.split('_')[1].lower()} identity ({first.strip()}); "
                        f"set user.name and user.email")
        return None

    # -- what git knows about paths -------------------------------------------------
    def status(self, paths: list[str]) -> dict[str, str]:
        """Porcelain XY codes of ``paths`` that differ from HEAD (untracked: ``??``)."""
        codes: dict[str, str] = {}
        for chunk in _chunks(paths):
            out = self.out("status", "--porcelain=v1", "-z", "--untracked-files=all",
                           "--ignore-submodules=all", "--no-renames", "--", *chunk)
            fields = out.split(b"\0")
            index = 0
            while index < len(fields):
                entry = fields[index]
                index += 1
                if len(entry) < 4:
                    continue
                code = entry[:2].decode()
                codes[entry[3:].decode("utf-8", "surrogateescape")] = code
                if code[0] in "RC":
                    index += 1
        return codes

    def tree_entries(self, treeish: str | None, paths: list[str]) -> dict[str, tuple[str, str]]:
        """path -> (mode, sha) in ``treeish`` (nothing for an unborn HEAD)."""
        found: dict[str, tuple[str, str]] = {}
        if treeish is None:
            return found
        for chunk in _chunks(paths):
            out = self.out("ls-tree", "-r", "-z", "--full-tree", treeish, "--", *chunk)
            for record in out.split(b"\0"):
                if not record:
                    continue
                meta, _, name = record.partition(b"\t")
                mode, _kind, sha = meta.decode().split()
                found[name.decode("utf-8", "surrogateescape")] = (mode, sha)
        return found

    def index_entries(self, paths: list[str]) -> dict[str, tuple[str, str, int]]:
        """path -> (mode, sha, stage) in the user's index (the highest stage if unmerged)."""
        found: dict[str, tuple[str, str, int]] = {}
        for chunk in _chunks(paths):
            out = self.out("ls-files", "-s", "-z", "--", *chunk)
            for record in out.split(b"\0"):
                if not record:
                    continue
                meta, _, name = record.partition(b"\t")
                mode, sha, stage = meta.decode().split()
                found[name.decode("utf-8", "surrogateescape")] = (mode, sha, int(stage))
        return found

    def index_has(self, folder: str) -> bool:
        """Does the index hold ``folder`` or anything below it?"""
        return bool(self.out("ls-files", "-z", "--", folder).strip(b"\0"))

    def show(self, treeish: str, path: str) -> bytes | None:
        status, out, _ = self.run("cat-file", "blob", f"{treeish}:{path}", check=False)
        return out if status == 0 else None

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        status, _, _ = self.run("merge-base", "--is-ancestor", ancestor, descendant,
                                check=False)
        return status == 0

    # -- writing objects -------------------------------------------------------------
    def hash_bytes(self, data: bytes) -> str:
        return self.out("hash-object", "-w", "--no-filters", "--stdin", input=data).decode().strip()

    def hash_file(self, file: Path, attributes_of: str) -> str:
        """Store ``file`` as git add would at ``attributes_of`` (its filters apply)."""
        return self.out("hash-object", "-w", f"--path={attributes_of}", "--",
                        str(file.absolute())).decode().strip()

    def make_commit(self, changes: Iterable[Change], message: str, parent: str | None) -> str:
        """A commit object: ``parent``'s tree with ``changes``; no ref, no index touched."""
        with tempfile.TemporaryDirectory(prefix="scriptkeeper-") as scratch:
            env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
            if parent is not None:
                self.run("read-tree", parent, env=env)
            else:
                self.run("read-tree", "--empty", env=env)
            self.run("update-index", "-z", "--index-info",
                     input=b"".join(c.record() for c in changes), env=env)
            tree = self.out("write-tree", env=env).decode().strip()
        args = ["commit-tree", tree]
        if parent is not None:
            args += ["-p", parent]
        return self.out(*args, input=message.encode("utf-8", "surrogateescape")).decode().strip()

    def move_head(self, new: str, old: str | None, reason: str) -> None:
        """Point HEAD (its branch) at ``new`` if it still is at ``old``."""
        self.run("update-ref", "-m", reason, "HEAD", new, old or ZERO)

    def apply_to_index(self, changes: Iterable[Change]) -> None:
        """Set or remove just these entries of the user's index, then refresh stat data.

        Another git command holding ``index.lock`` for a moment (an editor's
        ``git status``) is waited for, a few seconds at most.
        """
        records = b"".join(c.record() for c in changes)
        for attempt in range(_LOCK_TRIES):
            if not records:
                break
            status, _, err = self.run("update-index", "-z", "--index-info", input=records,
                                      check=False)
            if status == 0:
                break
            if "index.lock" not in err or attempt == _LOCK_TRIES - 1:
                raise GitError(f"git update-index failed: {err.strip()}")
            time.sleep(0.1)
        # only stat data changes: staged and unstaged content stay as they are
        self.run("update-index", "-q", "--refresh", check=False)

    def log(self, *args: str) -> bytes:
        if self.head() is None:
            return b""
        return self.out("log", *args)
