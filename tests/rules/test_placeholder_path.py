"""placeholder-path: a launch line left with a template's placeholder fails at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.body.repo import finding, judge, rules

HEAD = "#!/bin/bash\n#SBATCH --gres=gpu:1\n"

# (why, body, the placeholder the message names)
FLAGGED = [
    ("entry point /path/to/your/...", "python /path/to/your/training_script.py\n",
     "/path/to/your/training_script.py"),
    ("entry point under srun with options", "srun python -u /path/to/train.py --lr 1e-3\n",
     "/path/to/train.py"),
    ("entry point relative path/to", "python path/to/train.py\n", "path/to/train.py"),
    ("entry point in angle brackets, quoted", 'python "<your_script>.py"\n', "<your_script>.py"),
    ("entry point YOUR_...", "python YOUR_SCRIPT.py\n", "YOUR_SCRIPT.py"),
    ("entry point after a variable", "python $HOME/path/to/train.py\n", "/path/to/train.py"),
    ("a path argument of a launch step", "srun python train.py --data_dir /path/to/data\n",
     "/path/to/data"),
    ("a path argument given with =", "torchrun --nproc_per_node=1 train.py --data=/path/to/x\n",
     "/path/to/x"),
    ("the program itself", "srun /path/to/your/app.exe --steps 10\n", "/path/to/your/app.exe"),
    ("an unquoted <...>: bash reads it as a redirection", "python <your_script>.py --lr 1\n",
     "<your_script>"),
    ("an unquoted <...> under srun", "srun python train.py --config <cfg>.yaml\n", "<cfg>"),
]

LEFT_ALONE = [
    ("a real entry point", "python train.py --data /data/x\n"),
    ("$YOUR_DIR set by the script", "YOUR_DIR=/scratch/me\npython $YOUR_DIR/train.py\n"),
    ("$YOUR_DIR from the environment (unknown, not literal)", "python $YOUR_DIR/train.py\n"),
    ("a placeholder in a non-path argument", 'python train.py --wandb_project "<your project>"\n'),
    ("a placeholder outside a launch line", "conda activate <env>\nmodule load x/<ver>\n"
     "python train.py\n"),
    ("an echo of a usage text", 'echo "usage: sbatch job.slurm /path/to/config"\n'
     "python train.py\n"),
    ("a path argument to a command that is no launcher", "cp /path/to/data .\npython train.py\n"),
    ("an input redirection, not a placeholder", "python train.py < input.txt\n"),
    ("a yours-like word that is a real name", "python your_model_zoo.py\n"),
    ("a real input redirection without a space", "python train.py <input.txt\n"),
    ("a here-document", "python - <<EOF\nprint(1)\nEOF\n"),
    ("a process substitution", "python train.py --list <(ls data)\n"),
    ("an existing file read and written", "python train.py <train.py>out.txt\n"),
    ("an unquoted <...> on a command that is no launch", "conda activate <env>\n"
     "python train.py\n"),
    ("a <...> in a trailing comment", "python train.py  # run as <user>\n"),
]


@pytest.mark.parametrize(("why", "body", "shown"), FLAGGED, ids=[c[0] for c in FLAGGED])
def test_flagged(tmp_path: Path, why: str, body: str, shown: str) -> None:
    files = {"train.py": "print('x')\n", "your_model_zoo.py": "print('x')\n"}
    result = judge(tmp_path, HEAD + body, files)
    found = finding(result, "placeholder-path")
    assert found.severity == "error", why
    assert shown in found.message and "fails at once" in found.message
    assert found.line == HEAD.count("\n") + body.count("\n")


@pytest.mark.parametrize(("why", "body"), LEFT_ALONE, ids=[c[0] for c in LEFT_ALONE])
def test_left_alone(tmp_path: Path, why: str, body: str) -> None:
    files = {"train.py": "print('x')\n", "your_model_zoo.py": "print('x')\n"}
    result = judge(tmp_path, HEAD + body, files)
    assert "placeholder-path" not in rules(result), why


def test_a_tool_template_is_reported_once_as_a_template(tmp_path: Path) -> None:
    script = ("#!/bin/bash\n#SBATCH --nodes={{ nodes }}\n#SBATCH --time={{ time }}\n"
              "python /path/to/your/train.py\n")
    result = judge(tmp_path, script, name="templates/job.slurm.j2")
    assert "template-file" in rules(result)
    assert "placeholder-path" not in rules(result)
