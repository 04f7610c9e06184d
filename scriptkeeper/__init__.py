"""scriptkeeper: keep a folder of SLURM job scripts honest.

The package, folder by folder, in the order a scan runs (docs/design.md has more):

- ``pipeline/``   the scan's order: discover -> per-file analysis -> baseline ->
                  sbatch check -> group -> verdict; the worker processes and file views
- ``parse/``      the script's bytes read as sbatch reads them: directives, option
                  tables per SLURM release, value grammars, #PBS/#BSUB
- ``model/``      what SLURM allocates: the job model and the cluster profile
- ``body/``       the shell body: tree-sitter walk, launch steps, srun layout,
                  launchers, entry points, framework pins
- ``rules/``      rules.yaml, its expressions, the fact registry, the engine that turns
                  facts into findings, pragmas, the baseline, the rule pages
- ``redundancy/`` grouping: duplicates and superseded versions, and their keepers
- ``report/``     every output format, the keeper tree and ``scan --diff``
- ``cache/``      the result cache: store, entries, codec
- ``cluster/``    the real cluster: ``sbatch --test-only``, profile import, hostlists
- ``clean/``      backup with a manifest journal, restore, and their safety checks
- ``fix/``        ``scriptkeeper fix``: the edits rules declare, made one at a time and
                  judged again, written atomically (the edits live beside their producers)
- ``cli/``        the typer commands, one module each; ``hook.py`` is the light
                  pre-commit entry point; ``records.py`` the data every stage shares
"""

__version__ = "0.2.0"
