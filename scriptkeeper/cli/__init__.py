"""The command line: ``app.py`` is the typer app, each ``*_cmd.py`` one command.

The only layer that imports typer (one module per command, as pre-commit
does); ``process.py`` and the exit codes of ``common.py`` are shared with the
pre-commit hook, which loads no typer.
"""
