"""Model stage: what SLURM will allocate and what each task sees.

``build`` makes the job model (its records are in ``jobmodel``);
``cluster_profile`` holds the cluster's partitions and node limits;
``name_intent`` reads what a file name says the job asks for.
"""
