"""The clean stage: move broken and redundant scripts into a backup, and back.

Last stage of the pipeline (``... -> verdict -> clean``). The modules, each
with one job:

- ``plan``: what moves, why, and where (from a :class:`ScanReport`);
- ``paths``: the path safety checks (relative, no ``..``, no symlink on the way);
- ``fsutil``: hashing, atomic writes, fsync;
- ``manifest``: ``MANIFEST.yaml``, which doubles as the journal of the moves;
- ``lock``: one clean or restore at a time, and the marker of an interrupted one;
- ``gitops``: the git side (refusing states, the commit built from a
  temporary index, the user's index touched only for the moved paths);
- ``hooks``: whether we run inside a git hook;
- ``backup``: the clean itself (moves + commit), and its roll-back;
- ``restore``: moving a backup back, byte-identical;
- ``recover``: finishing or rolling back an operation a crash interrupted;
- ``history``: past cleans and restores from the git log;
- ``faults``: numbered crash points for the fault-injection tests.
"""
