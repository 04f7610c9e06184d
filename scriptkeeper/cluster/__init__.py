"""The real cluster: ``sbatch --test-only`` (``sbatch_check``), profile import and write, hostlists.
"""
