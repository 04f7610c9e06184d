"""Model stage: what SLURM will allocate (``build``, records in ``jobmodel``) and the cluster's limits (``cluster_profile``)."""
