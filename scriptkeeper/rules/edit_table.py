"""Which module holds each rule's automatic fix (judge stage): a plain table.

A rule declares in rules.yaml whether ``scriptkeeper fix`` may change what it
finds (``autofix: safe``, ``unsafe`` or ``none``); the edit itself lives
beside the stage that produces the rule's fact or step, as a function in that
module's ``EDITS`` table, keyed by the rule's name. Loading rules.yaml checks a
rule's ``autofix`` against this table without importing those modules (a warm
scan loads no parser); the engine imports a module the first time one of its
rules fires. tests/rules/test_edit_table.py checks the table against the modules.
A new rule with a fix: its edit in its producer's ``EDITS``, its name here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scriptkeeper.fix.source import EditMaker

# rule name -> the module whose EDITS holds its edit
MODULES: dict[str, str] = {
    "dos-line-endings": "scriptkeeper.parse.sbatch_edits",
    "missing-shebang": "scriptkeeper.parse.sbatch_edits",
    "duplicate-option": "scriptkeeper.parse.sbatch_edits",
    "directive-after-command": "scriptkeeper.parse.sbatch_edits",
    "ignored-directive-lookalike": "scriptkeeper.parse.sbatch_edits",
    "unknown-option": "scriptkeeper.parse.sbatch_edits",
    "missing-srun": "scriptkeeper.body.launch_edits",
    "lightning-single-process": "scriptkeeper.body.launch_edits",
    "ntasks-without-per-node": "scriptkeeper.body.launch_edits",
    "ntasks-launcher-mismatch": "scriptkeeper.body.launch_edits",
    "nproc-exceeds-gpus": "scriptkeeper.body.launch_edits",
    "batch-script-dir": "scriptkeeper.body.script_dir",
}

_LOADED: dict[str, EditMaker] = {}


def edit_for(rule: str) -> EditMaker | None:
    """The edit function of ``rule``, or None when it has none."""
    found = _LOADED.get(rule)
    if found is None:
        module = MODULES.get(rule)
        if module is None:
            return None
        edits: dict[str, EditMaker] = importlib.import_module(module).EDITS
        found = _LOADED[rule] = edits[rule]
    return found
