"""Templates a tool fills, placeholders a person fills, notes under a job script's name.

Each case re-creates a pattern of the real-world corpus in a few lines.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.body.repo import errors, finding, judge, rules


@pytest.mark.parametrize(("name", "script"), [
    ("job.slurm", """
        #!/bin/bash
        #SBATCH --nodes={{ nodes }}
        #SBATCH --gres=gpu:{{ gpus }}
        #SBATCH --time=00:30:00
        srun hostname
    """),
    ("bench.slurm_template", """
        #!/bin/bash
        #SBATCH --ntasks={{ntasks}}
        #SBATCH --array={{array}}
        hostname
    """),
    ("schedulers/slurm.sh", """
        #
        #SBATCH --job-name={{job.name}}
        {% if slots -%}
        #SBATCH --ntasks={{slots}}
        {% endif -%}
        {% if queue -%}
        #SBATCH --partition={{queue}}
        {% endif -%}
    """),
    ("relion_qsub.sh", """
        #!/bin/bash
        #SBATCH --partition=XXXqueueXXX
        #SBATCH --ntasks=XXXmpinodesXXX
        mpirun XXXcommandXXX
    """),
    ("submit.qtf", """
        #!/bin/sh
        #SBATCH --nodes=NUM_NODES_TAG
        #SBATCH --time=WALL_CLOCK_LIMIT_TAG
        srun ./a.out
    """),
    ("templates/job_template.sh", """
        #!/bin/sh
        #SBATCH --job-name=JOBNAME
        #SBATCH --ntasks=NTASKS
        hostname
    """),
])
def test_a_tools_template_is_reported_once_without_parser_errors(
        tmp_path: Path, name: str, script: str) -> None:
    result = judge(tmp_path, script, name=name, pins=None)
    assert errors(result) == set(), [f.message for f in result.findings]
    templates = [f for f in result.findings if f.rule == "template-file"]
    assert len(templates) == 1
    assert templates[0].severity == "info"
    assert "a tool fills its values before submission" in templates[0].message
    assert result.verdict == "keep"


def test_a_persons_placeholder_stays_an_error_once(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --partition=YOUR_PARTITION
        #SBATCH --time=THE_LONGER_THE_BETTER
        hostname
    """, name="eval_template_model.sbatch", pins=None)
    assert errors(result) == {"invalid-value"}
    found = [f for f in result.findings if f.rule == "invalid-value"]
    assert len(found) == 1
    assert found[0].message.startswith("placeholders to fill before submitting")
    assert "YOUR_PARTITION" in found[0].message and "THE_LONGER_THE_BETTER" in found[0].message
    assert not rules(result) & {"template-file"}


def test_an_angle_bracket_directive_placeholder_stays_an_error(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH <SLURM OPTIONS> --nodes=2 --exclusive
        hostname
    """, pins=None)
    assert errors(result) == {"invalid-directive"}
    assert "placeholder to fill" in finding(result, "invalid-directive").message


def test_a_real_invalid_value_in_a_template_named_file_stays(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --time=1.5h
        hostname
    """, name="templates/job.sh", pins=None)
    assert errors(result) == {"invalid-value"}


def test_slurm_keywords_in_a_template_folder_are_no_placeholders(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #!/bin/bash
        #SBATCH --mail-type=ALL
        #SBATCH --time=INFINITE
        hostname
    """, name="slurm_scripts_templates/run.slurm", pins=None)
    assert rules(result) == set()


def test_notes_of_pasted_headers_keep_the_refusal_and_drop_duplicates(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        #SBATCH --job-name=a
        #SBATCH --nodes=1
        #SBATCH --time=1:00:00

        #!/bin/bash
        #SBATCH --job-name=b
        #SBATCH --nodes=2
        #SBATCH --time=2:00:00
    """, name="notes.sh", pins=None)
    assert rules(result) == {"missing-shebang"}
    assert "looks like notes of pasted #SBATCH headers" in finding(
        result, "missing-shebang").message


def test_a_list_of_sbatch_commands_says_so(tmp_path: Path) -> None:
    result = judge(tmp_path, """
        sbatch a.slurm
        sbatch b.slurm
    """, name="schedule.slurm", pins=None)
    assert rules(result) == {"missing-shebang"}
    assert "a list of sbatch commands" in finding(result, "missing-shebang").message
