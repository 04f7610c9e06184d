"""The modules pyproject.toml lets mypyc compile: pure Python unless a compiled build was asked for.

The default install is pure Python. ``HATCH_BUILD_HOOKS_ENABLE=1 pip install``
compiles the listed modules; an editable compiled install writes them into the
source tree, where they shadow the source until removed, and go stale when
the source is edited. Set ``SCRIPTKEEPER_COMPILED=1`` to test a compiled
build: then each module must be compiled and not older than its source;
otherwise each must be the source itself.
"""

from __future__ import annotations

import importlib
import os
import re
from pathlib import Path

import pytest

from tests.conftest import REPO

ASKED = os.environ.get("SCRIPTKEEPER_COMPILED") == "1"


def compiled_modules() -> list[str]:
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    section = text.split("[tool.hatch.build.targets.wheel.hooks.mypyc]", 1)[1]
    listed = section.split("include = [", 1)[1].split("]", 1)[0]
    return [p.removeprefix("/").removesuffix(".py").replace("/", ".")
            for p in re.findall(r'"([^"]+)"', listed)]


def test_the_list_names_modules_of_the_package() -> None:
    names = compiled_modules()
    assert "scriptkeeper.body.shell" in names
    for name in names:
        assert (REPO / (name.replace(".", "/") + ".py")).is_file(), name


def test_the_build_hook_is_off_by_default() -> None:
    section = (REPO / "pyproject.toml").read_text(encoding="utf-8").split(
        "[tool.hatch.build.targets.wheel.hooks.mypyc]", 1)[1]
    assert "enable-by-default = false" in section.split("\n[", 1)[0]


@pytest.mark.parametrize("name", compiled_modules())
def test_a_module_is_compiled_only_when_asked_for_and_never_stale(name: str) -> None:
    module = importlib.import_module(name)
    file = Path(module.__file__ or "")
    if not ASKED:
        assert file.suffix == ".py", (
            f"{file} is compiled but no compiled build was asked for: a compiled module left "
            f"in the source tree shadows its source; delete it (find scriptkeeper -name "
            f"'*.so' -delete), or set SCRIPTKEEPER_COMPILED=1 to test the compiled build")
        return
    assert file.suffix != ".py", f"{name} is not compiled (SCRIPTKEEPER_COMPILED=1)"
    source = file.parent / (name.rsplit(".", 1)[-1] + ".py")
    assert source.is_file(), source
    assert source.stat().st_mtime_ns <= file.stat().st_mtime_ns, (
        f"{file.name} is older than {source.name}: run `HATCH_BUILD_HOOKS_ENABLE=1 pip "
        f"install -e .` again to compile the edited source")
