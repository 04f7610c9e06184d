"""Parse stage: a job script's bytes read exactly as sbatch reads them.

``header`` finds the directives (``directive`` is their record),
``option_table`` knows each SLURM release's options, ``value_grammar`` and
``validate`` check what the values say, ``pbs_bsub`` reads ``#PBS``/``#BSUB``,
``embedded`` finds the lines a file holds as here-documents or strings.
"""
