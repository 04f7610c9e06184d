"""Plain data every stage shares: facts, findings, a script's result, a scan's report.

A :class:`Fact` is something the parser or the analysis established about a
script (a parse problem, a launch mismatch) that a rule in ``rules.yaml`` may
turn into a :class:`Finding`. Findings are what reports show.

A :class:`ScriptResult` is what the pipeline knows about one job script: made
by the per-file stage (:func:`scriptkeeper.pipeline.analyze.analyze_script`),
or read back from the result cache (:mod:`scriptkeeper.cache.entry`), then
given its redundancy verdict by the group stage. This module imports no
analysis code: a warm scan or the pre-commit hook, whose results all come
from the cache, never loads the parser, the model or tree-sitter.

A result read from the cache holds its job model and launch steps still
encoded; they are decoded the first time :attr:`ScriptResult.job` or
:attr:`ScriptResult.steps` is read (the report and a warm grouping need
only the findings and the grouping keys).

A :class:`ScanReport` is the whole scan: what the report formats print.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scriptkeeper import __version__

if TYPE_CHECKING:
    from scriptkeeper.cluster.sbatch_check import CheckSummary
    from scriptkeeper.model.build import JobModel, LaunchStep
    from scriptkeeper.rules.config import Config

SEVERITIES = ("error", "warning", "info")
#: how far a rule's automatic fix may be trusted: safe keeps what the job does, unsafe
#: changes it (``fix --unsafe-fixes``), none: no edit is right without a person
APPLICABILITIES = ("safe", "unsafe", "none")


@dataclass(frozen=True)
class Edit:
    """One change to a script's lines: lines ``line`` .. ``end_line - 1`` become ``content``."""

    line: int  # the first line replaced (1-based)
    end_line: int  # the line after the last one replaced (equal to line: insert before it)
    content: str  # the new lines with their line ends (bytes kept with surrogateescape)

    def as_json(self) -> dict[str, Any]:
        return {"line": self.line, "end_line": self.end_line, "content": self.content}


@dataclass(frozen=True)
class Autofix:
    """The edit ``scriptkeeper fix`` makes for a finding, and how far it may be trusted."""

    applicability: str  # one of APPLICABILITIES
    edits: tuple[Edit, ...] = ()  # none for applicability "none"

    def as_json(self) -> dict[str, Any]:
        return {"applicability": self.applicability,
                "edits": [e.as_json() for e in self.edits]}


@dataclass(frozen=True, init=False)
class Fact:
    """A problem the parser or analysis found, keyed by the rule that may report it."""

    kind: str  # what was found: the kind a rule names with 'fact: KIND'
    line: int  # the line it is on
    detail: str  # what is wrong and what SLURM does about it, in a sentence
    fix: str = ""  # how to fix it
    # details for the code that reads the fact (an invalid-value's option)
    data: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __init__(self, kind: str, line: int, detail: str, fix: str = "",
                 data: dict[str, Any] | None = None) -> None:
        # written out: the generated __init__ of a frozen dataclass sets each field through
        # object.__setattr__ (several facts and findings a script)
        self.__dict__.update(kind=kind, line=line, detail=detail, fix=fix,
                             data={} if data is None else data)


@dataclass(frozen=True, init=False)
class Finding:
    """A rule's judgement on one script, ready for a report."""

    code: str
    rule: str
    severity: str
    line: int
    message: str
    fix: str
    autofix: Autofix | None = None  # what `scriptkeeper fix` would do (None: no edit known)

    def __init__(self, code: str, rule: str, severity: str, line: int, message: str,
                 fix: str, autofix: Autofix | None = None) -> None:
        self.__dict__.update(code=code, rule=rule, severity=severity, line=line,
                             message=message, fix=fix, autofix=autofix)

    @property
    def fix_marker(self) -> str:
        """How `scriptkeeper fix` treats this finding, in a few words ('' when it has no edit)."""
        autofix = self.autofix
        if autofix is None:
            return ""
        if autofix.applicability == "none":
            return "no automatic fix"
        return f"{autofix.applicability} fix" if autofix.edits else ""

    def as_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "code": self.code,
            "rule": self.rule,
            "severity": self.severity,
            "line": self.line,
            "message": self.message,
            "fix": self.fix,
        }
        if self.autofix is not None:
            result["autofix"] = self.autofix.as_json()
        return result


#: the job model and launch steps of a result, decoded on first use
Detail = tuple["JobModel | None", "list[LaunchStep]"]

_COMPARED = ("path", "findings", "verdict", "redundant_of", "notes", "job", "steps", "digest",
             "data", "extra")


class ScriptResult:
    """Everything known about one job script after judging it.

    ``keys`` are the script's redundancy grouping keys (its job signature and
    its family, :func:`scriptkeeper.redundancy.group.keys`) when the per-file
    stage computed them; grouping computes them itself otherwise.
    """

    __slots__ = ("_detail", "_job", "_steps", "data", "digest", "extra", "findings", "keys",
                 "notes", "path", "redundant_of", "verdict")

    def __init__(self, path: str, findings: list[Finding], verdict: str = "keep",
                 redundant_of: str | None = None, notes: list[str] | None = None,
                 job: JobModel | None = None, steps: list[LaunchStep] | None = None,
                 digest: str = "", data: bytes = b"",
                 extra: dict[str, Any] | None = None) -> None:
        self.path = path
        self.findings = findings
        self.verdict = verdict
        self.redundant_of = redundant_of
        self.notes: list[str] = [] if notes is None else notes
        self._job = job
        self._steps: list[LaunchStep] = [] if steps is None else steps
        self.digest = digest
        self.data = data
        self.extra: dict[str, Any] = {} if extra is None else extra
        self.keys: tuple[bytes, bytes] | None = None
        self._detail: Callable[[], Detail] | None = None

    @classmethod
    def deferred(cls, path: str, findings: list[Finding], verdict: str, data: bytes,
                 keys: tuple[bytes, bytes] | None, detail: Callable[[], Detail]
                 ) -> ScriptResult:
        """A result whose job model and steps ``detail()`` gives when first asked for."""
        made = object.__new__(cls)  # what __init__ does, without its argument handling:
        made.path = path            # a warm scan makes 10,000 of these
        made.findings = findings
        made.verdict = verdict
        made.redundant_of = None
        made.notes = []
        made._job = None
        made._steps = []
        made.digest = ""
        made.data = data
        made.extra = {}
        made.keys = keys
        made._detail = detail
        return made

    def _load(self) -> None:
        detail, self._detail = self._detail, None
        if detail is not None:
            self._job, self._steps = detail()

    @property
    def job(self) -> JobModel | None:
        if self._detail is not None:
            self._load()
        return self._job

    @job.setter
    def job(self, value: JobModel | None) -> None:
        self._load()
        self._job = value

    @property
    def steps(self) -> list[LaunchStep]:
        if self._detail is not None:
            self._load()
        return self._steps

    @steps.setter
    def steps(self, value: list[LaunchStep]) -> None:
        self._load()
        self._steps = value

    @property
    def detail_known(self) -> bool:
        """Whether the job model and steps are decoded (or were never deferred)."""
        return self._detail is None

    @property
    def broken(self) -> bool:
        return any(f.severity == "error" for f in self.findings)

    def as_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "path": self.path,
            "verdict": self.verdict,
            "findings": [f.as_json() for f in self.findings],
            "redundant_of": self.redundant_of,
        }
        if self.notes:
            result["notes"] = list(self.notes)
        return result

    def __eq__(self, other: object) -> bool:
        if type(other) is not ScriptResult:
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in _COMPARED)

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it was

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _COMPARED)
        return f"ScriptResult({shown})"

    def __getstate__(self) -> tuple[Any, ...]:
        self._load()  # a closure does not pickle: send the decoded model
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        for name, value in zip(self.__slots__, state, strict=True):
            object.__setattr__(self, name, value)


@dataclass
class ScanReport:
    root: Path
    in_git: bool
    config: Config
    scripts: list[ScriptResult] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    named: list[str] = field(default_factory=list)  # files named on the command line
    sbatch_check: CheckSummary | None = None  # what scan --sbatch-check found
    baselined: int = 0  # findings hidden by .scriptkeeper-baseline.json

    @property
    def failing(self) -> int:
        """The broken scripts the baseline does not accept: what fails a scan."""
        return sum(1 for s in self.scripts
                   if s.verdict == "broken" and s.extra.get("baselined") is not True)

    @property
    def summary(self) -> dict[str, int]:
        counts = {"keep": 0, "redundant": 0, "broken": 0}
        for s in self.scripts:
            counts[s.verdict] = counts.get(s.verdict, 0) + 1
        return counts

    def as_json(self, scripts: bool = True) -> dict[str, Any]:
        """The report in the schema of docs/design.md#the-json-report.

        ``scripts=False``: with an empty script list.
        """
        return {
            "scriptkeeper": __version__,
            "root": str(self.root),
            "scripts": [s.as_json() for s in self.scripts] if scripts else [],
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            "summary": self.summary,
        }
