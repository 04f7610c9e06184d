"""``python -m scriptkeeper``."""

from .cli import main

main()
