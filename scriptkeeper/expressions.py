"""Rule conditions and message templates: a safe expression language (judge stage).

Conditions are Python-like expressions evaluated by simpleeval (no ``eval``,
no attribute starting with ``_``, no calls but a few listed functions) over
the names ``job`` (:class:`~scriptkeeper.model.JobModel`), ``step``
(:class:`~scriptkeeper.model.LaunchStep`, for step rules), ``cluster``
(:class:`~scriptkeeper.profile.ClusterProfile` or None) and ``script``
(path and name). Attribute names are checked when rules.yaml is loaded, so
a typo is a configuration error with a line, not a silent false.
Templates use ``{job.ntasks}``-style placeholders resolved the same way.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import re
from typing import Any

from simpleeval import EvalWithCompoundTypes

from .findings import Fact
from .model import JobModel, LaunchStep, ScriptInfo
from .profile import ClusterProfile


class ExpressionError(Exception):
    pass


_FUNCTIONS: dict[str, Any] = {
    "len": len, "min": min, "max": max, "any": any, "all": all, "int": int, "str": str,
    "abs": abs, "bool": bool,
}

_TYPES: dict[str, type] = {
    "job": JobModel, "step": LaunchStep, "cluster": ClusterProfile, "script": ScriptInfo,
    "fact": Fact,
}


def _attributes(cls: type) -> set[str]:
    names = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
    names |= {n for n, v in vars(cls).items() if isinstance(v, property)}
    return names


def _names_for(scope: str) -> set[str]:
    extra = {"step"} if scope == "step" else {"fact"} if scope == "fact" else set()
    return {"job", "cluster", "script"} | extra


def _check_tree(tree: ast.AST, scope: str) -> None:
    allowed = _names_for(scope)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            if node.attr.startswith("_"):
                raise ExpressionError(f"'{node.attr}': names starting with '_' are not allowed")
            base = node.value
            if isinstance(base, ast.Name) and base.id in _TYPES:
                known = _attributes(_TYPES[base.id])
                if node.attr not in known:
                    raise ExpressionError(
                        f"'{base.id}' has no attribute '{node.attr}' (it has: "
                        f"{', '.join(sorted(known))})")
        elif isinstance(node, ast.Name):
            if node.id not in allowed and node.id not in _FUNCTIONS and node.id not in (
                    "True", "False", "None"):
                raise ExpressionError(f"unknown name '{node.id}' (use: "
                                      f"{', '.join(sorted(allowed))})")
        elif isinstance(node, (ast.Lambda, ast.ListComp, ast.DictComp, ast.SetComp,
                               ast.GeneratorExp, ast.NamedExpr)):
            raise ExpressionError("comprehensions, lambdas and assignments are not allowed")


@functools.lru_cache(maxsize=512)
def compile_condition(text: str, scope: str) -> ast.Expression:
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"syntax error: {error.msg}") from error
    _check_tree(tree, scope)
    return tree


def _evaluator(names: dict[str, Any]) -> EvalWithCompoundTypes:
    return EvalWithCompoundTypes(names=names, functions=_FUNCTIONS)


def evaluate(text: str, scope: str, names: dict[str, Any]) -> Any:
    tree = compile_condition(text, scope)
    evaluator = _evaluator(names)
    try:
        return evaluator.eval(text, previously_parsed=tree.body)
    except (TypeError, AttributeError, ZeroDivisionError, ValueError):
        # None compared with a number and the like: the rule does not apply
        return False


_PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)\}")


def check_path(path: str, scope: str) -> None:
    compile_condition(path, scope)


def check_template(text: str, scope: str) -> None:
    for match in _PLACEHOLDER.finditer(text):
        check_path(match.group(1), scope)


def resolve(path: str, names: dict[str, Any]) -> Any:
    parts = path.split(".")
    value = names.get(parts[0])
    for part in parts[1:]:
        if part.startswith("_") or value is None:
            return None
        value = getattr(value, part, None)
    return value


def _show(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def render(text: str, names: dict[str, Any]) -> str:
    return _PLACEHOLDER.sub(lambda m: _show(resolve(m.group(1), names)), text)
