"""What a rule can read (judge stage): in, the records' classes; out, each name's fields.

A rule's condition, ``line`` and placeholders read the names ``job``,
``step``, ``fact``, ``script`` and ``cluster``: instances of the classes
below, whose fields and properties are what a rule may read
(:func:`readable`, which :mod:`scriptkeeper.rules.expressions` checks rules
against). Their meanings are written once, beside the fields: each field's
comment (on its line, or the lines just above) and each property's
docstring. :func:`documented` reads them from the source for the generated
page ``docs/rules/fields.md`` (:mod:`scriptkeeper.rules.pages`); it is not
used while scanning.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from scriptkeeper.model.cluster_profile import ClusterProfile, PartitionProfile
from scriptkeeper.model.jobmodel import JobModel, LaunchStep, ScriptInfo
from scriptkeeper.records import Fact

# the names a rule reads, and the class of each
TYPES: dict[str, type] = {
    "job": JobModel, "step": LaunchStep, "cluster": ClusterProfile, "script": ScriptInfo,
    "fact": Fact,
}


# the sections of docs/rules/fields.md: a name, its class, which rules have it
SECTIONS: tuple[tuple[str, type, str], ...] = (
    ("job", JobModel, "every rule"),
    ("step", LaunchStep, "rules with `scope: step`, once for each launch step"),
    ("fact", Fact, "the `message` and `fix` of a rule with `fact:`"),
    ("script", ScriptInfo, "every rule"),
    ("cluster", ClusterProfile, "every rule; `None` without a cluster profile"),
    ("job.partition_profile", PartitionProfile,
     "every rule; `None` without a cluster profile listing the job's partition"),
)


def readable(cls: type) -> set[str]:
    """The attributes of ``cls`` a rule may read: its dataclass fields and its properties."""
    names = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
    names |= {n for n, v in vars(cls).items() if isinstance(v, property)}
    return names


@dataclass(frozen=True)
class FieldDoc:
    """One attribute a rule can read: its name, its type as written, what it means."""

    name: str
    type: str
    meaning: str


def _comments(source: str) -> tuple[dict[int, str], set[int]]:
    """The comment of each line of ``source``, and the lines holding nothing else."""
    import io
    import tokenize

    comments: dict[int, str] = {}
    code: set[int] = set()
    skipped = {tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
               tokenize.ENCODING, tokenize.ENDMARKER}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string.lstrip("#").strip()
        elif token.type not in skipped:
            code.update(range(token.start[0], token.end[0] + 1))
    return comments, {line for line in comments if line not in code}


def _meaning(first: int, last: int, comments: dict[int, str], alone: set[int]) -> str:
    """The comment on a field's lines, else the comment lines right above it (a section
    heading, '# --- ...', belongs to no field)."""
    for line in range(first, last + 1):
        if line in comments and line not in alone:
            return comments[line]
    above: list[str] = []
    line = first - 1
    while line in alone and not comments[line].startswith("---"):
        above.insert(0, comments[line])
        line -= 1
    return " ".join(above)


def _as_comment(doc: str) -> str:
    """A docstring's sentence written like a field's comment: no capital, no full stop."""
    if doc[:1].isupper() and doc[1:2].islower():
        doc = doc[0].lower() + doc[1:]
    return doc.removesuffix(".")


def documented(cls: type) -> list[FieldDoc]:
    """The fields and properties of ``cls`` in source order, with their types and meanings."""
    import ast
    import inspect
    import textwrap

    source = textwrap.dedent(inspect.getsource(cls))
    comments, alone = _comments(source)
    tree = ast.parse(source).body[0]
    assert isinstance(tree, ast.ClassDef)
    found = []
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            meaning = _meaning(node.lineno, node.end_lineno or node.lineno, comments, alone)
            found.append(FieldDoc(node.target.id, ast.unparse(node.annotation), meaning))
        elif isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Name) and d.id == "property" for d in node.decorator_list):
            doc = " ".join((ast.get_docstring(node) or "").split("\n\n")[0].split())
            returns = ast.unparse(node.returns) if node.returns is not None else ""
            found.append(FieldDoc(node.name, returns, _as_comment(doc)))
    return found


def summary(cls: type) -> str:
    """The first paragraph of the class's docstring, on one line."""
    import inspect

    return " ".join((inspect.getdoc(cls) or "").split("\n\n")[0].split())
