import lightning as L
from lightning.pytorch.demos.boring_classes import BoringModel

L.Trainer(accelerator="gpu", devices=1, max_epochs=1).fit(BoringModel())
