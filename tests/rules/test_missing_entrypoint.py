"""missing-entrypoint after cd/pushd: a relative path names a file where the shell stands."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.launch.repo import errors, judge

FILES = {"tools/convert.py": "import torch\n", "src/train.py": "import torch\n",
         "src/pkg/__init__.py": ""}


@pytest.mark.parametrize(("why", "body"), [
    ("cd into a variable's folder (another checkout)",
     "cd $WORK/code/OtherProject\npython tools/merge_shards.py --out x"),
    ("pushd into an absolute path", "pushd /opt/checkouts/other\npython tools/merge_shards.py\n"
                                    "popd"),
    ("cd with a quoted variable", 'cd "${CODE_DIR}"\npython tools/merge_shards.py'),
    ("cd ~", "cd ~/elsewhere\npython -m src.pkg.gone"),
    ("after popd the folder is not known", "pushd src\npopd\npython tools/gone.py"),
])
def test_not_flagged_outside_the_repository(tmp_path: Path, why: str, body: str) -> None:
    result = judge(tmp_path / "myrepo", "#!/bin/bash\n#SBATCH --time=10\n" + body + "\n",
                   FILES, pins=None)
    assert "missing-entrypoint" not in errors(result), why


@pytest.mark.parametrize(("why", "body", "entry"), [
    ("cd into the repository's own folder", "cd src && python train.py", "src/train.py"),
    ("cd into a checkout named like the repository",
     "cd $HOME/my_repo/src\npython train.py", "src/train.py"),
])
def test_followed_into_the_repository(tmp_path: Path, why: str, body: str, entry: str) -> None:
    result = judge(tmp_path / "my-repo", "#!/bin/bash\n" + body + "\n", FILES, pins=None)
    assert [s.entry for s in result.steps] == [entry], why


@pytest.mark.parametrize(("why", "body"), [
    ("no cd at all", "python tools/convrt.py"),
    ("cd into the repository's own folder", "cd src\npython pkg/train_v2.py"),
    ("cd into a checkout named like the repository", "cd $HOME/my-repo\npython tools/gone.py"),
])
def test_still_flagged(tmp_path: Path, why: str, body: str) -> None:
    result = judge(tmp_path / "my-repo", "#!/bin/bash\n" + body + "\n", FILES, pins=None)
    assert "missing-entrypoint" in errors(result), why
