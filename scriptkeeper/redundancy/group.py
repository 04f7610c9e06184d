"""Group scripts into duplicates and families and pick each group's keeper (group stage).

Sub-quadratic: scripts are bucketed by job key (the signature but for the
body, and the launch), then by canonical body (duplicates), and by (family,
kind of job) (superseded); only buckets with more than one script are looked
at, and only their scripts need dates (and bodies).

- duplicates: the keeper is the first by: pinned, not broken, no silently
  dropped directives, a name without markers, the oldest (first commit), the
  shortest path. Every other healthy, unpinned script of the group is
  redundant of it.
- superseded: among the scripts left (singletons and duplicate keepers), the
  newest healthy member of each (family, kind) bucket supersedes the others.
  Elected by, in turn: no silently dropped directives (an ``#sbatch`` line
  SLURM ignores never wins over a script without one), the standing its name
  says (``fixed`` over none over ``old``), the last change (file times less
  than :data:`TIE_SECONDS` apart are a tie: ``cp`` writes two copies
  microseconds apart), then version and date in the name. A tie at the end
  means no one can tell: nothing is superseded.
- a keeper is never broken and never redundant: a duplicate of a superseded
  keeper is redundant of the newest version.
- broken scripts stay broken but get a note ("also a copy of X"); pinned
  scripts stay kept with a note.
- a symlink and the file it points to (inside the repository) are one script,
  never a copy of each other: a group holds one of them (the file itself if
  it is there), and the others share its verdict.
"""

from __future__ import annotations

import os
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
    # a symlink -> the member that stands for the file it points to (the same script)
    aliases: dict[int, Member] = field(default_factory=dict)

    def note(self, member: Member, relation: str, other: Member, text: str) -> None:
        self.notes.setdefault(member.index, []).append((relation, other, text))


DatesFor = Callable[[list[str]], dict[str, Dates]]
LinksFor = Callable[[list[str]], dict[str, str]]  # symlinks among paths -> the file they reach

# findings of directives SLURM silently drops: such a script never wins an election
DROPPED_DIRECTIVE_RULES = frozenset({"ignored-directive-lookalike", "directive-after-command"})
TIE_SECONDS = 5.0  # file times closer than this are one moment (a cp, an unpacked archive)


def dropped_directives(result: ScriptResult) -> bool:
    """Whether ``result`` has lines that look like directives but SLURM drops silently."""
    return any(f.rule in DROPPED_DIRECTIVE_RULES for f in result.findings)


def _same_job(m: Member, beside: Callable[[str], bool] | None = None,
              places: bool = True) -> bytes:
    """The job key of ``m`` with its canonical body: equal for scripts of the same signature
    (:mod:`.signature`) and launch. A job of its folder has the folder in its key: its body
    finds files from where it is (``./``, ``$SLURM_SUBMIT_DIR``, its own path), or a file
    beside it submits it (a launcher that hands it the folder's settings, a README)."""
    from scriptkeeper.redundancy.body import canonical_body, interpreter
    from scriptkeeper.redundancy.kind import uses_its_folder

    body = canonical_body(m.result.data, interpreter(m.result.data))
    text = body.text
    place = places and (uses_its_folder(text) or (beside is not None and beside(m.path)))
    folder = m.path.rpartition("/")[0] + "\0" if place else ""
    return m.digest + (folder + text).encode("utf-8", "surrogatepass")


def _job_key(bucket: list[Member], beside: Callable[[str], bool] | None
             ) -> Callable[[Member], bytes]:
    """The key that splits a bucket into jobs: where its scripts are counts only when they
    are in more than one folder."""
    if len({m.path.rpartition("/")[0] for m in bucket}) == 1:
        return lambda m: _same_job(m, None, False)
    return lambda m: _same_job(m, beside)


_SUBMITTERS = frozenset({".sh", ".bash", ".py", ".md", ".txt", ".rst", ""})
_SUBMITTER_SIZE = 256 * 1024


def submitted_beside(root: Path) -> Callable[[str], bool]:
    """Whether a file in a script's folder (a launcher, a README) runs ``sbatch`` and names
    the script: then the folder is where it is submitted from, with what the folder holds.
    Each folder's files are read once."""
    submitters: dict[str, list[tuple[str, bytes]]] = {}

    def beside(path: str) -> bool:
        folder, _, name = path.rpartition("/")
        if folder not in submitters:
            submitters[folder] = _submitters(os.path.join(root, folder))
        wanted = name.encode("utf-8", "surrogateescape")
        return any(wanted in data for other, data in submitters[folder] if other != name)

    return beside


def _submitters(folder: str) -> list[tuple[str, bytes]]:
    """The small text files of ``folder`` that mention sbatch, with their bytes."""
    found = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        if os.path.splitext(entry.name)[1].lower() not in _SUBMITTERS:
            continue
        try:
            if not entry.is_file(follow_symlinks=False) or \
                    entry.stat(follow_symlinks=False).st_size > _SUBMITTER_SIZE:
                continue
            with open(entry.path, "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        if b"sbatch" in data:
            found.append((entry.name, data))
    return found


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
    return (not m.pinned, m.broken, dropped_directives(m.result), m.name.marked,
            m.dates.first, len(m.path), m.path)


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


def _close(a: Dates, b: Dates) -> bool:
    """Whether ``a`` and ``b`` were last changed at what counts as the same moment."""
    window = TIE_SECONDS if "file time" in (a.source, b.source) else 0.0
    return abs(a.last - b.last) <= window


def _elect(healthy: list[Member]) -> Member | None:
    """The newest of ``healthy``, or None when no one can tell."""
    pool = [m for m in healthy if not dropped_directives(m.result)] or healthy
    steps: list[Callable[[list[Member]], list[Member]]] = [
        lambda ms: _best(ms, lambda m: m.name.standing),
        _latest,
        lambda ms: _best(ms, lambda m: m.name.version),
        lambda ms: _best(ms, lambda m: m.name.date),
    ]
    for narrow in steps:
        if len(pool) == 1:
            break
        pool = narrow(pool)
    return pool[0] if len(pool) == 1 else None


def _best(pool: list[Member], key: Callable[[Member], object]) -> list[Member]:
    top = max(pool, key=key)  # type: ignore[arg-type]
    return [m for m in pool if key(m) == key(top)]


def _latest(pool: list[Member]) -> list[Member]:
    top = max(pool, key=lambda m: m.dates.last)
    return [m for m in pool if _close(m.dates, top.dates)]


def _superseded(buckets: list[list[Member]], outcome: Outcome) -> None:
    for bucket in buckets:
        healthy = [m for m in bucket if not m.broken]
        if not healthy:
            continue
        newest = _elect(healthy)
        if newest is None:
            continue  # no way to tell which version is the newest
        family = newest.name.family
        for m in bucket:
            if m is newest:
                continue
            if m.broken:
                older = m.dates.last <= newest.dates.last or _close(m.dates, newest.dates)
                text = (f"also superseded by {newest.path} (family '{family}')" if older else
                        f"the newest working version of family '{family}' is {newest.path}")
                outcome.note(m, "superseded", newest, text)
            elif m.pinned:
                outcome.note(m, "superseded", newest,
                             f"pinned: kept, although {newest.path} is a newer version "
                             f"(family '{family}')")
            else:
                reason = explain.superseded(m.result, newest.result, m.name, m.dates,
                                            newest.dates, newest.name,
                                            dropped_directives(m.result),
                                            _close(m.dates, newest.dates))
                outcome.edges[m.index] = Edge(newest, "superseded", reason)


def symlinks(root: Path, paths: list[str]) -> dict[str, str]:
    """The symlinks among ``paths`` that reach a file inside ``root``, and that file's path
    (following chains)."""
    top = os.path.realpath(root)
    found = {}
    for path in paths:
        full = os.path.join(root, path)
        if not os.path.islink(full):
            continue
        real = os.path.realpath(full)
        if real.startswith(top + os.sep) and os.path.isfile(real):
            found[path] = os.path.relpath(real, top).replace(os.sep, "/")
    return found


def _one_per_file(group: list[Member], links: dict[str, str],
                  outcome: Outcome) -> list[Member]:
    """``group`` with one member for each file: a symlink is left out when the file it points
    to (or another link to that file) is in the group, and recorded as its alias."""
    by_file: dict[str, list[Member]] = {}
    for m in group:
        by_file.setdefault(links.get(m.path, m.path), []).append(m)
    kept = []
    for real, same in by_file.items():
        same.sort(key=lambda m: (m.path != real, m.path))
        kept.append(same[0])
        for alias in same[1:]:
            outcome.aliases[alias.index] = same[0]
    return kept


def group(found: list[Member], settings: RedundancySettings, dates_for: DatesFor,
          links_for: LinksFor | None = None,
          beside: Callable[[str], bool] | None = None) -> Outcome:
    """Decide duplicates and superseded versions among ``found``."""
    outcome = Outcome()
    # the same job: the same job key, then the same canonical body
    dup_groups = [same for bucket in _buckets(found, lambda m: m.digest)
                  for same in _buckets(bucket, _job_key(bucket, beside))
                  ] if settings.duplicates else []
    fam_buckets = _buckets(found, lambda m: m.family) if settings.superseded else []
    need = {m.path: m for g in (*dup_groups, *fam_buckets) for m in g}
    if need:
        known = dates_for(list(need))
        for path, m in need.items():
            m.dates = known.get(path, UNKNOWN)
            m.name = split_name(path, settings.marker_table)
        links = links_for(list(need)) if links_for is not None else {}
        if links:
            dup_groups = [g for g in (_one_per_file(g, links, outcome) for g in dup_groups)
                          if len(g) > 1]
            fam_buckets = [g for g in (_one_per_file(g, links, outcome) for g in fam_buckets)
                           if len(g) > 1]
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
        alias = outcome.aliases.get(m.index)
        if alias is not None:
            _write_alias(m, alias, outcome)
            continue
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


def _write_alias(m: Member, file: Member, outcome: Outcome) -> None:
    """A symlink shares the verdict of the file it points to: they are one script."""
    result = m.result
    chain = _chain(file, outcome)
    same = f"a symlink to the same file as {file.path}: one script under two names"
    if chain and not m.broken and not m.pinned:
        keeper = chain[-1].target
        result.verdict = "redundant"
        result.redundant_of = keeper.path
        result.notes.append(f"{same}, and {file.path} is redundant: {chain[0].reason}")
        result.extra["redundancy"] = {"relation": chain[0].relation, "of": keeper.path,
                                      "via": file.path}
    else:
        result.notes.append(same + ", never a copy of it")


def run(results: list[ScriptResult], settings: RedundancySettings,
        pinned: Callable[[str], bool], root: Path, in_git: bool,
        release: str | None = None, plugin_options: tuple[str, ...] = ()) -> Outcome:
    """The whole group stage over ``results``: decide, then write the verdicts."""
    if not (settings.duplicates or settings.superseded) or len(results) < 2:
        return Outcome()
    found = members(results, settings, pinned, release, plugin_options)
    outcome = group(found, settings, lambda paths: dates(root, paths, in_git),
                    lambda paths: symlinks(root, paths),
                    submitted_beside(root))
    write(found, outcome)
    return outcome
