"""restore refuses crafted or damaged backups and writes nothing.

Each case builds a backup folder by hand, with a manifest pointing outside
the repository (``..``, an absolute path, a symlinked folder on the way,
``.git``), or a backup that no longer matches it. The repository (with
.git) and the outside folder a write would reach are compared byte for byte
before and after.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from .support import broken_script, git, kept_script, make_repo, sk, snapshot

BACKUP = "scripts/backup_20250101T000000Z"
PAYLOAD = b"#!/bin/bash\necho owned\n"


def _entry(path: str, stored: str = "evil.slurm", data: bytes = PAYLOAD) -> dict[str, Any]:
    return {"path": path, "stored": stored, "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data), "type": "file", "git": "untracked", "verdict": "broken",
            "reason": "", "keeper": None, "findings": [], "state": "moved", "head": None,
            "index": None}


def _backup(repo: Path, files: list[dict[str, Any]], backup: str = BACKUP,
            stored: dict[str, bytes] | None = None) -> Path:
    folder = repo / backup
    folder.mkdir(parents=True, exist_ok=True)
    for rel, data in (stored if stored is not None else {"evil.slurm": PAYLOAD}).items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    manifest = {"scriptkeeper": "0.1.0", "format": 1, "operation": "clean",
                "created": "2025-01-01T00:00:00Z", "backup": backup, "commit": False,
                "status": "complete", "files": files}
    (folder / "MANIFEST.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return folder


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {"scripts/keep.slurm": kept_script("k")})


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "victim.slurm").write_bytes(b"untouched\n")
    return folder


def _refused(repo: Path, outside: Path, needle: str, *args: str) -> None:
    inside_before = snapshot(repo, include_git=True)
    outside_before = snapshot(outside)
    passwd = hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest()
    for dry in ([], ["--dry-run"]):
        out = sk(repo, "restore", *args, *dry)
        assert out.returncode == 1, (out.stdout, out.stderr)
        assert needle in out.stderr, out.stderr
        assert snapshot(repo, include_git=True) == inside_before
        assert snapshot(outside) == outside_before
    assert hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest() == passwd


@pytest.mark.parametrize(("path", "needle"), [
    ("../../etc/passwd", "contains '..'"),
    ("scripts/../../outside/victim.slurm", "contains '..'"),
    ("/etc/passwd", "is absolute"),
    (".git/hooks/pre-commit", "points into a .git folder"),
    ("scripts/./x.slurm", "not a plain relative path"),
])
def test_unsafe_original_paths_are_refused(repo: Path, outside: Path, path: str,
                                           needle: str) -> None:
    _backup(repo, [_entry(path)])
    _refused(repo, outside, needle)


def test_a_symlinked_folder_on_the_way_is_refused(repo: Path, outside: Path) -> None:
    (repo / "scripts" / "jobs").symlink_to(outside, target_is_directory=True)
    git(repo, "add", "scripts/jobs")
    git(repo, "commit", "-q", "-m", "a symlink to a folder outside")
    _backup(repo, [_entry("scripts/jobs/evil.slurm")])
    _refused(repo, outside, "goes through the symlink 'scripts/jobs'")


def test_a_stored_path_through_a_symlink_is_refused(repo: Path, outside: Path) -> None:
    folder = _backup(repo, [_entry("scripts/new.slurm", stored="sub/evil.slurm")], stored={})
    (folder / "sub").symlink_to(outside, target_is_directory=True)
    (outside / "evil.slurm").write_bytes(PAYLOAD)
    _refused(repo, outside, "goes through the symlink")


def test_a_backup_whose_manifest_names_another_folder_is_refused(repo: Path,
                                                                 outside: Path) -> None:
    _backup(repo, [_entry("scripts/evil.slurm")], backup=BACKUP)
    manifest = repo / BACKUP / "MANIFEST.yaml"
    manifest.write_text(manifest.read_text().replace(BACKUP, "elsewhere/backup_20250101T000000Z"))
    _refused(repo, outside, "a moved backup is refused", BACKUP)


def test_python_tags_in_the_manifest_are_refused(repo: Path, outside: Path) -> None:
    folder = _backup(repo, [_entry("scripts/evil.slurm")])
    (folder / "MANIFEST.yaml").write_text(
        "!!python/object/apply:os.system ['touch " + str(outside / "pwned") + "']\n")
    _refused(repo, outside, "refusing the manifest", BACKUP)
    assert not (outside / "pwned").exists()


def test_a_place_holding_other_content_is_refused(repo: Path, outside: Path) -> None:
    (repo / "scripts/evil.slurm").write_bytes(b"the user's new work\n")
    _backup(repo, [_entry("scripts/evil.slurm")])
    _refused(repo, outside, "exists with other content")


def test_a_changed_backup_copy_is_refused(repo: Path, outside: Path) -> None:
    _backup(repo, [_entry("scripts/evil.slurm")], stored={"evil.slurm": b"tampered\n"})
    _refused(repo, outside, "is not what the manifest recorded")


def test_a_missing_backup_copy_is_refused(repo: Path, outside: Path) -> None:
    _backup(repo, [_entry("scripts/evil.slurm"), _entry("scripts/gone.slurm", "gone.slurm",
                                                        broken_script("gone"))])
    _refused(repo, outside, "is neither in")


def test_one_bad_entry_refuses_the_whole_restore(repo: Path, outside: Path) -> None:
    good = broken_script("good")
    _backup(repo, [_entry("scripts/good.slurm", "good.slurm", good), _entry("/etc/passwd")],
            stored={"good.slurm": good, "evil.slurm": PAYLOAD})
    _refused(repo, outside, "is absolute")
    assert not (repo / "scripts/good.slurm").exists()


def test_a_sound_hand_made_backup_restores(repo: Path) -> None:
    """The same builder with safe paths: proves the refusals above are about the paths."""
    _backup(repo, [_entry("scripts/nested/evil.slurm")])
    out = sk(repo, "restore")
    assert out.returncode == 0, out.stderr
    assert (repo / "scripts/nested/evil.slurm").read_bytes() == PAYLOAD
    assert not (repo / BACKUP).exists()
