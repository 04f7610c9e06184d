"""Judge stage: rules.yaml (``config``, ``yamlsource``), conditions (``expressions``), the engine.

``engine`` turns facts and the job model into findings, ``fact_kinds`` is
the registry of fact kinds and ``rule_fields`` the fields a rule may read,
``suppress`` reads inline pragmas, ``baseline`` hides accepted findings,
``pages`` writes the rule pages and docs/rules/fields.md, ``pins`` says which
scripts ``redundancy.pin`` pins (for grouping and clean alike).
"""
