"""The scan's order (``scan.py``), from discovery to verdicts, and the per-file stage over a scan.

``discover`` finds the job scripts; ``runner`` judges each one (from the
result cache, in worker processes or here) through ``analyze``; ``fsview``
keeps the file-system answers for the length of one scan.
"""
