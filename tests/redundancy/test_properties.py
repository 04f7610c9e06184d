"""Any bytes at all: grouping never raises, and a script is always the same job as itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scriptkeeper.pipeline.analyze import analyze_script
from scriptkeeper.redundancy import apply
from scriptkeeper.redundancy.body import canonical
from scriptkeeper.redundancy.family import split_name
from scriptkeeper.redundancy.signature import signature
from scriptkeeper.rules.config import load_config

pytestmark = pytest.mark.slow  # property tests: many generated examples

CONFIG = load_config(None)
SHELLISH = st.text(alphabet=st.sampled_from(list("ab =$\"'\\`#*{}()<>|&;~\n\t2-_.v")),
                   max_size=200)


@given(SHELLISH)
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_canonical_never_raises_and_is_deterministic(text: str) -> None:
    assert canonical(text) == canonical(text)


@given(st.lists(st.tuples(st.text(min_size=1, max_size=12), SHELLISH), max_size=6))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_grouping_any_scripts_never_raises(items: list[tuple[str, str]]) -> None:
    results = []
    for n, (name, body) in enumerate(items):
        data = ("#!/bin/bash\n#SBATCH -N 1\n" + body).encode("utf-8", "surrogatepass")
        path = f"d{n % 2}/{name.replace('/', '_')}.slurm"
        results.append(analyze_script(Path("/nonexistent"), path, data, CONFIG))
    for r in results:
        assert signature(r, ()).digest == signature(r, ()).digest
    apply(results, CONFIG, Path("/nonexistent"), False)
    kept = {r.path for r in results if r.verdict == "keep"}
    for r in results:
        assert r.redundant_of is None or r.redundant_of in kept


@given(st.text(alphabet=st.characters(blacklist_characters="/"), max_size=40))
def test_split_name_never_raises(name: str) -> None:
    parsed = split_name("x/" + name, CONFIG.redundancy.marker_table)
    assert parsed.folder == "x"
