"""The fix stage: the edits rules declare, applied to scripts (``scriptkeeper fix``)."""
