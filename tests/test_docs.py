"""docs/rules/: one page a rule and the fields page, generated, never out of date."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from scriptkeeper.model.jobmodel import LaunchStep
from scriptkeeper.rules import fact_kinds, rule_fields
from scriptkeeper.rules import pages as docs
from scriptkeeper.rules.config import FIXED_RULES, builtin_rules, load_config
from tests.conftest import REPO

RULE_PAGES = REPO / "docs" / "rules"


def test_rule_pages_are_up_to_date() -> None:
    problems = docs.differences(RULE_PAGES, docs.pages(builtin_rules()))
    assert problems == [], "run 'python -m scriptkeeper.rules.pages' and commit docs/rules/"


def test_every_rule_has_a_page_with_all_four_parts() -> None:
    rules = builtin_rules()
    assert rules
    for rule in rules.values():
        page = (RULE_PAGES / f"{rule.name}.md").read_text(encoding="utf-8")
        assert page.startswith(docs.HEADER)
        assert f"# {rule.name} ({rule.code})" in page
        for part in ("what", "example", "fixed", "suppress"):
            assert getattr(rule.doc, part).strip(), f"{rule.name}: doc.{part} is missing"
            assert f"doc.{part}" not in page
        assert rule.doc.example.rstrip("\n") in page and rule.doc.fixed.rstrip("\n") in page
        # a rule no setting may turn off says so instead (internal-error)
        fixed = rule.name in FIXED_RULES
        assert (f"disable={rule.name}" in page) != fixed
        assert ("No pragma or rules.yaml setting turns it off" in page) == fixed
    index = (RULE_PAGES / docs.INDEX).read_text(encoding="utf-8")
    for rule in rules.values():
        assert f"| {rule.code} | [{rule.name}]({rule.name}.md) |" in index


def test_the_fields_page_lists_what_a_rule_can_read() -> None:
    page = (RULE_PAGES / docs.FIELDS).read_text(encoding="utf-8")
    assert docs.FIELDS[:-len(".md")] not in builtin_rules(), "a rule page would overwrite it"
    assert f"[{docs.FIELDS}]({docs.FIELDS})" in (RULE_PAGES / docs.INDEX).read_text()
    for name, cls, _ in rule_fields.SECTIONS:
        documented = rule_fields.documented(cls)
        # what the page lists is what the expression checker accepts, each with a meaning
        assert {d.name for d in documented} == rule_fields.readable(cls), name
        assert [d.name for d in documented if not d.meaning or not d.type] == [], name
        for doc in documented:
            assert f"| `{name}.{doc.name}` | " in page
    for kind, module in fact_kinds.KINDS.items():
        assert f"| `{kind}` | `{module}` | " in page
    reported = {r.fact for r in builtin_rules().values() if r.fact is not None}
    assert reported == set(fact_kinds.KINDS), "a built-in rule for every kind"
    assert "| `tasks_effect` |" not in page and "| `step.tasks_effect` | `str` | what " in page


def test_a_field_meaning_is_its_comment_or_the_comments_above_it() -> None:
    meanings = {d.name: d.meaning for d in rule_fields.documented(LaunchStep)}
    assert meanings["devices"] == "devices the framework will use per node"  # on its line
    assert meanings["framework"].startswith("the training framework the entry point uses")
    assert meanings["end_line"].startswith("the line the launch command ends on")  # no heading
    assert meanings["waiting_peers"] == "the ranks a single process waits for: SLURM_NTASKS - 1"


def test_check_finds_missing_stale_and_left_over_pages(tmp_path: Path) -> None:
    out = tmp_path / "rules"
    assert docs.main(["--out", str(out), "--check"]) == 1  # nothing written yet
    assert docs.main(["--out", str(out)]) == 0
    assert docs.main(["--out", str(out), "--check"]) == 0
    page = out / "missing-shebang.md"
    page.write_text(page.read_text() + "hand edit\n")
    (out / "renamed-rule.md").write_text("old\n")
    problems = docs.differences(out, docs.pages(builtin_rules()))
    assert sorted(problems) == [f"{page}: out of date", f"{out / 'renamed-rule.md'}: no such "
                                f"rule any more"]
    assert docs.main(["--out", str(out), "--check"]) == 1
    assert docs.main(["--out", str(out)]) == 0
    assert not (out / "renamed-rule.md").exists()
    assert docs.differences(out, docs.pages(builtin_rules())) == []


def test_generator_runs_as_a_module(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "scriptkeeper.rules.pages", "--out", str(tmp_path),
                          "--check"], capture_output=True, text=True, check=False)
    assert out.returncode == 1
    assert "python -m scriptkeeper.rules.pages" in out.stderr


def test_user_rules_get_no_page_but_render(tmp_path: Path) -> None:
    config_file = tmp_path / "rules.yaml"
    config_file.write_text("rules:\n  require-account:\n    when: \"not job.account\"\n"
                           "    message: every job must name an account ({job.name})\n")
    rules = load_config(config_file).rules
    assert "require-account.md" not in docs.pages(rules)
    page = docs.rule_page(rules["require-account"])
    assert "not job.account" in page
    assert "Message: every job must name an account (<name>)" in page
    assert "_Not documented yet: add `doc.example`" in page


@pytest.mark.parametrize(("code", "family"), [("SK002", "reading the script as sbatch does"),
                                              ("SK301", "launchers"), ("USER", None)])
def test_family_of_a_code(code: str, family: str | None) -> None:
    assert docs.family(code) == family


def test_no_rule_text_is_cut_by_a_yaml_comment() -> None:
    # a plain YAML scalar ends at ' #': "summary: an #SBATCH line" would read "an"
    text = (REPO / "rules.yaml").read_text(encoding="utf-8")
    cut = [f"rules.yaml:{number}: quote this value"
           for number, line in enumerate(text.splitlines(), start=1)
           if re.match(r"\s+(summary|message|fix|what|suppress|example|fixed): [^\"'>|]", line)
           and " #" in line.split(": ", 1)[1]]
    assert cut == []


def _example_cluster(tmp_path: Path) -> Path:
    """The repository the examples run in: the cluster of init's commented example."""
    from scriptkeeper.cli.init_cmd import starter

    text = starter([], 0, True)
    start = text.index("#cluster:")
    block = text[start:text.index("\n\n", start)]
    config = tmp_path / "rules.yaml"
    config.write_text("\n".join(line[1:] for line in block.splitlines()) + "\n")
    return config


# the rules whose fixed example is a script (not a rules.yaml snippet or a description)
SCRIPT_FIXES = sorted(n for n, r in builtin_rules().items() if r.doc.fixed.startswith("#!"))


def test_most_fixed_examples_are_scripts() -> None:
    assert len(SCRIPT_FIXES) >= len(builtin_rules()) // 2


@pytest.mark.parametrize("name", SCRIPT_FIXES)
def test_fixed_example_is_not_flagged_by_its_rule(name: str, tmp_path: Path) -> None:
    """A page's fixed example must pass its own rule: else the page shows a false positive."""
    from scriptkeeper.pipeline.analyze import analyze_script

    rule = builtin_rules()[name]
    config = load_config(_example_cluster(tmp_path))
    assert config.cluster is not None and "gpu" in config.cluster.partitions
    result = analyze_script(tmp_path, "job.slurm", rule.doc.fixed.encode(), config)
    assert [f.message for f in result.findings if f.rule == name] == []
