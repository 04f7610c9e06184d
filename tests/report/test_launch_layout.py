"""What explain lays out: the request with its lines, nodes, tasks, GPUs and ranks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scriptkeeper.pipeline.explain import explain_script
from tests.body.repo import CLUSTER, LIGHTNING_GPU, write
from tests.rules.entries import TORCH_DDP


def laid_out(root: Path, script: str, entry: str = LIGHTNING_GPU,
             profile: bool = False) -> dict[str, Any]:
    files = {"job.slurm": script, "train.py": entry, "requirements.txt": "lightning==2.2.1\n"}
    if profile:
        files["rules.yaml"] = CLUSTER
    write(root, files)
    (root / "job.slurm").write_text((root / "job.slurm").read_text().lstrip("\n"))
    return explain_script(root / "job.slurm", None)


def test_each_request_value_has_its_line_and_ignored_directives_are_listed(
        tmp_path: Path) -> None:
    data = laid_out(tmp_path, """
        #!/bin/bash
        #SBATCH --gres=gpu:4
        #SBATCH --gres=gpu:8
        #SBATCH --ntasks=1
        echo start
        #SBATCH --time=10
        python train.py
    """)
    values = {v["key"]: v for v in data["request"]["values"]}
    assert values["gpus_per_node"]["value"] == "8"
    assert values["gpus_per_node"]["from"] == [{"line": 3, "option": "--gres=gpu:8"}]
    assert values["tasks"]["from"] == [{"line": 4, "option": "--ntasks=1"}]
    assert values["time"]["value"] == "partition default"
    ignored = [(i["line"], i["written"]) for i in data["request"]["ignored"]]
    assert ignored == [(2, "#SBATCH --gres=gpu:4"), (6, "#SBATCH --time=10")]
    assert "last one wins" in data["request"]["ignored"][0]["why"]
    assert "after the first command" in data["request"]["ignored"][1]["why"]
    # findings about the request stand apart; the step's own under the step
    assert {f["rule"] for f in data["script_findings"]} >= {"duplicate-option",
                                                             "directive-after-command"}
    assert [f["rule"] for f in data["steps"][0]["findings"]] == ["lightning-single-process"]


def test_one_lightning_process_on_eight_gpus_leaves_seven_idle(tmp_path: Path) -> None:
    (step,) = laid_out(tmp_path, """
        #!/bin/bash
        #SBATCH --gres=gpu:8 --ntasks=1
        python train.py
    """)["steps"]
    (node,) = step["node_detail"]
    (task,) = node["tasks"]
    assert task["cuda_visible_devices"] == "0,1,2,3,4,5,6,7"
    assert task["processes"] == [{"local": 0, "rank": 0, "world": 0, "gpu": 0,
                                  "state": "runs"}]
    assert node["idle_gpus"] == [1, 2, 3, 4, 5, 6, 7]
    assert [f["rule"] for f in step["findings"]] == ["lightning-single-process"]


def test_one_task_per_gpu_under_srun_keeps_every_gpu_busy(tmp_path: Path) -> None:
    (step,) = laid_out(tmp_path, """
        #!/bin/bash
        #SBATCH --gres=gpu:8 --ntasks-per-node=8
        srun python train.py
    """)["steps"]
    (node,) = step["node_detail"]
    assert [(t["task"], t["processes"][0]["rank"], t["processes"][0]["gpu"])
            for t in node["tasks"]] == [(i, i, i) for i in range(8)]
    assert node["idle_gpus"] == [] and step["findings"] == []


def test_gpus_per_task_binds_each_task_to_its_own_gpu(tmp_path: Path) -> None:
    steps = laid_out(tmp_path, """
        #!/bin/bash
        #SBATCH --ntasks-per-node=4 --gpus-per-task=2
        srun python train.py
    """, TORCH_DDP)["steps"]
    (step,) = steps
    tasks = step["node_detail"][0]["tasks"]
    assert [t["cuda_visible_devices"] for t in tasks] == ["0,1", "2,3", "4,5", "6,7"]


def test_waiting_processes_are_marked_with_their_message(tmp_path: Path) -> None:
    (step,) = laid_out(tmp_path, """
        #!/bin/bash
        #SBATCH --gres=gpu:8 --ntasks-per-node=8
        python train.py
    """)["steps"]
    (task,) = step["node_detail"][0]["tasks"]
    assert task["processes"][0]["state"] == "waits"
    assert step["missing_peers"] == 7 and "MEMBER: 1/8" in step["wait_message"]


def test_more_nodes_are_summarised_after_the_first(tmp_path: Path) -> None:
    (step,) = laid_out(tmp_path, """
        #!/bin/bash
        #SBATCH --nodes=8 --gres=gpu:8 --ntasks-per-node=1
        srun torchrun --nnodes=8 --nproc_per_node=8 --rdzv_backend=c10d --rdzv_endpoint=h:1 t.py
    """, TORCH_DDP)["steps"]
    assert len(step["node_detail"]) == 1 and step["world_size"] == 64
    assert step["other_nodes"] == {"nodes": 7, "tasks": 7, "processes": 56, "ranks": "8-63"}
    (task,) = step["node_detail"][0]["tasks"]
    assert [(p["rank"], p["gpu"]) for p in task["processes"]] == [(i, i) for i in range(8)]


def test_without_srun_the_other_nodes_run_nothing(tmp_path: Path) -> None:
    (step,) = laid_out(tmp_path, """
        #!/bin/bash
        #SBATCH --nodes=4 --gres=gpu:8
        python train.py
    """)["steps"]
    assert step["nodes"] == 1 and step["nodes_without_step"] == 3
    assert step["other_nodes"] is None


def test_many_tasks_on_a_node_show_the_first_and_last(tmp_path: Path) -> None:
    (step,) = laid_out(tmp_path, """
        #!/bin/bash
        #SBATCH --ntasks-per-node=64
        srun hostname
    """, profile=True)["steps"]
    node = step["node_detail"][0]
    assert node["tasks_count"] == 64 and node["tasks_hidden"] == 48
    assert [t["task"] for t in node["tasks"]] == [*range(8), *range(56, 64)]
