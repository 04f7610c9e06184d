"""The fact registry: every kind a producer makes is registered, once, under its producer."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Sequence
from pathlib import Path

import pytest

from scriptkeeper.pipeline.analyze import established
from scriptkeeper.pipeline.discover import discover
from scriptkeeper.pipeline.scan import prepare
from scriptkeeper.records import Fact
from scriptkeeper.rules import fact_kinds
from scriptkeeper.rules.config import Config, builtin_rules, load_config
from tests.conftest import EXAMPLE, REPO

PACKAGE = REPO / "scriptkeeper"
CORPUS_OK = REPO / "tests" / "body" / "corpus_ok"


@pytest.mark.parametrize("module", sorted(fact_kinds.producers()))
def test_each_producer_declares_the_kinds_the_table_gives_it(module: str) -> None:
    declared = importlib.import_module(module).FACTS
    assert declared == fact_kinds.producers()[module]


def test_declare_refuses_a_kind_the_table_does_not_give_to_the_module() -> None:
    with pytest.raises(RuntimeError, match="dos-line-ending"):
        fact_kinds.declare("scriptkeeper.parse.header", "dos-line-ending")
    with pytest.raises(RuntimeError, match="missing-entrypoint"):
        fact_kinds.declare("scriptkeeper.parse.header", "missing-entrypoint")


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts)


def _kind_of(call: ast.Call, constants: dict[str, str]) -> str | None:
    """The kind a ``Fact(...)`` call makes: a string, or a module constant naming one."""
    arg: ast.expr | None = call.args[0] if call.args else next(
        (k.value for k in call.keywords if k.arg == "kind"), None)
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.Name):
        return constants.get(arg.id)
    return None


def _fact_calls() -> dict[str, list[tuple[int, str | None]]]:
    """Module -> (line, kind) of each ``Fact(...)`` call in the package's source."""
    found: dict[str, list[tuple[int, str | None]]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {target.id: node.value.value for node in tree.body
                     if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                     and isinstance(node.value.value, str)
                     for target in node.targets if isinstance(target, ast.Name)}
        calls = [(node.lineno, _kind_of(node, constants)) for node in ast.walk(tree)
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                 and node.func.id == "Fact"]
        if calls:
            found[_module_name(path)] = calls
    return found


def test_every_fact_made_in_the_source_has_a_kind_its_module_declares() -> None:
    calls = _fact_calls()
    assert calls, "no Fact(...) found: the source scan is broken"
    wrong = []
    for module, made in calls.items():
        declared = getattr(importlib.import_module(module), "FACTS", frozenset())
        wrong += [f"{module}:{line}: {kind!r}" for line, kind in made if kind not in declared]
    assert wrong == [], "a Fact(...) whose kind is not a literal its module declares"
    assert set(calls) == set(fact_kinds.producers())


def _facts_of(root: Path, scripts: Sequence[tuple[str, bytes]], config: Config) -> list[Fact]:
    """Every fact the analysis hands the judge for ``scripts``."""
    return [fact for path, data in scripts for fact in established(root, path, data, config)[1]]


@pytest.mark.parametrize("folder", [EXAMPLE, CORPUS_OK], ids=lambda p: p.name)
def test_what_the_corpora_produce_is_registered(folder: Path) -> None:
    root, in_git, config = prepare([folder], None)
    found = discover([folder], config.include, config.exclude, root=root, in_git=in_git,
                     base=config.base or root)
    assert len(found.scripts) > 10
    facts = _facts_of(root, [(c.path, c.data) for c in found.scripts], config)
    assert {f.kind for f in facts} - set(fact_kinds.KINDS) == set()


def test_the_rule_examples_produce_every_registered_kind(
        tmp_path: Path) -> None:
    # each fact rule's example makes its fact: the registry holds no kind nobody makes
    # (sbatch-refuses needs a cluster's sbatch: tests/cluster make that one; internal-error
    # a bug: tests/pipeline/test_internal_error.py makes one by monkeypatching)
    config = load_config(None)
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "train.py").write_text("print('training')\n")  # beside train_old
    examples = [(f"{name}.slurm", rule.doc.example.encode())
                for name, rule in builtin_rules().items()
                if rule.doc.example.startswith(("#!", "# "))]  # scripts, not descriptions
    examples.append(("empty.slurm", b""))
    examples.append(("crlf.slurm", b"#!/bin/bash\r\n#SBATCH --time=10\r\npython x.py\r\n"))
    examples.append(("nul.slurm", b"#!/bin/bash\n\0python train.py\n"))
    # what a file name states is read from the name: the page's example under its own
    examples.append(("train_2node_8gpu.slurm",
                     builtin_rules()["name-contradicts-request"].doc.example.encode()))
    kinds = {f.kind for f in _facts_of(tmp_path, examples, config)}
    # the pragma facts come after judging (they need the findings): from the findings
    from scriptkeeper.pipeline.analyze import analyze_script

    pragmas = {"unknown-suppression", "unused-suppression"}
    kinds |= {f.rule for name, data in examples
              for f in analyze_script(tmp_path, name, data, config).findings} & pragmas
    assert kinds == set(fact_kinds.KINDS) - {"sbatch-refuses", "internal-error"}
