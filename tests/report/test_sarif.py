"""--format sarif: valid SARIF 2.1.0 that GitHub code scanning can show inline."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest

from scriptkeeper.pipeline.analyze import analyze_script
from scriptkeeper.pipeline.scan import run_scan
from scriptkeeper.records import ScanReport
from scriptkeeper.report import sarif
from scriptkeeper.rules.config import load_config

from .conftest import git_repo, scriptkeeper_command

SCHEMA_PATH = Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    # the official OASIS schema (errata 01), draft-04; FormatChecker checks uri/uri-reference
    assert schema["id"].endswith("/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def errors(validator: jsonschema.protocols.Validator, doc: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(doc)]


def scan_sarif(root: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The SARIF and JSON reports of one real scan of ``root``."""
    report = run_scan([root])
    return json.loads(sarif.render(report)), report.as_json()


def test_example_workspace_is_valid_sarif(example_repo: Path,
                                          validator: jsonschema.protocols.Validator) -> None:
    doc, plain = scan_sarif(example_repo)
    assert errors(validator, doc) == []
    findings = sum(len(s["findings"]) for s in plain["scripts"])
    assert findings > 0  # the example has broken scripts: results are really checked
    assert len(doc["runs"][0]["results"]) >= findings


def test_the_schema_check_can_fail(example_repo: Path,
                                   validator: jsonschema.protocols.Validator) -> None:
    doc, _ = scan_sarif(example_repo)
    result = doc["runs"][0]["results"][0]
    result["level"] = "fatal"
    result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "a b"
    result["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert len(errors(validator, doc)) == 3


def test_one_rule_entry_per_rule_with_help(example_repo: Path) -> None:
    doc, _ = scan_sarif(example_repo)
    driver = doc["runs"][0]["tool"]["driver"]
    assert driver["name"] == "scriptkeeper"
    assert driver["version"] and driver["informationUri"].startswith("https://")
    report = run_scan([example_repo])
    rules = report.config.rules
    ids = [r["id"] for r in driver["rules"]]
    assert len(ids) == len(set(ids))
    assert set(rules) <= set(ids)
    for entry in driver["rules"]:
        if entry["id"] not in rules:
            continue
        rule = rules[entry["id"]]
        assert entry["name"] == rule.code
        assert entry["shortDescription"]["text"] == rule.summary
        assert entry["fullDescription"]["text"]
        assert entry["help"]["text"].startswith(rule.summary)
        assert entry["help"]["markdown"].startswith(f"# {rule.name} ({rule.code})\n")
        assert entry["defaultConfiguration"]["level"] == sarif.LEVELS[rule.severity]


def test_results_match_the_json_report(example_repo: Path) -> None:
    doc, plain = scan_sarif(example_repo)
    run = doc["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == example_repo.resolve().as_uri() + "/"
    got = []
    for result in run["results"]:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        got.append((unquote(physical["artifactLocation"]["uri"]), result["ruleId"],
                    result["level"], physical["region"]["startLine"], result["message"]["text"]))
    want = []
    for script in plain["scripts"]:
        for f in script["findings"]:
            want.append((script["path"], f["rule"], sarif.LEVELS[f["severity"]], f["line"]))
        if script["verdict"] == "redundant":
            want.append((script["path"], "redundant", "note", 1))
    assert [g[:4] for g in got] == want
    for path, _, _, _, text in got:
        assert (example_repo / path).is_file()
        assert text


def test_paths_with_spaces_are_uri_references(tmp_path: Path,
                                              validator: jsonschema.protocols.Validator) -> None:
    root = git_repo(tmp_path / "repo")
    (root / "jobs (old)").mkdir()
    (root / "jobs (old)" / "train #2 copy.slurm").write_text(
        "#!/bin/bash\n#SBATCH --bogus-option=1\npython train.py\n")
    doc, _ = scan_sarif(root)
    assert errors(validator, doc) == []
    (result,) = doc["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert " " not in uri and "#" not in uri
    assert unquote(uri) == "jobs (old)/train #2 copy.slurm"
    assert result["ruleId"] == "unknown-option"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 2


def test_user_rules_levels_and_disabled_rules(tmp_path: Path,
                                              validator: jsonschema.protocols.Validator) -> None:
    root = git_repo(tmp_path / "repo")
    (root / "rules.yaml").write_text(
        "rules:\n"
        "  unknown-option: {enabled: false}\n"
        "  duplicate-option: {severity: info}\n"
        "  require-account:\n"
        "    when: \"not job.account\"\n"
        "    severity: warning\n"
        "    message: every job must name an account\n")
    (root / "job.slurm").write_text(
        "#!/bin/bash\n#SBATCH --bogus-option=1\n#SBATCH --time=10\n#SBATCH --time=20\n"
        "python train.py\n")
    doc, plain = scan_sarif(root)
    assert errors(validator, doc) == []
    run = doc["runs"][0]
    by_id = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert by_id["unknown-option"]["defaultConfiguration"]["enabled"] is False
    assert by_id["require-account"]["defaultConfiguration"]["level"] == "warning"
    assert "user rule" in by_id["require-account"]["properties"]["tags"]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {"duplicate-option": "note", "require-account": "warning"}
    assert plain["scripts"][0]["verdict"] == "keep"


def test_no_findings_is_an_empty_result_list(tmp_path: Path,
                                             validator: jsonschema.protocols.Validator) -> None:
    root = git_repo(tmp_path / "repo")
    (root / "job.slurm").write_text("#!/bin/bash\n#SBATCH --time=10\npython train.py\n")
    doc, _ = scan_sarif(root)
    assert errors(validator, doc) == []
    assert doc["runs"][0]["results"] == []
    assert doc["runs"][0]["tool"]["driver"]["rules"]


def test_cli_writes_sarif(example_repo: Path, validator: jsonschema.protocols.Validator) -> None:
    out = subprocess.run([*scriptkeeper_command(), "scan", "--format", "sarif"],
                         cwd=example_repo, capture_output=True, text=True, check=False)
    assert out.returncode == 1, out.stderr  # the example has broken scripts
    assert errors(validator, json.loads(out.stdout)) == []


def test_redundant_script_is_a_note_under_its_own_rule(
        tmp_path: Path, validator: jsonschema.protocols.Validator) -> None:
    config = load_config(None)
    text = b"#!/bin/bash\n#SBATCH --time=10\npython train.py\n"
    kept = analyze_script(tmp_path, "train.slurm", text, config)
    copy = analyze_script(tmp_path, "train_old.slurm", text, config)
    copy.verdict, copy.redundant_of = "redundant", "train.slurm"
    doc = sarif.document(ScanReport(root=tmp_path, in_git=False, config=config,
                                    scripts=[kept, copy]))
    assert errors(validator, doc) == []
    run = doc["runs"][0]
    (result,) = run["results"]
    assert (result["ruleId"], result["level"]) == ("redundant", "note")
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "redundant"
    assert "train.slurm" in result["message"]["text"]
