"""Body analysis: the launch steps of a job script and their facts (model stage).

The body (from the first command on) is walked once with tree-sitter-bash
(:mod:`scriptkeeper.body.shell`), starting from the variables SLURM gives the batch
shell of this job. Each command is read down to its launcher and entry point
(:mod:`scriptkeeper.body.launchers`), ``bash -c`` strings are walked in the shell
they run in (the batch shell, or each srun task), and every launch line
becomes a :class:`~scriptkeeper.model.build.LaunchStep` with what SLURM gives it
(:mod:`scriptkeeper.body.srun`), what the entry point is and uses
(:mod:`scriptkeeper.body.entrypoints`, :mod:`scriptkeeper.body.framework_pins`), and what the
launcher will do with that layout. The rules in rules.yaml judge the steps;
this module only establishes facts (and the ``shell-syntax-error`` and
``missing-entrypoint`` facts). One judgement is made here, where its prose is
written: whether the task layout fits the launcher (``tasks_effect`` is set
only when it does not; ntasks-launcher-mismatch reports it).
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

from scriptkeeper.body import (
    entrypoints,
    framework_pins,
    hydra_config,
    launchers,
    log_folders,
    placeholders,
    script_dir,
    shell,
    srun,
    syntax,
    world,
)
from scriptkeeper.body.launchers import Entry, Invocation
from scriptkeeper.body.shell import UNKNOWN, Command, Env, Var
from scriptkeeper.model.build import JobModel, LaunchStep, new_frozen
from scriptkeeper.parse.header import ParsedScript
from scriptkeeper.pipeline import fsview
from scriptkeeper.records import Fact
from scriptkeeper.rules import fact_kinds
from scriptkeeper.rules.config import Config

# the fact kinds made here; the import checks them against fact_kinds.KINDS, which
# rules.yaml loading reads without importing this module
FACTS = fact_kinds.declare(__name__, "missing-entrypoint")

_LIGHTNING = frozenset({"lightning", "pytorch_lightning", "fabric"})
_GPU_OPTIONS = frozenset({"gres", "gpus", "gpus-per-node", "gpus-per-task"})
# commands run under srun that use no GPU (node listing, staging)
_UTILITIES = frozenset({"hostname", "echo", "true", "sleep", "mkdir", "date", "env", "printenv",
                        "cat", "ls", "rm", "cp", "tar", "rsync", "touch", "df", "free",
                        "nvidia-smi", "uname", "id", "whoami", "sbcast"})
_MAX_INNER_DEPTH = 3


@dataclass
class BodyAnalysis:
    steps: list[LaunchStep] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)


def job_tasks(job: JobModel) -> tuple[int | None, int | None]:
    """SLURM_NTASKS and SLURM_NTASKS_PER_NODE of the batch environment.

    ``--tasks-per-node`` is sbatch's other name for ``--ntasks-per-node``.
    """
    per_node = job.ntasks_per_node
    ntasks = job.ntasks
    alias = shell.as_int(job.options.get("tasks-per-node"))
    if per_node is None and alias and "ntasks-per-node" not in job.options:
        per_node = alias
        if ntasks is None and job.nodes == job.nodes_max:
            ntasks = alias * job.nodes
    return ntasks, per_node


def batch_env(job: JobModel) -> Env:
    """The SLURM variables the batch shell of this job starts with."""
    nodes = job.nodes if job.nodes == job.nodes_max else None
    gpus = job.gpus_per_node if job.gpu_request else None
    cpus = job.cpus_per_task if "cpus-per-task" in job.options else None
    ntasks, per_node = job_tasks(job)
    env = dict(_batch_env(ntasks, per_node, nodes, gpus,
                          job.options.get("gpus-per-node"), cpus))
    env["SLURM_JOB_NAME"] = Var(job.name, exported=True)
    return env


@functools.lru_cache(maxsize=512)
def _batch_env(ntasks: int | None, per_node: int | None, nodes: int | None,
               gpus: int | None, gpus_per_node_option: str | None, cpus: int | None) -> Env:
    values: dict[str, str | None] = {
        "SLURM_PROCID": "0", "SLURM_NODEID": "0", "SLURM_LOCALID": "0",
    }
    absent: list[str] = []
    if ntasks is not None:
        values["SLURM_NTASKS"] = values["SLURM_NPROCS"] = str(ntasks)
    else:
        absent += ["SLURM_NTASKS", "SLURM_NPROCS"]
    if per_node is not None:
        values["SLURM_NTASKS_PER_NODE"] = str(per_node)
    else:
        absent.append("SLURM_NTASKS_PER_NODE")
    values["SLURM_NNODES"] = values["SLURM_JOB_NUM_NODES"] = None if nodes is None \
        else str(nodes)
    if gpus is not None:
        values["SLURM_GPUS_ON_NODE"] = str(gpus)
        values["CUDA_VISIBLE_DEVICES"] = _device_list(gpus)
    else:
        absent += ["SLURM_GPUS_ON_NODE"]
    if gpus_per_node_option is not None:
        values["SLURM_GPUS_PER_NODE"] = gpus_per_node_option
    if cpus is not None:
        values["SLURM_CPUS_PER_TASK"] = str(cpus)
    env = shell.initial_env(values)
    env.update(shell.absent(absent))
    return env


def _task_env(outer: Env, lay: srun.Layout) -> Env:
    """What a command inside ``srun bash -c '...'`` sees: exported variables and the step's."""
    env: Env = {k: v for k, v in outer.items() if v.exported}
    for name in shell.RANK_VARIABLES:
        env.pop(name, None)  # each task has its own: unknown here, and not expanded early
    for name, value in (("SLURM_NTASKS", lay.slurm_ntasks), ("SLURM_NPROCS", lay.slurm_ntasks),
                        ("SLURM_NTASKS_PER_NODE", lay.slurm_ntasks_per_node),
                        ("SLURM_NNODES", lay.nodes), ("SLURM_JOB_NUM_NODES", lay.nodes)):
        env[name] = Var(None if value is None else str(value), exported=True) if value != 0 \
            else Var("", exported=True, is_set=False)
    if lay.gpus_visible is not None and lay.gpus_visible > 0:
        env["CUDA_VISIBLE_DEVICES"] = Var(None if lay.gpu_isolated else _device_list(
            lay.gpus_visible), exported=True)
    return env


# no node has more GPUs: past this the list is unknown, not spelled out (a script may
# ask for 10^19 GPUs, which sbatch accepts and the analysis must not build)
LISTED_GPUS_MAX = 4096


def _device_list(gpus: int) -> str | None:
    """The CUDA_VISIBLE_DEVICES SLURM sets for ``gpus`` GPUs, or None (unknown) past the bound."""
    return ",".join(str(i) for i in range(gpus)) if gpus <= LISTED_GPUS_MAX else None


@functools.lru_cache(maxsize=1024)
def _bases(base: str | None, root: str, script_folder: str) -> tuple[str, ...]:
    """The folders relative paths may start from: the configured base, the root, the script's.

    ``script_folder`` is the folder of the script's path (relative to ``root``, or
    absolute), with or without a trailing '/': kept per folder, not per script. Once
    normalised, root joined to it is the folder of root joined to the script's path.
    """
    script_dir = os.path.join(root, script_folder)
    bases = [b for b in (base, root, script_dir) if b is not None]
    return tuple(dict.fromkeys(os.path.normpath(b) for b in bases))


# the launcher option an early-expanded node rank goes to, per launcher
_NODE_RANK_OPTION = {"torchrun": "node_rank", "accelerate": "machine_rank"}


def _rank_ignored(inv: Invocation, env: Env) -> bool:
    """Whether torchrun (or accelerate, through it) ignores the node rank it is given.

    Only the static rendezvous (torchrun's default) takes ``--node_rank`` as the agent's
    rank; c10d, etcd and --standalone rank agents in the order they join, so an early
    expanded ``--node_rank $SLURM_PROCID`` (all 0) does no harm: docs/launch-contracts.md §3.6.
    A rank variable that may also be in the training script's arguments still counts.
    """
    option = _NODE_RANK_OPTION.get(inv.launcher)
    if option is None or option not in inv.options:
        return False
    var = env.get("PET_RDZV_BACKEND")
    backend = inv.options.get("rdzv_backend") or (var.value if var is not None else None)
    if "standalone" in inv.options:
        backend = "c10d"
    if backend is None or UNKNOWN in backend or backend == "static":
        return False
    # the per-task variables are 0 in the batch shell: a 0 among the arguments may be one
    return not any(w == "0" or w.endswith("=0") for w in inv.args)


def _fill(step: LaunchStep, **values: object) -> LaunchStep:
    """Set facts on a step this module is still building; it is frozen once returned.

    (``dataclasses.replace`` would copy all of LaunchStep's fields each time: it was
    most of the body analysis' time.)
    """
    step.__dict__.update(values)  # what object.__setattr__ would do for each (plain fields)
    return step


def _short(words: list[str], limit: int = 3) -> str:
    shown = [w.replace(UNKNOWN, "$?") for w in words[:limit]]
    text = " ".join(shown)
    return text + (" ..." if len(words) > limit else "")


class _Analysis:
    def __init__(self, parsed: ParsedScript, job: JobModel, root: Path, script_path: str,
                 config: Config) -> None:
        self.parsed = parsed
        self.job = job
        self.root = root
        self.config = config
        self.release = config.slurm_version
        base = str(config.base) if config.base is not None else None
        # the path up to its last '/' (os.path.dirname less its clean-up, which _bases
        # does anyway with normpath)
        self.bases = _bases(base, str(root), script_path[:script_path.rfind("/") + 1])
        # `cd $HOME/<name of this repository>` enters a checkout of it (§4.1)
        self.checkouts = frozenset(shell.checkout_name(b) for b in (base, str(root)) if b)
        self.steps: list[LaunchStep] = []
        self.facts: list[Fact] = []
        self.opaque = False  # a command ran whose launches cannot be seen
        self.ignored_gpu: tuple[int, str] | None = None
        for d in parsed.ignored:
            if d.option in _GPU_OPTIONS:
                self.ignored_gpu = (d.line, f"#SBATCH {d.written}".strip())
                break

    # --- sourcing repository files -------------------------------------------------
    def read_source(self, path: str, cwd: str | None) -> tuple[str, bytes] | None:
        if UNKNOWN in path or path.startswith(("/", "~")):
            return None
        for base in self.bases:
            candidate = os.path.join(base, cwd or "", path)
            try:
                if os.path.isfile(candidate) and os.path.getsize(candidate) < 1_000_000:
                    with open(candidate, "rb") as handle:
                        return candidate, handle.read()
            except OSError:
                continue
        return None

    # --- walking -------------------------------------------------------------------
    def run(self) -> BodyAnalysis:
        start = self.parsed.body_start
        lines = self.parsed.lines[start:]
        if not lines:
            return BodyAnalysis()
        first = self.parsed.lines[0] if self.parsed.lines else ""
        if not syntax.is_shell(first):
            return BodyAnalysis()
        body = "\n".join(lines) + "\n"
        walk = shell.walk(body, batch_env(self.job), line_offset=start,
                          source_reader=self.read_source, checkouts=self.checkouts)
        self.opaque = self.opaque or bool(walk.opaque)
        if walk.has_error:
            self.facts.extend(syntax.facts(self.parsed.text, first))
        for command in walk.commands:
            self.command(command, None, 0)
        self.finish()
        return BodyAnalysis(self.steps, self.facts)

    def command(self, command: Command, outer: tuple[Invocation, srun.Layout] | None,
                depth: int) -> None:
        inside = outer is not None
        inv = launchers.classify(command.argv, command.wild, self.release, inside_srun=inside)
        words = inv.srun.command if inv.srun is not None else inv.argv
        raw = self.parsed.lines[command.line - 1] if 0 < command.line <= len(
            self.parsed.lines) else ""
        if "<" in raw or any("/to/" in w or "our" in w or "OUR" in w for w in words):  # cheap
            self.facts.extend(placeholders.facts(inv, words, command.line, self.bases, raw))
        if inv.runs_shell_file is not None and inv.inner_script is None and \
                inv.launcher == "other" and depth < _MAX_INNER_DEPTH:
            # `srun bash run.sh`: the repository's run.sh is read like a `bash -c` string
            found = self.read_source(inv.runs_shell_file, command.cwd)
            if found is not None and b"\0" not in found[1]:
                inv = dataclasses.replace(inv, inner_script=found[1].decode("utf-8", "replace"),
                                          inner_args=list(inv.args), runs_shell_file=None)
        if inv.inner_script is None and inv.launcher == "other" and (
                inv.srun is None or inside):
            # `$CMD ...` with CMD unknown, `bash run.sh`: what it starts is not seen (not 0)
            if inv.unknown or UNKNOWN in inv.program or inv.runs_shell_file is not None:
                self.opaque = True
            return  # launches nothing the rules judge (asked before the copy below)
        if outer is not None:  # classify's answer is shared: change a copy
            inv = dataclasses.replace(inv, srun=outer[0].srun)
        lay = outer[1] if outer is not None else self.layout(inv, command)
        if inv.inner_script is not None:
            self.inner(inv, command, lay, depth)
            return
        self.steps.append(self.step(inv, command, lay))

    def finish(self) -> None:
        """Script-wide facts each step carries for the rules: GPU use and where to ask for GPUs."""
        used = [s.gpus_used for s in self.steps]
        known = [u for u in used if u is not None]
        # a command that may launch what the walk cannot read makes the count unknown
        most = max(known) if known and len(known) == len(used) and not self.opaque else None
        gpu_steps = [s for s in self.steps if s.uses_gpu]
        evidence = gpu_steps[0].gpu_evidence if gpu_steps else ""
        line = 0
        if gpu_steps:
            first = gpu_steps[0]
            line = first.cvd_line if first.gpu_evidence.startswith("CUDA_VISIBLE_DEVICES") \
                else first.line
        ignored = ""
        if self.ignored_gpu is not None:
            line, ignored = self.ignored_gpu
        wanted = max((_gpus_wanted(s, self.job) or 0 for s in gpu_steps), default=0)
        for s in self.steps:
            _fill(s, script_gpus_used=most, script_gpu_evidence=evidence,
                  gpu_request_line=line or s.line, gpu_request_ignored=ignored,
                  gpus_wanted=wanted or None)
        if len(self.facts) < 2:
            return  # nothing to repeat
        seen: set[tuple[str, int, str]] = set()
        unique = []
        for fact in self.facts:
            key = (fact.kind, fact.line, fact.detail)
            if key not in seen:
                seen.add(key)
                unique.append(fact)
        self.facts = unique

    def layout(self, inv: Invocation, command: Command) -> srun.Layout:
        options = inv.srun.options if inv.srun is not None else None
        unknown = inv.srun.unknown if inv.srun is not None else False
        return srun.layout(self.job, command.env, options, unknown, self.config.cluster)

    def inner(self, inv: Invocation, command: Command, lay: srun.Layout, depth: int) -> None:
        script = inv.inner_script or ""
        if depth >= _MAX_INNER_DEPTH or not script.strip():
            return
        if inv.srun is not None:
            env = _task_env(command.env, lay)
        else:
            env = {k: v for k, v in command.env.items() if v.exported}
        for key, value in inv.env.items():
            env[key] = Var(value, exported=True,
                           line=command.line)
        positional = None if any(UNKNOWN in a for a in inv.inner_args) else list(inv.inner_args)
        walk = shell.walk(script, env, line_offset=command.line - 1, cwd=command.cwd,
                          positional=positional, checkouts=self.checkouts)
        self.opaque = self.opaque or bool(walk.opaque)
        outer = (inv, lay) if inv.srun is not None else None
        for inner in walk.commands:
            inner.line = inner.end_line = command.line
            inner.end_line = command.end_line
            inner.produced = command.produced | inner.produced
            inner.files_unknown = command.files_unknown or inner.files_unknown
            # per-task variables expanded by the batch shell on the srun line
            if command.rank_vars and not inner.rank_vars:
                inner.rank_vars = command.rank_vars
            self.command(inner, outer, depth + 1)

    # --- one step ------------------------------------------------------------------
    def step(self, inv: Invocation, command: Command, lay: srun.Layout) -> LaunchStep:
        job = self.job
        cwd = command.cwd
        if inv.srun is not None and "chdir" in inv.srun.options:
            cwd = shell._chdir(cwd, inv.srun.options["chdir"], self.checkouts) \
                if cwd is not None else None
        words = inv.srun.command if inv.srun is not None else inv.argv
        tasks_line, tasks_option = self.tasks_source(inv, command)
        # the script's own CUDA_VISIBLE_DEVICES (the batch shell's, or the task's); the
        # command's variables are only read, so copied only for `env NAME=VALUE` wrappers
        env = command.env
        if inv.env:
            env = dict(env)
            for key, value in inv.env.items():
                env[key] = Var(value, exported=True,
                               line=command.line)
        cvd = srun.user_cvd(env)
        # what is known before the entry point is read goes in at once (each later _fill
        # is a call and a dict update)
        visible = lay.gpus_visible
        cvd_count: int | None = None
        cvd_line, cvd_value = 0, ""
        if cvd is not None:
            cvd_count, cvd_line, value = cvd
            cvd_value = value.replace(UNKNOWN, "$?")
            if inv.srun is not None and command.env is not None and \
                    _set_inside_task(command, env):
                visible = cvd_count if cvd_count is not None and (
                    visible is None or cvd_count <= visible) else None
        step = new_frozen(
            LaunchStep, line=command.line, end_line=command.end_line,
            text=command.text.partition("\n")[0][:200],
            srun=inv.srun is not None,
            srun_options=dict(inv.srun.options) if inv.srun is not None else {},
            launcher=inv.launcher, command=_short(words, 3),
            tasks_per_node=lay.tasks_per_node, tasks_total=lay.tasks_total, nodes=lay.nodes,
            slurm_ntasks=lay.slurm_ntasks, slurm_ntasks_per_node=lay.slurm_ntasks_per_node,
            slurm_nnodes=lay.slurm_nnodes, job_name=lay.job_name,
            gpus_visible=visible, gpu_isolated=lay.gpu_isolated,
            isolation_option=lay.isolation_option, in_background=command.background,
            tasks_line=tasks_line, tasks_option=tasks_option,
            isolation_line=self.isolation_line(inv, command) if lay.gpu_isolated else 0,
            cvd_count=cvd_count, cvd_line=cvd_line, cvd_value=cvd_value,
            # rank variables the batch shell expands into the srun line
            early_rank_var=command.rank_vars[0] if inv.srun is not None and
            command.rank_vars and not _rank_ignored(inv, command.env) else None,
        )
        step = self.entry(step, inv, command, cwd)
        step = self.processes(step, inv)
        why = self.evidence(step, inv, env, cvd)
        step = self.lightning(step, inv)
        effect, fix, layout = _effect(step, job, bool(why))  # set with the evidence: one _fill
        step = _fill(step, gpu_evidence=why, uses_gpu=bool(why), gpus_used=_gpus_used(step, job),
                     tasks_effect=effect, tasks_fix=fix, fix_tasks_per_node=layout[0],
                     fix_drop_ntasks=layout[1], fix_gpus_per_node=layout[2])
        return _fill(step, **world.world_fields(step))

    def tasks_source(self, inv: Invocation, command: Command) -> tuple[int, str]:
        """The line and option that set the task layout: srun's own, else the directive."""
        job = self.job
        if inv.launcher == "mpirun":
            return command.line, f"`mpirun -np {inv.options.get('np') or inv.options.get('n')}`"
        if inv.srun is not None:
            for name in ("ntasks", "ntasks-per-node", "tasks-per-node", "nodes"):
                if name in inv.srun.options:
                    return command.line, f"`srun --{name}={inv.srun.options[name]}`"
        for name in ("ntasks", "ntasks-per-node", "tasks-per-node"):
            if name in job.lines:
                return job.lines[name], f"`--{name}={job.options.get(name)}`"
        if inv.srun is not None:
            return command.line, "srun with no task option (one task per node)"
        return command.line, ""

    def isolation_line(self, inv: Invocation, command: Command) -> int:
        if inv.srun is not None and any(o in inv.srun.options for o in (
                "gpus-per-task", "gpu-bind")):
            return command.line
        for name in ("gpus-per-task", "gpu-bind", "ntasks-per-gpu"):
            if name in self.job.lines:
                return self.job.lines[name]
        return command.line

    def entry(self, step: LaunchStep, inv: Invocation, command: Command, cwd: str | None
              ) -> LaunchStep:
        entry = inv.entry
        if entry is None:
            return step
        shown = entry.target.replace(UNKNOWN, "$?")
        located = entrypoints.locate(entry, self.bases, cwd, self.root, command.produced,
                                     command.files_unknown)
        if located.exists is False:
            self.missing(step, inv, entry, located)
        if located.path is None:
            copy = entrypoints.vendored(entry, self.root, cwd)
            if copy is None:
                guessed = self.pinned_trainer(inv)
                if guessed is not None:
                    return _fill(step, entry=shown, entry_exists=located.exists,
                                 extra=guessed[1], **guessed[0])
                return _fill(step, entry=shown, entry_exists=located.exists)
            fields, extra = _entry_fields(copy.path, copy.shown, None,
                                          inv.launcher == "python", self.root, self.bases,
                                          tuple(self.config.frameworks.items()))
            evidence = (f"inferred: `{copy.written}` is outside the repository, read as its "
                        f"copy {copy.shown} here; check that the two match")
            return _fill(step, entry=shown, entry_exists=None, extra=dict(extra),
                         entry_inferred=True, entry_evidence=evidence, **fields)
        fields, extra = _entry_fields(located.path, located.shown, cwd,
                                      inv.launcher == "python", self.root, self.bases,
                                      tuple(self.config.frameworks.items()))
        if cwd is None and not entry.target.startswith("/"):
            # after a cd the analysis cannot follow, the relative path may name another
            # checkout's file: this repository's is only the likeliest reading (§4.1)
            fields = dict(fields, entry_inferred=True, entry_evidence=(
                f"inferred: the script changes to a folder outside the repository before this "
                f"line; read as this repository's {located.shown}; check that it is the same"))
        return _fill(step, entry=located.shown or shown, entry_exists=located.exists,
                     extra=dict(extra), **fields)

    def pinned_trainer(self, inv: Invocation) -> tuple[dict[str, object], dict[str, object]] | None:
        """A Lightning Trainer inferred without its code: the repository pins Lightning and
        the launch line sets Trainer arguments the Hydra way (``trainer.params.devices=8``).

        The weakest evidence: the step is marked inferred, so only the rules whose
        consequence holds for any Lightning run keep their severity (rules.yaml
        ``inferred_severity``). Arguments the line does not set are Lightning's defaults
        for ``devices`` ("auto") and unknown for the rest.
        """
        if inv.launcher != "python" or _multirun(inv.args):
            return None
        overrides = [o for o in hydra_config.parse_overrides(inv.args)
                     if o.key.startswith("trainer.") or ".trainer." in o.key]
        if not overrides:
            return None
        pin = None
        framework = ""
        for name in ("pytorch_lightning", "lightning"):
            pin = framework_pins.find(name, _pin_folders(str(self.root), self.bases), self.root,
                                      dict(self.config.frameworks))
            if pin is not None:
                framework = name
                break
        given = {o.key.rsplit(".", 1)[1]: o for o in overrides if o.prefix != "~"}
        named_all = {o.key.rsplit(".", 1)[1] for o in overrides}
        if pin is None and not _LIGHTNING_ARGUMENTS & named_all:
            return None
        parents = {o.key.rsplit(".", 1)[0] for o in overrides}

        def value(name: str) -> object:
            item = given.get(name)
            return hydra_config.UNKNOWN_VALUE if item is None or item.value is None else \
                hydra_config._value(item.value)

        nodes = value("num_nodes")
        strategy = value("strategy")
        accelerator = value("accelerator") if "accelerator" in given else "auto"
        trainer = entrypoints.TrainerArgs(
            "Trainer", 0,
            _config_devices(value("devices") if "devices" in given else None, None),
            accelerator.lower() if isinstance(accelerator, str) else None,
            nodes if isinstance(nodes, int) and not isinstance(nodes, bool) else None,
            strategy.lower() if isinstance(strategy, str) else None)
        keys = ", ".join(sorted(f"`{p}.*`" for p in parents))
        fields: dict[str, object]
        if pin is not None:
            where = f"{pin.text} in {pin.source}"
            shown = ".".join(str(n) for n in pin.version if n != 999)
            label = shown if pin.exact else f"{shown}.x"
            evidence = (f"inferred without the entry point's code: the repository pins {where} "
                        f"and the launch line sets {keys}; check that it builds a Lightning "
                        f"Trainer from them")
            fields = {"framework": framework, "version": pin.version,
                      "framework_version": label, "version_text": f"{label} ({where})"}
        else:
            named = ", ".join(sorted(_LIGHTNING_ARGUMENTS & named_all))
            evidence = (f"inferred without the entry point's code or a pin: the launch line sets "
                        f"{keys} with Lightning Trainer arguments ({named}); check that it "
                        f"builds a Lightning Trainer from them")
            current = framework_pins.CURRENT["lightning"]
            label = f"{current[0]}.x"
            fields = {"framework": "lightning", "version": current, "framework_version": label,
                      "framework_version_assumed": True,
                      "version_text": f"(version not pinned: assuming the current {label} "
                                      f"release)"}
        fields.update(lightning=True, entry_inferred=True, entry_evidence=evidence)
        extra: dict[str, object] = {"trainer": trainer, "cli": False}
        if trainer.num_nodes is not None:
            extra["num_nodes_source"] = "`num_nodes` on the launch line"
        return fields, extra

    def missing(self, step: LaunchStep, inv: Invocation, entry: Entry,
                located: entrypoints.Located) -> None:
        what = f"python -m {entry.target}" if entry.kind == "module" else \
            f"{inv.program} {entry.target}"
        folder = located.folder.rstrip("/") + "/"
        suggestion = ""
        name = entry.target.rsplit("/", 1)[-1] if entry.kind == "file" else \
            entry.target.rsplit(".", 1)[-1] + ".py"
        try:
            siblings = os.listdir(self.root / located.folder) if located.folder else []
        except OSError:
            siblings = []
        close = difflib.get_close_matches(name, [s for s in siblings if s.endswith(".py")],
                                          n=1, cutoff=0.6)
        if close:
            suggestion = f" (did you mean {close[0]}?)"
        self.facts.append(Fact(
            "missing-entrypoint", step.line,
            f"`{what}` runs a file that is not in the repository: {folder} has no "
            f"{name}; the job waits in the queue, then fails at once with \"can't open file\" "
            f"(or \"No module named\")",
            f"point the line at an existing file{suggestion}, or delete the job script if "
            f"it belongs to removed code"))

    def processes(self, step: LaunchStep, inv: Invocation) -> LaunchStep:
        options = inv.options
        launcher = inv.launcher
        visible = step.gpus_visible
        tasks = step.tasks_per_node
        procs: int | None = 1
        spawns = False
        nnodes: int | None = None
        option = ""
        standalone = False
        mpi_np: int | None = None
        mpi_slots: int | None = None
        oversubscribe = False
        if launcher == "torchrun":
            spawns = True
            value = options.get("nproc_per_node")
            if "nproc_per_node" not in options:
                procs = 1
            elif value == "gpu":
                procs = visible
            elif value == "auto" or value is None:
                procs = visible if visible else None
            else:
                procs = shell.as_int(value)
            option = f"--nproc_per_node={value}" if "nproc_per_node" in options else \
                "--nproc_per_node (default 1)"
            nnodes = _min_nodes(options.get("nnodes")) if "nnodes" in options else 1
            standalone = "standalone" in options
        elif launcher == "accelerate":
            spawns = True
            configured = self.accelerate_config(options)
            machines = shell.as_int(options.get("num_machines")) if "num_machines" in options \
                else configured.get("num_machines", 1)
            total = shell.as_int(options.get("num_processes")) if "num_processes" in options \
                else configured.get("num_processes")
            nnodes = machines
            procs = -(-total // machines) if total and machines else None
            option = f"--num_processes={options.get('num_processes')}" \
                if "num_processes" in options else \
                f"num_processes: {total} in {options.get('config_file')}"
            if "num_machines" in options or machines != 1:
                option += f" over {machines} machines"
            if "cpu" in options:
                step = _fill(step, cpu_only=True)
        elif launcher == "deepspeed":
            spawns = True
            if "num_gpus" in options:
                procs = shell.as_int(options.get("num_gpus"))
                option = f"--num_gpus={options.get('num_gpus')}"
            elif any(k in options for k in ("include", "exclude", "hostfile", "H", "i", "e")):
                procs = None
            else:
                procs = visible
                option = "deepspeed (default: every visible GPU)"
            nnodes = shell.as_int(options.get("num_nodes")) if "num_nodes" in options else None
        elif launcher in ("mpirun", "horovodrun"):
            mpi_np = next((shell.as_int(options[k]) for k in ("np", "n", "c")
                           if k in options), None)
            per_node = next((shell.as_int(options[k]) for k in ("N", "npernode", "ppn")
                             if k in options), None)
            hosts = any(k in options for k in ("H", "host", "hosts", "hostfile", "machinefile",
                                               "f", "rf", "rankfile"))
            oversubscribe = "oversubscribe" in options or (
                "map-by" in options and "OVERSUBSCRIBE" in str(options.get("map-by")).upper())
            if launcher == "mpirun" and not step.srun:
                slots = self.job.ntasks if self.job.ntasks is not None else None
                mpi_slots = slots if not hosts else None
                oversubscribe = oversubscribe or hosts
            if per_node is not None:
                procs = per_node
            elif mpi_np is not None and not hosts:
                procs = -(-mpi_np // max(self.job.nodes, 1)) if launcher == "mpirun" \
                    else mpi_np
            else:
                procs = None
            spawns = launcher == "horovodrun" and not hosts
            option = f"-np {mpi_np}" if mpi_np is not None else ""
        elif launcher in ("nvidia-smi", "other"):
            procs = 1
        if inv.unknown:
            # words after an unknown one could set (or repeat) any option: no counts, no
            # defaults; what was seen stays seen (--standalone)
            procs = nnodes = mpi_np = mpi_slots = None
        per_node = None if procs is None or tasks is None else procs * tasks
        return _fill(step, procs_per_task=procs, procs_per_node=per_node, spawns=spawns,
                       launcher_nnodes=nnodes, nproc_option=option, standalone=standalone,
                       mpi_np=mpi_np, mpi_slots=mpi_slots, mpi_oversubscribe=oversubscribe)

    def accelerate_config(self, options: dict[str, str | None]) -> dict[str, int | None]:
        """num_processes and num_machines from the --config_file in the repository."""
        path = options.get("config_file")
        if not path or UNKNOWN in path or path.startswith(("/", "~")):
            return {}
        for base in self.bases:
            candidate = os.path.join(base, path)
            if os.path.isfile(candidate):
                return _accelerate_config(candidate)
        return {}

    def evidence(self, step: LaunchStep, inv: Invocation, env: Env,
                 cvd: tuple[int | None, int, str] | None) -> str:
        """Why the step needs a GPU ('' when it does not)."""
        why = step.gpu_evidence
        options = inv.options
        if not why:
            if inv.launcher == "nvidia-smi":
                why = f"nvidia-smi (line {step.line})"
            elif inv.launcher == "deepspeed" and _deepspeed_on_gpus(env):
                why = f"the deepspeed launcher (line {step.line})"
            elif inv.launcher == "accelerate" and ("multi_gpu" in options or
                                                   "gpu_ids" in options):
                why = f"accelerate launch --multi_gpu (line {step.line})"
            elif inv.launcher == "torchrun" and options.get("nproc_per_node") == "gpu":
                why = f"torchrun --nproc_per_node=gpu (line {step.line})"
            elif cvd is not None and cvd[2] not in ("", "-1"):
                why = f"CUDA_VISIBLE_DEVICES={cvd[2].replace(UNKNOWN, '$?')} (line {cvd[1]})"
        if step.cpu_only and inv.launcher not in ("nvidia-smi",) and not (
                cvd is not None and cvd[2] not in ("", "-1")):
            why = ""
        return why

    def lightning(self, step: LaunchStep, inv: Invocation) -> LaunchStep:
        if not step.lightning:
            return step
        trainer = step.extra.get("trainer")
        devices: int | None = None
        num_nodes: int | None = None
        accelerator: str | None = None
        extra_auto = False
        single = False
        nodes_source = ""
        hydra = step.extra.get("hydra")
        if isinstance(hydra, tuple) and _multirun(inv.args):
            # `-m hydra/launcher=submitit_slurm ...`: the Trainer runs in the jobs it submits
            return _fill(step, lightning=False, extra=_analysis_notes(step.extra))
        if isinstance(trainer, entrypoints.TrainerArgs) and trainer.config_key and \
                isinstance(hydra, tuple):
            trainer, nodes_source = _configured(trainer, hydra, inv.args,
                                                (str(self.root), *self.bases))
        if isinstance(trainer, entrypoints.TrainerArgs) and _spawning(trainer.strategy):
            # starts its own processes whatever SLURM says, as a literal one does (§3.2)
            return _fill(step, lightning=False, extra=_analysis_notes(step.extra))
        if isinstance(trainer, entrypoints.TrainerArgs) and trainer.num_nodes is not None and \
                not nodes_source:
            nodes_source = str(step.extra.get("num_nodes_source") or (
                f"the Trainer call (line {trainer.line})" if "num_nodes" in trainer.explicit
                else f"Lightning's default: the Trainer call (line {trainer.line}) does not "
                     f"set it"))
        if isinstance(trainer, entrypoints.TrainerArgs):
            accelerator = trainer.accelerator
            extra_auto = trainer.devices == entrypoints._ALL
            devices = _devices_used(trainer.devices, accelerator, step.gpus_visible)
            num_nodes = trainer.num_nodes
            # devices=1 on one node, strategy left to Lightning: a SingleDeviceStrategy, which
            # has no launcher and never compares devices with SLURM's tasks (§3.2)
            # (also "auto" devices that find one GPU; and a strategy or node count that
            # cannot be read may be that, so no start-up check is certain then)
            single = devices == 1 and num_nodes in (1, None) and \
                trainer.strategy in ("auto", None)
        elif step.extra.get("cli"):
            devices, accelerator = _cli_devices(inv.args, step.gpus_visible)
        extra = _analysis_notes(step.extra)
        extra["devices_auto"] = extra_auto
        version = step.version
        ntasks = step.slurm_ntasks
        detected = ntasks is not None and ntasks > 0 and step.job_name is not None and \
            step.job_name not in ("bash", "interactive")
        if detected and version is not None and version < (1, 8):
            # before 1.8 Lightning fell back to starting its own processes on a mismatch
            detected = devices is not None and num_nodes is not None and \
                ntasks == devices * num_nodes
        error = ""
        if detected and version is not None and version >= (1, 8):
            per_node = step.slurm_ntasks_per_node
            if ntasks is not None and ntasks > 1 and per_node == 0:
                error = (f"RuntimeError: You set `--ntasks={ntasks}` in your SLURM bash script, "
                         f"but this variable is not supported. HINT: Use "
                         f"`--ntasks-per-node={ntasks}` instead.")
            elif version >= (2, 1) and per_node and devices is not None and devices > 0 and \
                    per_node != devices and not single:
                error = (f"ValueError: You set `devices={devices}` in Lightning, but the number "
                         f"of tasks per node configured in SLURM `--ntasks-per-node={per_node}` "
                         f"does not match. HINT: Set `devices={per_node}`.")
            nnodes = step.slurm_nnodes
            if not error and version >= (2, 1) and num_nodes and nnodes and \
                    num_nodes != nnodes and not single:
                # checked right after the devices (docs/launch-contracts.md §3.2)
                error = (f"ValueError: You set `num_nodes={num_nodes}` in Lightning, but the "
                         f"number of nodes configured in SLURM `--nodes={nnodes}` does not "
                         f"match. HINT: Set `num_nodes={nnodes}`.")
        spawns = not detected and devices is not None and devices > 1 and \
            accelerator in ("gpu", "cuda", "auto") and not step.srun
        if spawns:
            step = _fill(step, spawns=True, procs_per_task=devices,
                           procs_per_node=devices, nproc_option=f"devices={devices}")
        return _fill(step, devices=devices, lightning_slurm=bool(detected),
                     lightning_start_error=error, lightning_single_device=single, extra=extra,
                     num_nodes=num_nodes, num_nodes_source=nodes_source)


def _configured(trainer: entrypoints.TrainerArgs, hydra: tuple[object, ...], args: list[str],
                roots: tuple[str, ...]) -> tuple[entrypoints.TrainerArgs, str]:
    """A ``Trainer(**cfg.key)`` with its arguments from the composed Hydra configuration,
    and where its num_nodes comes from (for messages)."""
    config_dir, name, shown_dir = (str(hydra[0]), hydra[1], str(hydra[2]))
    key = trainer.config_key or ""
    composed = hydra_config.compose(config_dir, name if isinstance(name, str) else None, key,
                                    hydra_config.parse_overrides(args), roots)
    if composed.problem and not composed.values:
        return trainer, ""
    target = composed.values.get("_target_")
    if trainer.instantiated and not (isinstance(target, str) and target.endswith("Trainer")):
        return dataclasses.replace(trainer, strategy="auto", config_key=None), ""
    explicit = set(trainer.explicit)

    def pick(option: str, current: object) -> object:
        return current if option in explicit else composed.get(option)

    devices = trainer.devices if "devices" in explicit else _config_devices(
        composed.get("devices"), composed.get("gpus"))
    accelerator = pick("accelerator", trainer.accelerator)
    if accelerator is None and "accelerator" not in explicit:
        accelerator = "gpu" if composed.get("gpus") not in (None, 0) else "auto"
    num_nodes = pick("num_nodes", trainer.num_nodes)
    if num_nodes is None and "num_nodes" not in explicit:
        num_nodes = 1
    strategy = pick("strategy", trainer.strategy)
    if strategy is None and "strategy" not in explicit:
        strategy = "auto"
    if isinstance(strategy, dict):
        strategy = str(strategy.get("_target_", "")).lower() or None
    source = ""
    if "num_nodes" in explicit:
        source = f"the Trainer call (line {trainer.line})"
    elif "num_nodes" in composed.sources:
        source = f"`{key}.num_nodes` on the launch line"
    elif "num_nodes" in composed.values:
        source = f"`{key}.num_nodes` in the configs of {shown_dir}"
    elif num_nodes == 1:
        source = f"Lightning's default: neither the configs of {shown_dir} nor the launch line " \
                 f"set `{key}.num_nodes`"
    return dataclasses.replace(
        trainer,
        devices=devices,
        accelerator=accelerator.lower() if isinstance(accelerator, str) else None,
        num_nodes=num_nodes if isinstance(num_nodes, int) and not isinstance(num_nodes, bool)
        else None,
        strategy=strategy.lower() if isinstance(strategy, str) else None,
    ), source


# what the entry point's reading hands to lightning() and no later stage needs
_ENTRY_HANDOVER = ("trainer", "cli", "hydra", "num_nodes_source")


def _analysis_notes(extra: dict[str, object]) -> dict[str, object]:
    """A step's ``extra`` without what only lightning() reads."""
    return {k: v for k, v in extra.items() if k not in _ENTRY_HANDOVER}


def _multirun(args: list[str]) -> bool:
    """Hydra's multirun (``-m``, ``--multirun``) or a launcher of its own choosing."""
    return any(a in ("-m", "--multirun") or a.lstrip("+").startswith("hydra/launcher=")
               for a in args)


def _spawning(strategy: str | None) -> bool:
    return strategy is not None and any(s in strategy for s in entrypoints._SPAWNING_STRATEGIES)


# Trainer arguments only a Lightning Trainer takes (Hugging Face's TrainingArguments has none)
_LIGHTNING_ARGUMENTS = frozenset({
    "devices", "num_nodes", "accelerator", "strategy", "gpus", "check_val_every_n_epoch",
    "val_check_interval", "limit_train_batches", "limit_val_batches", "num_sanity_val_steps",
    "gradient_clip_algorithm", "enable_checkpointing", "enable_progress_bar",
})


def _pin_folders(root: str, bases: tuple[str, ...]) -> list[str]:
    """Where the pins of a repository's training code may be when its entry point is not:
    the root, the configured folders and the root's first-level folders."""
    folders = [root, *bases]
    try:
        names = sorted(os.listdir(root))
    except OSError:
        names = []
    folders += [os.path.join(root, n) for n in names[:200]
                if not n.startswith(".") and fsview.isdir(os.path.join(root, n))]
    return list(dict.fromkeys(folders))


def _config_devices(devices: object, gpus: object) -> int | None:
    """Lightning's devices from a configuration value (unset: "auto", every visible GPU)."""
    value = gpus if devices is None and gpus is not None else devices
    if value is None:
        return entrypoints._ALL
    if isinstance(value, hydra_config.Unknown):
        return None
    if isinstance(value, list):
        return len(value)
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        return entrypoints._devices(ast.Constant(value))
    return None


@fsview.per_scan  # the scripts of a folder run the same entry points, with the same pins
def _entry_fields(path: str, shown: str | None, cwd: str | None, python: bool, root: Path,
                  bases: tuple[str, ...], configured: tuple[tuple[str, str], ...]
                  ) -> tuple[dict[str, object], tuple[tuple[str, object], ...]]:
    """What the entry point found at ``path`` tells its step: the fields to set, and the
    items of the step's ``extra`` (each step gets a dict of its own)."""
    source = _followed(entrypoints.facts(path), path, cwd, bases)
    framework = source.frameworks[0] if source.frameworks else None
    fields: dict[str, object] = {
        "framework": framework,
        "slurm_driven": source.reads_slurm and framework not in _LIGHTNING and python,
        "cpu_only": source.cpu_only,
    }
    extra: dict[str, object] = {"entry": shown}
    if source.gpu_evidence:
        what, _, line = source.gpu_evidence.partition(" (line ")
        fields["gpu_evidence"] = f"{what} in {shown}:{line.rstrip(')')}"
    if framework is not None:
        fields.update(_version_fields(framework, path, root, bases, dict(configured)))
    if framework in _LIGHTNING and not source.custom_env and python:
        fields["lightning"] = True
        extra.update(trainer=_one_trainer(source.trainers), cli=source.lightning_cli)
        hydra = entrypoints.facts(path).hydra_main or source.hydra_main
        if hydra is not None:
            config_dir = os.path.normpath(os.path.join(os.path.dirname(path), hydra[0]))
            shown_dir = os.path.normpath(os.path.join(os.path.dirname(shown or ""), hydra[0]))
            extra["hydra"] = (config_dir, hydra[1], shown_dir)
    return fields, tuple(extra.items())


def _followed(source: entrypoints.SourceFacts, path: str, cwd: str | None,
              bases: tuple[str, ...]) -> entrypoints.SourceFacts:
    """An entry point without a framework of its own: the local module that trains."""
    if source.frameworks or not source.local_imports:
        return source
    roots = [os.path.dirname(path), *entrypoints._candidates(bases, cwd)]
    found = []
    for name in source.local_imports[:30]:
        module = entrypoints.module_file(name, roots)
        if module is None or module == path:
            continue
        facts = entrypoints.facts(module)
        if facts.frameworks and (facts.trainers or facts.reads_slurm):
            found.append(facts)
    if len(found) == 1:
        return found[0]
    return source


def _version_fields(framework: str, path: str, root: Path, bases: tuple[str, ...],
                    configured: dict[str, str]) -> dict[str, object]:
    """The framework's version for an entry point: pinned, or the assumed current release."""
    search = framework_pins.folders(os.path.dirname(path), root, bases)
    pin = framework_pins.find(framework, search, root, configured)
    if pin is not None:
        where = f"{pin.text} in {pin.source}"
        shown = ".".join(str(n) for n in pin.version if n != 999)
        label = shown if pin.exact else f"{shown}.x"
        return {"version": pin.version, "framework_version": label,
                "version_text": f"{label} ({where})"}
    current = framework_pins.CURRENT.get(framework) or framework_pins.CURRENT.get("lightning") \
        if framework in _LIGHTNING else None
    if current is None:
        return {}
    label = f"{current[0]}.x"
    return {"version": current, "framework_version": label,
            "framework_version_assumed": True,
            "version_text": f"(version not pinned: assuming the current {label} release)"}


def _deepspeed_on_gpus(env: Env) -> bool:
    """DeepSpeed's launcher needs GPUs unless DS_ACCELERATOR names another accelerator."""
    var = env.get("DS_ACCELERATOR")
    return var is None or not var.is_set or var.value in ("cuda", "")


def _set_inside_task(command: Command, env: Env) -> bool:
    """Whether CUDA_VISIBLE_DEVICES was set after SLURM set it for the task (inside bash -c)."""
    var = env.get("CUDA_VISIBLE_DEVICES")
    return var is not None and var.line == command.line and "CUDA_VISIBLE_DEVICES" not in \
        command.prefix


def _min_nodes(value: str | None) -> int | None:
    if value is None or UNKNOWN in value:
        return None
    return shell.as_int(value.split(":", 1)[0])


def _accelerate_config(path: str) -> dict[str, int | None]:
    import yaml

    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            data = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError):
        return {"num_processes": None, "num_machines": None}
    if not isinstance(data, dict):
        return {"num_processes": None, "num_machines": None}
    found: dict[str, int | None] = {}
    for key in ("num_processes", "num_machines"):
        value = data.get(key, 1 if key == "num_machines" else None)
        found[key] = value if isinstance(value, int) and not isinstance(value, bool) and \
            value > 0 else None
    return found


def _one_trainer(trainers: tuple[entrypoints.TrainerArgs, ...]
                 ) -> entrypoints.TrainerArgs | None:
    """The Trainer the entry point builds, when all its Trainer calls agree."""
    if not trainers:
        return None
    first = trainers[0]
    for other in trainers[1:]:
        if (other.devices, other.accelerator, other.num_nodes) != (
                first.devices, first.accelerator, first.num_nodes):
            return entrypoints.TrainerArgs(first.api, first.line, None, None, None)
    return first


def _devices_used(devices: int | None, accelerator: str | None, visible: int | None
                  ) -> int | None:
    """How many devices per node a Trainer uses, given the GPUs its process sees."""
    if devices is None:
        return None
    gpu = accelerator in ("gpu", "cuda")
    if devices != entrypoints._ALL:
        return devices
    if visible is None:
        return None
    if gpu:
        return visible if visible > 0 else None
    if accelerator == "auto":
        return visible if visible > 0 else 1
    if accelerator == "cpu":
        return None
    return None


def _cli_devices(args: list[str], visible: int | None) -> tuple[int | None, str | None]:
    """``--trainer.devices`` and ``--trainer.accelerator`` from LightningCLI arguments."""
    values: dict[str, str] = {}
    for index, arg in enumerate(args):
        for key in ("devices", "accelerator"):
            flag = f"--trainer.{key}"
            if arg.startswith(flag + "="):
                values[key] = arg.split("=", 1)[1]
            elif arg == flag and index + 1 < len(args):
                values[key] = args[index + 1]
    if "devices" not in values or UNKNOWN in values["devices"]:
        return None, None
    accelerator = values.get("accelerator")
    if accelerator is None:
        return None, None
    import ast

    try:
        node = ast.parse(values["devices"], mode="eval").body
    except SyntaxError:
        node = ast.Constant(values["devices"])
    count = entrypoints._devices(node)
    return _devices_used(count, accelerator.lower(), visible), accelerator


def _gpus_wanted(step: LaunchStep, job: JobModel) -> int | None:
    """GPUs per node a GPU step would use given GPUs: one per process it starts."""
    procs = step.procs_per_node if step.launcher != "nvidia-smi" else None
    return max(procs or 0, step.devices or 0, job.ntasks_per_node or 0) or None


def _gpus_used(step: LaunchStep, job: JobModel) -> int | None:
    """GPUs per node a step keeps busy, one per process; None when it cannot be told."""
    if step.launcher == "nvidia-smi":
        return 0
    if step.launcher == "other":
        program = step.command.split(" ", 1)[0].rsplit("/", 1)[-1] if step.command else ""
        return 0 if program in _UTILITIES else None
    if step.cpu_only:
        return 0
    if step.lightning:
        if step.lightning_start_error or step.devices is None:
            return None
        if step.lightning_slurm:
            if not step.srun or step.tasks_per_node is None or step.slurm_ntasks is None:
                return None
            if step.slurm_ntasks < step.devices:
                return None  # reported as lightning-single-process
            if step.gpu_isolated:  # each task drives the GPUs bound to it
                return step.devices * step.tasks_per_node
            return min(step.devices, step.tasks_per_node)
        return step.devices
    if step.slurm_driven and step.srun:
        return step.tasks_per_node
    if step.launcher in ("torchrun", "accelerate", "deepspeed", "horovodrun") and \
            step.procs_per_node is not None:
        return min(step.procs_per_node, job.gpus_per_node) if job.gpu_request else None
    return None


_NO_LAYOUT = (0, False, 0)
_Effect = tuple[str, str, tuple[int, bool, int]]


def _effect(step: LaunchStep, job: JobModel, uses_gpu: bool) -> _Effect:
    """What the launcher does with a task layout that does not fit it ("" when it fits:
    the ntasks-launcher-mismatch rule reports this text), the layout that fits it, and
    that layout as the edit makes it: (tasks per node, drop --ntasks, GPUs per node);
    _NO_LAYOUT when the fix is not one layout (a choice for a person)."""
    per_node = step.tasks_per_node
    if step.srun and step.per_node_launcher and per_node is not None and per_node > 1:
        procs = step.procs_per_task
        gpus = job.gpus_per_node if job.gpu_request else step.gpus_visible
        total = "" if procs is None else \
            f", each starting {procs} workers: {per_node * procs} processes per node"
        on = "" if gpus is None or procs is None else f" on {gpus} GPUs"
        effect = (f"srun starts {per_node} {step.launcher} agents per node{total}{on} "
                  f"(ports already in use, duplicate GPUs, or idle agents)")
        fix = (f"start one {step.launcher} per node: `#SBATCH --ntasks-per-node=1` (or "
               f"`srun --ntasks={step.nodes or job.nodes} --ntasks-per-node=1 {step.command}`); "
               f"{step.launcher} itself starts the per-GPU workers")
        return effect, fix, (1, True, 0)
    if step.lightning_slurm:
        return _lightning_effect(step, job)
    if step.slurm_driven and step.srun and per_node is not None:
        visible = step.gpus_visible
        fix = (f"use `#SBATCH --ntasks-per-node={visible}` (one task per GPU), or request "
               f"{per_node} GPUs per node")
        # tasks bound to their own GPUs, or not using any, pick no index they cannot see
        layout = (visible, False, 0) if visible else _NO_LAYOUT
        if step.gpu_isolated or not uses_gpu or visible is None or not per_node > visible > 0:
            return "", fix, layout
        effect = (f"srun starts {per_node} tasks per node, one process each, but they see "
                  f"{visible} GPUs: the ranks beyond {visible} pick a GPU "
                  f"index that does not exist (`invalid device ordinal`)")
        return effect, fix, layout
    if step.launcher == "mpirun" and step.mpi_np is not None and step.mpi_slots:
        fix = (f"request the ranks: `#SBATCH --ntasks={step.mpi_np}`, or run "
               f"`mpirun -np {step.mpi_slots}`")
        if step.mpi_oversubscribe or not step.mpi_np > step.mpi_slots > 0:
            # the ranks fit the slots, or mpirun is told to oversubscribe
            return "", fix, _NO_LAYOUT
        effect = (f"`mpirun -np {step.mpi_np}` asks for {step.mpi_np} ranks but the job has "
                  f"{step.mpi_slots} task slots: Open MPI stops with \"There are not enough "
                  f"slots available\" (MPICH and Intel MPI oversubscribe the job's CPUs)")
        return effect, fix, _NO_LAYOUT
    return "", "", _NO_LAYOUT


def _lightning_effect(step: LaunchStep, job: JobModel) -> _Effect:
    """Lightning under SLURM: what it does with SLURM_NTASKS(_PER_NODE) when they do not fit
    its devices ("" when they fit, or another rule says what happens), and what fits."""
    ntasks = step.slurm_ntasks or 0
    per_node = step.slurm_ntasks_per_node or 0
    nodes = step.slurm_nnodes or job.nodes
    devices = step.devices
    run = "" if step.srun else f" and `srun {step.command}`"
    if step.lightning_start_error.startswith("RuntimeError"):
        # --ntasks without --ntasks-per-node: ntasks-without-per-node says so, with this fix
        want = max(ntasks // max(nodes, 1), 1)
        return "", (f"use `#SBATCH --ntasks-per-node={want}` (with `--nodes={nodes}`) instead "
                    f"of {step.tasks_option}{run}"), (want, True, 0)
    if step.lightning_single_device:
        # one device, no launcher: nothing compares the tasks with it (§3.2)
        return "", "", _NO_LAYOUT
    if per_node and devices and per_node != devices:
        if step.extra.get("devices_auto") and per_node > devices:
            fix = (f"request {per_node} GPUs per node (`#SBATCH --gres=gpu:{per_node}`) so "
                   f"each task gets one, or use `--ntasks-per-node={devices}`{run}")
            layout = (0, False, per_node)  # the first the fix names: the GPUs
        else:
            fix = f"use `#SBATCH --ntasks-per-node={devices}` (one task per device){run}"
            layout = (devices, False, 0) if devices > 0 else _NO_LAYOUT
        # tasks bound to their own GPU (lightning-per-task-gpus says so), or counts that are none
        if step.gpu_isolated or min(per_node, devices) < 0:
            return "", fix, layout
        what = (f"\"{step.lightning_start_error}\"" if step.lightning_start_error else
                "ranks that do not match the GPUs")
        effect = (f"{per_node} tasks per node ({step.tasks_option}) but {step.framework_label} "
                  f"uses `devices={devices}` per node: it stops at start-up with {what}")
        return effect, fix, layout
    if devices and 0 < ntasks < devices:
        # world size below the devices: lightning-single-process says so, with this fix
        if step.srun:
            fix = (f"use `#SBATCH --ntasks-per-node={devices}` instead of {step.tasks_option} "
                   f"so srun starts one task per GPU")
        else:
            fix = (f"use `#SBATCH --ntasks-per-node={devices}` and `srun {step.command}`, or drop "
                   f"{step.tasks_option} so Lightning starts the {devices} processes itself")
        return "", fix, (devices, True, 0)
    if per_node and devices == per_node and ntasks < nodes * per_node:
        fix = (f"drop `--ntasks` (or set it to {nodes * per_node}) and keep "
               f"`--ntasks-per-node={per_node}`")
        # idle GPUs only when SLURM_NTASKS and SLURM_NNODES are known, not guessed
        if ntasks <= 0 or per_node < 0 or not step.slurm_nnodes:
            return "", fix, (per_node, True, 0)
        effect = (f"SLURM_NTASKS={ntasks} is smaller than {nodes} nodes x {per_node} tasks per "
                  f"node: {step.framework_label} trains with world size {ntasks} and leaves "
                  f"GPUs idle")
        return effect, fix, (per_node, True, 0)
    return "", "", _NO_LAYOUT


def analyze(parsed: ParsedScript, job: JobModel, root: Path, script_path: str,
            config: Config) -> BodyAnalysis:
    """The launch steps of a parsed script, and the facts of its body and log folders."""
    analysis = _Analysis(parsed, job, root, script_path, config)
    body = analysis.run()
    base = str(config.base) if config.base is not None else None
    body.facts.extend(log_folders.facts(
        job, root, log_folders.submit_dirs(str(root), script_path, base)))
    body.facts.extend(script_dir.facts(parsed.text, parsed.lines, parsed.body_start))
    return body
