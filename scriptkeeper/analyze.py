"""One script through parse -> model -> judge (the per-file part of the pipeline).

:func:`analyze_script` is pure: bytes and settings in, a :class:`ScriptResult`
out. The redundancy stage and the verdict work on these results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import directives, judge, launch, model, suppress, validate
from .config import Config
from .findings import Fact, Finding
from .model import JobModel, LaunchStep, ScriptInfo


@dataclass
class ScriptResult:
    """Everything known about one job script after judging it."""

    path: str
    findings: list[Finding]
    verdict: str = "keep"
    redundant_of: str | None = None
    notes: list[str] = field(default_factory=list)
    job: JobModel | None = None
    steps: list[LaunchStep] = field(default_factory=list)
    digest: str = ""
    data: bytes = b""
    extra: dict[str, Any] = field(default_factory=dict)

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


def parse_facts(parsed: directives.ParsedScript) -> list[Fact]:
    facts = list(parsed.facts)
    facts.extend(validate.value_facts(parsed.directives))
    facts.extend(validate.conflict_facts(parsed.directives, parsed.components))
    facts.extend(validate.duplicate_facts(parsed.directives))
    return facts


def analyze_script(root: Path, path: str, data: bytes, config: Config) -> ScriptResult:
    parsed = directives.parse(data, config.slurm_version, config.plugin_options)
    facts = parse_facts(parsed)
    name = path.rsplit("/", 1)[-1]
    job = model.build(parsed, name, config.cluster)
    steps: list[LaunchStep] = []
    if not parsed.refused:
        body = launch.analyze(parsed, job, root, path, config)
        steps = body.steps
        facts.extend(body.facts)
    findings = judge.judge(config, facts, job, steps, ScriptInfo(path, name))
    findings = suppress.apply(findings, suppress.read(parsed.lines))
    result = ScriptResult(path=path, findings=findings, job=job, steps=steps, data=data)
    result.verdict = "broken" if result.broken else "keep"
    return result
