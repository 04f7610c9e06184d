"""Ask the real cluster: ``sbatch --test-only`` for each script (``scan --sbatch-check``).

Runs between judge and group: after every script has its offline findings,
each script goes to ``sbatch --test-only`` (bounded parallelism, a timeout
per script; ``--test-only`` never queues a job). A refusal becomes a fact of
kind ``sbatch-refuses`` that the rule of that name in rules.yaml turns into a
finding carrying sbatch's own message. Where the offline rules and the
cluster disagree (one predicts a refusal, the other does not), the script
gets a note saying so.

sbatch's answer is trusted only when it is a verdict on the script: when the
controller cannot be reached or sbatch hangs, the script is left unchecked
(with a note), never called refused.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from scriptkeeper.rules import fact_kinds

# The parser, model and judge are imported where a check needs them: ``scan`` imports
# this module for its options and errors whether or not --sbatch-check is given.
if TYPE_CHECKING:
    from scriptkeeper.records import Finding, ScriptResult
    from scriptkeeper.rules.config import Config

RULE = "sbatch-refuses"
# the fact kind made here (a refusal), reported by the rule of the same name
FACTS = fact_kinds.declare(__name__, RULE)
DEFAULT_JOBS = 4
DEFAULT_TIMEOUT = 30.0

# The offline rules that mean "sbatch or the controller refuses this script".
# directive-after-command is an error for another reason: sbatch accepts the
# script and silently drops the directive.
REFUSAL_RULES = frozenset({
    "missing-shebang", "dos-line-endings", "empty-script", "nul-byte", "unknown-option",
    "invalid-directive", "invalid-value", "conflicting-options", "request-exceeds-node",
    "unknown-partition",
})

# sbatch's messages that say nothing about the script: the controller could
# not be asked, or not now (the communication and transient error strings of
# SLURM's slurm_errno.c, and the client's own configuration/auth failures).
# Such an answer leaves the script unchecked: it is never called refused.
_NOT_A_VERDICT = re.compile("|".join(re.escape(phrase) for phrase in (
    "Unable to contact slurm controller", "Communication connection failure",
    "Message send failure", "Message receive failure", "Communication shutdown failure",
    "Unexpected message received", "Incompatible versions of client and server code",
    "I/O stream version number error", "Protocol authentication error",
    "Insane message length", "Can't find an address", "Unexpected missing socket error",
    "Unable to process incoming", "Unable to process outgoing", "Read would block",
    "Write would block", "Connection rejected by handler", "Connection forced closed",
    "Connection timed out", "Kernel reported delayed socket error",
    "Process is shutting down", "Rate limit exceeded", "backup controller in standby mode",
    "Socket timed out", "Zero Bytes were transmitted", "Connection refused",
    "temporarily unable to accept", "MaxJobCount limit reached", "Slurm internal error",
    "Invalid authentication credential", "auth/munge", "munge",
    "Could not open slurm configuration file", "Unable to process configuration file",
    "Unable to establish controller", "Unable to resolve",
)), re.IGNORECASE)

_ACCEPTED = re.compile(r"to start at \S+ using (\d+) processors on nodes (\S+) in partition (\S+)")
_PREFIX = re.compile(r"^sbatch: (?:error: |fatal: )?")
_OPTION = re.compile(r"--([a-z][a-z-]*[a-z])")


class SbatchUnavailable(Exception):
    """sbatch is missing, or no script could be checked (message says why)."""


@dataclass(frozen=True)
class SbatchOptions:
    """How to run the check: pass-through options, parallelism, time limit."""

    partition: str | None = None
    account: str | None = None
    jobs: int = DEFAULT_JOBS
    timeout: float = DEFAULT_TIMEOUT
    sbatch: str | None = None  # path of sbatch; found on PATH when None

    def overrides(self) -> dict[str, str]:
        """The command-line options sbatch gets, as option name -> value."""
        chosen = {"partition": self.partition, "account": self.account}
        return {k: v for k, v in chosen.items() if v is not None}


@dataclass(frozen=True)
class Outcome:
    """sbatch's answer for one script."""

    status: str  # "accepted", "refused" or "unchecked"
    message: str
    returncode: int | None = None


@dataclass
class CheckSummary:
    """What the check found over a whole scan, for the command's closing line."""

    accepted: int = 0
    refused: int = 0
    unchecked: int = 0
    disagree: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = (f"sbatch --test-only: {self.accepted} accepted, {self.refused} refused, "
                f"{self.unchecked} not checked")
        if self.disagree:
            shown = ", ".join(self.disagree[:5]) + (" ..." if len(self.disagree) > 5 else "")
            text += (f"; scriptkeeper's offline verdict and the cluster disagree on "
                     f"{len(self.disagree)} script(s): {shown}")
        else:
            text += "; the offline verdicts agree with the cluster"
        return text


def find_sbatch() -> str | None:
    return shutil.which("sbatch")


def _environment() -> dict[str, str]:
    """The environment without SBATCH_* and SLURM_* variables (SLURM_CONF kept).

    sbatch takes defaults from SBATCH_* variables, and inside a job from
    SLURM_* ones: the check is about the script, so neither may change it.
    """
    return {k: v for k, v in os.environ.items()
            if k == "SLURM_CONF" or not k.startswith(("SBATCH_", "SLURM_"))}


def command(sbatch: str, script: Path, options: SbatchOptions) -> list[str]:
    """The sbatch command line for one script (always ``--test-only``)."""
    argv = [sbatch, "--test-only"]
    argv.extend(f"--{name}={value}" for name, value in options.overrides().items())
    argv.append(str(script.resolve()))
    return argv


def message_of(stdout: str, stderr: str) -> str:
    """sbatch's own words, one line, without the ``sbatch: error:`` prefixes."""
    lines = [_PREFIX.sub("", ln.strip()) for ln in (stderr + "\n" + stdout).splitlines()]
    seen: list[str] = []
    for line in lines:
        if line and line not in seen:
            seen.append(line)
    return "; ".join(seen) or "(sbatch printed nothing)"


def run_one(script: Path, options: SbatchOptions, sbatch: str) -> Outcome:
    """``sbatch --test-only`` on one script; nothing is ever queued."""
    argv = command(sbatch, script, options)
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=options.timeout,
                              check=False, stdin=subprocess.DEVNULL, env=_environment(),
                              cwd=script.resolve().parent)
    except subprocess.TimeoutExpired:
        return Outcome("unchecked", f"sbatch did not answer within {options.timeout:g} s")
    except OSError as error:
        return Outcome("unchecked", f"cannot run sbatch: {error.strerror}")
    said = message_of(proc.stdout, proc.stderr)
    if proc.returncode == 0:
        return Outcome("accepted", said, 0)
    if _NOT_A_VERDICT.search(said):
        return Outcome("unchecked", said, proc.returncode)
    return Outcome("refused", said, proc.returncode)


def run_all(scripts: Sequence[Path], options: SbatchOptions) -> list[Outcome]:
    """Every script through sbatch, at most ``options.jobs`` at a time, in order."""
    sbatch = options.sbatch or find_sbatch()
    if sbatch is None:
        raise SbatchUnavailable("--sbatch-check needs sbatch, which is not on PATH: run it on "
                                "a machine that can submit to the cluster")
    if not scripts:
        return []
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, min(options.jobs, len(scripts)))) as pool:
        return list(pool.map(lambda s: run_one(s, options, sbatch), scripts))


def _refusal_line(result: ScriptResult, message: str) -> int:
    """The directive sbatch's message points at, else the first resource request."""
    job = result.job
    if job is None:
        return 1
    named = [job.lines[name] for name in _OPTION.findall(message) if name in job.lines]
    if named:  # e.g. "--mem, --mem-per-cpu ... mutually exclusive": the later one, as judge does
        return max(named)
    if "partition" in message.lower() and "partition" in job.lines:
        return job.lines["partition"]
    if "node configuration" in message and job.exceeds:
        return job.exceeds_line
    requests = [job.lines[o] for o in ("nodes", "ntasks", "ntasks-per-node", "cpus-per-task",
                                       "mem", "mem-per-cpu", "mem-per-gpu", "gres", "gpus",
                                       "gpus-per-node", "gpus-per-task", "partition")
                if o in job.lines]
    if requests:
        return min(requests)
    return min(job.lines.values(), default=1)


def offline_refusals(result: ScriptResult, config: Config,
                     overrides: Mapping[str, str]) -> list[str]:
    """The offline rules that predict sbatch refuses the script as it will be submitted.

    Without a ``--partition`` override these are the script's own findings;
    with one, the model is rebuilt with the option added after the script's
    directives (the command line wins over ``#SBATCH``, as in sbatch).
    """
    if "partition" not in overrides:
        return sorted({f.rule for f in result.findings if f.rule in REFUSAL_RULES})
    from scriptkeeper.model import build as model
    from scriptkeeper.parse import header
    from scriptkeeper.parse.directive import Directive
    from scriptkeeper.pipeline import analyze
    from scriptkeeper.rules import engine, suppress

    parsed = header.parse(result.data, config.slurm_version, config.plugin_options)
    facts = analyze.parse_facts(parsed)
    parsed.directives.append(Directive(
        option="partition", value=overrides["partition"], line=0,
        written=f"--partition={overrides['partition']}"))
    name = result.path.rsplit("/", 1)[-1]
    job = model.build(parsed, name, config.cluster)
    only = replace(config, rules={n: r for n, r in config.rules.items() if n in REFUSAL_RULES})
    findings = engine.judge(only, facts, job, [], model.ScriptInfo(result.path, name))
    findings = suppress.apply(findings, suppress.read(parsed.lines))
    return sorted({f.rule for f in findings})


_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def _order(finding: Finding) -> tuple[int, int, str]:
    """The order judge gives findings: by line, then severity, then rule."""
    return finding.line, _SEVERITY_ORDER.get(finding.severity, 3), finding.rule


def _accepted_text(message: str) -> str:
    match = _ACCEPTED.search(message)
    if match:
        return (f"it would start using {match.group(1)} processors on nodes {match.group(2)} "
                f"in partition {match.group(3)}")
    return message


def _passed(options: SbatchOptions) -> str:
    given = options.overrides()
    if not given:
        return ""
    return " (with " + " ".join(f"--{k}={v}" for k, v in given.items()) + ")"


def record(result: ScriptResult, outcome: Outcome, config: Config, options: SbatchOptions,
           summary: CheckSummary) -> None:
    """Add sbatch's verdict on one script to its result: finding, notes, verdict."""
    passed = _passed(options)
    if outcome.status == "unchecked":
        summary.unchecked += 1
        result.notes.append(f"sbatch --test-only could not judge this script{passed}: "
                            f"{outcome.message}")
        return
    predicted = offline_refusals(result, config, options.overrides())
    if outcome.status == "refused":
        from scriptkeeper.model.build import ScriptInfo
        from scriptkeeper.parse import header
        from scriptkeeper.records import Fact
        from scriptkeeper.rules import engine, suppress

        summary.refused += 1
        fact = Fact(RULE, _refusal_line(result, outcome.message),
                    f"sbatch --test-only refuses the job{passed}: {outcome.message}",
                    "change the request so that the cluster accepts it; 'sbatch --test-only "
                    "SCRIPT' shows the controller's answer")
        rule = config.rules.get(RULE)
        if rule is not None and rule.enabled:
            only = replace(config, rules={RULE: rule})
            name = result.path.rsplit("/", 1)[-1]
            added = engine.judge(only, [fact], result.job, [], ScriptInfo(result.path, name))
            lines = header.decode(result.data).split("\n")
            added = suppress.apply(added, suppress.read(lines))
            result.findings = sorted(result.findings + added, key=_order)
        if not predicted:
            summary.disagree.append(result.path)
            result.notes.append(
                f"the cluster refuses this job{passed} but scriptkeeper's offline checks "
                f"predicted sbatch would accept it (sbatch: {outcome.message}); if the cluster "
                f"profile in rules.yaml is out of date, run 'scriptkeeper profile import "
                f"--from-scontrol'")
    else:
        summary.accepted += 1
        if predicted:
            summary.disagree.append(result.path)
            result.notes.append(
                f"scriptkeeper's offline rule(s) {', '.join(predicted)} predict that SLURM "
                f"refuses this job, but sbatch --test-only accepted it{passed}: "
                f"{_accepted_text(outcome.message)}")
    if result.broken:
        result.verdict = "broken"
        result.redundant_of = None


def apply(results: list[ScriptResult], root: Path, config: Config,
          options: SbatchOptions) -> CheckSummary:
    """Check every script of a scan with the cluster and record the verdicts (in place)."""
    outcomes = run_all([root / r.path for r in results], options)
    summary = CheckSummary()
    for result, outcome in zip(results, outcomes, strict=True):
        record(result, outcome, config, options, summary)
    if results and summary.unchecked == len(results):
        raise SbatchUnavailable(f"sbatch could not check any script: "
                                f"{outcomes[0].message}")
    return summary
