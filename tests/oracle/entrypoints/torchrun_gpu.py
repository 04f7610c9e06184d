"""What scriptkeeper reads for the torchrun shapes: one NCCL worker per local GPU.

Never run in the tests (there are no GPUs): ``torchrun_cpu.py`` runs in its
place with the gloo backend.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist


def main() -> None:
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    dist.init_process_group("nccl")
    ones = torch.ones(1, device="cuda")
    dist.all_reduce(ones)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
