"""The fact kinds (judge stage): in, each producer's declaration; out, the kinds a rule may report.

A fact kind is declared where it is produced: each module that makes
:class:`~scriptkeeper.records.Fact` s says which kinds at module level, with
``FACTS = fact_kinds.declare(__name__, "kind", ...)``. Loading rules.yaml
must know every kind without importing those modules (the parser, the body
analysis, tree-sitter: a scan answered from the result cache loads none of
them), so this module also keeps :data:`KINDS`, a plain table of each kind
and the module producing it. :func:`declare` refuses a kind the table does
not give to the declaring module, so that a producer's import fails at once
on a kind nobody registered; tests/rules/test_fact_kinds.py checks that the
producers' declarations cover the table, that every ``Fact(...)`` in the
source uses a declared kind, and that what the corpora produce is registered.
"""

from __future__ import annotations

# kind -> the module that produces it (in scan order: parse, body, the cluster's answer)
KINDS: dict[str, str] = {
    "empty-script": "scriptkeeper.parse.header",
    "missing-shebang": "scriptkeeper.parse.header",
    "dos-line-endings": "scriptkeeper.parse.header",
    "nul-byte": "scriptkeeper.parse.header",
    "unknown-option": "scriptkeeper.parse.header",
    "plugin-option": "scriptkeeper.parse.header",
    "invalid-directive": "scriptkeeper.parse.header",
    "directive-after-command": "scriptkeeper.parse.header",
    "ignored-directive-lookalike": "scriptkeeper.parse.header",
    "foreign-directive": "scriptkeeper.parse.pbs_bsub",
    "template-file": "scriptkeeper.parse.template",
    "invalid-value": "scriptkeeper.parse.validate",
    "conflicting-options": "scriptkeeper.parse.validate",
    "duplicate-option": "scriptkeeper.parse.validate",
    "shell-syntax-error": "scriptkeeper.body.syntax",
    "name-contradicts-request": "scriptkeeper.model.name_intent",
    "missing-entrypoint": "scriptkeeper.body.steps",
    "output-dir-missing": "scriptkeeper.body.log_folders",
    "batch-script-dir": "scriptkeeper.body.script_dir",
    "placeholder-path": "scriptkeeper.body.placeholders",
    "batch-script-dir-fragile": "scriptkeeper.body.script_dir",
    "sbatch-refuses": "scriptkeeper.cluster.sbatch_check",
    "unknown-suppression": "scriptkeeper.rules.suppress",
    "unused-suppression": "scriptkeeper.rules.suppress",
    "internal-error": "scriptkeeper.pipeline.internal_error",
}


def declare(module: str, *kinds: str) -> frozenset[str]:
    """The fact kinds ``module`` produces; raises when the table gives one to no module, or
    to another one (run at the producer's import: a new kind must be registered here)."""
    wrong = [kind for kind in kinds if KINDS.get(kind) != module]
    if wrong:
        raise RuntimeError(f"{module} declares fact kinds {wrong} that "
                           f"scriptkeeper.rules.fact_kinds.KINDS does not give to it")
    return frozenset(kinds)


def producers() -> dict[str, frozenset[str]]:
    """Each producing module and the kinds the table gives it."""
    found: dict[str, set[str]] = {}
    for kind, module in KINDS.items():
        found.setdefault(module, set()).add(kind)
    return {module: frozenset(kinds) for module, kinds in found.items()}
