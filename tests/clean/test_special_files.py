"""clean and restore with the files real folders hold: untracked scripts, odd names,
nested folders, symlinks. Real git repositories, the CLI in a subprocess."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from .support import (
    backups,
    broken_script,
    changed_paths,
    file_state,
    git,
    kept_script,
    make_repo,
    sk,
    snapshot,
)


def test_untracked_script_is_backed_up_committed_and_comes_back_untracked(
        tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"scripts/keep.slurm": kept_script("k"),
                                         "scripts/old.slurm": broken_script("tracked")})
    (repo / "scripts/new.slurm").write_bytes(broken_script("untracked"))
    before = snapshot(repo)

    out = sk(repo, "clean", "--yes")

    assert out.returncode == 0, out.stderr
    [folder] = backups(repo)
    rel = folder.relative_to(repo).as_posix()
    assert changed_paths(repo) == {"scripts/old.slurm": "D", f"{rel}/old.slurm": "A",
                                   f"{rel}/new.slurm": "A", f"{rel}/MANIFEST.yaml": "A"}
    manifest = yaml.safe_load((folder / "MANIFEST.yaml").read_text())
    assert {f["path"]: f["git"] for f in manifest["files"]} == {
        "scripts/new.slurm": "untracked", "scripts/old.slurm": "tracked"}
    assert git(repo, "status", "--porcelain") == ""

    assert sk(repo, "restore").returncode == 0
    assert snapshot(repo) == before
    assert git(repo, "status", "--porcelain") == "?? scripts/new.slurm\n"


def test_spaces_non_ascii_and_nested_folders_keep_their_relative_paths(tmp_path: Path) -> None:
    names = ["scripts/with space.slurm", "scripts/größe 2×.slurm", "scripts/日本/ジョブ.slurm",
             "scripts/a/b/c/deep (copy).slurm", "scripts/*glob[1].slurm"]
    files = {name: broken_script(name) for name in names}
    files["scripts/a/keep.slurm"] = kept_script("keep")
    repo = make_repo(tmp_path / "repo", files)
    before = snapshot(repo)

    out = sk(repo, "clean", "--yes")

    assert out.returncode == 0, out.stderr
    [folder] = backups(repo)
    assert folder.parent == repo / "scripts"
    for name in names:
        assert not (repo / name).exists()
        assert file_state(folder / name.removeprefix("scripts/")) == before[name]
    # the folders only moved scripts lived in are gone; the others stay
    assert not (repo / "scripts/日本").exists() and not (repo / "scripts/a/b").exists()
    assert (repo / "scripts/a/keep.slurm").is_file()
    rel = folder.relative_to(repo).as_posix()
    assert set(changed_paths(repo)) == set(names) | {
        f"{rel}/{n.removeprefix('scripts/')}" for n in names} | {f"{rel}/MANIFEST.yaml"}

    assert sk(repo, "restore").returncode == 0
    assert snapshot(repo) == before
    assert git(repo, "status", "--porcelain") == ""


def test_symlinked_script_moves_as_a_link_and_its_target_is_untouched(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {
        "rules.yaml": b"scripts: {include: ['scripts/**']}\n",
        "templates/template.slurm": broken_script("template"),
        "scripts/keep.slurm": kept_script("k")})
    (repo / "scripts/linked.slurm").symlink_to("../templates/template.slurm")
    git(repo, "add", "scripts/linked.slurm")
    git(repo, "commit", "-q", "-m", "a linked script")
    target_before = file_state(repo / "templates/template.slurm")
    before = snapshot(repo)

    out = sk(repo, "clean", "--yes")

    assert out.returncode == 0, out.stderr
    [folder] = backups(repo)
    moved = folder / "linked.slurm"
    assert moved.is_symlink() and os.readlink(moved) == "../templates/template.slurm"
    assert file_state(repo / "templates/template.slurm") == target_before
    rel = folder.relative_to(repo).as_posix()
    assert git(repo, "ls-tree", "HEAD", f"{rel}/linked.slurm").startswith("120000 blob")
    assert set(changed_paths(repo)) == {"scripts/linked.slurm", f"{rel}/linked.slurm",
                                        f"{rel}/MANIFEST.yaml"}

    assert sk(repo, "restore").returncode == 0
    assert snapshot(repo) == before
    assert os.readlink(repo / "scripts/linked.slurm") == "../templates/template.slurm"
    assert git(repo, "status", "--porcelain") == ""


def test_executable_bit_survives(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"jobs/run.sbatch": broken_script("x"),
                                         "jobs/keep.sbatch": kept_script("k")})
    (repo / "jobs/run.sbatch").chmod(0o755)
    git(repo, "add", "jobs/run.sbatch")
    git(repo, "commit", "-q", "-m", "executable")
    before = snapshot(repo)
    assert sk(repo, "clean", "--yes").returncode == 0
    [folder] = backups(repo)
    assert folder.parent == repo / "jobs"
    rel = folder.relative_to(repo).as_posix()
    assert git(repo, "ls-tree", "HEAD", f"{rel}/run.sbatch").startswith("100755 blob")
    assert sk(repo, "restore").returncode == 0
    assert snapshot(repo) == before and git(repo, "status", "--porcelain") == ""


def test_scripts_in_several_folders_share_one_backup_at_their_common_folder(
        tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"train/a.slurm": broken_script("a"),
                                         "eval/b.slurm": broken_script("b"),
                                         "eval/keep.slurm": kept_script("k")})
    assert sk(repo, "clean", "--yes").returncode == 0
    [folder] = backups(repo)
    assert folder.parent == repo
    assert (folder / "train/a.slurm").is_file() and (folder / "eval/b.slurm").is_file()
