"""The edit of batch-script-dir: the script's own folder becomes ``$SLURM_SUBMIT_DIR`` where
the whole word is that folder (body/script_dir.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fix.support import checked, fix, script

FIXED = [
    ("a cd into the script's folder", script("""
        #!/bin/bash
        #SBATCH --time=10
        cd "$(dirname "$0")" || exit 1
        python train.py
     """), script("""
        #!/bin/bash
        #SBATCH --time=10
        cd "$SLURM_SUBMIT_DIR" || exit 1
        python train.py
     """)),
    ("a variable holding it", script("""
        #!/bin/bash
        #SBATCH --time=10
        HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
        python "$HERE/train.py"
     """), script("""
        #!/bin/bash
        #SBATCH --time=10
        HERE="$SLURM_SUBMIT_DIR"
        python "$HERE/train.py"
     """)),
]


@pytest.mark.parametrize(("why", "before", "after"), FIXED, ids=[c[0] for c in FIXED])
def test_fixed(tmp_path: Path, why: str, before: bytes, after: bytes) -> None:
    checked(tmp_path, before, "batch-script-dir", after, {"train.py": "print(1)\n"})


def test_a_folder_used_inline_is_left_to_a_person(tmp_path: Path) -> None:
    data = script("""
        #!/bin/bash
        #SBATCH --time=10
        python `dirname $0`/train.py
     """)
    done = fix(tmp_path, data, {"train.py": "print(1)\n"})
    assert done.after == data
    assert "batch-script-dir" in {f.rule for f in done.remaining}


def test_safe_fixes_alone_do_not_touch_it(tmp_path: Path) -> None:
    data = FIXED[0][1]
    assert fix(tmp_path, data, {"train.py": "print(1)\n"}, unsafe=False).after == data
