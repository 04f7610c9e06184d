import torch
from lightning.fabric import Fabric

fabric = Fabric(accelerator="cuda", devices=4, strategy="ddp")
fabric.launch()
model = fabric.setup(torch.nn.Linear(32, 2))
