"""rules.yaml ``redundancy.pin``: grouping (never redundant) and clean (never moved) agree.

Each case is asked of both stages through what they do, on a real folder
scanned with a rules.yaml at ``base``: grouping leaves a pinned copy of an
older script kept instead of redundant, and clean holds a pinned broken
script instead of moving it. Patterns are gitignore patterns relative to the
folder of the rules.yaml, like ``scripts.include``/``exclude``; a path
outside that folder is never pinned.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scriptkeeper.clean.plan import make_plan
from scriptkeeper.pipeline.scan import run_scan
from scriptkeeper.rules.pins import Pins

# an absolute entry point: the same job in every folder (a relative one that is nowhere in the
# repository is the one beside each script, so copies in two folders would be two jobs)
JOB = ("#!/bin/bash\n#SBATCH --job-name=train\n#SBATCH --ntasks=1\n#SBATCH --time=01:00:00\n"
       "srun python /opt/app/train.py\n")
BROKEN = JOB.replace("--ntasks=1", "--ntasks=x")
KEEPER = "k.slurm"  # older, and first by name: the keeper unless the other copy is pinned

# (folder of the rules.yaml, the pattern, the script's path, pinned?)
CASES = [
    (".", "jobs/x.slurm", "jobs/x.slurm", True),  # exact path
    (".", "jobs/*.slurm", "jobs/x.slurm", True),  # glob
    (".", "jobs/*.slurm", "jobs/a/x.slurm", False),  # a glob's * stops at /
    (".", "x.slurm", "jobs/a/x.slurm", True),  # a name without / matches at any depth
    (".", "jobs/", "jobs/a/x.slurm", True),  # directory
    (".", "**/x.slurm", "a/b/x.slurm", True),
    (".", "jobs/**", "jobs/a/x.slurm", True),
    (".", "/x.slurm", "x.slurm", True),  # leading /: anchored to the rules.yaml folder
    (".", "/x.slurm", "jobs/x.slurm", False),
    ("sub", "jobs/x.slurm", "sub/jobs/x.slurm", True),
    ("sub", "sub/jobs/x.slurm", "sub/jobs/x.slurm", False),  # not relative to the root
    ("sub", "jobs/x.slurm", "jobs/x.slurm", False),  # a path outside the rules.yaml folder
    ("sub", "jobs/*.slurm", "sub/jobs/x.slurm", True),
    ("sub", "*.slurm", "other/x.slurm", False),
    ("sub", "jobs/", "sub/jobs/a/x.slurm", True),
    ("sub", "jobs/", "jobs/a/x.slurm", False),
    ("sub", "**/x.slurm", "sub/a/x.slurm", True),
    ("sub", "**/x.slurm", "other/x.slurm", False),
    ("sub", "/x.slurm", "sub/x.slurm", True),
    ("sub", "/x.slurm", "x.slurm", False),
    ("sub", "x.slurm", "sub/jobs/x.slurm", True),
    ("sub", "x.slurm", "other/x.slurm", False),
]


def _folder(root: Path, base: str, pattern: str, files: dict[str, str]) -> Path:
    """``files`` and a rules.yaml pinning ``pattern`` in ``base``; returns the rules.yaml."""
    root.mkdir()
    for index, (path, text) in enumerate(sorted(files.items())):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
        # outside git a script's dates are its file time: the keeper is the older
        stamp = 1_600_000_000 if path == KEEPER else 1_700_000_000 + index
        os.utime(root / path, (stamp, stamp))
    config = root / base / "rules.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f"redundancy:\n  pin: ['{pattern}']\n")
    return config


def never_redundant(tmp_path: Path, base: str, pattern: str, path: str) -> bool:
    """Grouping's answer: is ``path``, a newer copy of the keeper, kept?"""
    root = tmp_path / "group"
    config = _folder(root, base, pattern, {KEEPER: JOB, path: JOB})
    verdicts = {s.path: s.verdict for s in run_scan([root], config, use_cache=False).scripts}
    assert verdicts[path] in ("keep", "redundant")
    return verdicts[path] == "keep"


def never_moved(tmp_path: Path, base: str, pattern: str, path: str) -> bool:
    """Clean's answer: is ``path``, a broken script, held back from the move?"""
    root = tmp_path / "clean"
    config = _folder(root, base, pattern, {KEEPER: JOB, path: BROKEN})
    report = run_scan([root], config, use_cache=False)
    assert {s.path: s.verdict for s in report.scripts}[path] == "broken"
    plan = make_plan(report)
    held = {h.path: h.why for h in plan.held}
    assert (path in held) != (path in {m.path for m in plan.moves})
    return held.get(path) == "pinned in rules.yaml"


@pytest.mark.parametrize(("base", "pattern", "path", "pinned"), CASES)
def test_grouping_and_clean_give_the_same_answer(tmp_path: Path, base: str, pattern: str,
                                                 path: str, pinned: bool) -> None:
    answers = (never_redundant(tmp_path, base, pattern, path),
               never_moved(tmp_path, base, pattern, path))
    assert answers == (pinned, pinned)


@pytest.mark.parametrize(("base", "pattern", "path", "pinned"), CASES)
def test_the_pins_alone(base: str, pattern: str, path: str, pinned: bool) -> None:
    root = Path("/repo")
    assert Pins((pattern,), root, root / base if base != "." else root)(path) is pinned


def test_a_rules_yaml_outside_the_repository_pins_relative_to_the_root() -> None:
    # --config elsewhere: there is no folder inside the repository to be relative to
    pins = Pins(("jobs/*.slurm",), Path("/repo"), Path("/etc/scriptkeeper"))
    assert pins("jobs/x.slurm") and not pins("other/jobs/x.slurm")


def test_nothing_pinned_needs_no_pattern_matcher() -> None:
    pins = Pins((), Path("/repo"), None)
    assert pins.spec is None and not pins("x.slurm")
