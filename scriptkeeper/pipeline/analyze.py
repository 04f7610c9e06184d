"""One script through parse -> model -> judge (the per-file part of the pipeline).

:func:`analyze_script` is pure: bytes and settings in, a
:class:`~scriptkeeper.records.ScriptResult` out; :func:`established` is the same
up to the facts, before the rules judge them. The redundancy stage and the
verdict work on the results.
"""

from __future__ import annotations

from pathlib import Path

from scriptkeeper.body import steps as launch
from scriptkeeper.fix.source import ScriptSource
from scriptkeeper.model import build as model
from scriptkeeper.model import name_intent
from scriptkeeper.model.build import JobModel, LaunchStep, ScriptInfo
from scriptkeeper.parse import header, template, validate
from scriptkeeper.parse.directive import Directive
from scriptkeeper.records import Fact, ScriptResult
from scriptkeeper.rules import engine, gpu_context, suppress
from scriptkeeper.rules.config import Config


def parse_facts(parsed: header.ParsedScript,
                first: dict[str, Directive] | None = None) -> list[Fact]:
    """``first``: the winning directives of the first component, if known already."""
    if first is None:
        first = validate.last_values(parsed.directives, 0)
    facts = list(parsed.facts)
    facts.extend(validate.value_facts(parsed.directives))
    facts.extend(validate.conflict_facts(parsed.directives, parsed.components, first))
    # one directive per option of the only component: none given twice
    if parsed.components > 1 or len(first) != len(parsed.directives):
        facts.extend(validate.duplicate_facts(parsed.directives))
    return facts


def analyze_script(root: Path, path: str, data: bytes, config: Config) -> ScriptResult:
    parsed, facts, job, steps = established(root, path, data, config)
    name = path.rsplit("/", 1)[-1]
    findings = engine.judge(config, facts, job, steps, ScriptInfo(path, name),
                            ScriptSource(data, parsed, config.slurm_version))
    findings = gpu_context.per_script(findings, job, steps, config)
    pragmas = suppress.read(parsed.lines)
    judged = findings
    findings = suppress.apply(findings, pragmas)
    pragma_facts = suppress.pragma_facts(pragmas, config.rules, judged)
    if pragma_facts:  # a mistyped or stale pragma, reported as findings of their own
        more = engine.judge(config, pragma_facts, None, [], ScriptInfo(path, name))
        findings = sorted(findings + more, key=lambda f: f.line)
    result = ScriptResult(path=path, findings=findings, job=job, steps=steps, data=data)
    result.verdict = "broken" if result.broken else "keep"
    return result


def established(root: Path, path: str, data: bytes, config: Config
                ) -> tuple[header.ParsedScript, list[Fact], JobModel, list[LaunchStep]]:
    """What the parse, model and body stages establish about one script, before judging."""
    shape = None
    if b"#SBATCH" in data and (b"{{" in data or b"{%" in data or b"XXX" in data
                               or b"_TAG" in data or template.named_as_template(path)):
        text = header.decode(data)
        shape = template.tool_template(path, text, text.split("\n"))
    # a tool's template is read with its Jinja statement lines blanked (line numbers kept)
    parsed = header.parse(data if shape is None else template.neutral_text(data),
                          config.slurm_version, config.plugin_options)
    first = validate.last_values(parsed.directives, 0)  # for the facts and the model
    facts = parse_facts(parsed, first)
    if shape is not None:
        fragment = b"#!" not in data
        facts = template.template_facts(parsed, facts, shape, fragment)
        if fragment:
            parsed.refused = parsed.refused and any(
                f.kind in ("empty-script", "dos-line-endings", "nul-byte") for f in facts)
    elif parsed.refused:
        notes = template.notes_shape(parsed)
        if notes is not None:
            facts = template.notes_facts(facts, notes)
    if shape is None and any(f.kind in ("invalid-value", "invalid-directive") for f in facts):
        facts = template.placeholder_facts(parsed, facts)
    name = path.rsplit("/", 1)[-1]
    job = model.build(parsed, name, config.cluster, first)
    if shape is None and not parsed.refused:
        facts.extend(name_intent.facts(name, job))
    steps: list[LaunchStep] = []
    if not parsed.refused:
        body = launch.analyze(parsed, job, root, path, config)
        steps = body.steps
        # a tool's template is reported once, as template-file: not its placeholders or the
        # folders it names again
        facts.extend(body.facts if shape is None else
                     [f for f in body.facts
                      if f.kind not in ("placeholder-path", "output-dir-missing")])
    return parsed, facts, job, steps
