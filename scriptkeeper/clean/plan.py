"""What ``clean`` moves, why, and where (the first step of the clean stage).

From a :class:`~scriptkeeper.pipeline.scan.ScanReport`: every script judged broken or
redundant (``--only`` narrows it), except

- pinned scripts (rules.yaml ``redundancy.pin``, :mod:`scriptkeeper.rules.pins`,
  the same answer grouping uses for never redundant): never moved, whatever
  their verdict;
- a redundant script whose keeper would itself be moved: it stays, so the
  tree never loses the last copy of a job;
- a broken script whose every error the baseline accepts: the team accepted it,
  so it stays, and the plan says so (``clean --no-baseline`` moves it).

A symlink that reaches a moved script (:mod:`.dangling`) moves with it, said
in its reason, so the tree never holds a dangling link; when the link is
pinned, the script stays instead.
- anything at all while one script's analysis raised (its ``internal-error``
  finding): its verdict, and so what should move, is not known.

Where: ``backup.dir`` of rules.yaml (default ``backup_{timestamp}``). A bare
name goes inside the folder holding the moved scripts (their common folder,
e.g. ``scripts/backup_20251016T101500Z/``); a name with folders in front
(``attic/backup_{timestamp}``) is relative to the folder of the rules.yaml.
Inside the backup the scripts keep their path relative to that common
folder. The last folder must be named ``backup_{timestamp}``, the form
discovery never enters, so a backup is never scanned.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from scriptkeeper.clean.errors import Refused
from scriptkeeper.clean.paths import UnsafePath, check_relative
from scriptkeeper.pipeline import internal_error
from scriptkeeper.pipeline.discover import BACKUP_DIR
from scriptkeeper.records import ScanReport, ScriptResult
from scriptkeeper.rules.baseline import BASELINE_NAME, baselined
from scriptkeeper.rules.config import Config
from scriptkeeper.rules.pins import Pins

VERDICTS = ("broken", "redundant")
STAMP = "{timestamp}"


@dataclass(frozen=True)
class Move:
    path: str  # POSIX, relative to the root
    verdict: str
    reason: str  # one line: the first error, or what it is redundant of
    findings: tuple[dict[str, object], ...]
    keeper: str | None = None


@dataclass(frozen=True)
class Held:
    """Judged broken or redundant, but not moved."""

    path: str
    verdict: str
    why: str


@dataclass
class Plan:
    root: Path
    in_git: bool
    parent: str  # the folder (relative to the root, "" = root) that gets the backup folder
    anchor: str  # stored paths are relative to this folder
    moves: list[Move] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)

    def stored(self, move: Move) -> str:
        return move.path[len(self.anchor) + 1:] if self.anchor else move.path

    def backup_rel(self, name: str) -> str:
        return f"{self.parent}/{name}" if self.parent else name

    def counts(self) -> dict[str, int]:
        counts = {v: 0 for v in VERDICTS}
        for move in self.moves:
            counts[move.verdict] = counts.get(move.verdict, 0) + 1
        return counts


def stamp(now: datetime) -> str:
    return now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def backup_name(now: datetime, attempt: int) -> str:
    """``backup_<UTC stamp>``, then ``_2``, ``_3``... for runs in the same second."""
    name = f"backup_{stamp(now)}" + (f"_{attempt}" if attempt > 1 else "")
    assert BACKUP_DIR.match(name)
    return name


def _reason(result: ScriptResult) -> str:
    if result.verdict == "redundant":
        text = f"redundant of {result.redundant_of}" if result.redundant_of else "redundant"
        return text + (f" ({result.notes[0]})" if result.notes else "")
    errors = [f for f in result.findings if f.severity == "error"]
    if not errors:
        return result.verdict
    first = f"{errors[0].rule}: {errors[0].message}"
    return first + (f" (+{len(errors) - 1} more)" if len(errors) > 1 else "")


def _findings(result: ScriptResult) -> tuple[dict[str, object], ...]:
    return tuple({"code": f.code, "rule": f.rule, "severity": f.severity, "line": f.line,
                  "message": f.message} for f in result.findings)


def _common_folder(paths: list[str]) -> str:
    folders = [posixpath.dirname(p) for p in paths]
    common = folders[0].split("/") if folders[0] else []
    for folder in folders[1:]:
        parts = folder.split("/") if folder else []
        size = 0
        while size < min(len(common), len(parts)) and common[size] == parts[size]:
            size += 1
        common = common[:size]
    return "/".join(common)


def _template(config: Config) -> list[str]:
    """The folders before ``backup_{timestamp}`` in backup.dir, or Refused."""
    template = config.backup_dir
    try:
        check_relative(template.replace(STAMP, "20000101T000000Z"), "backup.dir")
    except UnsafePath as error:
        raise Refused(f"rules.yaml backup.dir: {error}") from error
    parts = template.split("/")
    if parts[-1] != "backup_" + STAMP or any(STAMP in part for part in parts[:-1]):
        raise Refused("rules.yaml backup.dir: the last folder must be named exactly "
                      "'backup_{timestamp}' (scans skip only that form), e.g. "
                      "'backup_{timestamp}' or 'attic/backup_{timestamp}'")
    return parts[:-1]


def make_plan(report: ScanReport, only: str | None = None) -> Plan:
    """The moves for ``report``: see the module docstring for the rules."""
    internal = internal_error.summary(report.scripts)
    if internal is not None:  # a verdict not known: what should move is not known either
        raise Refused(f"refusing to clean: {internal}")
    wanted = VERDICTS if only is None else (only,)
    pinned = Pins.of(report.config, report.root)
    by_path = {r.path: r for r in report.scripts}
    candidates: list[ScriptResult] = []
    held: list[Held] = []
    for result in report.scripts:
        if result.verdict not in wanted:
            continue
        if pinned(result.path):
            held.append(Held(result.path, result.verdict, "pinned in rules.yaml"))
            continue
        if baselined(result):
            held.append(Held(result.path, "broken (baselined)",
                             f"its errors are accepted by {BASELINE_NAME}; "
                             f"'clean --no-baseline' moves it"))
            continue
        candidates.append(result)
    moving = {r.path for r in candidates}
    final: list[ScriptResult] = []
    for result in candidates:
        if result.verdict == "redundant":
            keeper = _final_keeper(result, by_path, moving)
            if keeper is None or keeper in moving:
                why = (f"its keeper {keeper} is moved too" if keeper else
                       "it names no keeper")
                held.append(Held(result.path, result.verdict, why))
                continue
        final.append(result)
    moves = [Move(r.path, r.verdict, _reason(r), _findings(r), r.redundant_of) for r in final]
    moves = _with_links(report, moves, held, pinned)
    before = _template(report.config)
    anchor = _common_folder([m.path for m in moves]) if moves else ""
    if before:
        base = ""
        if report.config.base is not None:
            try:
                base = report.config.base.relative_to(report.root).as_posix()
            except ValueError:
                base = ""
        parent = "/".join(p for p in (base if base != "." else "", *before) if p)
    else:
        parent = anchor
    return Plan(root=report.root, in_git=report.in_git, parent=parent, anchor=anchor,
                moves=sorted(moves, key=lambda m: m.path), held=held)


def _with_links(report: ScanReport, moves: list[Move], held: list[Held],
                pinned: Pins) -> list[Move]:
    """``moves`` and the symlinks that would dangle without them (see :mod:`.dangling`)."""
    from scriptkeeper.clean.dangling import links_to

    while True:
        moving = {m.path: m for m in moves}
        links = links_to(report.root, report.in_git, set(moving))
        stay = {target for link, target in links.items() if pinned(link)}
        if not stay:
            break
        for target in sorted(stay):
            move = moving[target]
            pins = sorted(link for link, t in links.items() if t == target and pinned(link))
            held.append(Held(target, move.verdict,
                             f"the pinned symlink {pins[0]} points to it"))
        moves = [m for m in moves if m.path not in stay]
    for link, target in sorted(links.items()):
        move = moving[target]
        moves.append(Move(link, move.verdict,
                          f"a symlink to {target}, moved with it so that it does not dangle "
                          f"(restore puts both back)", (), move.keeper))
    return moves


def _final_keeper(result: ScriptResult, by_path: dict[str, ScriptResult],
                  moving: set[str]) -> str | None:
    """Follow ``redundant_of`` through scripts that move too; None if it names none."""
    keeper = result.redundant_of
    seen = {result.path}
    while keeper is not None and keeper in moving and keeper not in seen:
        seen.add(keeper)
        target = by_path.get(keeper)
        if target is None or target.verdict != "redundant" or target.redundant_of is None:
            return keeper
        keeper = target.redundant_of
    return keeper


def preview_name(root: Path, plan: Plan, now: datetime) -> str:
    """The backup folder a clean would claim now (nothing is created)."""
    attempt = 1
    while os.path.lexists(os.path.join(root, plan.parent, backup_name(now, attempt))):
        attempt += 1
    return plan.backup_rel(backup_name(now, attempt))
