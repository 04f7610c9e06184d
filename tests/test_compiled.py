"""The modules pyproject.toml has mypyc compile: compiled in CI, never older than their source.

An editable install compiles them in place; editing one afterwards leaves the
old compiled module in front of the new source until `pip install -e .` runs
again. These tests catch that, and a CI that would test the pure-Python code
instead of what users install.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from tests.conftest import REPO, in_ci


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


@pytest.mark.parametrize("name", compiled_modules())
def test_a_compiled_module_is_not_older_than_its_source(name: str) -> None:
    module = importlib.import_module(name)
    file = Path(module.__file__ or "")
    source = file.parent / (name.rsplit(".", 1)[-1] + ".py")
    if file.suffix == ".py":
        # a pure-Python install (HATCH_BUILD_NO_HOOKS=true): fine anywhere but in CI, which
        # tests and measures what `pip install` gives
        assert not in_ci(), f"{name} is not compiled: CI must test the compiled modules"
        return
    assert source.is_file(), source
    assert source.stat().st_mtime_ns <= file.stat().st_mtime_ns, (
        f"{file.name} is older than {source.name}: run `pip install -e .` again to compile "
        f"the edited source (or install with HATCH_BUILD_NO_HOOKS=true to run it uncompiled)")
