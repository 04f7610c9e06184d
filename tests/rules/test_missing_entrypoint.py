"""missing-entrypoint: the Python file or module a job runs is not in the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from scriptkeeper.pipeline.analyze import analyze_script
from scriptkeeper.rules.config import load_config
from tests.body.repo import errors, finding, judge, write

FILES = {"navsim/planning/script/run_training.py": "import torch\n",
         "pkg/__init__.py": "", "pkg/train.py": "import torch\n",
         "configs/rules.yaml": "scripts: {include: ['../jobs/**']}\n"}


@pytest.mark.parametrize(("why", "script", "what"), [
    ("a renamed file, after cd $HOME/<a checkout of this repository>", """
        #!/bin/bash
        #SBATCH --gres=gpu:1
        cd $HOME/REPO
        python navsim/planning/script/run_training_old.py agent=x
    """, "navsim/planning/script/ has no run_training_old.py"),
    ("a module", """
        #!/bin/bash
        python -m pkg.train_v2
    """, "pkg/ has no train_v2.py"),
    ("a launcher's script argument", """
        #!/bin/bash
        #SBATCH --gres=gpu:2
        torchrun --standalone --nproc_per_node=2 pkg/pretrain.py
    """, "pkg/ has no pretrain.py"),
    ("inside srun bash -c", """
        #!/bin/bash
        srun bash -c 'python navsim/planning/script/run_train.py'
    """, "run_train.py"),
])
def test_flagged(tmp_path: Path, why: str, script: str, what: str) -> None:
    result = judge(tmp_path, script.replace("REPO", tmp_path.name), FILES, pins=None)
    assert "missing-entrypoint" in errors(result), why
    found = finding(result, "missing-entrypoint")
    assert what in found.message and "can't open file" in found.message
    assert found.line == result.steps[0].line


def test_a_close_name_is_suggested(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        python navsim/planning/script/run_trainng.py
    """, FILES, pins=None)
    assert "did you mean run_training.py?" in finding(result, "missing-entrypoint").fix


@pytest.mark.parametrize(("why", "script"), [
    ("the file is there", "python navsim/planning/script/run_training.py"),
    ("relative to the folder cd moved into", "cd navsim/planning\npython script/run_training.py"),
    ("a module that is there", "python -m pkg.train"),
    ("an installed module", "python -m torch.distributed.run --nproc_per_node 2 pkg/train.py"),
    ("a folder the repository does not have", "python tools/train.py"),
    ("a bare file name: the working directory is unknown", "python train.py"),
    ("an absolute path", "python /opt/app/train.py"),
    ("a path from a variable", "python $CODE/navsim/planning/script/run_old.py"),
    ("a file the script writes first",
     "cat > pkg/gen.py <<EOF\nprint(1)\nEOF\npython pkg/gen.py"),
    ("a repository the script clones", "git clone https://x/y.git pkg/y\npython pkg/y/run.py"),
    ("inline code", "python -c 'import torch'"),
])
def test_left_alone(tmp_path: Path, why: str, script: str) -> None:
    result = judge(tmp_path, "#!/bin/bash\n#SBATCH --time=10\n" + script + "\n", FILES,
                   pins=None)
    assert "missing-entrypoint" not in errors(result), why


def test_found_relative_to_the_folder_of_rules_yaml(tmp_path: Path) -> None:
    write(tmp_path, {"workspace/rules.yaml": "scripts: {include: ['../jobs/**']}\n",
                     "workspace/src/run.py": "import torch\n"})
    data = b"#!/bin/bash\ncd $HOME/workspace\npython src/run.py\npython src/old.py\n"
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "job.slurm").write_bytes(data)
    config = load_config(tmp_path / "workspace" / "rules.yaml")
    result = analyze_script(tmp_path, "jobs/job.slurm", data, config)
    assert [s.entry for s in result.steps] == ["workspace/src/run.py", "src/old.py"]
    assert [f.line for f in result.findings if f.rule == "missing-entrypoint"] == [4]


# missing-entrypoint after cd/pushd: a relative path names a file where the shell stands.

CD_FILES = {"tools/convert.py": "import torch\n", "src/train.py": "import torch\n",
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
                   CD_FILES, pins=None)
    assert "missing-entrypoint" not in errors(result), why


@pytest.mark.parametrize(("why", "body", "entry"), [
    ("cd into the repository's own folder", "cd src && python train.py", "src/train.py"),
    ("cd into a checkout named like the repository",
     "cd $HOME/my_repo/src\npython train.py", "src/train.py"),
])
def test_followed_into_the_repository(tmp_path: Path, why: str, body: str, entry: str) -> None:
    result = judge(tmp_path / "my-repo", "#!/bin/bash\n" + body + "\n", CD_FILES, pins=None)
    assert [s.entry for s in result.steps] == [entry], why


@pytest.mark.parametrize(("why", "body"), [
    ("no cd at all", "python tools/convrt.py"),
    ("cd into the repository's own folder", "cd src\npython pkg/train_v2.py"),
    ("cd into a checkout named like the repository", "cd $HOME/my-repo\npython tools/gone.py"),
])
def test_still_flagged(tmp_path: Path, why: str, body: str) -> None:
    result = judge(tmp_path / "my-repo", "#!/bin/bash\n" + body + "\n", CD_FILES, pins=None)
    assert "missing-entrypoint" in errors(result), why
