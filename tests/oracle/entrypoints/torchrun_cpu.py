"""Oracle entry point that really runs under torchrun: plain torch.distributed on CPU (gloo).

It stands in for ``torchrun_gpu.py`` (the file scriptkeeper reads), which
uses NCCL and one GPU per local rank.  Each worker joins the process group
torchrun set up, counts its peers with an all-reduce, and appends JSON lines
to ``results/<host>-<pid>.jsonl``: ``start`` (torchrun's environment),
``fit`` (world size, rank and the all-reduce sum), ``done`` or ``error``.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
import traceback
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
ENV_KEYS = (
    "SLURM_JOB_ID", "SLURM_STEP_ID", "SLURM_PROCID", "SLURM_LOCALID", "SLURM_NTASKS",
    "SLURM_NTASKS_PER_NODE", "SLURM_NNODES", "CUDA_VISIBLE_DEVICES", "RANK", "WORLD_SIZE",
    "LOCAL_RANK", "LOCAL_WORLD_SIZE", "GROUP_RANK", "MASTER_ADDR", "MASTER_PORT",
    "TORCHELASTIC_RUN_ID",
)


def record(event: str, **data: Any) -> None:
    RESULTS.mkdir(exist_ok=True)
    line: dict[str, Any] = {
        "event": event, "pid": os.getpid(), "ppid": os.getppid(), "time": time.time(),
    }
    line.update(data)
    path = RESULTS / f"{socket.gethostname()}-{os.getpid()}.jsonl"
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")


def main() -> None:
    record("start", argv=sys.argv, env={key: os.environ.get(key) for key in ENV_KEYS})
    try:
        import torch
        import torch.distributed as dist

        torch.set_num_threads(1)
        dist.init_process_group("gloo")
        ones = torch.ones(1)
        dist.all_reduce(ones)  # counts the processes that really joined this group
        record("fit", dist_world_size=dist.get_world_size(), dist_rank=dist.get_rank(),
               allreduce_sum=int(ones.item()))
        dist.barrier()
        dist.destroy_process_group()
        record("done")
    except BaseException as error:
        record("error", type=type(error).__name__, message=str(error),
               traceback=traceback.format_exc())
        raise


if __name__ == "__main__":
    main()
