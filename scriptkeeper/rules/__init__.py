"""Judge stage: rules.yaml (``config``, ``yamlsource``), conditions (``expressions``), the engine.

``engine`` turns facts and the job model into findings, ``suppress`` reads
inline pragmas, ``baseline`` hides accepted findings, ``pages`` writes the
rule pages, ``pins`` says which scripts ``redundancy.pin`` pins (for grouping
and clean alike).
"""
