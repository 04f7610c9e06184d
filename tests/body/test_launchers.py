"""Reading launch lines: words the shell splits out of a template placeholder."""

from __future__ import annotations

from scriptkeeper.body.launchers import classify
from scriptkeeper.body.shell import UNKNOWN


def test_a_split_placeholder_is_one_unknown_word() -> None:
    inv = classify(["torchrun", "--nproc_per_node={{", "gpus", "}}", "--rdzv_backend", "c10d",
                    "train.py", "--config", "{{", "cfg", "}}"], frozenset())
    assert inv.options["nproc_per_node"] == UNKNOWN
    assert inv.options["rdzv_backend"] == "c10d"
    assert inv.entry is not None and inv.entry.target == "train.py"
    assert inv.args == ["--config", UNKNOWN]


def test_an_unclosed_brace_is_left_as_it_is() -> None:
    inv = classify(["python", "train.py", "{{", "a", "b", "c", "d", "e"], frozenset())
    assert inv.args == ["{{", "a", "b", "c", "d", "e"]


def test_an_interpreter_in_a_variable_running_torchrun() -> None:
    inv = classify([UNKNOWN, "-m", "torch.distributed.run", "--nproc_per_node=4", "train.py"],
                   frozenset())
    assert (inv.launcher, inv.options["nproc_per_node"]) == ("torchrun", "4")


def test_an_unknown_program_stays_unknown() -> None:
    assert classify([UNKNOWN, "train.py"], frozenset()).unknown
