"""scriptkeeper: keep a folder of SLURM job scripts honest.

Pipeline: discover -> parse (directives, validate) -> model (model, launch)
-> judge -> group (redundancy) -> verdict -> report | clean.
"""

__version__ = "0.1.0"
