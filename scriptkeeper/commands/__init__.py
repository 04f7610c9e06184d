"""One module per command (as pre-commit does); cli.py registers them."""
