"""The table report follows the terminal's width (``COLUMNS``), readable at 80 and 200."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

# a finding with a long message and a long fix: Lightning's tasks without srun
LONG = (b"#!/bin/bash\n#SBATCH --ntasks-per-node=4 --gres=gpu:4\n"
        b"python -c 'import lightning' && python train.py --trainer.devices=4\n")


def table(tmp_path: Path, columns: int) -> str:
    (tmp_path / "experiments").mkdir(exist_ok=True)
    (tmp_path / "experiments" / "a_rather_long_job_script_name.slurm").write_bytes(LONG)
    (tmp_path / "train.py").write_text("import lightning\n")
    out = subprocess.run([sys.executable, "-m", "scriptkeeper", "scan", ".", "-f", "table",
                          "--no-color", "--no-cache"], cwd=tmp_path, capture_output=True,
                         text=True, check=False,
                         env={**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1"})
    assert out.returncode in (0, 1), out.stderr
    return out.stdout


@pytest.mark.parametrize("columns", [80, 200])
def test_table_fits_the_terminal(tmp_path: Path, columns: int) -> None:
    out = table(tmp_path, columns)
    widths = [len(line) for line in out.splitlines()]
    assert max(widths) <= columns
    # the table uses the width it has: its rules span the terminal
    assert max(widths) == columns


def test_every_word_of_a_finding_survives_at_80_columns(tmp_path: Path) -> None:
    narrow = table(tmp_path, 80)
    wide = table(tmp_path, 200)
    cells = re.compile(r"[│┃]")

    def words(text: str) -> list[str]:
        # the finding column's text, cell by cell, joined again
        column = [cells.split(line)[3].strip() for line in text.splitlines()
                  if len(cells.split(line)) > 4]
        return " ".join(column).split()

    assert "fix:" in words(narrow)
    assert words(narrow) == words(wide)
