"""rules.yaml ``redundancy:`` is read strictly: bad markers and ignored options are errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from scriptkeeper.redundancy.family import MarkerTable
from scriptkeeper.rules.config import (
    ConfigError,
    RedundancySettings,
    builtin_markers,
    load_config,
)

from .repo import Repo, one_gpu, verdicts


def _load(tmp_path: Path, text: str) -> RedundancySettings:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    return load_config(path).redundancy


def test_settings_are_read(tmp_path: Path) -> None:
    settings = _load(tmp_path, "redundancy:\n  pin: [a.slurm]\n  markers: ['try\\d+']\n"
                               "  ignore: [job-name, account]\n  duplicates: false\n")
    assert settings == RedundancySettings(
        pin=("a.slurm",), markers=MarkerTable.of(("try\\d+",), builtin_markers()),
        ignore=("job-name", "account"), duplicates=False)


@pytest.mark.parametrize(("text", "message"), [
    ("redundancy:\n  markers: ['v(']\n", "'v(' is not a regular expression"),
    ("redundancy:\n  ignore: [jobname]\n", "'jobname' is not a long sbatch option name"),
    ("redundancy:\n  ignore: [--time]\n", "(write 'time')"),
    ("redundancy:\n  ignore: [t]\n", "(write 'time')"),
    ("redundancy:\n  ignore: [job]\n", "'job' is not a long sbatch option name"),
    ("redundancy:\n  duplicate: false\n", "unknown key 'duplicate' in redundancy"),
    ("redundancy:\n  superseded: maybe\n", "'superseded' must be true or false"),
])
def test_bad_settings_name_the_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        _load(tmp_path, "# settings\n" + text)
    assert message in str(error.value)
    assert error.value.line == 3


def test_plugin_options_may_be_ignored(tmp_path: Path) -> None:
    text = ("cluster:\n  plugin_options: [container-image]\n"
            "redundancy:\n  ignore: [container-image]\n")
    assert _load(tmp_path, text).ignore == ("container-image",)


def test_a_smoke_test_beside_the_training_is_not_a_version_of_it(repo: Repo) -> None:
    repo.commit("2024-01-10T10:00:00", {"train.slurm": one_gpu()})
    repo.commit("2024-02-10T10:00:00", {
        "train_test.slurm": one_gpu("python train.py --lr=0.1 --max-steps=10\n")})
    assert verdicts(repo.scan()) == {"train.slurm": ("keep", None),
                                     "train_test.slurm": ("keep", None)}


def test_a_marker_mapping_adds_to_the_built_in_table(tmp_path: Path) -> None:
    settings = _load(tmp_path, "redundancy:\n  markers:\n    older: [attic]\n"
                               "    not_versions: ['gpu\\d+']\n")
    table = settings.marker_table
    assert table.older == (*builtin_markers().older, "attic")
    assert table.not_versions[-1] == "gpu\\d+"
    assert table.newer == builtin_markers().newer


@pytest.mark.parametrize(("text", "message"), [
    ("redundancy:\n  markers:\n    stale: [attic]\n", "unknown key 'stale'"),
    ("redundancy:\n  markers:\n    not_versions: ['a(']\n", "'a(' is not a regular expression"),
])
def test_bad_marker_tables_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        _load(tmp_path, text)
    assert message in str(error.value)


def test_the_built_in_table_is_the_one_in_rules_yaml() -> None:
    table = RedundancySettings().marker_table
    assert "v\\d+" in table.version and "fixed" in table.newer and "old" in table.older
    assert "v100" in table.not_versions
