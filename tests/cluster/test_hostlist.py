"""Hostlist expressions as SLURM writes them in slurm.conf and scontrol output."""

from __future__ import annotations

import pytest

from scriptkeeper.cluster.hostlist import HostlistError, expand, split_top


@pytest.mark.parametrize(
    ("expression", "names"),
    [
        ("vm", ["vm"]),
        ("gpu[001-003]", ["gpu001", "gpu002", "gpu003"]),
        ("n[8-11]", ["n8", "n9", "n10", "n11"]),
        ("n[1-2,5]", ["n1", "n2", "n5"]),
        ("a1,b[2-3]", ["a1", "b2", "b3"]),
        ("rack[0-1]-n[1-2]", ["rack0-n1", "rack0-n2", "rack1-n1", "rack1-n2"]),
        ("n[09-11]", ["n09", "n10", "n11"]),
        ("n1,n1,n[1-2]", ["n1", "n2"]),
        ("cpu-[1-2].ib", ["cpu-1.ib", "cpu-2.ib"]),
    ],
)
def test_expand(expression: str, names: list[str]) -> None:
    assert expand(expression) == names


def test_split_top_keeps_commas_inside_brackets() -> None:
    assert split_top("a[1,3],b,c[1-2]") == ["a[1,3]", "b", "c[1-2]"]


@pytest.mark.parametrize("bad", ["n[1-", "n1-2]", "n[3-1]", "n[a-b]", "n[1-99999999]"])
def test_bad_expressions_are_errors(bad: str) -> None:
    with pytest.raises(HostlistError):
        expand(bad)
