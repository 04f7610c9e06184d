"""Plain DDP started by srun: one task per GPU, ranks from SLURM."""
import os

import torch
import torch.distributed as dist

rank = int(os.environ["SLURM_PROCID"])
local_rank = int(os.environ["SLURM_LOCALID"])
world_size = int(os.environ["SLURM_NTASKS"])
dist.init_process_group("nccl", rank=rank, world_size=world_size)
torch.cuda.set_device(local_rank)
