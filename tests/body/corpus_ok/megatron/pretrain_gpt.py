"""Stand-in for Megatron-LM's pretrain_gpt.py: torch.distributed from RANK/WORLD_SIZE."""
import os

import torch
import torch.distributed as dist

dist.init_process_group(backend="nccl", init_method="env://")
torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
