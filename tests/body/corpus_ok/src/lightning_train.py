"""Lightning DDP training: one process per GPU, started by srun (or by Lightning itself)."""
import os

import lightning as L
from lightning.pytorch.demos.boring_classes import BoringModel


def main():
    trainer = L.Trainer(
        accelerator="gpu",
        devices="auto",
        num_nodes=int(os.environ.get("SLURM_NNODES", 1)),
        strategy="ddp",
        max_epochs=10,
    )
    trainer.fit(BoringModel())


if __name__ == "__main__":
    main()
