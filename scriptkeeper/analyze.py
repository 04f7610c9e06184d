"""One script through parse -> model -> judge (the per-file part of the pipeline).

:func:`analyze_script` is pure: bytes and settings in, a
:class:`~scriptkeeper.result.ScriptResult` out. The redundancy stage and the
verdict work on these results.
"""

from __future__ import annotations

from pathlib import Path

from . import directives, judge, launch, model, suppress, validate
from .config import Config
from .findings import Fact
from .model import LaunchStep, ScriptInfo
from .result import ScriptResult


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
