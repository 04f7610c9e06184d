"""What a scan skipped that may be a job script, said on standard error (report stage).

Discovery skips many files quietly and rightly (data, documentation, scripts without
``#SBATCH``). A file it could not judge is different: unreadable, over the size
limit, a symlink out of the repository. Those are counted in one summary line; a
file named on the command line is named with its reason whatever it was.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scriptkeeper.records import ScanReport

# the reasons discovery gives for a file it could not judge (the rest are not job scripts)
UNJUDGED = ("cannot read", "larger than", "symlink out of the repository",
            "outside the repository", "no such file", "not a regular file")


def unjudged(reason: str) -> bool:
    return reason.startswith(UNJUDGED)


def named_skips(report: ScanReport) -> list[tuple[str, str]]:
    """Each file named on the command line that was not judged, with why."""
    named = set(report.named)
    return [(path, reason) for path, reason in report.skipped if path in named]


def every_named_skipped(report: ScanReport) -> bool:
    """Files were named, and not one of them was judged."""
    return bool(report.named) and len({p for p, _ in named_skips(report)}) == \
        len(set(report.named))


def summary(report: ScanReport) -> str | None:
    """``skipped 3 files that may be job scripts: 2 cannot read, 1 larger than 1 MiB``."""
    named = set(report.named)
    counts = Counter(_kind(reason) for path, reason in report.skipped
                     if unjudged(reason) and path not in named)
    if not counts:
        return None
    total = sum(counts.values())
    parts = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    return (f"skipped {total} file{'s' if total != 1 else ''} that may be job scripts: "
            f"{parts} (--verbose names them)")


def _kind(reason: str) -> str:
    """``cannot read: Permission denied`` -> ``cannot read``: one count a kind."""
    return reason.split(":", 1)[0]
