"""Group scripts into duplicates and families and pick each group's keeper (group stage).

Sub-quadratic: scripts are bucketed by job key (the signature but for the
body, and the launch), then by canonical body (duplicates), and by (family,
kind of job) (superseded); only buckets with more than one script are looked
at, and only their scripts need dates (and bodies).

- duplicates: the keeper is the first by: pinned, not broken, a name without
  markers, the oldest (first commit), the shortest path. Every other healthy,
  unpinned script of the group is redundant of it.
- superseded: among the scripts left (singletons and duplicate keepers), the
  newest healthy member of each (family, kind) bucket supersedes the others:
  newest by last change, then by what the name says (version, date, stale
  marker). A tie at the top means no one can tell: nothing is superseded.
- a keeper is never broken and never redundant: a duplicate of a superseded
  keeper is redundant of the newest version.
- broken scripts stay broken but get a note ("also a copy of X"); pinned
  scripts stay kept with a note.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from scriptkeeper.records import ScriptResult
from scriptkeeper.redundancy import explain
from scriptkeeper.redundancy.family import NO_NAME, Name, split_name
from scriptkeeper.redundancy.file_dates import UNKNOWN, Dates, dates
from scriptkeeper.rules.config import RedundancySettings


@dataclass(slots=True)
class Member:
    """One script as grouping sees it: small, as there may be 100,000 of them.

    ``digest`` is the job key (:func:`.keys.keys`: resources, interpreter, launch),
    ``family`` a digest of (family, kind of job); ``name`` and ``dates`` are
    filled only for the scripts of groups with more than one member.
    """

    index: int
    result: ScriptResult
    digest: bytes
    family: bytes
    pinned: bool
    name: Name = NO_NAME
    dates: Dates = UNKNOWN

    @property
    def broken(self) -> bool:
        return self.result.broken

    @property
    def path(self) -> str:
        return self.result.path


@dataclass
class Edge:
    target: Member
    relation: str  # "duplicate" or "superseded"
    reason: str


@dataclass
class Outcome:
    """What grouping decided, before it is written into the results."""

    edges: dict[int, Edge] = field(default_factory=dict)
    notes: dict[int, list[tuple[str, Member, str]]] = field(default_factory=dict)
    copies: set[int] = field(default_factory=set)  # duplicates other than their group's keeper

    def note(self, member: Member, relation: str, other: Member, text: str) -> None:
        self.notes.setdefault(member.index, []).append((relation, other, text))


DatesFor = Callable[[list[str]], dict[str, Dates]]


def _same_job(m: Member) -> bytes:
    """The job key of ``m`` with its canonical body: equal for scripts of the same signature
    (:mod:`.signature`) and launch."""
    from scriptkeeper.redundancy.body import canonical_body, interpreter

    body = canonical_body(m.result.data, interpreter(m.result.data))
    return m.digest + body.text.encode("utf-8", "surrogatepass")


def members(results: list[ScriptResult], settings: RedundancySettings,
            pinned: Callable[[str], bool], release: str | None = None,
            plugin_options: tuple[str, ...] = ()) -> list[Member]:
    found = []
    for index, result in enumerate(results):
        if result.keys is None:
            from scriptkeeper.redundancy.keys import keys  # a result made without its keys: rare

            result.keys = keys(result, settings, release, plugin_options)
        digest, family = result.keys
        found.append(Member(index, result, digest, family, pinned(result.path)))
    return found


def _buckets(found: list[Member], key: Callable[[Member], bytes]) -> list[list[Member]]:
    """The groups of members with the same key, leaving out the single ones."""
    first: dict[bytes, Member] = {}
    many: dict[bytes, list[Member]] = {}
    for m in found:
        k = key(m)
        other = first.setdefault(k, m)
        if other is not m:
            many.setdefault(k, [other]).append(m)
    return list(many.values())


def _keeper_order(m: Member) -> tuple[object, ...]:
    return (not m.pinned, m.broken, m.name.marked, m.dates.first, len(m.path), m.path)


def _duplicates(groups: list[list[Member]], settings: RedundancySettings,
                outcome: Outcome) -> None:
    for group in groups:
        group.sort(key=_keeper_order)
        healthy = [m for m in group if not m.broken]
        keeper = healthy[0] if healthy else group[0]
        for m in group:
            if m is keeper:
                continue
            outcome.copies.add(m.index)
            if m.broken:
                outcome.note(m, "copy", keeper, f"also a copy of {keeper.path}")
            elif m.pinned:
                outcome.note(m, "copy", keeper,
                             f"pinned: kept, although it is the same job as {keeper.path}")
            else:
                reason = explain.duplicate(m.result, keeper.result, settings.ignore)
                outcome.edges[m.index] = Edge(keeper, "duplicate", reason)


def _newest_order(m: Member) -> tuple[object, ...]:
    return (m.dates.last, m.name.rank)


def _superseded(buckets: list[list[Member]], outcome: Outcome) -> None:
    for bucket in buckets:
        healthy = sorted((m for m in bucket if not m.broken), key=_newest_order, reverse=True)
        if not healthy:
            continue
        newest = healthy[0]
        if len(healthy) > 1 and _newest_order(healthy[1]) == _newest_order(newest):
            continue  # no way to tell which version is the newest
        family = newest.name.family
        for m in bucket:
            if m is newest:
                continue
            older = _newest_order(m) < _newest_order(newest)
            if m.broken:
                text = (f"also superseded by {newest.path} (family '{family}')" if older else
                        f"the newest working version of family '{family}' is {newest.path}")
                outcome.note(m, "superseded", newest, text)
            elif m.pinned:
                outcome.note(m, "superseded", newest,
                             f"pinned: kept, although {newest.path} is a newer version "
                             f"(family '{family}')")
            else:
                reason = explain.superseded(m.result, newest.result, m.name, m.dates,
                                            newest.dates, newest.name)
                outcome.edges[m.index] = Edge(newest, "superseded", reason)


def group(found: list[Member], settings: RedundancySettings, dates_for: DatesFor) -> Outcome:
    """Decide duplicates and superseded versions among ``found``."""
    outcome = Outcome()
    # the same job: the same job key, then the same canonical body
    dup_groups = [same for bucket in _buckets(found, lambda m: m.digest)
                  for same in _buckets(bucket, _same_job)] if settings.duplicates else []
    fam_buckets = _buckets(found, lambda m: m.family) if settings.superseded else []
    need = {m.path: m for g in (*dup_groups, *fam_buckets) for m in g}
    if need:
        known = dates_for(list(need))
        for path, m in need.items():
            m.dates = known.get(path, UNKNOWN)
            m.name = split_name(path, settings.markers)
    _duplicates(dup_groups, settings, outcome)
    if fam_buckets:
        # a copy is represented in its family by its keeper
        left = [[m for m in b if m.index not in outcome.copies] for b in fam_buckets]
        _superseded([b for b in left if len(b) > 1], outcome)
    return outcome


def _chain(start: Member, outcome: Outcome) -> list[Edge]:
    """The edges from ``start`` to the kept script at the end (never broken, never redundant)."""
    chain: list[Edge] = []
    seen = {start.index}
    edge = outcome.edges.get(start.index)
    while edge is not None and edge.target.index not in seen:
        chain.append(edge)
        seen.add(edge.target.index)
        edge = outcome.edges.get(edge.target.index)
    return chain


def write(found: list[Member], outcome: Outcome) -> None:
    """Set verdicts, ``redundant_of``, notes and the relation of every script.

    ``extra["redundancy"]``: the relation, the script it is a copy or older
    version of (``via``) and the kept script at the end of the chain (``of``).
    """
    for m in found:
        result = m.result
        chain = _chain(m, outcome)
        if chain and not m.broken:
            keeper = chain[-1].target
            result.verdict = "redundant"
            result.redundant_of = keeper.path
            result.notes.append(chain[0].reason)
            result.notes.extend(f"{edge_from.target.path} is itself redundant: {edge.reason}"
                                for edge_from, edge in pairwise(chain))
            result.extra["redundancy"] = {"relation": chain[0].relation, "of": keeper.path,
                                          "via": chain[0].target.path}
        for relation, other, text in outcome.notes.get(m.index, []):
            further = _chain(other, outcome)
            end = further[-1].target if further else other
            if further:
                text += f" (itself redundant of {end.path})"
            result.notes.append(text)
            result.extra.setdefault("redundancy", {"relation": relation, "of": end.path,
                                                   "via": other.path})


def run(results: list[ScriptResult], settings: RedundancySettings,
        pinned: Callable[[str], bool], root: Path, in_git: bool,
        release: str | None = None, plugin_options: tuple[str, ...] = ()) -> Outcome:
    """The whole group stage over ``results``: decide, then write the verdicts."""
    if not (settings.duplicates or settings.superseded) or len(results) < 2:
        return Outcome()
    found = members(results, settings, pinned, release, plugin_options)
    outcome = group(found, settings, lambda paths: dates(root, paths, in_git))
    write(found, outcome)
    return outcome
