"""``python -m scriptkeeper``."""

from scriptkeeper.cli.app import main

main()
