"""``scriptkeeper init``: a starter rules.yaml that scan accepts unchanged, tried as a user."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from scriptkeeper.cli.init_cmd import detect_include, starter
from scriptkeeper.rules.config import load_config
from tests.report.conftest import git_repo, scriptkeeper_command

JOB = "#!/bin/bash\n#SBATCH --time=10\n#SBATCH --gres=gpu:1\npython train.py\n"


def tool_path(tmp_path: Path, scontrol: bool) -> str:
    """A PATH with git (discovery needs it) and, if asked, an executable named scontrol.

    init only looks scontrol up on PATH and never runs it, so any executable
    of that name is a faithful stand-in for the real one.
    """
    folder = tmp_path / ("bin-scontrol" if scontrol else "bin")
    folder.mkdir(exist_ok=True)
    git = shutil.which("git")
    assert git is not None
    (folder / "git").symlink_to(git)
    if scontrol:
        fake = folder / "scontrol"
        fake.write_text("#!/bin/sh\necho 'slurm 22.05.8'\n")
        fake.chmod(0o755)
    return str(folder)


def run(args: list[str], cwd: Path, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if path is not None:
        env["PATH"] = path
    return subprocess.run([*scriptkeeper_command(), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False)


def scanned(root: Path) -> list[str]:
    out = run(["scan", "--format", "json"], root)
    assert out.returncode in (0, 1), out.stderr  # 2 would be a configuration error
    return [s["path"] for s in json.loads(out.stdout)["scripts"]]


def make_repo(tmp_path: Path, files: dict[str, str]) -> Path:
    root = git_repo(tmp_path / "repo")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_fresh_repository_gets_a_rules_yaml_scan_accepts(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"scripts/train.slurm": JOB,
                                "scripts/eval.sh": JOB.replace("train", "eval"),
                                "scripts/cleanup.sh": "#!/bin/bash\nrm -rf tmp\n",
                                "tools/setup.sh": "#!/bin/bash\n#SBATCH --time=5\necho\n",
                                "src/train.py": "print('hi')\n"})
    # the tools/ script is a job script outside scripts/: the starter must select it too
    before = scanned(root)
    out = run(["init"], root, tool_path(tmp_path, scontrol=False))
    assert out.returncode == 0, out.stderr
    text = (root / "rules.yaml").read_text()
    assert "3 job script(s) found" in out.stdout
    assert "scontrol" not in out.stdout
    assert 'include: ["scripts/**", "tools/**"]' in text
    assert scanned(root) == before == ["scripts/eval.sh", "scripts/train.slurm",
                                       "tools/setup.sh"]
    check = run(["scan"], root)
    assert check.returncode == 0, check.stdout + check.stderr


def test_one_scripts_folder_is_detected(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"cluster/jobs/train.slurm": JOB,
                                "cluster/jobs/gpu/big.sbatch": JOB,
                                "README.md": "# hi\n"})
    out = run(["init"], root / "cluster")  # from a subfolder: written at the top
    assert out.returncode == 0, out.stderr
    assert not (root / "cluster" / "rules.yaml").exists()
    text = (root / "rules.yaml").read_text()
    assert 'include: ["cluster/jobs/**"]' in text
    assert scanned(root) == ["cluster/jobs/gpu/big.sbatch", "cluster/jobs/train.slurm"]


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"scripts/train.slurm": JOB, "rules.yaml": "scripts: {}\n"})
    out = run(["init"], root)
    assert out.returncode == 2
    assert "already exists" in out.stderr
    assert (root / "rules.yaml").read_text() == "scripts: {}\n"


def test_refuses_a_dangling_symlink_too(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"scripts/train.slurm": JOB})
    (root / "rules.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    assert run(["init"], root).returncode == 2
    assert not (tmp_path / "elsewhere.yaml").exists()


def test_scontrol_on_path_offers_the_cluster_profile(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"scripts/train.slurm": JOB})
    out = run(["init"], root, tool_path(tmp_path, scontrol=True))
    assert out.returncode == 0, out.stderr
    assert re.search(r"scontrol is on PATH: .*(profile import --from-scontrol|scontrol show "
                     r"partition)", out.stdout)
    assert "#cluster:" in (root / "rules.yaml").read_text()


def test_no_job_script_yet(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"README.md": "# hi\n"})
    out = run(["init"], root)
    assert out.returncode == 0, out.stderr
    text = (root / "rules.yaml").read_text()
    assert "no job script found yet" in text and "\nscripts:" not in text
    assert run(["scan"], root).returncode == 0


def test_script_at_the_top_keeps_the_whole_repository(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"job.slurm": JOB, "scripts/train.slurm": JOB})
    assert run(["init"], root).returncode == 0
    assert "\nscripts:" not in (root / "rules.yaml").read_text()
    assert scanned(root) == ["job.slurm", "scripts/train.slurm"]


@pytest.mark.parametrize("folder", ["job scripts", "jobs[old]", "#tmp", "!keep", "a*b"])
def test_odd_folder_names_are_matched_literally(tmp_path: Path, folder: str) -> None:
    root = make_repo(tmp_path, {f"{folder}/train.slurm": JOB})
    found, patterns = detect_include(root, True)
    assert found == [f"{folder}/train.slurm"]
    assert len(patterns) == 1
    assert run(["init"], root).returncode == 0
    assert scanned(root) == found


def test_outside_git_writes_into_the_current_folder(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    (root / "slurm").mkdir(parents=True)
    (root / "slurm" / "train.slurm").write_text(JOB)
    out = run(["init"], root)
    assert out.returncode == 0, out.stderr
    assert 'include: ["slurm/**"]' in (root / "rules.yaml").read_text()
    assert scanned(root) == ["slurm/train.slurm"]


def test_stdout_writes_nothing(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"scripts/train.slurm": JOB})
    out = run(["init", "--stdout"], root)
    assert out.returncode == 0
    assert out.stdout.startswith("# scriptkeeper settings")
    assert not (root / "rules.yaml").exists()


@pytest.mark.parametrize("profile_command", [True, False])
def test_the_commented_examples_are_valid_when_uncommented(tmp_path: Path,
                                                           profile_command: bool) -> None:
    text = starter(["scripts/**"], 3, profile_command)
    # an example line is '#' + a YAML line (a key at column 0, or indented by two);
    # prose is '# ' + words
    examples = [line[1:] if re.match(r"#(?! )|#  ", line) else line
                for line in text.splitlines()]
    assert sum(1 for a, b in zip(examples, text.splitlines(), strict=True) if a != b) > 15
    target = tmp_path / "rules.yaml"
    target.write_text("\n".join(examples) + "\n")
    config = load_config(target)
    assert config.cluster is not None and "gpu" in config.cluster.partitions
    assert config.rules["duplicate-option"].severity == "error"
    assert not config.rules["plugin-option"].enabled
    assert "require-account" in config.rules
    assert config.redundancy.pin == ("scripts/train.slurm",)


def test_cluster_without_scontrol_writes_nothing(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"scripts/train.slurm": JOB})
    out = run(["init", "--cluster"], root, tool_path(tmp_path, scontrol=False))
    assert out.returncode == 2
    assert "scontrol is not on PATH" in out.stderr
    assert not (root / "rules.yaml").exists()


def test_no_cluster_neither_asks_nor_hints(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"scripts/train.slurm": JOB})
    out = run(["init", "--no-cluster"], root, tool_path(tmp_path, scontrol=True))
    assert out.returncode == 0, out.stderr
    assert "scontrol" not in out.stdout
    assert "#cluster:" in (root / "rules.yaml").read_text()


@pytest.mark.slurm
def test_cluster_profile_from_the_running_cluster(tmp_path: Path, slurm_cluster: None) -> None:
    root = make_repo(tmp_path, {
        "scripts/train.slurm": JOB,
        # 8 tasks x 32 CPUs = 256 CPUs on one node of a 128-CPU cluster: only the profile knows
        "scripts/too_big.slurm": "#!/bin/bash\n#SBATCH --ntasks-per-node=8\n#SBATCH -c 32\n"
                                 "srun python train.py\n"})
    out = run(["init", "--cluster"], root)
    assert out.returncode == 0, out.stderr
    config = load_config(root / "rules.yaml")
    assert config.cluster is not None
    assert set(config.cluster.partitions) == {"h200", "debug"}
    assert config.cluster.default_partition == "h200"
    assert config.cluster.partitions["h200"].cpus_per_node == 128
    assert "#cluster:" not in (root / "rules.yaml").read_text()
    scan = run(["scan", "--format", "json"], root)
    assert scan.returncode == 1, scan.stderr
    verdicts = {s["path"]: [f["rule"] for f in s["findings"]]
                for s in json.loads(scan.stdout)["scripts"]}
    assert verdicts["scripts/train.slurm"] == []
    assert verdicts["scripts/too_big.slurm"] == ["request-exceeds-node"]
