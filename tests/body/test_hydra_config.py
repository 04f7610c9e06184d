"""The Hydra composition of a Trainer's arguments, against hydra-core's own compose API."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scriptkeeper.body import hydra_config
from scriptkeeper.body.hydra_config import UNKNOWN_VALUE, compose, parse_overrides
from scriptkeeper.pipeline import fsview


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def ours(config_dir: Path, name: str, args: list[str], key: str = "trainer.params",
         roots: tuple[str, ...] = ()) -> hydra_config.Composed:
    with fsview.one_scan():
        return compose(str(config_dir), name, key, parse_overrides(args),
                       roots or (str(config_dir.parent),))


def theirs(config_dir: Path, name: str, args: list[str], key: str = "trainer.params"
           ) -> dict[str, Any]:
    """hydra-core's answer: the same composition, whole, then the key's node."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from omegaconf import OmegaConf

    with initialize_config_dir(config_dir=str(config_dir), version_base=None):
        cfg = hydra_compose(config_name=name, overrides=args)
    node = OmegaConf.select(cfg, key)
    return OmegaConf.to_container(node, resolve=False) if node is not None else {}


# A NAVSIM-like layout: a primary config with defaults, groups, a _global_ experiment.
LAYOUT = {
    "conf/train.yaml": """\
        defaults:
          - common
          - agent: mlp
          - trainer: ddp
          - _self_
        seed: 0
        trainer:
          params:
            max_epochs: 10
            num_nodes: 1
    """,
    "conf/common.yaml": """\
        verbose: false
        trainer:
          params:
            precision: 32
    """,
    "conf/agent/mlp.yaml": """\
        name: mlp
        lr: 0.1
    """,
    "conf/agent/big.yaml": """\
        # @package _global_
        agent:
          name: big
        trainer:
          params:
            devices: 4
    """,
    "conf/trainer/ddp.yaml": """\
        params:
          accelerator: gpu
          strategy: ddp
    """,
    "conf/trainer/single.yaml": """\
        params:
          accelerator: gpu
          devices: 1
    """,
    "conf/experiment/multinode.yaml": """\
        # @package _global_
        defaults:
          - override /trainer: single
        trainer:
          params:
            num_nodes: 2
    """,
}

CASES = [
    ("the primary config with its defaults", []),
    ("a value override", ["trainer.params.num_nodes=4"]),
    ("an added value", ["+trainer.params.devices=8"]),
    ("a forced value", ["++trainer.params.devices=2"]),
    ("a deleted value", ["~trainer.params.strategy"]),
    ("a group choice", ["trainer=single"]),
    ("a group choice whose config is global", ["agent=big"]),
    ("an added experiment that overrides a group", ["+experiment=multinode"]),
    ("the experiment and a value override after it",
     ["+experiment=multinode", "trainer.params.num_nodes=3"]),
    ("an added list value", ["+trainer.params.devices=[0,1]"]),
]


@pytest.mark.parametrize(("why", "args"), CASES, ids=[c[0] for c in CASES])
def test_composition_matches_hydra(tmp_path: Path, why: str, args: list[str]) -> None:
    root = write(tmp_path, LAYOUT)
    expected = theirs(root / "conf", "train", args)
    got = ours(root / "conf", "train", args)
    assert got.complete, got.problem
    assert got.values == expected, why


def test_searchpath_pkg_is_read_as_a_folder_without_importing(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "proj/config/training/train.yaml": """\
            hydra:
              searchpath:
                - pkg://proj.config.common
            defaults:
              - shared
              - _self_
            trainer:
              params:
                max_epochs: 1
        """,
        "proj/config/common/shared.yaml": """\
            trainer:
              params:
                num_nodes: 2
                strategy: ddp
        """,
        # importing the package would run this
        "proj/__init__.py": "raise SystemExit('imported')\n",
    })
    got = ours(root / "proj/config/training", "train", [], roots=(str(root),))
    assert got.complete
    assert got.values == {"num_nodes": 2, "strategy": "ddp", "max_epochs": 1}


def test_an_interpolation_is_unknown(tmp_path: Path) -> None:
    root = write(tmp_path, {"conf/train.yaml": """\
        nodes: 2
        trainer:
          params:
            num_nodes: ${nodes}
    """})
    got = ours(root / "conf", "train", [])
    assert got.get("num_nodes") is UNKNOWN_VALUE
    assert got.get("devices") is None  # unset: Lightning's default applies


def test_an_unreadable_choice_makes_unset_values_unknown(tmp_path: Path) -> None:
    root = write(tmp_path, {"conf/train.yaml": """\
        defaults:
          - split: ???
          - _self_
        trainer:
          params:
            num_nodes: 1
    """, "conf/split/a.yaml": "# @package _global_\ntrainer: {params: {devices: 2}}\n"})
    missing = ours(root / "conf", "train", [])
    assert not missing.complete
    assert missing.get("devices") is UNKNOWN_VALUE
    assert missing.get("num_nodes") == 1
    chosen = ours(root / "conf", "train", ["split=a"])
    assert chosen.complete and chosen.get("devices") == 2


def test_a_group_placed_elsewhere_does_not_make_it_incomplete(tmp_path: Path) -> None:
    root = write(tmp_path, {"conf/train.yaml": """\
        defaults:
          - data: ???
          - _self_
        trainer:
          params: {num_nodes: 1}
    """})
    got = ours(root / "conf", "train", [])
    assert got.complete  # data/ configs go to the package 'data', not to trainer


def test_overrides_on_the_launch_line_are_named_as_the_source(tmp_path: Path) -> None:
    root = write(tmp_path, LAYOUT)
    got = ours(root / "conf", "train", ["trainer.params.num_nodes=4", "seed=1"])
    assert got.sources == {"num_nodes": "the launch line"}


def test_an_unexpanded_shell_word_is_unknown(tmp_path: Path) -> None:
    from scriptkeeper.body.shell import UNKNOWN

    root = write(tmp_path, LAYOUT)
    got = ours(root / "conf", "train", [f"trainer.params.num_nodes={UNKNOWN}"])
    assert got.get("num_nodes") is UNKNOWN_VALUE


def test_a_missing_primary_config_says_so(tmp_path: Path) -> None:
    got = ours(tmp_path, "nope", [])
    assert not got.complete and "nope" in got.problem


def test_options_and_plain_arguments_are_not_overrides() -> None:
    found = parse_overrides(["--config-name=x", "-m", "train.py", "agent=a", "~x.y", "+a/b=c",
                             "a.b=1=2"])
    assert [(o.prefix, o.key, o.value) for o in found] == [
        ("", "agent", "a"), ("~", "x.y", None), ("+", "a/b", "c"), ("", "a.b", "1=2")]


@given(st.lists(st.text(max_size=30), max_size=8))
def test_any_arguments_parse_without_error(args: list[str]) -> None:
    for item in parse_overrides(args):
        assert item.prefix in ("", "+", "++", "~")
        assert item.value is not None or item.prefix == "~"


KEYS = st.from_regex(r"[a-z][a-z_]{0,6}(\.[a-z][a-z_]{0,6}){0,2}", fullmatch=True)


@given(KEYS, st.integers(min_value=-10**6, max_value=10**6))
def test_a_written_override_reads_back(key: str, value: int) -> None:
    (item,) = parse_overrides([f"{key}={value}"])
    assert item.key == key and hydra_config._value(item.value or "") == value
