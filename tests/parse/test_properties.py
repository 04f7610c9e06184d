"""Property tests: the parser and the whole per-file analysis never raise."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scriptkeeper.parse.header import parse
from scriptkeeper.pipeline.analyze import analyze_script
from scriptkeeper.rules.config import load_config

pytestmark = pytest.mark.slow  # property tests: many generated examples

EXAMPLES = int(os.environ.get("SCRIPTKEEPER_HYPOTHESIS_EXAMPLES", "10000" if os.environ.get(
    "CI") else "1000"))

_FRAGMENTS = [
    b"#!/bin/bash\n", b"#SBATCH ", b"--time=", b"--nodes", b"-N", b"2", b"-n", b" ", b"\n",
    b"\r\n", b"'", b'"', b"\\", b"#", b"--gres=gpu:", b"h200:", b"--gpus=", b"--mem=", b"1.5G",
    b"--ntasks-per-node=", b"srun ", b"python ", b"train.py", b"hetjob", b"--exclusive",
    b"=", b"\0", b"\xef\xbb\xbf", b"export CUDA_VISIBLE_DEVICES=0,1\n", b"--partit", b"-",
    b"--", b"torchrun --nproc_per_node=8 ", b"$X", b"bash -c '", b"if [ 1 ]; then\n", b"fi\n",
]

script_bytes = st.one_of(
    st.binary(max_size=400),
    st.lists(st.sampled_from(_FRAGMENTS), max_size=40).map(b"".join),
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(script_bytes)
def test_parse_never_raises(data: bytes) -> None:
    parsed = parse(data)
    for fact in parsed.facts:
        assert fact.line >= 1
    for directive in parsed.directives:
        assert directive.line >= 1


_CONFIG = load_config(None)


@settings(max_examples=max(EXAMPLES // 10, 100), deadline=None,
          suppress_health_check=list(HealthCheck))
@given(script_bytes)
def test_analysis_never_raises(data: bytes) -> None:
    result = analyze_script(Path("/nonexistent-root"), "scripts/x.slurm", data, _CONFIG)
    assert result.verdict in ("keep", "broken")
    assert all(f.line >= 1 for f in result.findings)
