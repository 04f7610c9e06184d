"""A finding's autofix in a result-cache entry: stored exactly, a malformed one refused."""

from __future__ import annotations

import pytest

from scriptkeeper.cache.entry import EntryError, decode, encode
from scriptkeeper.records import Autofix, Edit, Finding, ScriptResult


def _result(autofix: Autofix | None) -> ScriptResult:
    finding = Finding("SK014", "directive-after-command", "error", 3, "late", "move it",
                      autofix)
    return ScriptResult("job.slurm", [finding], "broken", data=b"x")


@pytest.mark.parametrize("autofix", [
    None, Autofix("none"),
    Autofix("unsafe", (Edit(2, 2, "#SBATCH --time=10\n"), Edit(3, 4, ""))),
    Autofix("safe", (Edit(1, 2, "\udcff\n"),)),  # a byte kept by surrogateescape
])
def test_an_autofix_reads_back_as_it_was(autofix: Autofix | None) -> None:
    entry = encode(_result(autofix), "0" * 64, "key", detail=False)
    back = decode("job.slurm", b"x", entry, lambda: (None, []))
    assert back.findings == _result(autofix).findings
    assert back.findings[0].autofix == autofix


@pytest.mark.parametrize("damaged", [
    ["sometimes", []], ["safe", [[1, 2]]], ["safe", [["1", 2, "x"]]], "safe", ["safe"],
])
def test_a_malformed_autofix_is_refused(damaged: object) -> None:
    entry = encode(_result(None), "0" * 64, "key", detail=False)
    entry[3][0][6] = damaged
    with pytest.raises(EntryError):
        decode("job.slurm", b"x", entry, lambda: (None, []))
