"""Framework versions from the repository's pins and from rules.yaml."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from scriptkeeper.body import framework_pins
from scriptkeeper.body.framework_pins import CURRENT, version_of_spec

NEWEST = CURRENT["lightning"]


@pytest.mark.parametrize(("spec", "version", "exact"), [
    ("==2.2.1", (2, 2, 1), True),
    ("==1.7.7", (1, 7, 7), True),
    (">=2.0", NEWEST, False),
    ("", NEWEST, False),
    ("<1.9,>=1.6", (1, 8, 999), False),
    ("~=1.8.0", (1, 8, 999), False),
    ("^1.8", (1, 999), False),
    ("==1.8.*", (1, 8, 999), False),
    ("<2", (1, 999), False),
    ("<=1.7.7", (1, 7, 7), False),
    (">=3.0", (3, 0), False),
])
def test_the_version_pip_would_install(spec: str, version: tuple[int, ...], exact: bool) -> None:
    assert version_of_spec(spec, NEWEST) == (version, exact)


def find(root: Path, files: dict[str, str], framework: str = "pytorch_lightning",
         configured: dict[str, str] | None = None) -> framework_pins.Pin | None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    folders = framework_pins.folders(root / "src", root, [])
    return framework_pins.find(framework, folders, root, configured or {})


@pytest.mark.parametrize(("name", "text", "version"), [
    ("requirements.txt", "torch==2.1\npytorch-lightning==1.7.7  # old\n", (1, 7, 7)),
    ("requirements-gpu.txt", "pytorch_lightning[extra]==2.0.1 ; python_version>'3'\n",
     (2, 0, 1)),
    ("requirements/base.txt", "lightning==2.1.3\n", (2, 1, 3)),
    ("pyproject.toml", '[project]\ndependencies = ["pytorch-lightning==2.3.0"]\n', (2, 3, 0)),
    ("pyproject.toml", '[tool.poetry.dependencies]\npytorch-lightning = "^1.9"\n', (1, 999)),
    ("environment.yml", "dependencies:\n  - pytorch-lightning=1.8.6=py_0\n", (1, 8, 6)),
    ("environment.yml", "dependencies:\n  - pip:\n    - pytorch-lightning==1.6.0\n", (1, 6, 0)),
    ("setup.cfg", "[options]\ninstall_requires =\n    pytorch-lightning<1.8\n", (1, 7, 999)),
    ("setup.py", "setup(install_requires=['pytorch-lightning==1.5.10'])\n", (1, 5, 10)),
])
def test_pin_files(tmp_path: Path, name: str, text: str, version: tuple[int, ...]) -> None:
    pin = find(tmp_path, {name: text})
    assert pin is not None and pin.version == version
    assert pin.source == name


def test_the_nearest_pin_wins_and_rules_yaml_wins_over_all(tmp_path: Path) -> None:
    files = {"requirements.txt": "lightning==2.2.0\n", "src/requirements.txt": "lightning==1.9.0\n"}
    pin = find(tmp_path, files, "lightning")
    assert pin is not None and pin.version == (1, 9, 0)
    configured = find(tmp_path, {}, "lightning", {"lightning": "1.7.2"})
    assert configured is not None and (configured.version, configured.source) == (
        (1, 7, 2), "rules.yaml")


def test_no_pin_at_all(tmp_path: Path) -> None:
    assert find(tmp_path, {"requirements.txt": "torch\n"}) is None


def test_a_pin_file_is_read_again_when_it_changes(tmp_path: Path) -> None:
    first = find(tmp_path, {"requirements.txt": "lightning==2.0.0\n"}, "lightning")
    second = find(tmp_path, {"requirements.txt": "lightning==2.1.0  # bumped\n"}, "lightning")
    assert first is not None and second is not None
    assert (first.version, second.version) == ((2, 0, 0), (2, 1, 0))


def test_a_pin_file_added_to_requirements_folder_is_seen(tmp_path: Path) -> None:
    # a file added inside requirements/ changes that folder's time, not its parent's
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "dev.txt").write_text("pytest\n")
    assert find(tmp_path, {}, "lightning") is None
    added = find(tmp_path, {"requirements/gpu.txt": "lightning==2.2.1\n"}, "lightning")
    assert added is not None and added.version == (2, 2, 1)

