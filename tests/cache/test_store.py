"""The result cache: hits only when nothing a result depends on changed; bad caches discarded."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from scriptkeeper.cache import store as cache
from scriptkeeper.pipeline.discover import discover
from scriptkeeper.pipeline.scan import prepare, run_scan
from scriptkeeper.records import ScanReport
from scriptkeeper.rules.config import load_config
from tests.hook.repo import BROKEN, GOOD, Repo, example_repo

CACHE_FILE = Path(cache.CACHE_DIR) / cache.CACHE_FILE


@pytest.fixture(autouse=True)
def _cache_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCRIPTKEEPER_NO_CACHE", raising=False)


def scan(root: Path, use_cache: bool = True) -> ScanReport:
    return run_scan([root], use_cache=use_cache)


def hits(root: Path) -> dict[str, bool]:
    """For each job script of ``root``: would the cache answer for it now?"""
    root, in_git, config = prepare([root], None)
    found = discover([root], config.include, config.exclude, root=root, in_git=in_git)
    store = cache.ResultCache.open(found.root, found.in_git)
    return {c.path: store.lookup(c.path, c.data, config) is not None for c in found.scripts}


def same(a: ScanReport, b: ScanReport) -> bool:
    return a.as_json() == b.as_json()


def test_a_second_scan_is_answered_from_the_cache_with_the_same_report(tmp_path: Path) -> None:
    repo = example_repo(tmp_path / "ws")
    assert not any(hits(repo.path).values())
    cold = scan(repo.path)
    assert (repo.path / CACHE_FILE).is_file()
    answered = hits(repo.path)
    assert len(answered) >= 19 and all(answered.values())
    assert same(scan(repo.path), cold)
    assert same(scan(repo.path, use_cache=False), cold)


def test_the_cache_ignores_itself_and_is_tagged(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r", {"a.slurm": GOOD})
    repo.commit()
    scan(repo.path)
    assert repo.status() == ""
    folder = repo.path / cache.CACHE_DIR
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (folder / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f")


def test_an_edited_script_is_judged_again_and_the_others_are_not(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r", {"a.slurm": GOOD, "b.slurm": GOOD})
    repo.commit()
    scan(repo.path)
    repo.write("a.slurm", BROKEN)
    assert hits(repo.path) == {"a.slurm": False, "b.slurm": True}
    report = scan(repo.path)
    assert {s.path: s.verdict for s in report.scripts}["a.slurm"] == "broken"
    assert same(report, scan(repo.path, use_cache=False))


def test_a_changed_configuration_is_not_answered_from_the_cache(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r", {"a.slurm": BROKEN})
    repo.commit()
    assert scan(repo.path).summary["broken"] == 1
    repo.write("rules.yaml", "rules:\n  conflicting-options: {severity: warning}\n")
    report = scan(repo.path)
    assert report.summary["broken"] == 0
    assert [f.severity for f in report.scripts[0].findings] == ["warning"]
    assert same(report, scan(repo.path, use_cache=False))


def test_a_file_appearing_in_the_repository_drops_the_cache(tmp_path: Path) -> None:
    # an entry point or a requirements.txt appearing can change any verdict
    repo = Repo(tmp_path / "r", {"a.slurm": GOOD})
    repo.commit()
    scan(repo.path)
    assert all(hits(repo.path).values())
    repo.write("src/new_entry.py", "import lightning\n")
    assert not any(hits(repo.path).values())


def test_staging_or_committing_a_file_keeps_the_cache(tmp_path: Path) -> None:
    # existence is what matters, not whether git tracks it yet (the hook runs on staging)
    repo = Repo(tmp_path / "r", {"a.slurm": GOOD})
    repo.commit()
    repo.write("b.slurm", BROKEN)
    scan(repo.path)
    assert all(hits(repo.path).values())
    repo.git("add", "b.slurm")
    assert all(hits(repo.path).values())
    repo.commit()
    assert all(hits(repo.path).values())


def test_a_file_deleted_but_still_staged_drops_the_cache(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r", {"a.slurm": GOOD})
    repo.commit()
    scan(repo.path)
    (repo.path / "train.py").unlink()  # not staged: 'git ls-files --cached' still lists it
    assert not any(hits(repo.path).values())


def test_a_change_to_a_file_the_analysis_read_drops_the_cache(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r", {"a.slurm": GOOD})
    repo.commit()
    scan(repo.path)
    store = cache.ResultCache.open(repo.path, True)
    with cache.recording(repo.path) as reads:
        (repo.path / "train.py").read_text()  # as the entry-point analysis would
        (repo.path / "a.slurm").open("rb").close()
        (tmp_path / "outside.txt").write_text("not in the repository")
        (tmp_path / "outside.txt").read_text()
    assert set(reads) == {"train.py", "a.slurm"}
    store.record_reads(reads)
    store.save()
    assert all(hits(repo.path).values())
    repo.write("train.py", "import lightning\nprint('a different entry point')\n")
    assert not any(hits(repo.path).values())


@pytest.mark.parametrize("workers", [1, 2])
def test_files_read_while_judging_are_recorded_also_in_worker_processes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    from scriptkeeper.pipeline import analyze, runner

    repo = Repo(tmp_path / "r")
    for i in range(8):
        repo.write(f"jobs/j{i}.slurm", GOOD.replace("--time=10", f"--time={i + 1}"))
    repo.commit()
    real = analyze.analyze_script

    def reading_the_entry_point(root: Path, path: str, data: bytes, config: object):  # type: ignore[no-untyped-def]
        (root / "train.py").read_bytes()  # what the launch analysis does with 'python train.py'
        return real(root, path, data, config)  # type: ignore[arg-type]

    monkeypatch.setattr(analyze, "analyze_script", reading_the_entry_point)
    monkeypatch.setattr(runner, "FIRST", 1)  # the parent judges one, the workers the rest
    found = discover([repo.path])
    runner.analyze_all(found, load_config(None), workers=workers)
    _, body = _valid_parts(repo.path)
    assert list(json.loads(body)["reads"]) == ["train.py"]
    assert all(hits(repo.path).values())
    repo.write("train.py", "print('changed')\n")
    assert not any(hits(repo.path).values())


def test_a_file_read_once_per_process_still_counts_for_later_scans(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the entry-point analysis memoises what it read (keyed by path and mtime): a second
    # scan in the same process uses train.py without opening it again
    from functools import lru_cache

    from scriptkeeper.pipeline import analyze

    repo = Repo(tmp_path / "r", {"a.slurm": GOOD})
    repo.commit()
    real = analyze.analyze_script

    @lru_cache
    def entry_point(path: str, mtime: int) -> bytes:
        return Path(path).read_bytes()

    def memoising(root: Path, path: str, data: bytes, config: object):  # type: ignore[no-untyped-def]
        entry = root / "train.py"
        entry_point(str(entry), entry.stat().st_mtime_ns)
        return real(root, path, data, config)  # type: ignore[arg-type]

    monkeypatch.setattr(analyze, "analyze_script", memoising)
    scan(repo.path)
    repo.write("README.md", "a new file: the file list changed, the cache is dropped\n")
    scan(repo.path)  # judged again, train.py served from the memo
    assert all(hits(repo.path).values())
    repo.write("train.py", "print('changed')\n")
    assert not any(hits(repo.path).values())


def test_cached_equals_uncached_after_the_workspace_changes(tmp_path: Path) -> None:
    repo = example_repo(tmp_path / "ws")
    scan(repo.path)
    # the missing entry point of train_old.slurm appears; an entry point stops using the GPU
    repo.write("navsim/planning/script/run_training_old.py", "import lightning as L\n")
    entry = repo.path / "navsim/planning/script/run_training.py"
    entry.write_text(entry.read_text().replace('"gpu"', '"cpu"'))
    assert same(scan(repo.path), scan(repo.path, use_cache=False))


def _write_raw(root: Path, data: bytes) -> None:
    (root / CACHE_FILE).write_bytes(data)


def _valid_parts(root: Path) -> tuple[dict[str, object], bytes]:
    head, _, body = (root / CACHE_FILE).read_bytes().partition(b"\n")
    return json.loads(head), body


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped", "format", "tool",
                                    "empty", "wrong-types", "deep"])
def test_a_corrupt_or_foreign_cache_is_discarded_never_trusted(tmp_path: Path,
                                                                damage: str) -> None:
    repo = Repo(tmp_path / "r", {"a.slurm": BROKEN, "b.slurm": GOOD})
    repo.commit()
    truth = scan(repo.path, use_cache=False)
    scan(repo.path)
    header, body = _valid_parts(repo.path)
    raw = (repo.path / CACHE_FILE).read_bytes()
    if damage == "garbage":
        _write_raw(repo.path, b"\x80\x04\x95 not json at all")
    elif damage == "truncated":
        _write_raw(repo.path, raw[: len(raw) // 2])
    elif damage == "flipped":
        _write_raw(repo.path, raw.replace(b'"broken"', b'"keep\\u0000"', 1))
    elif damage in ("format", "tool"):
        header["scriptkeeper_cache" if damage == "format" else "tool"] = "other"
        _write_raw(repo.path, json.dumps(header).encode() + b"\n" + body)
    elif damage == "empty":
        _write_raw(repo.path, b"")
    elif damage == "deep":
        deep = b"[" * 200_000 + b"]" * 200_000  # deeper than the JSON parser's stack
        header["checksum"] = hashlib.sha256(deep).hexdigest()
        _write_raw(repo.path, json.dumps(header).encode() + b"\n" + deep)
    else:
        # a well-formed file with a matching checksum but a value of the wrong type
        # (the findings replaced by a number)
        content = json.loads(body)
        for entry in content["entries"].values():
            entry[3] = 42
        body = json.dumps(content).encode()
        header["checksum"] = hashlib.sha256(body).hexdigest()
        _write_raw(repo.path, json.dumps(header).encode() + b"\n" + body)
    assert not any(hits(repo.path).values())
    assert same(scan(repo.path), truth)
    assert all(hits(repo.path).values())  # and a good cache was written in its place


def _cached_repo_with_a_copy(tmp_path: Path) -> tuple[Repo, ScanReport]:
    """A repository whose cache is warm, with a copy that is not byte-identical (grouping
    reads its job model to say what differs), and its report without the cache."""
    repo = Repo(tmp_path / "r", {"a.slurm": BROKEN, "b.slurm": GOOD,
                                 "b_copy.slurm": GOOD.replace("#!/bin/bash\n",
                                                              "#!/bin/bash\n# a copy\n")})
    repo.commit()
    truth = scan(repo.path, use_cache=False)
    scan(repo.path)
    return repo, truth


@pytest.mark.parametrize("detail", ["[1, 2]", "not json", '[null, [["x"]]]', "[[], []]"])
def test_a_damaged_job_model_is_judged_again_when_it_is_needed(tmp_path: Path,
                                                               detail: str) -> None:
    # the job model and steps are decoded only when used (redundancy, --diff): a stored
    # detail that does not decode then is not trusted either, the script is analysed again
    repo, truth = _cached_repo_with_a_copy(tmp_path)
    header, body = _valid_parts(repo.path)
    content = json.loads(body)
    for entry in content["entries"].values():
        entry[5] = detail
    body = json.dumps(content).encode()
    header["checksum"] = hashlib.sha256(body).hexdigest()
    _write_raw(repo.path, json.dumps(header).encode() + b"\n" + body)
    assert all(hits(repo.path).values())  # findings and verdicts are intact
    again = scan(repo.path)
    assert same(again, truth)
    assert [r.job for r in again.scripts] == [r.job for r in truth.scripts]
    assert [r.steps for r in again.scripts] == [r.steps for r in truth.scripts]
    assert any(r.verdict == "redundant" for r in again.scripts)


@pytest.mark.parametrize("damage", ["missing", "truncated", "changed", "symlink"])
def test_a_damaged_details_file_is_not_trusted(tmp_path: Path, damage: str) -> None:
    # the job models live in details.json, checked by its checksum when first needed
    repo, truth = _cached_repo_with_a_copy(tmp_path)
    details = repo.path / cache.CACHE_DIR / cache.DETAILS_FILE
    raw = details.read_bytes()
    details.unlink()
    if damage == "truncated":
        details.write_bytes(raw[: len(raw) // 2])
    elif damage == "changed":
        details.write_bytes(raw.replace(b'"', b"'", 1))
    elif damage == "symlink":
        (tmp_path / "elsewhere.json").write_bytes(raw)
        details.symlink_to(tmp_path / "elsewhere.json")
    assert all(hits(repo.path).values())  # findings and verdicts are intact
    again = scan(repo.path)
    assert same(again, truth)
    assert [r.job for r in again.scripts] == [r.job for r in truth.scripts]
    assert any(r.verdict == "redundant" for r in again.scripts)
    # the scripts whose details were needed and lost are judged again and stored anew
    assert not all(hits(repo.path).values())
    assert same(scan(repo.path), truth)
    assert all(hits(repo.path).values())
    assert not details.is_symlink()


def test_a_symlinked_cache_folder_is_not_written_through(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r", {"a.slurm": GOOD})
    repo.commit()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (repo.path / cache.CACHE_DIR).symlink_to(elsewhere)
    assert same(scan(repo.path), scan(repo.path, use_cache=False))
    assert list(elsewhere.iterdir()) == []


def test_scripts_gone_from_the_repository_leave_the_cache(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r", {"a.slurm": GOOD, "b.slurm": BROKEN})
    repo.commit()
    scan(repo.path)
    repo.git("rm", "-q", "b.slurm")
    scan(repo.path)
    _, body = _valid_parts(repo.path)
    assert set(json.loads(body)["entries"]) == {"a.slurm"}


def test_no_cache_when_told(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = Repo(tmp_path / "r", {"a.slurm": GOOD})
    repo.commit()
    scan(repo.path, use_cache=False)
    monkeypatch.setenv("SCRIPTKEEPER_NO_CACHE", "1")
    scan(repo.path)
    assert not (repo.path / cache.CACHE_DIR).exists()


def test_outside_git_the_cache_lives_in_the_scanned_folder(tmp_path: Path) -> None:
    (tmp_path / "a.slurm").write_text(BROKEN)
    (tmp_path / "train.py").write_text("print()\n")
    cold = scan(tmp_path)
    assert (tmp_path / CACHE_FILE).is_file()
    assert all(hits(tmp_path).values())
    assert same(scan(tmp_path), cold)
    (tmp_path / "other.py").write_text("print()\n")  # the file set changed
    assert not any(hits(tmp_path).values())
    os.utime(tmp_path / "a.slurm")  # a touched but unchanged script is still a hit
    scan(tmp_path)
    assert all(hits(tmp_path).values())


def test_discovery_lists_the_same_file_set_the_cache_keys_on(tmp_path: Path) -> None:
    # a scan of the whole repository hands its git listing to the cache instead of asking
    # git again: tracked, untracked, ignored and deleted files must come out the same
    repo = Repo(tmp_path / "r", {"a.slurm": GOOD, "b.slurm": BROKEN, "gone.slurm": GOOD,
                                 ".gitignore": "ignored.slurm\n"})
    repo.commit()
    repo.write("new.slurm", GOOD)
    repo.write("ignored.slurm", GOOD)
    (repo.path / "gone.slurm").unlink()
    found = discover([repo.path])
    assert found.files is not None
    assert found.files == cache._file_list(repo.path, True)
    assert "gone.slurm" not in found.files[1] and "new.slurm" in found.files[1]
    assert "ignored.slurm" not in found.files[1]
    assert discover([repo.path / "b.slurm"]).files is None  # not the whole repository


def test_a_reanalysis_that_raises_gives_no_model_instead_of_a_crash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a cached result's model worked out again outside the runner's guard (grouping)
    from scriptkeeper.cache.store import reanalysis
    from scriptkeeper.pipeline import analyze

    def boom(*args: object) -> None:
        raise RuntimeError("made to fail")

    monkeypatch.setattr(analyze, "analyze_script", boom)
    again = reanalysis(tmp_path, "a.slurm", b"#!/bin/bash\nsrun x\n", load_config(None))
    assert again() == (None, [])
