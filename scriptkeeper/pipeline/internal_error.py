"""A script whose analysis raised: its one ``internal-error`` result (per-file stage).

The runner judges each script inside a guard: whatever the parse, model, body or
judge stages raise for one script (a bug, not a property of the script) becomes this
script's only finding, and the scan goes on with the others. The finding is an error
(the verdict is unknown, so the script counts as broken), names the exception's type
and where it was raised, and asks for a report with the version. Such a result is
never cached, never baselined, never grouped with another script; ``scan`` and the
hook exit 2 while one stands, and ``clean`` refuses to move anything.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from pathlib import Path

from scriptkeeper import __version__
from scriptkeeper.records import Fact, Finding, ScriptResult
from scriptkeeper.rules import fact_kinds

FACTS = fact_kinds.declare(__name__, "internal-error")

RULE = "internal-error"
CODE = "SK000"
_PACKAGE = str(Path(__file__).resolve().parent.parent)


def _where(error: BaseException) -> str:
    """The innermost frame inside scriptkeeper: what a bug report needs first."""
    where = "?"
    for frame, line in traceback.walk_tb(error.__traceback__):
        name = frame.f_code.co_filename
        if name.startswith(_PACKAGE):
            where = f"{Path(name).resolve().relative_to(_PACKAGE).as_posix()}:{line}"
    return where


def fact_for(error: BaseException) -> Fact:
    said = " ".join(str(error).split())[:120]
    detail = (f"scriptkeeper could not analyse this script ({type(error).__name__}"
              f"{': ' + said if said else ''}, at {_where(error)}), so its verdict is "
              f"unknown; please report this with the script (scriptkeeper {__version__})")
    return Fact(RULE, 1, detail, "nothing to fix in the script itself; until a fixed "
                                 "release, 'clean' will not run on this repository",
                data={"exception": type(error).__name__, "where": _where(error)})


def result_for(path: str, data: bytes, error: BaseException) -> ScriptResult:
    """The result of a script whose analysis raised ``error``."""
    fact = fact_for(error)
    finding = Finding(CODE, RULE, "error", fact.line, fact.detail, fact.fix)
    result = ScriptResult(path=path, findings=[finding], verdict="broken", data=data)
    # grouping keys no other script has: it is never the same job as another
    own = f"{RULE}\0{path}".encode()
    result.keys = (own, own)
    return result


def is_internal(result: ScriptResult) -> bool:
    return any(f.rule == RULE for f in result.findings)


def failed(results: Iterable[ScriptResult]) -> list[ScriptResult]:
    """The results whose analysis raised."""
    return [r for r in results if is_internal(r)]


def summary(results: Iterable[ScriptResult]) -> str | None:
    """The one line the commands print when a script's analysis raised, or None."""
    paths = [r.path for r in failed(results)]
    if not paths:
        return None
    shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    return (f"internal error: the analysis of {len(paths)} script(s) failed ({shown}); their "
            f"verdicts are unknown; please report it (scriptkeeper {__version__})")
