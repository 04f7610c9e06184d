"""batch-script-dir(-fragile): $0 in a batch script is SLURM's spool copy, not the script."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.body.repo import finding, judge, rules

HEAD = "#!/bin/bash\n#SBATCH --time=10\n"

# (why, body, line of the form, line that depends on it): an error
DEPENDS = [
    ("cd to dirname $0, then a relative entry point",
     'cd "$(dirname "$0")"\npython train.py\n', 3, 4),
    ("cd with backticks, then a relative config",
     "cd `dirname $0`\nsrun python /opt/x.py --config configs/a.yaml\n", 3, 4),
    ("SCRIPT_DIR from readlink -f, used as a path",
     'SCRIPT_DIR=$(dirname "$(readlink -f "$0")")\npython "$SCRIPT_DIR/train.py"\n', 3, 4),
    ("SCRIPT_DIR from BASH_SOURCE with cd && pwd, sourced from",
     'SCRIPT_DIR="$( cd "$( dirname "${BASH_SOURCE[0]}" )" && pwd )"\n'
     'source "${SCRIPT_DIR}/env.sh"\n', 3, 4),
    ("realpath $0, then dirname, then ../",
     "P=$(realpath $0)\nD=$(dirname $P)\nROOT=$(cd $D/../..; pwd)\n", 3, 5),
    ("a variable used a few lines later",
     "me=$(basename $0)\nrootpath=$(dirname $0)\necho start\npython ${rootpath}/x.py\n", 4, 6),
    ("used inline as a path under srun",
     "srun python `dirname $0`/analyze.py --input data.csv\n", 3, 3),
    ("${0%/*}", 'cd "${0%/*}"\n./run.sh\n', 3, 4),
]

# (why, body, line): a warning, nothing depends on it yet
FRAGILE = [
    ("cd there, then only absolute paths", 'cd "$(dirname "$0")"\npython /abs/train.py\n', 3),
    ("a variable only printed", "SCRIPT_DIR=$(dirname $0)\necho $SCRIPT_DIR\n", 3),
    ("cd there, then cd elsewhere before relative paths",
     "cd $(dirname $0)\ncd /work/project\npython train.py\n", 3),
]

LEFT_ALONE = [
    ("guarded with SLURM_SUBMIT_DIR as the default",
     'SCRIPT_DIR=${SLURM_SUBMIT_DIR:-$(dirname "$0")}\npython $SCRIPT_DIR/train.py\n'),
    ("an if on SLURM_JOB_ID with scontrol for the submitted path",
     'if [ -n "$SLURM_JOB_ID" ]; then\n'
     "  P=$(scontrol show job $SLURM_JOB_ID | awk -F= '/Command=/{print $2}')\n"
     "else\n  P=$(realpath $0)\nfi\npython $(dirname $P)/train.py\n"),
    ("a check for slurmd in the path, then SLURM_SUBMIT_DIR",
     'SCRIPT_DIR="$( cd "$( dirname "${BASH_SOURCE[0]}" )" && pwd )"\n'
     '[[ "${SCRIPT_DIR}" == *"slurmd"* ]] && TOP=${SLURM_SUBMIT_DIR} || TOP=${SCRIPT_DIR}\n'
     "python $TOP/train.py\n"),
    ("basename of $0 only", "me=$(basename $0)\npython train.py\n"),
    ("dirname of another path", "mkdir -p $(dirname $OUT)\npython train.py\n"),
    ("$0 in a comment", "# cd $(dirname $0) would point into the spool\npython train.py\n"),
    ("cd $SLURM_SUBMIT_DIR", 'cd "$SLURM_SUBMIT_DIR"\npython train.py\n'),
    ("$10 is not $0", "echo $10\npython train.py\n"),
    ("in a here-document the job writes (the other script's $0)",
     "cat > run.sh <<'EOF'\ncd \"$(dirname \"$0\")\"\npython train.py\nEOF\n"
     "srun bash run.sh\n"),
]


@pytest.mark.parametrize(("why", "body", "line", "at"), DEPENDS, ids=[c[0] for c in DEPENDS])
def test_an_error_when_a_path_depends_on_it(tmp_path: Path, why: str, body: str, line: int,
                                            at: int) -> None:
    result = judge(tmp_path, HEAD + body, {"train.py": "print('x')\n"})
    found = finding(result, "batch-script-dir")
    assert found.severity == "error" and found.line == line, why
    assert f"line {at} " in found.message and "spool" in found.message
    assert "SLURM_SUBMIT_DIR" in found.fix
    assert "batch-script-dir-fragile" not in rules(result)


@pytest.mark.parametrize(("why", "body", "line"), FRAGILE, ids=[c[0] for c in FRAGILE])
def test_a_warning_when_nothing_depends_on_it_yet(tmp_path: Path, why: str, body: str,
                                                  line: int) -> None:
    result = judge(tmp_path, HEAD + body, {"train.py": "print('x')\n"})
    found = finding(result, "batch-script-dir-fragile")
    assert found.severity == "warning" and found.line == line, why
    assert "batch-script-dir" not in rules(result)


@pytest.mark.parametrize(("why", "body"), LEFT_ALONE, ids=[c[0] for c in LEFT_ALONE])
def test_left_alone(tmp_path: Path, why: str, body: str) -> None:
    result = judge(tmp_path, HEAD + body, {"train.py": "print('x')\n"})
    assert not {"batch-script-dir", "batch-script-dir-fragile"} & rules(result), why


def test_only_the_body_is_read(tmp_path: Path) -> None:
    # a shell script without #SBATCH lines is no job script; discovery never hands it over,
    # and within a job script the header's comments are never a command
    script = HEAD + "# SCRIPT_DIR=$(dirname $0)\npython train.py\n"
    assert not rules(judge(tmp_path, script, {"train.py": "x = 1\n"})) & {"batch-script-dir"}
