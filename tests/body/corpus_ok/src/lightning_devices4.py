import lightning as L
from lightning.pytorch.demos.boring_classes import BoringModel

trainer = L.Trainer(accelerator="gpu", devices=4, strategy="ddp", max_epochs=1)
trainer.fit(BoringModel())
