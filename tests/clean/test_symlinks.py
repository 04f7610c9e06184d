"""Symlinks and clean: a link and its target are one script, and no link is left dangling.

Real git repositories with links of every form (relative, absolute inside the
repository, a chain of links, a link under a name discovery does not take for
a job script): the plan moves each link with the script it reaches and says
so, restore puts both back, and a second plan after the restore is the first.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from .support import git, make_repo, sk, snapshot

JOB = b"#!/bin/bash\n#SBATCH --time=10\n#SBATCH --ntasks=1\nsrun hostname\n"


def _repo(tmp_path: Path) -> Path:
    """z/job.sh (the file), a/job.sh (a copy that wins the election by its path), links."""
    repo = make_repo(tmp_path / "repo", {"z/job.sh": JOB, "a/job.sh": JOB,
                                         "README.txt": b"x\n"}, commit=False)
    (repo / "launchers").mkdir()
    os.symlink("../z/job.sh", repo / "launchers/relative.sh")
    os.symlink(str(repo / "z/job.sh"), repo / "launchers/absolute.sh")
    os.symlink("../launchers/relative.sh", repo / "a/chain.sh")
    (repo / "docs").mkdir()
    os.symlink("../z/job.sh", repo / "docs/job-example.txt")  # never a job script by name
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    return repo


def _scan(repo: Path) -> dict[str, tuple[str, str | None]]:
    out = sk(repo, "scan", "--no-cache", "--format", "json", "--exit-zero", ".")
    return {s["path"]: (s["verdict"], s.get("redundant_of"))
            for s in json.loads(out.stdout)["scripts"]}


def _plan(repo: Path) -> str:
    out = sk(repo, "clean", "--dry-run")
    assert out.returncode == 0, out.stderr
    return re.sub(r"backup_\d{8}T\d{6}Z(_\d+)?", "backup_STAMP", out.stdout)


def _dangling(repo: Path) -> list[str]:
    return sorted(str(p.relative_to(repo)) for p in repo.rglob("*")
                  if p.is_symlink() and not p.exists() and "backup_" not in str(p))


def test_a_link_is_never_redundant_of_its_target_and_shares_its_verdict(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    assert _scan(repo) == {
        "a/job.sh": ("keep", None),
        "z/job.sh": ("redundant", "a/job.sh"),
        # one script under other names: redundant with the file, of the same keeper
        "launchers/relative.sh": ("redundant", "a/job.sh"),
        "launchers/absolute.sh": ("redundant", "a/job.sh"),
        "a/chain.sh": ("redundant", "a/job.sh"),
    }


def test_links_of_a_kept_file_stay_kept(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"z/job.sh": JOB}, commit=False)
    os.symlink("job.sh", repo / "z/job_old.sh")  # a marker that would lose an election
    os.symlink("z/job.sh", repo / "z2.sh")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    assert _scan(repo) == {"z/job.sh": ("keep", None), "z/job_old.sh": ("keep", None),
                           "z2.sh": ("keep", None)}


def test_clean_moves_every_link_with_its_target_and_restore_puts_them_back(
        tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    before = snapshot(repo)
    plan = _plan(repo)
    for link in ("launchers/relative.sh", "launchers/absolute.sh", "a/chain.sh",
                 "docs/job-example.txt"):
        assert f"  {link}  ->" in plan, plan
    assert "docs/job-example.txt" in plan and "moved with it so that it does not dangle" in plan
    done = sk(repo, "clean", "--yes")
    assert done.returncode == 0, done.stderr
    assert not (repo / "z/job.sh").exists()
    assert _dangling(repo) == []
    assert (repo / "a/job.sh").read_bytes() == JOB
    assert sk(repo, "restore").returncode == 0
    assert snapshot(repo) == before
    assert git(repo, "status", "--porcelain") == ""
    # the restore commit changes nothing the next plan decides on
    assert _plan(repo) == plan


def test_a_pinned_link_keeps_its_target_in_place(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "rules.yaml").write_text("redundancy:\n  pin: [docs/job-example.txt]\n")
    git(repo, "add", "rules.yaml")
    git(repo, "commit", "-q", "-m", "pin")
    plan = _plan(repo)
    assert "z/job.sh  ->" not in plan
    assert "the pinned symlink docs/job-example.txt points to it" in plan
    assert sk(repo, "clean", "--yes").returncode == 0
    assert (repo / "z/job.sh").read_bytes() == JOB
    assert _dangling(repo) == []
