"""Stand-in for NeMo's pretraining script: the Trainer comes from the Hydra config."""
from lightning.pytorch import Trainer
from omegaconf import OmegaConf


def main(cfg):
    trainer = Trainer(**cfg.trainer)
    return trainer


if __name__ == "__main__":
    main(OmegaConf.load("conf/megatron_gpt_config.yaml"))
