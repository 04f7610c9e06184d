"""Which version of a family is kept: markers, hardware names, dropped directives, copies.

Each case re-creates a pattern seen in public repositories, on a real git
repository.
"""

from __future__ import annotations

import pytest

from .repo import Repo, job, one_gpu, verdicts


def _train(extra: str = "", *directives: str) -> str:
    return one_gpu(f"python train.py --lr=0.1 {extra}\n", *directives)


def test_a_gpu_model_in_the_name_is_not_a_version(repo: Repo) -> None:
    repo.commit("2024-01-10T10:00:00", {"eval/evaluate_t0.slurm": _train("--a=1")})
    repo.commit("2024-02-10T10:00:00", {"eval/evaluate_t0_v100.slurm": _train("--a=2")})
    assert verdicts(repo.scan()) == {"eval/evaluate_t0.slurm": ("keep", None),
                                     "eval/evaluate_t0_v100.slurm": ("keep", None)}


@pytest.mark.parametrize("gpu", ["v100", "A100", "h100", "h200", "l40s", "4090", "3090",
                                 "mi250", "a100_80g"])
def test_hardware_names_never_make_a_family(repo: Repo, gpu: str) -> None:
    repo.commit("2024-01-10T10:00:00", {"run.slurm": _train("--a=1")})
    repo.commit("2024-02-10T10:00:00", {f"run_{gpu}.slurm": _train("--a=2")})
    assert verdicts(repo.scan()) == {"run.slurm": ("keep", None),
                                     f"run_{gpu}.slurm": ("keep", None)}


def test_a_real_version_after_a_gpu_name_still_counts(repo: Repo) -> None:
    repo.commit("2024-01-10T10:00:00", {"run_h100.slurm": _train("--a=1")})
    repo.commit("2024-02-10T10:00:00", {"run_h100_v2.slurm": _train("--a=2")})
    assert verdicts(repo.scan()) == {"run_h100.slurm": ("redundant", "run_h100_v2.slurm"),
                                     "run_h100_v2.slurm": ("keep", None)}


@pytest.mark.parametrize("marker", ["fixed", "final", "correct", "new"])
def test_a_fixed_version_outranks_its_base_even_if_the_base_was_touched_later(
        repo: Repo, marker: str) -> None:
    repo.commit("2024-01-10T10:00:00", {f"test-x-{marker}.sh": _train("--a=2")})
    repo.commit("2024-02-10T10:00:00", {"test-x.sh": _train("--a=1")})
    results = repo.scan()
    assert verdicts(results) == {"test-x.sh": ("redundant", f"test-x-{marker}.sh"),
                                 f"test-x-{marker}.sh": ("keep", None)}
    assert "whatever the dates" in results["test-x.sh"].notes[0]


@pytest.mark.parametrize("marker", ["old", "bak", "backup", "copy", "orig", "deprecated"])
def test_an_old_copy_loses_even_if_it_was_touched_later(repo: Repo, marker: str) -> None:
    repo.commit("2024-01-10T10:00:00", {"test-x.sh": _train("--a=2")})
    repo.commit("2024-02-10T10:00:00", {f"test-x-{marker}.sh": _train("--a=1")})
    assert verdicts(repo.scan()) == {"test-x.sh": ("keep", None),
                                     f"test-x-{marker}.sh": ("redundant", "test-x.sh")}


def test_a_duplicate_of_a_superseded_keeper_points_at_the_final_keeper(repo: Repo) -> None:
    grpo = job("--job-name=grpo", "--gres=gpu:8", "--ntasks=1",
               body="accelerate launch grpo.py --epochs=1\n")
    fixed = job("--job-name=grpo", "--gres=gpu:8", "--ntasks=1",
                body="accelerate launch grpo.py --epochs=2\n")
    repo.commit("2024-01-10T10:00:00", {"test-grpo.sh": grpo, "test-grpo-copy.sh": grpo,
                                        "test-grpo-fixed.sh": fixed})
    results = repo.scan()
    assert verdicts(results) == {"test-grpo.sh": ("redundant", "test-grpo-fixed.sh"),
                                 "test-grpo-copy.sh": ("redundant", "test-grpo-fixed.sh"),
                                 "test-grpo-fixed.sh": ("keep", None)}


def test_a_team_extends_the_marker_table(repo: Repo) -> None:
    repo.commit("2024-01-10T10:00:00", {"run.slurm": _train("--a=2"),
                                        "run_attic.slurm": _train("--a=1"),
                                        "run_gpu42.slurm": _train("--a=3")})
    assert verdicts(repo.scan())["run_attic.slurm"] == ("keep", None)
    repo.commit("2024-01-11T10:00:00", {"rules.yaml": (
        "redundancy:\n  markers:\n    older: [attic]\n    version: ['gpu\\d+']\n"
        "    not_versions: ['gpu42']\n")})
    assert verdicts(repo.scan()) == {"run.slurm": ("keep", None),
                                     "run_attic.slurm": ("redundant", "run.slurm"),
                                     "run_gpu42.slurm": ("keep", None)}


# sbatch reads only '#SBATCH' at column 0: these forms are comments it drops silently
@pytest.mark.parametrize("dropped", ["#sbatch --cpus-per-task=16", "# SBATCH --cpus-per-task=16"])
def test_a_script_with_dropped_directives_never_wins_the_election(repo: Repo,
                                                                  dropped: str) -> None:
    working = _train("--a=1")
    # the "fixed" copy is newer and better named, but its added directive is a comment
    broken_fix = _train("--a=2").replace("#SBATCH --time", f"{dropped}\n#SBATCH --time")
    repo.commit("2024-01-10T10:00:00", {"train_1gpu.slurm": working})
    repo.commit("2024-02-10T10:00:00", {"train_1gpu_fixed.slurm": broken_fix})
    results = repo.scan()
    assert any(f.rule == "ignored-directive-lookalike"
               for f in results["train_1gpu_fixed.slurm"].findings)
    assert verdicts(results) == {"train_1gpu.slurm": ("keep", None),
                                 "train_1gpu_fixed.slurm": ("redundant", "train_1gpu.slurm")}
    assert "SLURM silently drops" in results["train_1gpu_fixed.slurm"].notes[0]


def test_dropped_directives_everywhere_leave_the_usual_election(repo: Repo) -> None:
    text = _train("--a=1").replace("#SBATCH --time", "#sbatch --qos=high\n#SBATCH --time")
    repo.commit("2024-01-10T10:00:00", {"train.slurm": text})
    repo.commit("2024-02-10T10:00:00", {"train_v2.slurm": text.replace("--a=1", "--a=2")})
    assert verdicts(repo.scan()) == {"train.slurm": ("redundant", "train_v2.slurm"),
                                     "train_v2.slurm": ("keep", None)}


def test_a_duplicate_with_dropped_directives_is_never_the_keeper(repo: Repo) -> None:
    text = _train("--a=1")
    dropped = text.replace("#SBATCH --time", "#sbatch --qos=high\n#SBATCH --time")
    # same job (a comment is no directive): the one sbatch reads as written is kept
    repo.commit("2024-01-10T10:00:00", {"a/run.slurm": dropped})
    repo.commit("2024-02-10T10:00:00", {"b/run.slurm": text})
    assert verdicts(repo.scan()) == {"a/run.slurm": ("redundant", "b/run.slurm"),
                                     "b/run.slurm": ("keep", None)}


@pytest.mark.parametrize("command", ["srun ./a.out", "mpirun -np 4 ./solver in.dat",
                                     "python main.py", "bash run.sh"])
def test_the_same_text_running_the_program_beside_it_is_another_job(
        repo: Repo, command: str) -> None:
    text = job("--ntasks=4", "--time=10", body=command + "\n")
    files = {"exp1/job.slurm": text, "exp2/job.slurm": text,
             "exp1/main.py": "print(1)\n", "exp2/main.py": "print(2)\n",
             "exp1/run.sh": "echo 1\n", "exp2/run.sh": "echo 2\n"}
    repo.commit("2024-01-10T10:00:00", files)
    assert verdicts(repo.scan()) == {"exp1/job.slurm": ("keep", None),
                                     "exp2/job.slurm": ("keep", None)}


def test_the_same_text_running_one_shared_program_is_a_duplicate(repo: Repo) -> None:
    text = job("--ntasks=4", "--time=10", body="srun ../bin/solver\nsrun hostname\n")
    repo.commit("2024-01-10T10:00:00", {"exp1/job.slurm": text, "exp2/job.slurm": text})
    assert verdicts(repo.scan()) == {"exp1/job.slurm": ("keep", None),
                                     "exp2/job.slurm": ("redundant", "exp1/job.slurm")}


@pytest.mark.parametrize("body", ["cd $SLURM_SUBMIT_DIR\nsrun hostname\n",
                                  'source ./env.sh\nsrun hostname\n',
                                  "srun hostname > ./out.txt\n"])
def test_a_body_that_finds_files_from_its_folder_is_a_job_of_that_folder(
        repo: Repo, body: str) -> None:
    text = job("--ntasks=4", "--time=10", body=body)
    repo.commit("2024-01-10T10:00:00", {"exp1/job.slurm": text, "exp2/job.slurm": text,
                                        "exp1/job_copy.slurm": text})
    # in one folder it is still a copy
    assert verdicts(repo.scan()) == {"exp1/job.slurm": ("keep", None),
                                     "exp1/job_copy.slurm": ("redundant", "exp1/job.slurm"),
                                     "exp2/job.slurm": ("keep", None)}


def test_a_script_its_folder_submits_is_a_job_of_that_folder(repo: Repo) -> None:
    text = job("--ntasks=4", "--time=10", body="srun hostname\n")
    repo.commit("2024-01-10T10:00:00", {"a/job.slurm": text, "b/job.slurm": text})
    assert verdicts(repo.scan())["b/job.slurm"] == ("redundant", "a/job.slurm")
    # each folder's launcher hands the job its own settings (sbatch --export=... job.slurm)
    repo.commit("2024-01-11T10:00:00", {
        "a/launch.sh": "export CONFIG=a.yaml\nsbatch --export=ALL job.slurm\n",
        "b/README.md": "Submit from this folder: `sbatch job.slurm`\n"})
    assert verdicts(repo.scan()) == {"a/job.slurm": ("keep", None),
                                     "b/job.slurm": ("keep", None)}
