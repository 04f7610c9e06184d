"""--format gitlab: a GitLab Code Quality report with stable, unique fingerprints."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema

from scriptkeeper.pipeline.analyze import analyze_script
from scriptkeeper.pipeline.scan import run_scan
from scriptkeeper.records import ScanReport
from scriptkeeper.report import gitlab
from scriptkeeper.rules.config import load_config

from .conftest import git_repo, scriptkeeper_command

# The fields GitLab reads from a Code Quality report (docs: "Code Quality report format").
CODE_QUALITY = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string", "pattern": "^[^/]"},
                    "lines": {"type": "object", "required": ["begin"],
                              "properties": {"begin": {"type": "integer", "minimum": 1}}},
                },
            },
        },
    },
}


def scan_gitlab(root: Path) -> list[dict[str, Any]]:
    doc = json.loads(gitlab.render(run_scan([root])))
    jsonschema.validate(doc, CODE_QUALITY)
    return doc


def test_example_workspace(example_repo: Path) -> None:
    doc = scan_gitlab(example_repo)
    plain = run_scan([example_repo]).as_json()
    want = []
    for script in plain["scripts"]:
        want += [(script["path"], f["rule"], gitlab.SEVERITIES[f["severity"]], f["line"])
                 for f in script["findings"]]
        if script["verdict"] == "redundant":
            want.append((script["path"], "redundant", "info", 1))
    got = [(i["location"]["path"], i["check_name"], i["severity"],
            i["location"]["lines"]["begin"]) for i in doc]
    assert got == want
    assert any(i["severity"] == "critical" for i in doc)  # the example has broken scripts
    assert len({i["fingerprint"] for i in doc}) == len(doc)
    for issue in doc:
        assert (example_repo / issue["location"]["path"]).is_file()


def test_fingerprint_survives_moving_lines_but_not_another_file(tmp_path: Path) -> None:
    root = git_repo(tmp_path / "repo")
    job = root / "job.slurm"
    job.write_text("#!/bin/bash\n#SBATCH --bogus-option=1\npython train.py\n")
    (before,) = scan_gitlab(root)
    job.write_text("#!/bin/bash\n# training\n#\n#SBATCH --bogus-option=1\npython train.py\n")
    (after,) = scan_gitlab(root)
    assert (before["location"]["lines"]["begin"], after["location"]["lines"]["begin"]) == (2, 4)
    assert before["fingerprint"] == after["fingerprint"]
    job.rename(root / "other.slurm")
    (moved,) = scan_gitlab(root)
    assert moved["fingerprint"] != before["fingerprint"]


def test_identical_findings_in_one_file_get_distinct_fingerprints(tmp_path: Path) -> None:
    root = git_repo(tmp_path / "repo")
    (root / "job.slurm").write_text(
        "#!/bin/bash\n#SBATCH --bogus-option=1\n#SBATCH --bogus-option=1\npython train.py\n")
    doc = scan_gitlab(root)
    bogus = [i for i in doc if i["check_name"] == "unknown-option"]
    assert len(bogus) == 2 and bogus[0]["description"] == bogus[1]["description"]
    assert bogus[0]["fingerprint"] != bogus[1]["fingerprint"]


def test_severities_map_onto_gitlab_scale(tmp_path: Path) -> None:
    root = git_repo(tmp_path / "repo")
    (root / "rules.yaml").write_text(
        "rules:\n  plugin-option: {severity: info}\n")
    (root / "job.slurm").write_text(
        "#!/bin/bash\n#SBATCH --bogus-option=1\n#SBATCH --time=10\n#SBATCH --time=20\n"
        "#SBATCH --container-image=x\npython train.py\n")
    severities = {i["check_name"]: i["severity"] for i in scan_gitlab(root)}
    assert severities == {"unknown-option": "critical", "duplicate-option": "major",
                          "plugin-option": "info"}


def test_clean_scripts_give_an_empty_array(tmp_path: Path) -> None:
    root = git_repo(tmp_path / "repo")
    (root / "job.slurm").write_text("#!/bin/bash\n#SBATCH --time=10\npython train.py\n")
    assert scan_gitlab(root) == []
    assert gitlab.render(run_scan([root])).strip() == "[]"


def test_redundant_script_is_one_info_issue(tmp_path: Path) -> None:
    config = load_config(None)
    text = b"#!/bin/bash\n#SBATCH --time=10\npython train.py\n"
    kept = analyze_script(tmp_path, "train.slurm", text, config)
    copy = analyze_script(tmp_path, "train_old.slurm", text, config)
    copy.verdict, copy.redundant_of = "redundant", "train.slurm"
    copy.notes = ["byte-identical to train.slurm"]
    report = ScanReport(root=tmp_path, in_git=False, config=config, scripts=[kept, copy])
    (issue,) = json.loads(gitlab.render(report))
    assert "(byte-identical to train.slurm)" in issue["description"]
    copy.notes = ["the same job as train.slurm: differs only in --time"]
    (again,) = json.loads(gitlab.render(report))
    assert again["fingerprint"] == issue["fingerprint"]
    assert issue["check_name"] == "redundant" and issue["severity"] == "info"
    assert issue["location"] == {"path": "train_old.slurm", "lines": {"begin": 1}}
    assert "train.slurm" in issue["description"]
    assert issue["categories"] == ["Duplication"]


def test_cli(example_repo: Path) -> None:
    out = subprocess.run([*scriptkeeper_command(), "scan", "-f", "gitlab"], cwd=example_repo,
                         capture_output=True, text=True, check=False)
    assert out.returncode == 1, out.stderr
    jsonschema.validate(json.loads(out.stdout), CODE_QUALITY)
