"""A script's grouping keys, made in the per-file stage (per-file stage, for grouping).

Per file, so the per-file stage computes them (in its worker processes) and
the result cache keeps them: a warm grouping only buckets these
(:mod:`.group`). Apart from :mod:`.group` so that a warm scan, which only
buckets the cached keys, does not import what making them needs.
"""

from __future__ import annotations

import hashlib

from scriptkeeper.records import ScriptResult
from scriptkeeper.redundancy.body import canonical_body, interpreter
from scriptkeeper.redundancy.family import split_name
from scriptkeeper.redundancy.kind import launch_key, resource_kind
from scriptkeeper.redundancy.signature import job_resources
from scriptkeeper.rules.config import RedundancySettings


def keys(result: ScriptResult, settings: RedundancySettings, release: str | None = None,
         plugin_options: tuple[str, ...] = ()) -> tuple[bytes, bytes]:
    """A script's grouping keys: its job but for the body, and its (family, kind of job).

    The first key leaves the canonical body out: scripts with the same
    resources and launch are rare enough that only they are worth
    canonicalising, at grouping (``group._same_job``).
    """
    res = job_resources(result, settings.ignore, release, plugin_options)
    shebang = interpreter(result.data)
    # a script the launch analysis found no step in: its launch is read from its body
    body = None if result.steps else canonical_body(result.data, shebang)
    launch = launch_key(result, body)
    # the same text may run another file: the entry points as the launch analysis
    # found them (exp1/train.py and exp2/train.py for two copies of "python train.py")
    job = hashlib.blake2b(_encode((shebang, res, launch)), digest_size=16).digest()
    key = split_name(result.path, settings.marker_table).key
    family = hashlib.blake2b(_encode((key, *resource_kind(result), launch)),
                             digest_size=16).digest()
    return job, family


def _encode(value: object) -> bytes:
    return repr(value).encode("utf-8", "surrogatepass")
