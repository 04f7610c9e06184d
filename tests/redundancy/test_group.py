"""Grouping on repositories with real git history: who is redundant of whom, and who stays."""

from __future__ import annotations

from scriptkeeper.pipeline.scan import run_scan

from .repo import Repo, job, one_gpu, verdicts


def _version(n: int) -> str:
    return one_gpu(f"python train.py --lr=0.1 experiment=v{n}\n")


def test_family_of_three_versions_keeps_the_newest(repo: Repo) -> None:
    repo.commit("2024-01-10T10:00:00", {"train.slurm": _version(1)})
    repo.commit("2024-02-10T10:00:00", {"train_v2.slurm": _version(2)})
    repo.commit("2024-03-10T10:00:00", {"train_v3.slurm": _version(3)})
    results = repo.scan()
    assert verdicts(results) == {
        "train.slurm": ("redundant", "train_v3.slurm"),
        "train_v2.slurm": ("redundant", "train_v3.slurm"),
        "train_v3.slurm": ("keep", None),
    }
    reason = results["train.slurm"].notes[0]
    assert "family 'train.slurm'" in reason
    assert "2024-01-10" in reason and "2024-03-10" in reason and "(git)" in reason


def test_newest_is_the_last_commit_touching_a_file_not_the_highest_version(repo: Repo) -> None:
    repo.commit("2024-01-10T10:00:00", {"train_v2.slurm": _version(2)})
    repo.commit("2024-02-10T10:00:00", {"train_v3.slurm": _version(3)})
    # v2 is edited after v3 was written: v2 is now the newest version
    repo.commit("2024-03-10T10:00:00", {"train_v2.slurm": _version(4)})
    assert verdicts(repo.scan()) == {
        "train_v2.slurm": ("keep", None),
        "train_v3.slurm": ("redundant", "train_v2.slurm"),
    }


def test_same_commit_falls_back_to_the_version_number(repo: Repo) -> None:
    repo.commit("2024-01-10T10:00:00", {"run_v3.slurm": _version(3), "run_v10.slurm": _version(10),
                                        "run.slurm": _version(1)})
    assert verdicts(repo.scan()) == {
        "run.slurm": ("redundant", "run_v10.slurm"),
        "run_v3.slurm": ("redundant", "run_v10.slurm"),
        "run_v10.slurm": ("keep", None),
    }


def test_same_commit_and_no_version_to_tell_supersedes_nothing(repo: Repo) -> None:
    repo.commit("2024-01-10T10:00:00", {"run_new.slurm": _version(1),
                                        "run_final.slurm": _version(2)})
    assert verdicts(repo.scan()) == {
        "run_new.slurm": ("keep", None),
        "run_final.slurm": ("keep", None),
    }


def test_family_whose_newest_is_broken_keeps_the_newest_healthy(repo: Repo) -> None:
    repo.commit("2024-01-10T10:00:00", {"train.slurm": _version(1)})
    repo.commit("2024-02-10T10:00:00", {"train_v2.slurm": _version(2)})
    # v3: --mem and --mem-per-cpu together, sbatch refuses it
    broken = one_gpu("python train.py --lr=0.1 experiment=v3\n", "--mem-per-cpu=4G")
    repo.commit("2024-03-10T10:00:00", {"train_v3.slurm": broken})
    results = repo.scan()
    assert verdicts(results) == {
        "train.slurm": ("redundant", "train_v2.slurm"),
        "train_v2.slurm": ("keep", None),
        "train_v3.slurm": ("broken", None),
    }
    assert results["train_v3.slurm"].notes == [
        "the newest working version of family 'train.slurm' is train_v2.slurm"]


def test_older_broken_version_stays_broken_with_a_note(repo: Repo) -> None:
    broken = one_gpu("python train.py --lr=0.1 experiment=v1\n", "--mem-per-cpu=4G")
    repo.commit("2024-01-10T10:00:00", {"train.slurm": broken})
    repo.commit("2024-02-10T10:00:00", {"train_fixed.slurm": _version(2)})
    results = repo.scan()
    assert verdicts(results) == {"train.slurm": ("broken", None),
                                 "train_fixed.slurm": ("keep", None)}
    assert results["train.slurm"].notes == [
        "also superseded by train_fixed.slurm (family 'train.slurm')"]


def test_identical_files_keep_the_one_without_a_copy_marker(repo: Repo) -> None:
    text = one_gpu()
    # the copies are older than the original: the marker decides before the age
    repo.commit("2024-01-10T10:00:00", {"train (copy).slurm": text, "train_backup.slurm": text})
    repo.commit("2024-02-10T10:00:00", {"train.slurm": text})
    results = repo.scan()
    assert verdicts(results) == {
        "train (copy).slurm": ("redundant", "train.slurm"),
        "train_backup.slurm": ("redundant", "train.slurm"),
        "train.slurm": ("keep", None),
    }
    assert results["train (copy).slurm"].notes == ["byte-identical to train.slurm"]


def test_identical_unmarked_files_keep_the_oldest(repo: Repo) -> None:
    text = one_gpu()
    repo.commit("2024-01-10T10:00:00", {"jobs/long_name_first.slurm": text})
    repo.commit("2024-02-10T10:00:00", {"a.slurm": text})
    assert verdicts(repo.scan()) == {
        "a.slurm": ("redundant", "jobs/long_name_first.slurm"),
        "jobs/long_name_first.slurm": ("keep", None),
    }


def test_identical_files_of_one_commit_keep_the_shortest_path(repo: Repo) -> None:
    text = one_gpu()
    repo.commit("2024-01-10T10:00:00", {"jobs/deep/b.slurm": text, "jobs/a.slurm": text})
    assert verdicts(repo.scan()) == {
        "jobs/a.slurm": ("keep", None),
        "jobs/deep/b.slurm": ("redundant", "jobs/a.slurm"),
    }


def test_same_resources_and_launch_but_another_body_is_another_job(repo: Repo) -> None:
    # the three share the grouping's first key (resources and launch); only the body tells
    # the copy (same body, laid out differently) from the other job (another argument)
    repo.commit("2024-01-10T10:00:00", {
        "prep.slurm": one_gpu("python train.py --lr=0.1\n"),
        "jobs/prep_copy_of_a_colleague.slurm": one_gpu("python   train.py  --lr=0.1  # same\n"),
        "sweep.slurm": one_gpu("python train.py --lr=0.2\n")})
    assert verdicts(repo.scan()) == {
        "jobs/prep_copy_of_a_colleague.slurm": ("redundant", "prep.slurm"),
        "prep.slurm": ("keep", None),
        "sweep.slurm": ("keep", None),
    }


_REFORMAT_CONFIG = "redundancy:\n  ignore: [job-name, output]\n"


def test_reformatted_equivalent_is_a_duplicate(repo: Repo) -> None:
    original = job("--job-name=train", "--nodes=1", "--ntasks=1", "--cpus-per-task=16",
                   "--gres=gpu:1", "--mem=64G", "--time=01:00:00",
                   body='cd "$HOME/project"\nsrun python train.py --lr=0.1 --epochs=3\n')
    reformatted = ("#!/bin/bash\n#SBATCH -J other_name -N 1 -n 1\n#SBATCH -c 16  --gres=gpu:1\n"
                   "#SBATCH --mem=65536M\n#SBATCH -t 60\n\n# go to the project\n"
                   'cd   "$HOME"/project\n\nsrun   python train.py \\\n   --lr=0.1 \\\n'
                   "   '--epochs=3'   # three epochs\n")
    repo.commit("2024-01-10T10:00:00", {"rules.yaml": _REFORMAT_CONFIG,
                                        "train.slurm": original})
    repo.commit("2024-02-10T10:00:00", {"train_reformatted.slurm": reformatted})
    results = repo.scan()
    assert verdicts(results) == {
        "train.slurm": ("keep", None),
        "train_reformatted.slurm": ("redundant", "train.slurm"),
    }
    reason = results["train_reformatted.slurm"].notes[0]
    assert "--mem (65536M vs 64G)" in reason and "--time (60 vs 01:00:00)" in reason
    assert "-c vs --cpus-per-task" in reason and "body laid out differently" in reason


def test_reformatted_with_another_time_limit_is_another_job_when_time_counts(repo: Repo) -> None:
    repo.commit("2024-01-10T10:00:00", {
        "rules.yaml": _REFORMAT_CONFIG,
        "train.slurm": job("--gres=gpu:1", "--time=01:00:00"),
        "train_long.slurm": job("--gres=gpu:1", "-t 120")})
    assert verdicts(repo.scan()) == {"train.slurm": ("keep", None),
                                     "train_long.slurm": ("keep", None)}


def test_time_limit_is_ignored_by_default(repo: Repo) -> None:
    repo.commit("2024-01-10T10:00:00", {"train.slurm": job("--gres=gpu:1", "--time=01:00:00")})
    repo.commit("2024-02-10T10:00:00", {"train_long.slurm": job("--gres=gpu:1", "-t 120")})
    assert verdicts(repo.scan()) == {"train.slurm": ("keep", None),
                                     "train_long.slurm": ("redundant", "train.slurm")}


def test_three_sweep_scripts_differing_by_one_value_all_stay(repo: Repo) -> None:
    for day, lr in enumerate(("0.001", "0.01", "0.1"), start=1):
        repo.commit(f"2024-01-0{day}T10:00:00",
                    {f"sweep_lr_{lr}.slurm": one_gpu(f"python train.py --lr={lr}\n")})
    assert verdicts(repo.scan()) == {
        "sweep_lr_0.001.slurm": ("keep", None),
        "sweep_lr_0.01.slurm": ("keep", None),
        "sweep_lr_0.1.slurm": ("keep", None),
    }


def test_one_gpu_and_four_gpu_versions_of_one_training_both_stay(repo: Repo) -> None:
    four = job("--job-name=train", "--nodes=1", "--ntasks-per-node=4", "--gres=gpu:4",
               "--cpus-per-task=8", "--mem=256G", "--time=04:00:00",
               body="srun python train.py --lr=0.1\n")
    repo.commit("2024-01-10T10:00:00", {"train.slurm": one_gpu()})
    repo.commit("2024-02-10T10:00:00", {"train_v2.slurm": four})
    assert verdicts(repo.scan()) == {"train.slurm": ("keep", None),
                                     "train_v2.slurm": ("keep", None)}


def test_plain_python_and_torchrun_versions_are_different_jobs(repo: Repo) -> None:
    torchrun = one_gpu("torchrun --standalone --nproc-per-node=1 train.py --lr=0.1\n")
    repo.commit("2024-01-10T10:00:00", {"train.slurm": one_gpu()})
    repo.commit("2024-02-10T10:00:00", {"train_v2.slurm": torchrun})
    assert verdicts(repo.scan()) == {"train.slurm": ("keep", None),
                                     "train_v2.slurm": ("keep", None)}


def test_versions_with_another_entry_point_are_different_jobs(repo: Repo) -> None:
    repo.write("eval.py", "print('eval')\n")
    repo.commit("2024-01-10T10:00:00", {"train.slurm": one_gpu()})
    repo.commit("2024-02-10T10:00:00", {"train_v2.slurm": one_gpu("python eval.py\n")})
    assert verdicts(repo.scan()) == {"train.slurm": ("keep", None),
                                     "train_v2.slurm": ("keep", None)}


def test_same_name_in_two_folders_is_not_a_family(repo: Repo) -> None:
    repo.commit("2024-01-10T10:00:00", {"exp1/train.slurm": _version(1)})
    repo.commit("2024-02-10T10:00:00", {"exp2/train_v2.slurm": _version(2)})
    assert verdicts(repo.scan()) == {"exp1/train.slurm": ("keep", None),
                                     "exp2/train_v2.slurm": ("keep", None)}


def test_one_text_running_the_file_of_its_own_folder_is_not_a_duplicate(repo: Repo) -> None:
    text = one_gpu("python run.py --lr=0.1\n")
    repo.commit("2024-01-10T10:00:00", {
        "exp1/run.py": "print('one')\n", "exp2/run.py": "print('two')\n",
        "exp1/job.slurm": text, "exp2/job.slurm": text})
    assert verdicts(repo.scan()) == {"exp1/job.slurm": ("keep", None),
                                     "exp2/job.slurm": ("keep", None)}


def test_one_text_running_one_shared_file_is_a_duplicate(repo: Repo) -> None:
    text = one_gpu()  # python train.py: the repository's own train.py
    repo.commit("2024-01-10T10:00:00", {"exp1/job.slurm": text})
    repo.commit("2024-02-10T10:00:00", {"exp2/job.slurm": text})
    assert verdicts(repo.scan()) == {"exp1/job.slurm": ("keep", None),
                                     "exp2/job.slurm": ("redundant", "exp1/job.slurm")}


def test_copy_of_a_superseded_version_points_at_the_newest(repo: Repo) -> None:
    repo.commit("2024-01-10T10:00:00", {"train.slurm": _version(1),
                                        "train_old.slurm": _version(1)})
    repo.commit("2024-02-10T10:00:00", {"train_v2.slurm": _version(2)})
    results = repo.scan()
    assert verdicts(results) == {
        "train.slurm": ("redundant", "train_v2.slurm"),
        "train_old.slurm": ("redundant", "train_v2.slurm"),
        "train_v2.slurm": ("keep", None),
    }
    notes = results["train_old.slurm"].notes
    assert notes[0] == "byte-identical to train.slurm"
    assert notes[1].startswith("train.slurm is itself redundant: superseded by train_v2.slurm")


def test_broken_copy_keeps_its_verdict_and_says_it_is_a_copy(repo: Repo) -> None:
    broken = one_gpu("python train.py --lr=0.1\n", "--mem-per-cpu=4G")
    repo.commit("2024-01-10T10:00:00", {"train.slurm": broken, "train (copy).slurm": broken})
    results = repo.scan()
    assert verdicts(results) == {"train.slurm": ("broken", None),
                                 "train (copy).slurm": ("broken", None)}
    assert results["train (copy).slurm"].notes == ["also a copy of train.slurm"]
    assert results["train.slurm"].notes == []


def test_broken_copy_of_a_healthy_script_names_the_healthy_one(repo: Repo) -> None:
    # the copy's time limit is invalid (broken), and the time limit is not part of the job
    repo.commit("2024-01-10T10:00:00", {
        "train.slurm": one_gpu(),
        "train_copy.slurm": one_gpu("python train.py --lr=0.1\n", "--time=1.5h")})
    results = repo.scan()
    assert verdicts(results) == {"train.slurm": ("keep", None),
                                 "train_copy.slurm": ("broken", None)}
    assert results["train_copy.slurm"].notes == ["also a copy of train.slurm"]


def test_keeper_is_never_broken(repo: Repo) -> None:
    # the unmarked, older original is broken: the copy is kept, not redundant of it
    broken = one_gpu("python train.py --lr=0.1\n", "--time=1.5h")
    repo.commit("2024-01-10T10:00:00", {"train.slurm": broken})
    repo.commit("2024-02-10T10:00:00", {"train_backup.slurm": one_gpu()})
    assert verdicts(repo.scan()) == {"train.slurm": ("broken", None),
                                     "train_backup.slurm": ("keep", None)}


def test_pinned_script_is_the_keeper_and_never_redundant(repo: Repo) -> None:
    text = one_gpu()
    repo.commit("2024-01-10T10:00:00", {"train.slurm": text})
    repo.commit("2024-02-10T10:00:00", {"jobs/train_copy.slurm": text})
    # unpinned, the older, unmarked, shorter train.slurm is the keeper
    assert verdicts(repo.scan()) == {"train.slurm": ("keep", None),
                                     "jobs/train_copy.slurm": ("redundant", "train.slurm")}
    repo.commit("2024-02-11T10:00:00", {"rules.yaml": "redundancy:\n  pin: [jobs/*_copy.slurm]\n"})
    assert verdicts(repo.scan()) == {"train.slurm": ("redundant", "jobs/train_copy.slurm"),
                                     "jobs/train_copy.slurm": ("keep", None)}


def test_pins_are_relative_to_their_rules_yaml(repo: Repo) -> None:
    text = one_gpu()
    repo.commit("2024-01-10T10:00:00", {
        "jobs/train.slurm": text, "jobs/train_copy.slurm": text,
        "jobs/rules.yaml": "redundancy:\n  pin: [train_copy.slurm]\n"})
    report = run_scan([repo.path / "jobs"])
    assert {s.path: (s.verdict, s.redundant_of) for s in report.scripts} == {
        "jobs/train.slurm": ("redundant", "jobs/train_copy.slurm"),
        "jobs/train_copy.slurm": ("keep", None)}


def test_pinned_older_version_stays_with_a_note(repo: Repo) -> None:
    repo.commit("2024-01-10T10:00:00", {"rules.yaml": "redundancy:\n  pin: [train.slurm]\n",
                                        "train.slurm": _version(1)})
    repo.commit("2024-02-10T10:00:00", {"train_v2.slurm": _version(2)})
    results = repo.scan()
    assert verdicts(results) == {"train.slurm": ("keep", None),
                                 "train_v2.slurm": ("keep", None)}
    assert results["train.slurm"].notes == [
        "pinned: kept, although train_v2.slurm is a newer version (family 'train.slurm')"]


def test_relations_can_be_switched_off(repo: Repo) -> None:
    text = one_gpu()
    repo.commit("2024-01-10T10:00:00", {"train.slurm": text, "baseline.slurm": text,
                                        "run.slurm": _version(1)})
    repo.commit("2024-02-10T10:00:00", {"run_v2.slurm": _version(2)})
    repo.commit("2024-02-11T10:00:00", {"rules.yaml": "redundancy:\n  duplicates: false\n"})
    assert verdicts(repo.scan()) == {
        "run.slurm": ("redundant", "run_v2.slurm"), "run_v2.slurm": ("keep", None),
        "train.slurm": ("keep", None), "baseline.slurm": ("keep", None)}
    repo.commit("2024-02-12T10:00:00", {"rules.yaml": "redundancy:\n  superseded: false\n"})
    assert verdicts(repo.scan()) == {
        "run.slurm": ("keep", None), "run_v2.slurm": ("keep", None),
        "train.slurm": ("keep", None), "baseline.slurm": ("redundant", "train.slurm")}


def test_identical_backup_is_still_an_older_version_without_duplicates(repo: Repo) -> None:
    text = one_gpu()
    repo.commit("2024-01-10T10:00:00", {"train.slurm": text, "train_backup.slurm": text,
                                        "rules.yaml": "redundancy:\n  duplicates: false\n"})
    results = repo.scan()
    assert verdicts(results) == {"train.slurm": ("keep", None),
                                 "train_backup.slurm": ("redundant", "train.slurm")}
    assert results["train_backup.slurm"].notes[0].endswith(
        ": this one's name marks it as an older copy (backup)")


def test_custom_markers_make_a_family(repo: Repo) -> None:
    repo.commit("2024-01-10T10:00:00", {"train_try1.slurm": _version(1)})
    repo.commit("2024-02-10T10:00:00", {"train_try2.slurm": _version(2)})
    assert verdicts(repo.scan()) == {"train_try1.slurm": ("keep", None),
                                     "train_try2.slurm": ("keep", None)}
    repo.commit("2024-02-11T10:00:00", {"rules.yaml": "redundancy:\n  markers: ['try\\d+']\n"})
    assert verdicts(repo.scan()) == {"train_try1.slurm": ("redundant", "train_try2.slurm"),
                                     "train_try2.slurm": ("keep", None)}


def test_untracked_files_are_dated_by_their_file_time(repo: Repo) -> None:
    import os

    repo.commit("2024-01-10T10:00:00", {"train.slurm": _version(1)})
    newer = repo.write("train_v2.slurm", _version(2))  # not committed
    older = repo.path / "train.slurm"
    # the untracked v2 was written in 2023: the committed version is newer
    os.utime(newer, (1_672_531_200, 1_672_531_200))
    assert verdicts(repo.scan()) == {"train.slurm": ("keep", None),
                                     "train_v2.slurm": ("redundant", "train.slurm")}
    assert older.exists()
