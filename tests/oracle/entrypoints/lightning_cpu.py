"""Oracle entry point that really runs: Lightning DDP on CPU, 2 steps of a tiny model.

It stands in for ``lightning_gpu.py`` (the file scriptkeeper reads), which
trains with ``accelerator="gpu", devices="auto"``.  There are no GPUs here, so
this copy trains on CPU with ``devices`` set to what ``"auto"`` would find
on a GPU node: the number of GPUs in ``CUDA_VISIBLE_DEVICES``, which SLURM
sets from the job's (fake) GPU allocation.  Everything else -- SLURM
detection, process spawning, rendezvous -- is Lightning's own code path.

Two variables of the job's environment change the Trainer (the runner sets
them per shape; unset, the Trainer is the one described above):
``ORACLE_LIGHTNING_DEVICES`` (a count instead of the visible GPUs) and
``ORACLE_LIGHTNING_STRATEGY`` (``ddp`` when unset; ``auto`` passes no
``strategy`` at all; ``DDPStrategy`` passes ``DDPStrategy()``; any other value
is passed as the strategy's name); ``ORACLE_LIGHTNING_NUM_NODES`` passes ``num_nodes``.

Every process appends JSON lines to ``results/<host>-<pid>.jsonl`` next to
this file: ``start`` (environment, visible GPUs), ``trainer`` (after the
Trainer is built), ``fit`` (world size and rank from torch.distributed once
training started), ``done``, or ``error`` (exception type and message). A
worker that Lightning starts with multiprocessing (``ddp_spawn``) does not run
this script's ``main``: it writes its ``fit`` to the file of the process that
started it, so that one training process stays one record.
"""

from __future__ import annotations

import json
import multiprocessing
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
    "SLURM_NTASKS_PER_NODE", "SLURM_NNODES", "SLURM_GPUS_ON_NODE", "SLURM_JOB_NAME",
    "CUDA_VISIBLE_DEVICES", "LOCAL_RANK", "NODE_RANK", "WORLD_SIZE", "MASTER_ADDR",
    "MASTER_PORT",
)
DEVICES_VAR = "ORACLE_LIGHTNING_DEVICES"
STRATEGY_VAR = "ORACLE_LIGHTNING_STRATEGY"
NUM_NODES_VAR = "ORACLE_LIGHTNING_NUM_NODES"


def record(event: str, **data: Any) -> None:
    RESULTS.mkdir(exist_ok=True)
    line: dict[str, Any] = {
        "event": event, "pid": os.getpid(), "ppid": os.getppid(), "time": time.time(),
    }
    line.update(data)
    # a multiprocessing worker (ddp_spawn) belongs to the process that started it
    owner = os.getppid() if multiprocessing.parent_process() is not None else os.getpid()
    path = RESULTS / f"{socket.gethostname()}-{owner}.jsonl"
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")


def visible_gpus() -> list[str]:
    """The GPUs ``devices="auto"`` would use with ``accelerator="gpu"``."""
    value = os.environ.get("CUDA_VISIBLE_DEVICES", "")
    return [device for device in value.split(",") if device.strip()]


# At import time, so that a worker started by ddp_spawn finds the model class when it
# unpickles the trainer; a failure is recorded by main() like any other.
IMPORT_ERROR: BaseException | None = None
try:
    import torch
    try:
        import lightning as L
        from lightning.pytorch.strategies import DDPStrategy
    except ImportError:  # the pytorch-lightning package: the same code under another name
        import pytorch_lightning as L  # type: ignore[no-redef]
        from pytorch_lightning.strategies import DDPStrategy  # type: ignore[no-redef]
except BaseException as error:
    IMPORT_ERROR = error
else:
    class Tiny(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(4, 1)

        def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
            x, y = batch
            return torch.nn.functional.mse_loss(self.layer(x), y)

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.SGD(self.parameters(), lr=0.1)

        def on_train_start(self) -> None:
            dist = torch.distributed
            initialized = dist.is_available() and dist.is_initialized()
            ones = torch.ones(1)
            if initialized:
                dist.all_reduce(ones)  # counts the processes that really joined
            record("fit", trainer_world_size=self.trainer.world_size,
                   global_rank=self.trainer.global_rank,
                   dist_initialized=initialized,
                   dist_world_size=dist.get_world_size() if initialized else None,
                   dist_rank=dist.get_rank() if initialized else None,
                   allreduce_sum=int(ones.item()))


def trainer_choice(gpus: list[str]) -> tuple[int, dict[str, Any], str]:
    """``devices``, the ``strategy`` keyword (none for "auto") and its name, from the env."""
    devices = int(os.environ.get(DEVICES_VAR) or len(gpus))
    name = os.environ.get(STRATEGY_VAR) or "ddp"
    if name == "auto":
        return devices, {}, name
    if name == "DDPStrategy":
        return devices, {"strategy": DDPStrategy()}, "DDPStrategy()"
    return devices, {"strategy": name}, name


def main() -> None:
    gpus = visible_gpus()
    record("start", argv=sys.argv, visible_gpus=len(gpus),
           env={key: os.environ.get(key)
                for key in (*ENV_KEYS, DEVICES_VAR, STRATEGY_VAR, NUM_NODES_VAR)})
    try:
        if IMPORT_ERROR is not None:
            raise IMPORT_ERROR
        from torch.utils.data import DataLoader, TensorDataset

        torch.set_num_threads(1)
        if not gpus:
            # accelerator="gpu" on a node where the job sees no GPU
            raise RuntimeError("emulated: no GPU visible (CUDA_VISIBLE_DEVICES unset or empty)")
        # unless the environment says otherwise: what devices="auto" finds with
        # accelerator="gpu", and strategy="ddp"
        devices, strategy, strategy_name = trainer_choice(gpus)
        trainer = L.Trainer(
            accelerator="cpu",
            devices=devices,
            max_steps=2,
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            default_root_dir=str(RESULTS),
            **strategy,
            **({"num_nodes": int(os.environ[NUM_NODES_VAR])} if os.environ.get(NUM_NODES_VAR)
               else {}),
        )
        record("trainer", world_size=trainer.world_size, global_rank=trainer.global_rank,
               num_devices=trainer.num_devices, devices_arg=devices,
               strategy_arg=strategy_name, strategy=type(trainer.strategy).__name__,
               launcher=type(trainer.strategy.launcher).__name__,
               lightning=f"{L.__name__} {L.__version__}",
               cluster_environment=type(
                   getattr(trainer.strategy, "cluster_environment", None)).__name__)
        data = TensorDataset(torch.randn(16, 4), torch.randn(16, 1))
        trainer.fit(Tiny(), DataLoader(data, batch_size=4))
        record("done")
    except BaseException as error:
        record("error", type=type(error).__name__, message=str(error),
               traceback=traceback.format_exc())
        raise


if __name__ == "__main__":
    main()
