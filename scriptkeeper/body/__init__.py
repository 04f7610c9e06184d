"""Body analysis: what the shell body runs and what each launch line gets.

``shell`` walks the body with tree-sitter-bash, ``steps`` turns its commands
into launch steps and their facts, ``launchers`` and ``srun`` say what a
command line starts and what SLURM gives it, ``entrypoints`` and
``framework_pins`` follow it into the repository, ``syntax`` checks the
shell syntax; ``placeholders`` (template placeholders on a launch line),
``script_dir`` (``$0`` as the script's folder) and ``log_folders`` (the
``--output``/``--error`` folders) read what the job will not find.
"""
