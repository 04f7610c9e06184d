"""The canonical job signature: what a script asks SLURM for and what it runs (group stage).

Two scripts with the same signature are the same job. The signature is made
of the interpreter of the ``#!`` line, the resources of every job component
with values normalised, and the canonical body (:mod:`.body`).

Resources come from the directives sbatch applies (the job model's final
long-option values, so ``-c 32`` is ``--cpus-per-task=32`` and ``--partit``
is ``--partition``), with:

- time in minutes (``60``, ``1:00:00`` and ``01:00:00`` are one value),
  memory in MB (``262144M`` is ``256G``), node counts as ``MIN-MAX``,
  whole numbers without leading zeros, GPU counts as ``type:count``;
- equivalent GPU requests folded into one: ``--gres=gpu:N`` and
  ``--gpus-per-node=N`` (and ``--gpus=N`` on exactly one node) give the job
  and its srun steps the same GPUs (seen on SLURM 22.05), unless the script
  reads ``SLURM_GPUS*``, which only some of the forms set;
  ``--gpus-per-task`` is not folded (it isolates tasks);
- the options of ``redundancy.ignore`` left out (job name, log files, mail
  options, comment and time limit by default).

Defaults are never filled in: ``--ntasks=1`` and no ``--ntasks`` are two
different jobs to SLURM (``SLURM_NTASKS`` is set or not).

The SLURM facts relied on here: docs/launch-contracts.md §2.2 and §2.4.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from scriptkeeper.parse.header import parse
from scriptkeeper.parse.validate import last_values
from scriptkeeper.parse.value_grammar import (
    GpuCount,
    ValueProblem,
    parse_gpus,
    parse_gres,
    parse_memory,
    parse_nodes,
    parse_time,
)
from scriptkeeper.records import ScriptResult
from scriptkeeper.redundancy.body import Body, canonical_body, interpreter

Options = dict[str, "str | None"]


def _time(value: str) -> str:
    return f"{parse_time(value)}min"


def _memory(value: str) -> str:
    return f"{parse_memory(value)}M"


def _nodes(value: str) -> str:
    low, high = parse_nodes(value)
    return f"{low}-{high}"


def _gpus(value: str) -> str:
    g = parse_gpus(value)
    return f"{g.type or ''}:{g.count}"


def _gres(value: str) -> str:
    items = parse_gres(value)
    return ",".join(f"{name}:{g.type or ''}:{g.count}" for name, g in sorted(items.items()))


def _mail_type(value: str) -> str:
    return ",".join(sorted(v.strip().upper() for v in value.split(",")))


_NORMALISERS: dict[str, Callable[[str], str]] = {
    "time": _time, "time-min": _time,
    "mem": _memory, "mem-per-cpu": _memory, "mem-per-gpu": _memory, "tmp": _memory,
    "nodes": _nodes,
    "gpus": _gpus, "gpus-per-node": _gpus, "gpus-per-task": _gpus, "gpus-per-socket": _gpus,
    "gres": _gres,
    "mail-type": _mail_type,
}
_DIGITS = re.compile(r"\s*[0-9]+\s*")


@functools.lru_cache(maxsize=1 << 14)
def normalise_value(option: str, value: str | None) -> str:
    """The canonical text of one option's value (the value as written if unreadable)."""
    if value is None:
        return ""
    normaliser = _NORMALISERS.get(option)
    if normaliser is not None:
        try:
            return normaliser(value)
        except ValueProblem:
            return value
    if _DIGITS.fullmatch(value):
        return value.strip().lstrip("0") or "0"  # not int(): any number of digits
    return value.strip()


@functools.lru_cache(maxsize=1 << 12)
def _gres_items(value: str) -> dict[str, GpuCount] | None:
    try:
        return parse_gres(value)
    except ValueProblem:
        return None


def _fold_gpus(result: dict[str, str], options: Options) -> None:
    """Write every equivalent form of a per-node GPU request as ``gpus-per-node``."""
    if "gres" not in result and "gpus-per-node" not in result and "gpus" not in result:
        return  # no GPU request at all
    forms: list[tuple[str, str]] = []
    gres_rest: list[str] = []
    raw_gres = options.get("gres")
    if "gres" in result and raw_gres is not None:
        items = _gres_items(raw_gres)
        if items is None:
            return  # unreadable: leave every GPU option as written
        for name, g in sorted(items.items()):
            if name == "gpu":
                forms.append(("gres", f"{g.type or ''}:{g.count}"))
            else:
                gres_rest.append(f"{name}:{g.type or ''}:{g.count}")
    if "gpus-per-node" in result:
        forms.append(("gpus-per-node", result["gpus-per-node"]))
    if "gpus" in result and result.get("nodes") == "1-1":
        forms.append(("gpus", result["gpus"]))
    if len(forms) != 1:
        return  # none, or several at once: leave them as written
    source, value = forms[0]
    if source == "gres":
        if gres_rest:
            result["gres"] = ",".join(gres_rest)
        else:
            del result["gres"]
    else:
        del result[source]
    result["gpus-per-node"] = value


def resources(options: Options, ignore: Iterable[str], fold: bool = True) -> dict[str, str]:
    """The normalised resources of one job component.

    ``fold=False`` keeps the GPU forms apart: they give the same GPUs but set
    different variables (``SLURM_GPUS_PER_NODE`` only with ``--gpus-per-node``,
    ``SLURM_GPUS`` only with ``--gpus``), which matters to a body that reads them.
    """
    skip = set(ignore)
    result = {k: normalise_value(k, v) for k, v in options.items() if k not in skip}
    if fold:
        _fold_gpus(result, options)
    return result


def components(result: ScriptResult, release: str | None,
               plugin_options: tuple[str, ...]) -> list[Options]:
    """The final option values of every job component (hetjobs have several)."""
    job = result.job
    if job is None:
        return []
    if job.components <= 1:
        return [job.options]
    parsed = parse(result.data, release, plugin_options)
    return [{k: d.value for k, d in last_values(parsed.directives, c).items()}
            for c in range(parsed.components)]


@dataclass(frozen=True)
class Signature:
    """A script's canonical job signature and the parts it was made from."""

    digest: bytes
    interpreter: str
    resources: tuple[tuple[tuple[str, str], ...], ...]
    body: Body


def job_resources(result: ScriptResult, ignore: Iterable[str], release: str | None = None,
                  plugin_options: tuple[str, ...] = ()
                  ) -> tuple[tuple[tuple[str, str], ...], ...]:
    """The normalised resources of every job component, as the signature holds them."""
    ignored = tuple(ignore)
    fold = b"SLURM_GPUS" not in result.data
    return tuple([tuple(sorted(resources(opts, ignored, fold).items()))
                  for opts in components(result, release, plugin_options)])


def signature(result: ScriptResult, ignore: Iterable[str], release: str | None = None,
              plugin_options: tuple[str, ...] = ()) -> Signature:
    res = job_resources(result, ignore, release, plugin_options)
    shebang = interpreter(result.data)
    body = canonical_body(result.data, shebang)
    text = repr((shebang, res)) + "\0" + body.text
    digest = hashlib.blake2b(text.encode("utf-8", errors="surrogatepass"),
                             digest_size=16).digest()
    return Signature(digest, shebang, res, body)
