"""The command line: ``app.py`` is the typer app, each ``*_cmd.py`` one command (as pre-commit does).

The only layer that imports typer; ``process.py`` is shared with the pre-commit hook.
"""
