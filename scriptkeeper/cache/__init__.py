"""The result cache: a script judged before is not judged again.

``store`` keeps the entries in ``.scriptkeeper_cache``, ``entry`` turns one
result into an entry and back, ``codec`` encodes the frozen records.
"""
