"""Oracle tier: real Lightning and torchrun jobs on the local SLURM cluster."""
