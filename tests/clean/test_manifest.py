"""MANIFEST.yaml as record and journal, and the path checks every restore relies on."""

from __future__ import annotations

from pathlib import Path

import pytest

from scriptkeeper.clean.manifest import NAME, Entry, Manifest, ManifestError, parse, read
from scriptkeeper.clean.paths import UnsafePath, check_no_symlink, check_relative

SHA = "ab" * 32


def _manifest(*paths: str) -> Manifest:
    files = [Entry(path=p, stored=p.split("/", 1)[-1], sha256=SHA, size=3, type="file",
                   git="tracked", verdict="broken", reason="missing-shebang: x",
                   findings=[{"code": "SK001", "rule": "missing-shebang", "severity": "error",
                              "line": 1, "message": "x"}],
                   head=f"100644 {'c' * 40}", index=f"100755 {'d' * 40}")
             for p in paths]
    return Manifest(backup="scripts/backup_20250101T000000Z", created="2025-01-01T00:00:00Z",
                    tool="0.1.0", commit=True, files=files)


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    manifest = _manifest("scripts/a b.slurm", "scripts/日本/ジョブ.slurm")
    manifest.write(tmp_path, "test")
    again = read(tmp_path)
    assert again == manifest
    assert not (tmp_path / (NAME + ".tmp")).exists()


def test_the_journal_updates_states_and_a_cut_line_is_dropped(tmp_path: Path) -> None:
    manifest = _manifest("scripts/a.slurm", "scripts/b.slurm")
    manifest.write(tmp_path, "test")
    Manifest.open_journal(tmp_path)
    Manifest.journal(tmp_path, 0, "moving")
    Manifest.journal(tmp_path, 0, "moved")
    Manifest.journal(tmp_path, 1, "moving")
    assert [e.state for e in read(tmp_path).files] == ["moved", "moving"]
    with open(tmp_path / NAME, "ab") as out:
        out.write(b"- [1, mov")  # a crash in the middle of a line
    assert [e.state for e in read(tmp_path).files] == ["moved", "moving"]
    # resuming drops the cut line and continues the same journal
    Manifest.open_journal(tmp_path)
    Manifest.journal(tmp_path, 1, "moved")
    text = (tmp_path / NAME).read_text()
    assert text.count("journal:") == 1 and "mov-" not in text
    assert [e.state for e in read(tmp_path).files] == ["moved", "moved"]


@pytest.mark.parametrize(("change", "needle"), [
    (("format: 1", "format: 2"), "unknown manifest format"),
    ((SHA, "xyz"), "64 hex"),
    (("type: file", "type: fifo"), "file or symlink"),
    (("git: tracked", "git: maybe"), "git must be"),
    (("state: planned", "state: lost"), "unknown state"),
    (("stored: a.slurm", "stored: MANIFEST.yaml"), "collides with the manifest"),
    (("path: scripts/b.slurm", "path: scripts/a.slurm"), "listed twice"),
    (("head: 100644", "head: 100666"), "'head' must be"),
    (("backup: scripts/backup_20250101T000000Z", "backup: /tmp/x"), "is absolute"),
    (("path: scripts/a.slurm", "path: ../a.slurm"), "contains '..'"),
])
def test_bad_manifests_are_refused(change: tuple[str, str], needle: str) -> None:
    text = _manifest("scripts/a.slurm", "scripts/b.slurm").dump().decode()
    assert change[0] in text
    with pytest.raises(ManifestError, match=needle):
        parse(text.replace(change[0], change[1], 1).encode())


def test_a_bad_journal_line_is_refused() -> None:
    text = _manifest("scripts/a.slurm").dump() + b"journal:\n- [7, moved]\n"
    with pytest.raises(ManifestError, match="bad journal line"):
        parse(text)


@pytest.mark.parametrize("bad", ["", "/abs", "a/../b", "..", "a//b", "a/./b", "a/", "./a",
                                 ".git/config", "x/.GIT/hooks/pre-commit", "a\0b", "C:/x"])
def test_unsafe_relative_paths(bad: str) -> None:
    with pytest.raises(UnsafePath):
        check_relative(bad)


@pytest.mark.parametrize("good", ["a", "a b/c d.slurm", "ü/ジョブ.slurm", "...x", "a..b/c",
                                  ".hidden/x", "a\\..\\b"])
def test_plain_relative_paths_pass(good: str) -> None:
    assert check_relative(good) == good


def test_no_symlinked_folder_on_the_way(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "real").mkdir(parents=True)
    (root / "link").symlink_to(root / "real", target_is_directory=True)
    (root / "file").write_text("x")
    assert check_no_symlink(root, "real/new/x.slurm") == root / "real/new/x.slurm"
    # the last part may be a symlink: a symlinked script is moved as a link
    assert check_no_symlink(root, "link") == root / "link"
    with pytest.raises(UnsafePath, match="symlink 'link'"):
        check_no_symlink(root, "link/x.slurm")
    with pytest.raises(UnsafePath, match="not a folder"):
        check_no_symlink(root, "file/x.slurm")
