"""Fix one script in a real folder and hold the result to what every fix must keep."""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path

from scriptkeeper.fix.apply import ScriptFix, fix_script
from scriptkeeper.pipeline.analyze import analyze_script
from scriptkeeper.rules.config import load_config
from tests.body.repo import write


def script(text: str) -> bytes:
    return textwrap.dedent(text).lstrip("\n").encode()


def fix(root: Path, data: bytes, files: dict[str, str] | None = None, unsafe: bool = True,
        name: str = "job.slurm", pins: str | None = "lightning==2.2.1\n",
        select: frozenset[str] | None = None) -> ScriptFix:
    write(root, files or {})
    if pins is not None and not (root / "requirements.txt").exists():
        (root / "requirements.txt").write_text(pins)
    (root / name).write_bytes(data)
    config = load_config(root / "rules.yaml" if (root / "rules.yaml").exists() else None)
    return fix_script(root, name, data, config, unsafe=unsafe, select=select)


def checked(root: Path, data: bytes, rule: str, expected: bytes,
            files: dict[str, str] | None = None, unsafe: bool = True) -> ScriptFix:
    """Fix ``data``: the fix of ``rule`` is made, gives ``expected``, leaves no finding of
    ``rule`` and no new error, and fixing again changes nothing."""
    done = fix(root, data, files, unsafe)
    assert rule in {f.rule for f in done.applied}, (done.applied, done.refused)
    assert done.after == expected, done.after.decode(errors="replace")
    config = load_config(root / "rules.yaml" if (root / "rules.yaml").exists() else None)
    before = analyze_script(root, "job.slurm", data, config).findings
    after = analyze_script(root, "job.slurm", done.after, config).findings
    assert rule not in {f.rule for f in after}, after
    new = Counter(f.rule for f in after if f.severity == "error") - \
        Counter(f.rule for f in before if f.severity == "error")
    assert not new, new
    again = fix_script(root, "job.slurm", done.after, config, unsafe=unsafe)
    assert not again.changed and not again.applied
    return done
