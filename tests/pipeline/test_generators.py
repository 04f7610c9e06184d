"""Files that only write or submit jobs are no job scripts; the jobs they hold are theirs.

Discovery skips them with the reason in the report's ``skipped`` list. A file that has
an #SBATCH line sbatch reads as its own (before the first command, or a Python comment)
stays a job script, as does a file with a job script's name.
"""

from __future__ import annotations

from pathlib import Path

from scriptkeeper.pipeline.discover import discover

PY_SUBMITTER = '''import subprocess

TEMPLATE = """#!/bin/bash
#SBATCH --nodes={nodes}
#SBATCH --time=10
srun ./app
"""

for nodes in (1, 2):
    with open("job.sh", "w") as out:
        out.write(TEMPLATE.format(nodes=nodes))
    subprocess.run(["sbatch", "job.sh"], check=True)
'''

PY_JOB = "#!/usr/bin/env python3\n#SBATCH --nodes=1\n#SBATCH --time=5\nprint('hi')\n"

SH_SUBMITTER = """#!/bin/bash
for n in 1 2; do
sbatch <<EOF
#!/bin/bash
#SBATCH --nodes=$n
srun ./app
EOF
done
"""

SH_JOB_THAT_SUBMITS = """#!/bin/bash
#SBATCH --nodes=1
srun ./stage1
sbatch <<EOF
#!/bin/bash
#SBATCH --nodes=4
srun ./stage2
EOF
"""


def scan(tmp_path: Path, files: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    found = discover([tmp_path], root=tmp_path, in_git=False)
    return sorted(c.path for c in found.scripts), dict(found.skipped)


def test_python_submitter_is_skipped_with_a_reason(tmp_path: Path) -> None:
    scripts, skipped = scan(tmp_path, {"submit.py": PY_SUBMITTER, "job.py": PY_JOB})
    assert scripts == ["job.py"]  # '#SBATCH' comments of a Python job are sbatch's
    assert "inside Python strings" in skipped["submit.py"]


def test_shell_submitter_is_skipped_but_a_job_that_submits_is_kept(tmp_path: Path) -> None:
    scripts, skipped = scan(tmp_path, {"launch.sh": SH_SUBMITTER,
                                       "chain.sh": SH_JOB_THAT_SUBMITS,
                                       "by_name.slurm": SH_SUBMITTER})
    assert scripts == ["by_name.slurm", "chain.sh"]
    assert "here-documents" in skipped["launch.sh"]


def test_a_python_file_that_does_not_tokenize_stays_a_job_script(tmp_path: Path) -> None:
    broken = 'x = (\n"""\n#SBATCH -N1\n"""\n'
    scripts, _ = scan(tmp_path, {"odd.py": broken})
    assert scripts == ["odd.py"]


def test_a_list_of_sbatch_commands_is_skipped_even_with_a_job_name(tmp_path: Path) -> None:
    submits = "# submit the evaluations\nsbatch eval_a.slurm\nsbatch eval_b.slurm\n"
    files = {
        "evals.slurm": submits,                                   # run with bash: skipped
        "with_shebang.slurm": "#!/bin/bash\n" + submits,         # a job that submits jobs
        "with_directive.slurm": "#SBATCH --time=5\nsbatch x.slurm\n",  # sbatch reads it
        "mixed.slurm": "sbatch a.slurm\nsleep 60\n",             # more than submissions
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    found = discover([tmp_path], (), (), root=tmp_path, in_git=False)
    assert dict(found.skipped) == {
        "evals.slurm": "submits job scripts (a list of sbatch commands, run with bash)"}
    assert sorted(c.path for c in found.scripts) == [
        "mixed.slurm", "with_directive.slurm", "with_shebang.slurm"]
