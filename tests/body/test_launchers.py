"""Reading a command line down to srun, the launcher and the entry point."""

from __future__ import annotations

import pytest

from scriptkeeper.body.launchers import Entry, classify, parse_srun
from scriptkeeper.body.shell import UNKNOWN


def read(line: str, wild: frozenset[int] = frozenset()):  # type: ignore[no-untyped-def]
    return classify(line.split(), wild, "22.05")


@pytest.mark.parametrize(("line", "options", "command"), [
    ("srun python t.py", {}, ["python", "t.py"]),
    ("srun -N2 -n 16 --ntasks-per-node=8 python t.py",
     {"nodes": "2", "ntasks": "16", "ntasks-per-node": "8"}, ["python", "t.py"]),
    ("srun --ntasks-per-n 1 torchrun t.py", {"ntasks-per-node": "1"}, ["torchrun", "t.py"]),
    ("srun -lu --gpus-per-task=1 --mpi=pmix python t.py",
     {"label": None, "unbuffered": None, "gpus-per-task": "1", "mpi": "pmix"},
     ["python", "t.py"]),
    ("srun --exclusive -c8 python t.py", {"exclusive": None, "cpus-per-task": "8"},
     ["python", "t.py"]),
    ("srun --container-image=nvcr.io/nvidia/pytorch:24.01 --container-mounts /d:/d python t.py",
     {"container-image": "nvcr.io/nvidia/pytorch:24.01", "container-mounts": "/d:/d"},
     ["python", "t.py"]),
    ("srun --some-new-flag=x -W 60 python t.py", {"some-new-flag": "x", "wait": "60"},
     ["python", "t.py"]),
    ("srun -- python t.py", {}, ["python", "t.py"]),
])
def test_srun_options_end_at_the_first_word_that_is_not_one(line: str, options: dict[str, str],
                                                             command: list[str]) -> None:
    srun = parse_srun(line.split(), frozenset())
    assert srun.options == options
    assert srun.command == command
    assert not srun.unknown


def test_an_ambiguous_srun_option_prefix_makes_them_unknown() -> None:
    assert parse_srun("srun --ntasks-per 1 python t.py".split(), frozenset()).unknown


def test_a_wild_word_among_srun_options_makes_them_unknown() -> None:
    srun = parse_srun(["srun", UNKNOWN, "python", "t.py"], frozenset({1}))
    assert srun.unknown


@pytest.mark.parametrize(("line", "launcher", "entry"), [
    ("python train.py --lr 1", "python", Entry("file", "train.py")),
    ("python3.11 -u -W ignore train.py", "python", Entry("file", "train.py")),
    ("/opt/conda/bin/python -m pkg.train", "python", Entry("module", "pkg.train")),
    ("python -c import\\ torch", "python", Entry("code", "import\\")),
    ("torchrun --nproc_per_node=8 --nnodes 2 train.py", "torchrun", Entry("file", "train.py")),
    ("torchrun --standalone -m pkg.train", "torchrun", Entry("module", "pkg.train")),
    ("python -m torch.distributed.run --nproc-per-node 4 train.py", "torchrun",
     Entry("file", "train.py")),
    ("python -m torch.distributed.launch --use_env train.py", "torchrun",
     Entry("file", "train.py")),
    ("accelerate launch --multi_gpu --num_processes 8 train.py --x", "accelerate",
     Entry("file", "train.py")),
    ("accelerate launch --config_file cfg.yaml -m pkg.train", "accelerate",
     Entry("module", "pkg.train")),
    ("deepspeed --num_gpus 8 train.py --deepspeed ds.json", "deepspeed",
     Entry("file", "train.py")),
    ("mpirun -np 16 --map-by ppr:8:node -x NCCL_DEBUG python train.py", "mpirun",
     Entry("file", "train.py")),
    ("mpirun --mca btl ^openib -np 4 python train.py", "mpirun", Entry("file", "train.py")),
    ("horovodrun -np 4 -H localhost:4 python train.py", "horovodrun",
     Entry("file", "train.py")),
    ("nvidia-smi -L", "nvidia-smi", None),
    ("./run.sh", "other", None),
])
def test_launchers_and_entry_points(line: str, launcher: str, entry: Entry | None) -> None:
    inv = read(line)
    assert inv.launcher == launcher
    assert inv.entry == entry


@pytest.mark.parametrize("line", [
    "env NCCL_DEBUG=INFO python train.py",
    "time -p python train.py",
    "nohup python train.py",
    "exec python train.py",
    "stdbuf -oL python train.py",
    "timeout 2h python train.py",
    "numactl --cpunodebind=0 --membind=0 python train.py",
    "taskset -c 0-7 python train.py",
    "singularity exec --nv -B /data:/data img.sif python train.py",
    "apptainer run --nv img.sif python train.py",
    "conda run -n train --no-capture-output python train.py",
    "uv run --frozen python train.py",
])
def test_wrappers_are_looked_through(line: str) -> None:
    inv = read(line)
    assert (inv.launcher, inv.entry) == ("python", Entry("file", "train.py"))


def test_env_wrapper_assignments_are_kept() -> None:
    inv = read("srun env CUDA_VISIBLE_DEVICES=0 python train.py")
    assert inv.env == {"CUDA_VISIBLE_DEVICES": "0"}
    assert inv.srun is not None


def test_launcher_options_are_read_in_both_spellings() -> None:
    assert read("torchrun --nproc-per-node=8 t.py").options["nproc_per_node"] == "8"
    assert read("torchrun --nproc_per_node 8 t.py").options["nproc_per_node"] == "8"
    acc = read("accelerate launch --num-processes 16 --num_machines 2 t.py")
    assert (acc.options["num_processes"], acc.options["num_machines"]) == ("16", "2")


def test_an_unknown_launcher_flag_before_the_script_is_a_flag() -> None:
    inv = read("torchrun --brand-new-flag train.py")
    assert inv.entry == Entry("file", "train.py")


def test_bash_c_gives_the_inner_script() -> None:
    inv = classify(["srun", "bash", "-lc", "python t.py --rank $SLURM_PROCID", "name", "a"],
                   frozenset())
    assert inv.srun is not None
    assert inv.inner_script == "python t.py --rank $SLURM_PROCID"
    assert inv.inner_args == ["a"]


def test_a_wild_word_after_the_launcher_hides_its_entry() -> None:
    inv = classify(["torchrun", UNKNOWN, "train.py"], frozenset({1}))
    assert inv.unknown and inv.entry is None


def test_a_wild_command_is_unknown() -> None:
    inv = classify([UNKNOWN, "python", "b.py"], frozenset({0}))
    assert inv.unknown and inv.launcher == "other"


# Reading launch lines: words the shell splits out of a template placeholder.

def test_a_split_placeholder_is_one_unknown_word() -> None:
    inv = classify(["torchrun", "--nproc_per_node={{", "gpus", "}}", "--rdzv_backend", "c10d",
                    "train.py", "--config", "{{", "cfg", "}}"], frozenset())
    assert inv.options["nproc_per_node"] == UNKNOWN
    assert inv.options["rdzv_backend"] == "c10d"
    assert inv.entry is not None and inv.entry.target == "train.py"
    assert inv.args == ["--config", UNKNOWN]


def test_an_unclosed_brace_is_left_as_it_is() -> None:
    inv = classify(["python", "train.py", "{{", "a", "b", "c", "d", "e"], frozenset())
    assert inv.args == ["{{", "a", "b", "c", "d", "e"]


def test_an_interpreter_in_a_variable_running_torchrun() -> None:
    inv = classify([UNKNOWN, "-m", "torch.distributed.run", "--nproc_per_node=4", "train.py"],
                   frozenset())
    assert (inv.launcher, inv.options["nproc_per_node"]) == ("torchrun", "4")


def test_an_unknown_program_stays_unknown() -> None:
    assert classify([UNKNOWN, "train.py"], frozenset()).unknown
