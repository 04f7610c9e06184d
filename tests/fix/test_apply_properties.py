"""Properties of fixing (hypothesis): idempotent, edits touch only their lines, the final
newline stays, a fixed script has no error the original did not have."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scriptkeeper.fix.apply import fix_script
from scriptkeeper.fix.source import apply_edits, split_lines
from scriptkeeper.pipeline.analyze import analyze_script
from scriptkeeper.records import Edit
from scriptkeeper.rules.config import load_config

CONFIG = load_config(None)

HEADER = st.sampled_from([
    "#SBATCH --time=10", "#SBATCH --time=20", "#SBATCH -t 5", "#SBATCH --mem=4G",
    "#SBATCH --nodes=1 --mem=8G", "#SBATCH --cpu-per-task=4", "#SBATCH --job_name=x",
    "# SBATCH --ntasks=2", "#sbatch --partition=gpu", "  #SBATCH --nodes=2", "# a comment",
    "", "#SBATCH --mail-type=END", "#SBATCH --mem-per-cpu=2G", "#SBATCH --frobnicate=1",
])
BODY = st.sampled_from([
    "echo hi", "module load cuda", "#SBATCH --gres=gpu:2", "#SBATCH --time=30",
    "srun hostname", "python -c 'print(1)'", "", "# done",
])
SHEBANG = st.sampled_from(["#!/bin/bash", "  #!/bin/bash", "!/bin/bash", "#!/bin/sh"])
LEAD = st.lists(st.sampled_from(["", "# job", "\ufeff"]), max_size=2)


@st.composite
def scripts(draw: st.DrawFn) -> bytes:
    lead = draw(LEAD)
    lines = [x for x in lead if x != "\ufeff"] + [draw(SHEBANG)]
    lines += draw(st.lists(HEADER, max_size=6)) + draw(st.lists(BODY, min_size=1, max_size=4))
    end = "\r\n" if draw(st.booleans()) else "\n"
    text = end.join(lines) + (end if draw(st.booleans()) else "")
    if "\ufeff" in lead:
        text = "\ufeff" + text
    return text.encode()


def _errors(data: bytes, root: Path) -> Counter[str]:
    return Counter(f.rule for f in analyze_script(root, "job.slurm", data, CONFIG).findings
                   if f.severity == "error")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scripts(), st.booleans())
def test_fixing_is_idempotent_and_adds_no_error(data: bytes, unsafe: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        done = fix_script(root, "job.slurm", data, CONFIG, unsafe=unsafe)
        again = fix_script(root, "job.slurm", done.after, CONFIG, unsafe=unsafe)
        assert again.after == done.after and not again.applied
        assert not (_errors(done.after, root) - _errors(data, root))
        if data.endswith(b"\n"):
            assert done.after.endswith(b"\n")  # the final newline stays
        elif data.rsplit(b"\n", 1)[-1] and done.after.endswith(data.rsplit(b"\n", 1)[-1]):
            assert not done.after.endswith(b"\n")  # and a last line without one stays so


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scripts())
def test_each_edit_keeps_the_lines_it_does_not_name(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        findings = analyze_script(Path(folder), "job.slurm", data, CONFIG).findings
    lines = split_lines(data)
    for f in findings:
        if f.autofix is None or not f.autofix.edits:
            continue
        edited = apply_edits(lines, f.autofix.edits)
        assert edited is not None
        first = min(e.line for e in f.autofix.edits)
        last = max(e.end_line for e in f.autofix.edits)
        assert edited[:first - 1] == lines[:first - 1]
        tail = len(lines) - (last - 1)
        assert edited[len(edited) - tail:] == lines[last - 1:]


@given(st.lists(st.text(alphabet="ab\r", max_size=3).map(lambda t: t + "\n"), max_size=6),
       st.data())
def test_apply_edits_replaces_exactly_the_named_lines(lines: list[str], data: st.DataObject
                                                      ) -> None:
    start = data.draw(st.integers(1, len(lines) + 1))
    end = data.draw(st.integers(start, len(lines) + 1))
    content = data.draw(st.text(alphabet="xy\n", max_size=4))
    out = apply_edits(lines, [Edit(start, end, content)])
    assert out is not None
    assert "".join(out) == "".join(lines[:start - 1]) + content + "".join(lines[end - 1:])


def test_overlapping_edits_are_refused() -> None:
    assert apply_edits(["a\n", "b\n", "c\n"], [Edit(1, 3, ""), Edit(2, 3, "x\n")]) is None
