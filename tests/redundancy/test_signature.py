"""The job signature: equal for one job written two ways, different for two jobs."""

from __future__ import annotations

from pathlib import Path

import pytest

from scriptkeeper.pipeline.analyze import analyze_script
from scriptkeeper.redundancy.signature import interpreter, normalise_value, signature
from scriptkeeper.rules.config import RedundancySettings, load_config

DEFAULT_IGNORE = RedundancySettings().ignore
ONLY_NAMES = ("job-name", "output", "error")


def script(*directives: str, body: str = "python train.py\n", shebang: str = "#!/bin/bash"
           ) -> bytes:
    return ("\n".join([shebang, *(f"#SBATCH {d}" for d in directives)]) + "\n" + body).encode()


def digest(data: bytes, ignore: tuple[str, ...] = DEFAULT_IGNORE) -> bytes:
    result = analyze_script(Path("/nonexistent"), "job.slurm", data, load_config(None))
    return signature(result, ignore).digest


SAME = [
    ("short and long options", ("-c 32", "-n 1", "-N 2"),
     ("--cpus-per-task=32", "--ntasks=1", "--nodes=2")),
    ("unique prefixes", ("--partit=gpu",), ("--partition=gpu",)),
    ("memory units", ("--mem=262144M",), ("--mem=256G",)),
    ("memory default unit", ("--mem=4096",), ("--mem=4G",)),
    ("time formats", ("-t 60",), ("--time=01:00:00",)),
    ("time with and without a leading zero", ("--time=8:00:00",), ("--time=08:00:00",)),
    ("days", ("--time=1-0",), ("--time=24:00:00",)),
    ("node range of one", ("-N 1-1",), ("--nodes=1",)),
    ("leading zeros", ("--cpus-per-task=08",), ("--cpus-per-task=8",)),
    ("gres and gpus-per-node", ("--gres=gpu:2",), ("--gpus-per-node=2",)),
    ("typed gres and typed gpus-per-node", ("--gres=gpu:h200:2",), ("--gpus-per-node=h200:2",)),
    ("gpus on exactly one node", ("-N 1", "--gpus=4"), ("-N 1", "--gres=gpu:4")),
    ("other gres kept beside the folded gpus", ("--gres=gpu:2,nvme:1",),
     ("--gpus-per-node=2", "--gres=nvme:1")),
    ("the last of repeated options wins", ("-c 4", "-c 8"), ("-c 8",)),
    ("several options on one line", ("-N 1 -n 4 --mem=8G",), ("-N 1", "-n 4", "--mem=8G")),
    ("order of directives", ("--mem=8G", "-n 4"), ("-n 4", "--mem=8G")),
    ("ignored by default: name, logs, mail, comment, time",
     ("-J a", "-o a.out", "-e a.err", "--mail-type=END", "--mail-user=a@b", "--comment=x",
      "-t 10"),
     ("-J b", "-o b.out", "--mail-type=FAIL", "-t 20")),
]

DIFFERENT = [
    ("ntasks set or not: SLURM_NTASKS exists or not", ("--ntasks=1",), ()),
    ("nodes set or not", ("--nodes=1",), ()),
    ("ntasks and ntasks-per-node", ("--ntasks=8",), ("--ntasks-per-node=8",)),
    ("GPU count", ("--gres=gpu:1",), ("--gres=gpu:8",)),
    ("GPU type named or not", ("--gres=gpu:h200:1",), ("--gres=gpu:1",)),
    ("gpus without one node is per job", ("--gpus=2",), ("--gres=gpu:2",)),
    ("gpus-per-task isolates tasks", ("-n 2", "--gpus-per-task=1"), ("-n 2", "--gres=gpu:2")),
    ("memory per node and per cpu", ("--mem=8G",), ("--mem-per-cpu=8G",)),
    ("partition", ("-p gpu",), ("-p debug",)),
    ("cpus", ("-c 16",), ("-c 32",)),
    ("exclusive", ("--exclusive",), ()),
]


@pytest.mark.parametrize(("why", "a", "b"), SAME, ids=[s[0] for s in SAME])
def test_one_job_written_two_ways_has_one_signature(why: str, a: tuple[str, ...],
                                                    b: tuple[str, ...]) -> None:
    assert digest(script(*a)) == digest(script(*b)), why


@pytest.mark.parametrize(("why", "a", "b"), DIFFERENT, ids=[d[0] for d in DIFFERENT])
def test_two_jobs_have_two_signatures(why: str, a: tuple[str, ...], b: tuple[str, ...]) -> None:
    assert digest(script(*a)) != digest(script(*b)), why


def test_ignore_list_decides_what_counts() -> None:
    short, long = script("--time=1:00:00"), script("--time=2:00:00")
    assert digest(short) == digest(long)
    assert digest(short, ONLY_NAMES) != digest(long, ONLY_NAMES)
    assert digest(script("-t 60"), ONLY_NAMES) == digest(script("--time=1:00:00"), ONLY_NAMES)
    named = script("-J a", "--account=x"), script("-J b", "--account=x")
    assert digest(named[0], ("account",)) != digest(named[1], ("account",))


def test_gpu_forms_stay_apart_when_the_body_reads_slurm_gpus() -> None:
    body = "torchrun --nproc-per-node=$SLURM_GPUS_PER_NODE train.py\n"
    assert digest(script("--gres=gpu:2", body=body)) != digest(
        script("--gpus-per-node=2", body=body))
    assert digest(script("--gpus-per-node=2", body=body)) == digest(
        script("--gpus-per-node=2", body=body))


def test_interpreter_counts_but_not_its_path() -> None:
    assert interpreter(b"#!/bin/bash\n") == interpreter(b"#!/usr/bin/env bash\n") == "bash"
    assert interpreter(b"#!/bin/bash -l\n") == "bash -l"
    assert digest(script(shebang="#!/bin/bash")) == digest(script(shebang="#!/usr/bin/bash"))
    assert digest(script(shebang="#!/bin/bash")) != digest(script(shebang="#!/bin/sh"))
    assert digest(script(shebang="#!/bin/bash")) != digest(script(shebang="#!/bin/bash -l"))


def test_body_is_part_of_the_signature() -> None:
    assert digest(script(body="python train.py\n")) != digest(script(body="python eval.py\n"))
    assert digest(script(body="export A=1\npython train.py\n")) != digest(script())


def test_directives_sbatch_ignores_are_not_part_of_the_job() -> None:
    late = script("-N 1", body="module load cuda\n#SBATCH --gres=gpu:8\npython train.py\n")
    assert digest(late) == digest(script("-N 1", body="module load cuda\npython train.py\n"))


def test_hetjob_components_all_count() -> None:
    one = script("-N 1", "hetjob", "-N 2")
    two = script("-N 1", "hetjob", "-N 3")
    assert digest(one) != digest(two)


@pytest.mark.parametrize(("option", "value", "expected"), [
    ("time", "1-12", "2160min"), ("time", "90", "90min"), ("time", "bad", "bad"),
    ("mem", "1T", "1048576M"), ("nodes", "2-4", "2-4"), ("gpus", "a100:2", "a100:2"),
    ("mail-type", "fail,END", "END,FAIL"), ("cpus-per-task", " 07 ", "7"),
    ("exclusive", None, ""), ("partition", " gpu ", "gpu"),
])
def test_value_normalisation(option: str, value: str | None, expected: str) -> None:
    assert normalise_value(option, value) == expected
