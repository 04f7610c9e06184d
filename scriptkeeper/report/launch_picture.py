"""The picture ``scriptkeeper explain`` draws in the terminal (report stage).

Draws the data of :mod:`scriptkeeper.report.launch_layout` with rich: the
request with the line of each value (directives that do not count struck
through and named as ignored, so that the meaning survives without colour),
then per launch step the first node in full (its tasks, what
``CUDA_VISIBLE_DEVICES`` each sees, the processes with their ranks, a strip of
the node's GPUs: the rank driving each, ``·`` idle, ``?`` cannot tell) and the
other nodes in one line. Fits 80 columns.
"""

from __future__ import annotations

import io
import re
from typing import Any

_STATE = {"runs": "green", "waits": "yellow", "stops": "red"}
_SEV = {"error": "red", "warning": "yellow", "info": "cyan"}
GPU_CELLS = 16  # GPU cells per row of the strip (4 characters each)
# control characters in a script's words (a NUL the shell could not expand) are shown as '?'
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _ranks(processes: list[dict[str, Any]] | None) -> str:
    """'rank 0 -> GPU 0, rank 1 -> GPU 1' for a task's processes, compact beyond a few."""
    if processes is None:
        return "[dim]processes: cannot tell[/]"
    if not processes:
        return "[dim]no process[/]"
    parts = []
    for proc in processes:
        rank = "rank ?" if proc["rank"] is None else f"rank {proc['rank']}"
        if proc["world"]:
            rank += f" (world {proc['world']})"
        gpu = proc["gpu"]
        where = "GPU ?" if gpu is None else "no GPU" if gpu == "none" else f"GPU {gpu}"
        style = _STATE[proc["state"]]
        state = "" if proc["state"] == "runs" else f" {proc['state']}"
        parts.append(f"[{style}]{rank}→{where}{state}[/]")
    if len(parts) > 4:
        return f"{len(parts)} processes: " + (_run_of(processes) or ", ".join(parts))
    return ", ".join(parts)


def _run_of(processes: list[dict[str, Any]]) -> str:
    """'ranks 0-7 → GPUs 0-7, one each' when ranks and GPUs both count up by one ('' if not)."""
    ranks = [p["rank"] for p in processes]
    gpus = [p["gpu"] for p in processes]
    states = {p["state"] for p in processes}
    if len(states) != 1 or any(p["world"] for p in processes) or \
            not all(isinstance(x, int) for x in (*ranks, *gpus)):
        return ""
    if ranks != list(range(ranks[0], ranks[0] + len(ranks))) or \
            gpus != list(range(gpus[0], gpus[0] + len(gpus))):
        return ""
    (state,) = states
    tail = "" if state == "runs" else f" {state}"
    return (f"[{_STATE[state]}]ranks {ranks[0]}-{ranks[-1]}→GPUs {gpus[0]}-{gpus[-1]}, "
            f"one each{tail}[/]")


def _strip(node: dict[str, Any]) -> list[str]:
    """The node's GPUs in rows of cells: the rank driving each, '·' idle, '?' unknown."""
    driver: dict[int, str] = {}
    for task in node["tasks"]:
        for proc in task["processes"] or []:
            if isinstance(proc["gpu"], int):
                label = "?" if proc["rank"] is None else f"r{proc['rank']}"
                driver[proc["gpu"]] = driver.get(proc["gpu"], label) if proc["gpu"] in driver \
                    else label
    idle = node["idle_gpus"]
    rows = []
    for start in range(0, node["gpus"], GPU_CELLS):
        numbers, cells = [], []
        for gpu in range(start, min(start + GPU_CELLS, node["gpus"])):
            numbers.append(f"{gpu:<4}")
            if gpu in driver:
                cells.append(f"[green]{driver[gpu]:<4}[/]")
            elif idle is not None and gpu in idle:
                cells.append("[yellow]·   [/]")
            else:
                cells.append("[dim]?   [/]")
        rows.append("GPU " + "".join(numbers).rstrip())
        rows.append("    " + "".join(cells))
    return rows


def _node_lines(node: dict[str, Any]) -> list[str]:
    lines = [f"[bold]node {node['node']}[/] · {node['gpus']} GPU(s) · "
             f"{node['tasks_count']} task(s)"]
    shown = node["tasks"]
    for i, task in enumerate(shown):
        if node["tasks_hidden"] and i == len(shown) // 2:
            lines.append(f"  [dim]… {node['tasks_hidden']} more tasks laid out alike …[/]")
        cvd = "CUDA_VISIBLE_DEVICES ?" if task["cuda_visible_devices"] is None else \
            f"CUDA_VISIBLE_DEVICES={task['cuda_visible_devices'] or '(none)'}"
        procs = task["processes"]
        if procs is not None and len(procs) == 1:  # one process: one line per task
            lines.append(f"  task {task['task']:<3} {cvd}  {_ranks(procs)}")
        else:
            lines.append(f"  task {task['task']:<3} {cvd}")
            lines.append(f"    {_ranks(procs)}")
    if node["gpus"]:
        lines.extend("  " + row for row in _strip(node))
        idle = node["idle_gpus"]
        if idle is None:
            lines.append("  [dim]which GPUs the processes use: cannot tell[/]")
        elif idle:
            lines.append(f"  [yellow]{len(idle)} of {node['gpus']} GPUs idle[/]")
        else:
            lines.append("  [green]every GPU busy[/]")
    return lines


def _world(step: dict[str, Any]) -> str:
    size, worlds = step["world_size"], step["worlds"]
    by = {"task": "one process per SLURM task, rank = SLURM_PROCID",
          "worker": f"{step['spawner']} numbers its workers",
          "alone": "each process alone", "mpi": "MPI ranks"}.get(step["ranks_by"], "")
    if step["start_error"]:
        return "[red]no world: the processes stop at start-up[/]"
    if size is None:
        return "world size: cannot tell"
    if size == 0:
        return "no training world: each process runs on its own"
    text = f"world size {size}"
    if worlds and worlds > 1:
        text = f"{worlds} separate worlds of {size}"
    return f"[bold]{text}[/]" + (f" ({by})" if by else "")


def _step_lines(step: dict[str, Any], escape: Any) -> list[str]:
    lines = [f"[bold cyan]Step {step['step']}[/] · line {step['line']} · "
             f"{escape(step['launch'])}"]
    framework = step["framework_label"] if step["framework"] else "no training framework seen"
    lines.append(f"  {escape(framework)}")
    for item in step["evidence"]:
        lines.append(f"  [dim]{escape(item)}[/]")
    tasks = "?" if step["tasks"] is None else step["tasks"]
    procs = "?" if step["procs_per_task"] is None else step["procs_per_task"]
    starter = "srun starts" if step["srun"] else "the batch shell runs"
    lines.append(f"  {starter} {tasks} task(s) on {step['nodes']} node(s), "
                 f"{procs} process(es) each · {_world(step)}")
    if step["missing_peers"]:
        lines.append(f"  [yellow]hangs: waits for {step['missing_peers']} rank(s) that never "
                     f"start, printing “{escape(step['wait_message'])}”[/]")
    if step["start_error"]:
        lines.append(f"  [red]stops: {escape(step['start_error'])}[/]")
    for node in step["node_detail"]:
        lines.extend("  " + line for line in _node_lines(node))
    rest = step["other_nodes"]
    if rest:
        ranks = f", ranks {rest['ranks']}" if rest["ranks"] else ""
        procs_rest = "" if rest["processes"] is None else f", {rest['processes']} processes"
        lines.append(f"  [bold]nodes 1-{rest['nodes']}[/]: laid out like node 0 · "
                     f"{rest['tasks']} tasks{procs_rest}{ranks}")
    if step["nodes_without_step"]:
        lines.append(f"  [yellow]{step['nodes_without_step']} other node(s) of the job run "
                     f"nothing here (no srun)[/]")
    for f in step["findings"]:
        lines.append("  " + _finding(f, escape))
    return lines


def _finding(f: dict[str, Any], escape: Any) -> str:
    return (f"[{_SEV[f['severity']]}]{f['severity']}[/] [bold]{f['rule']}[/] "
            f"(line {f['line']}): {escape(f['message'])}")


def render(data: dict[str, Any], color: bool = False, width: int = 80) -> str:
    """The picture of one script's explanation, ``width`` columns wide."""
    from rich.console import Console
    from rich.markup import escape as markup_escape
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    def escape(text: str) -> str:
        return markup_escape(_CONTROL.sub("?", text))

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=width,
                      highlight=False, emoji=False, soft_wrap=False)
    console.print(f"[bold]{escape(data['script'])}[/] · job {escape(data['job_name'])}")
    if data["refused"]:
        console.print("[red]sbatch refuses this file before reading it: nothing to draw[/]")
    console.print()
    console.print("[bold]Request[/], as sbatch reads it")
    table = Table(box=None, show_header=False, padding=(0, 1), pad_edge=False)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    table.add_column(overflow="fold", style="dim")
    for value in data["request"]["values"]:
        source = ", ".join(f"line {s['line']} {s['option']}" for s in value["from"])
        table.add_row("  " + value["label"], escape(value["value"]), escape(source or "default"))
    for item in data["request"]["ignored"]:
        table.add_row("  [yellow]ignored[/]",
                      f"[strike]{escape(item['written'])}[/]",
                      escape(f"line {item['line']}: {item['why']}"))
    console.print(table)
    for f in data["script_findings"]:
        console.print(Padding(Text.from_markup(_finding(f, escape), overflow="fold"),
                              (0, 0, 0, 2)))
    for step in data["steps"]:
        console.print()
        for line in _step_lines(step, escape):
            body = line.lstrip(" ")
            console.print(Padding(Text.from_markup(body, overflow="fold"),
                                  (0, 0, 0, len(line) - len(body))))
    if not data["steps"] and not data["refused"]:
        console.print()
        console.print("[dim]no launch step found in the body[/]")
    return "\n".join(line.rstrip() for line in buffer.getvalue().split("\n"))
