"""Hostile scripts: sbatch's answer for numbers out of range, bounded work, no crash.

The three inputs of issue 20 (a 180-digit ``--gpus-per-node``, ``-n`` and ``--mem``)
dropped into the example workspace, whose other verdicts must not change; then every
crash bench/fuzz_analysis.py found, re-created in our own words, each of which must now
give an ordinary result (never the internal-error one) in a few MB.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from scriptkeeper.pipeline import internal_error, runner
from scriptkeeper.pipeline.discover import Candidate
from scriptkeeper.pipeline.scan import run_scan
from scriptkeeper.records import ScriptResult
from scriptkeeper.rules.config import load_config
from tests.clean.support import copy_example

HUGE = "9" * 180
HEAD = "#!/bin/bash\n#SBATCH --time=10\n"

# (file, directive, what sbatch 22.05 says: each seen with sbatch --test-only)
HOSTILE = [
    ("huge_gpus.slurm", f"--gpus-per-node={HUGE}",
     "Invalid Trackable RESource (TRES) specification"),
    ("huge_tasks.slurm", f"-n {HUGE}",
     "Numeric argument (9223372036854775807) to big for --ntasks."),
    ("huge_mem.slurm", f"--mem={HUGE}", "Invalid --mem specification"),
]


def test_huge_numbers_are_invalid_values_and_the_other_verdicts_stay(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "ws")
    before = {r.path: (r.verdict, r.redundant_of, [f.rule for f in r.findings])
              for r in run_scan([root], use_cache=False).scripts}
    for name, directive, _ in HOSTILE:
        (root / "scripts" / name).write_text(
            f"{HEAD}#SBATCH {directive}\nsrun python train.py\n")
    report = run_scan([root], use_cache=False)
    after = {r.path: (r.verdict, r.redundant_of, [f.rule for f in r.findings])
             for r in report.scripts}
    for name, directive, said in HOSTILE:
        verdict, keeper, rules = after.pop(f"scripts/{name}")
        assert (verdict, keeper, rules) == ("broken", None, ["invalid-value"])
        [finding] = next(r for r in report.scripts if r.path.endswith(name)).findings
        assert finding.line == 3
        written = directive.split(" ")[0]  # a short option is shown as written: '-n'
        assert finding.message.startswith(f"'{written[:40]}")
        assert finding.message.endswith(f"' has a value sbatch refuses: {said}")
    assert after == before


def _judge(data: bytes, path: str = "jobs/x.slurm") -> ScriptResult:
    return runner.judge_one(Path("/nonexistent-root"), load_config(None), Candidate(path, data))


# what the fuzzer found, each as a script of its own: it raised (or ran out of memory)
FOUND = {
    # OverflowError: integer division result too large for a float (model build)
    "tasks_over_nodes_as_float": HEAD + f"#SBATCH -N 3\n#SBATCH -n {'9' * 400}\nsrun hostname\n",
    # ValueError: Exceeds the limit (4300 digits), redundancy key of a count
    "per_node_count_5000_digits": HEAD + f"#SBATCH --ntasks-per-node={'7' * 5000}\nsrun x\n",
    # the same limit in the time, memory and node grammars
    "time_5000_digits": HEAD + f"#SBATCH --time={'1' * 5000}\nsrun x\n",
    "mem_5000_digits_k": HEAD + f"#SBATCH --mem={'3' * 5000}K\nsrun x\n",
    "nodes_5000_digits": HEAD + f"#SBATCH --nodes=1-{'2' * 5000}\nsrun x\n",
    # ... and in a launcher's count read from the body
    "srun_tasks_5000_digits": HEAD + f"srun -n {'5' * 5000} python train.py\n",
    "pbs_ppn_5000_digits": "#!/bin/bash\n#PBS -l nodes=2:ppn=" + "4" * 5000 + "\nhostname\n",
    # ZeroDivisionError: srun -N 0 inside the allocation
    "srun_zero_nodes": HEAD + "#SBATCH -N 2\nsrun -N 0 -n 4 python train.py\n",
    # MemoryError: a variable doubled on each line
    "doubling_variable": HEAD + "X=ab\n" + "X=$X$X\n" * 48 + "srun python train.py $X\n",
    # a device list as long as the GPU count (24 GB before the kernel stopped it)
    "gpu_count_near_the_ceiling": HEAD + "#SBATCH --gpus-per-node=18446744073709551614\n"
                                         "srun python train.py\n",
    "visible_devices_huge_index": HEAD + "#SBATCH --gres=gpu:2\n"
                                         f"export CUDA_VISIBLE_DEVICES=0,{'8' * 5000}\n"
                                         "srun python train.py\n",
    "shell_arithmetic_overflow": HEAD + f"N=$(( {'9' * 400} / 7 ))\nsrun -n $N python t.py\n",
    "superscript_digit": HEAD + "srun -n \u00b2 python train.py\n",
    # RecursionError: blocks nested 2000 deep (found by hand, after the fuzzer)
    "nested_ifs": HEAD + "if true; then\n" * 2000 + "srun x\n" + "fi\n" * 2000,
    "nested_functions": HEAD + "".join(f"f{i}() {{ f{i + 1}; }}\n" for i in range(3000))
    + "f0\n",
}


@pytest.mark.parametrize("name", sorted(FOUND))
def test_what_the_fuzzer_found_is_judged_in_a_few_mb(name: str) -> None:
    tracemalloc.start()
    try:
        result = _judge(FOUND[name].encode())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not internal_error.is_internal(result), result.findings[0].message
    assert peak < 8 * 2**20


def test_counts_are_read_as_sbatch_stores_them() -> None:
    # 2**32 + 1 tasks: strtol, then a C int; sbatch 22.05 runs the job with one task
    job = _judge(f"{HEAD}#SBATCH -n 4294967297\nsrun hostname\n".encode()).job
    assert job is not None and job.ntasks == 1
    refused = _judge(f"{HEAD}#SBATCH -n 2147483648\nsrun hostname\n".encode())
    assert [f.message for f in refused.findings if f.rule == "invalid-value"] == [
        "'-n' has a value sbatch refuses: invalid number of tasks "
        "(-n -2147483648)"]
