"""The explain picture: its facts in 80 and 200 columns, with and without colour."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from scriptkeeper.report.launch_picture import render
from tests.report.test_launch_layout import laid_out
from tests.rules.entries import TORCH_DDP

ANSI = re.compile(r"\x1b\[[0-9;]*m")

ONE_PROCESS = """
    #!/bin/bash
    #SBATCH --gres=gpu:8
    #SBATCH --ntasks=1
    echo start
    #SBATCH --time=10
    python train.py
"""
SIXTY_FOUR = """
    #!/bin/bash
    #SBATCH --nodes=8 --gres=gpu:8 --ntasks-per-node=1
    srun torchrun --nnodes=8 --nproc_per_node=8 --rdzv_backend=c10d --rdzv_endpoint=h:1 t.py
"""


@pytest.fixture
def one_process(tmp_path: Path) -> dict[str, Any]:
    return laid_out(tmp_path, ONE_PROCESS)


@pytest.mark.parametrize("width", [80, 200])
def test_every_line_fits_and_the_facts_are_there(one_process: dict[str, Any],
                                                 width: int) -> None:
    text = render(one_process, color=False, width=width)
    assert max(len(line) for line in text.splitlines()) <= width
    assert "\x1b" not in text
    flat = " ".join(text.split())
    for fact in ("line 2 --gres=gpu:8", "line 3 --ntasks=1", "#SBATCH --time=10",
                 "ignored", "world size 1", "rank 0→GPU 0", "7 of 8 GPUs idle",
                 "lightning-single-process"):
        assert fact in flat, fact
    strip = [line.split() for line in text.splitlines() if line.strip().startswith(("GPU 0",
                                                                                     "r0"))]
    assert strip[0] == ["GPU", *map(str, range(8))] and strip[1] == ["r0", *["·"] * 7]


def test_colour_strikes_the_ignored_directive_and_no_color_does_not(
        one_process: dict[str, Any]) -> None:
    coloured = render(one_process, color=True, width=80)
    assert "\x1b[9m" in coloured or "\x1b[9;" in coloured or ";9m" in coloured  # strike
    plain = render(one_process, color=False, width=80)
    assert ANSI.sub("", coloured).split() == plain.split()


def test_64_gpus_on_8_nodes_stay_readable_in_80_columns(tmp_path: Path) -> None:
    text = render(laid_out(tmp_path, SIXTY_FOUR, TORCH_DDP), width=80)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80 and len(lines) < 40
    flat = " ".join(text.split())
    assert "world size 64" in flat and "ranks 0-7→GPUs 0-7, one each" in flat
    assert "nodes 1-7: laid out like node 0 · 7 tasks, 56 processes, ranks 8-63" in flat


def test_64_tasks_on_one_node_show_the_ends_and_wrap_the_gpu_strip(tmp_path: Path) -> None:
    data = laid_out(tmp_path, """
        #!/bin/bash
        #SBATCH --ntasks-per-node=64 --gres=gpu:64
        srun python train.py
    """)
    text = render(data, width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "48 more tasks laid out alike" in text
    assert "task 63" in text and "task 8 " not in text
    strip = [line.split() for line in text.splitlines() if line.strip().startswith("GPU ")]
    assert [words[1] for words in strip if words[1].isdigit()] == ["0", "16", "32", "48"]


def test_waiting_and_stopping_processes_say_so(tmp_path: Path) -> None:
    waits = render(laid_out(tmp_path / "w", """
        #!/bin/bash
        #SBATCH --gres=gpu:8 --ntasks-per-node=8
        python train.py
    """), width=80)
    assert "waits" in waits and "MEMBER: 1/8" in " ".join(waits.split())
    stops = render(laid_out(tmp_path / "s", """
        #!/bin/bash
        #SBATCH --gres=gpu:8 --ntasks=8
        srun python train.py
    """), width=80)
    assert "stops: RuntimeError" in " ".join(stops.split())


def test_control_characters_in_a_script_are_not_printed(one_process: dict[str, Any]) -> None:
    one_process["steps"][0]["launch"] = "python a\x00b.py"
    text = render(one_process, width=80)
    assert "\x00" not in text and "a?b.py" in text
