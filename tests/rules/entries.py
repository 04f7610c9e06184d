"""Entry points the rule tests run: small but real Python files of each framework."""

from __future__ import annotations

LIGHTNING_AUTO = """\
import lightning as L

trainer = L.Trainer(accelerator="gpu", devices="auto", strategy="ddp")
trainer.fit(None)
"""

LIGHTNING_4 = """\
import lightning as L

trainer = L.Trainer(accelerator="gpu", devices=4, strategy="ddp")
"""

LIGHTNING_8 = """\
import pytorch_lightning as pl

trainer = pl.Trainer(accelerator="gpu", devices=8)
"""

LIGHTNING_CUSTOM_ENV = """\
import lightning as L
from lightning.fabric.plugins.environments import LightningEnvironment

trainer = L.Trainer(accelerator="gpu", devices="auto", plugins=[LightningEnvironment()])
"""

TORCH_DDP = """\
import os
import torch
import torch.distributed as dist

dist.init_process_group(backend="nccl")
torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))
"""

SLURM_DDP = """\
import os
import torch.distributed as dist

rank = int(os.environ["SLURM_PROCID"])
world = int(os.environ["SLURM_NTASKS"])
dist.init_process_group("nccl", rank=rank, world_size=world)
"""

ACCELERATE = """\
from accelerate import Accelerator

accelerator = Accelerator()
"""

DEEPSPEED = """\
import deepspeed

deepspeed.init_distributed()
"""

HOROVOD = """\
import horovod.torch as hvd
import torch

hvd.init()
torch.cuda.set_device(hvd.local_rank())
model = torch.nn.Linear(2, 2).cuda()
"""

CPU_ONLY = """\
import pandas

pandas.read_csv("data.csv").to_parquet("data.parquet")
"""

MAYBE_GPU = """\
import torch

device = "cuda" if torch.cuda.is_available() else "cpu"
model = torch.nn.Linear(2, 2).to(device)
"""
