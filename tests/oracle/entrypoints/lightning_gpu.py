"""What scriptkeeper reads for the Lightning shapes: the GPU training the jobs stand for.

Never run in the tests (there are no GPUs): ``lightning_cpu.py`` runs in its
place, with ``devices`` set to the number of GPUs ``"auto"`` would find.
"""

from __future__ import annotations

import lightning as L
import torch
from torch.utils.data import DataLoader, TensorDataset


class Tiny(L.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(4, 1)

    def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
        x, y = batch
        return torch.nn.functional.mse_loss(self.layer(x), y)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)


def main() -> None:
    trainer = L.Trainer(accelerator="gpu", devices="auto", strategy="ddp", max_steps=2)
    data = TensorDataset(torch.randn(16, 4), torch.randn(16, 1))
    trainer.fit(Tiny(), DataLoader(data, batch_size=4))


if __name__ == "__main__":
    main()
