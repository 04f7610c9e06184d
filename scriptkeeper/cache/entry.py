"""One per-file result as a result-cache entry, and back (between the per-file stage and the cache).

An entry is a JSON list::

    [sha256 of the script, configuration key, verdict, findings, grouping keys, detail]

``findings`` is a list of ``[code, rule, severity, line, message, fix, autofix]``
(``autofix``: null, or ``[applicability, [[line, end_line, content], ...]]``);
``grouping keys`` the hex of the two redundancy keys (or null); ``detail``
the job model and launch steps as an ASCII JSON *text*
(``scriptkeeper.cache.codec``), or where the cache keeps that text (its
details file), so that a result decodes it only when its job model is
first used (a report and a warm grouping seldom do), or null when it was
not kept. The worker processes of a cold scan send their results to the
parent as entries without the detail: a few strings and lists pickle far
faster than the objects, and the few scripts whose job model the parent
then needs (the members of a redundancy group) are analysed again there and
their detail stored.

Everything read is checked against this layout; an entry that does not fit
is refused (:class:`EntryError`) and the script judged again. A detail that
fails to decode when it is finally needed is not trusted either: the script is
analysed again then (``fallback``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from scriptkeeper.records import APPLICABILITIES, Autofix, Detail, Edit, Finding, ScriptResult

Entry = list[Any]
_FIELDS = ("code", "rule", "severity", "line", "message", "fix")
_KINDS = (str, str, str, int, str, str)


def _encode_autofix(autofix: Autofix | None) -> list[Any] | None:
    if autofix is None:
        return None
    return [autofix.applicability, [[e.line, e.end_line, e.content] for e in autofix.edits]]


def _decode_autofix(raw: object) -> Autofix | None:
    if raw is None:
        return None
    if (type(raw) is not list or len(raw) != 2 or raw[0] not in APPLICABILITIES
            or type(raw[1]) is not list):
        raise EntryError(f"malformed autofix {raw!r}")
    edits = []
    for e in raw[1]:
        if (type(e) is not list or len(e) != 3 or type(e[0]) is not int
                or type(e[1]) is not int or type(e[2]) is not str):
            raise EntryError(f"malformed edit {e!r}")
        edits.append(Edit(e[0], e[1], e[2]))
    return Autofix(raw[0], tuple(edits))
_VERDICTS = ("keep", "broken")
_KEY_HEX = 64  # two 16-byte digests


class EntryError(ValueError):
    """A result the cache cannot hold exactly, or an entry that is not one."""


def encode(result: ScriptResult, sha256: str, config_key: str, detail: bool = True) -> Entry:
    """``result``, straight from the per-file stage, as an entry; EntryError if it cannot be.

    Without ``detail`` the entry holds no job model (null): whoever needs it
    later analyses the script again, and :func:`encode_detail` may fill it in.
    """
    if result.notes or result.redundant_of is not None or result.digest or result.extra:
        raise EntryError("only a result straight from the per-file stage is stored")
    if result.verdict != ("broken" if result.broken else "keep"):
        raise EntryError(f"verdict {result.verdict!r} does not follow from the findings")
    findings = [[f.code, f.rule, f.severity, f.line, f.message, f.fix,
                 _encode_autofix(f.autofix)] for f in result.findings]
    for row in findings:
        if not all(map(_is_kind, row, _KINDS)):
            raise EntryError(f"a finding of unexpected types: {row!r}")
    keys = None if result.keys is None else (result.keys[0] + result.keys[1]).hex()
    if keys is not None and len(keys) != _KEY_HEX:
        raise EntryError("grouping keys of the wrong size")
    return [sha256, config_key, result.verdict, findings, keys,
            encode_detail(result) if detail else None]


def encode_detail(result: ScriptResult) -> str:
    """The job model and launch steps of ``result`` as an ASCII JSON text; EntryError if the
    codec cannot hold them exactly."""
    from scriptkeeper.cache import codec

    job = result.job
    try:
        return json.dumps([None if job is None else codec.encode(job),
                           [codec.encode(step) for step in result.steps]],
                          separators=(",", ":"))
    except codec.CodecError as error:
        raise EntryError(str(error)) from error


def _is_kind(value: object, kind: type) -> bool:
    return type(value) is kind


def matches(entry: object, sha256: str, config_key: str) -> bool:
    """Whether ``entry`` is an entry for these exact bytes under this configuration."""
    return (type(entry) is list and len(entry) == 6 and entry[0] == sha256
            and entry[1] == config_key)


def _own_text(ref: object) -> str | None:
    return ref if type(ref) is str else None


def decode(path: str, data: bytes, entry: Entry, fallback: Callable[[], Detail],
           text: Callable[[object], str | None] = _own_text) -> ScriptResult:
    """The result an entry holds; EntryError if malformed.

    Its detail is decoded on first use: ``text`` gives the JSON text the entry's
    detail field stands for (None: lost), ``fallback`` the model if that fails.
    """
    verdict, rows, keys, ref = entry[2], entry[3], entry[4], entry[5]
    if type(rows) is not list:
        raise EntryError("malformed entry")
    findings = []
    broken = False
    new = object.__new__
    for row in rows:
        if type(row) is not list or len(row) != 7 or not all(map(_is_kind, row, _KINDS)):
            raise EntryError(f"malformed finding {row!r}")
        finding: Any = new(Finding)  # frozen: fill its fields as pickle would
        finding.__dict__.update(zip(_FIELDS, row[:6], strict=True))
        finding.__dict__["autofix"] = _decode_autofix(row[6])
        findings.append(finding)
        broken = broken or row[2] == "error"
    if verdict not in _VERDICTS or (verdict == "broken") != broken:
        raise EntryError(f"verdict {verdict!r} does not follow from the findings")
    grouping = None
    if keys is not None:
        if type(keys) is not str or len(keys) != _KEY_HEX:
            raise EntryError("malformed grouping keys")
        raw = bytes.fromhex(keys)
        grouping = (raw[:16], raw[16:])
    return ScriptResult.deferred(path, findings, verdict, data, grouping,
                                 lambda: _detail(text(ref), fallback))


def _detail(text: str | None, fallback: Callable[[], Detail]) -> Detail:
    from scriptkeeper.cache import codec
    from scriptkeeper.model.build import JobModel, LaunchStep

    if text is None:
        return fallback()
    try:
        job, steps = json.loads(text)
        if type(steps) is not list:
            raise codec.CodecError("steps are not a list")
        return (None if job is None else codec.decode(JobModel, job),
                [codec.decode(LaunchStep, step) for step in steps])
    except Exception:  # whatever fails to decode is not trusted: judge the script again
        return fallback()
