"""Benchmark: a mutation fuzzer over the per-file analysis (one script's bytes to its result).

Seeds are the example workspace's scripts, the test corpora (``tests/**/corpus*``, the
differential cases, the oracle jobs) and, when present, the job scripts of the real-world
corpus (``/work/corpus``). Each input is a seed changed by a few random mutations: byte
edits, cut and copied spans, spliced seeds, numbers swapped for boundary values (2**31,
2**63, 2**64, thousands of digits), ``#SBATCH`` lines of every sbatch option with odd values,
shell lines that would make a naive analysis grow with a number written in the script
(brace and ``seq`` expansions, device lists, loops, ``$((2**N))``), and blocks nested
thousands deep.

Each input goes through what :func:`scriptkeeper.pipeline.runner.judge_one` runs (without
its guard, which would turn an exception into an internal-error finding), in this process,
with a time limit (``--timeout``) and an address-space limit (``--mem-limit``). Anything
it raises is a crash, keyed by exception type and the innermost scriptkeeper frame; the
first input of each is saved as a reproducer (``--out``) with its traceback. Reported:
inputs per second, the distinct crashes, the process's peak RSS, and the largest
Python-heap peak of one input's analysis (``tracemalloc`` on every ``--trace-every``-th
input).

``bash -n`` (asked only when tree-sitter sees a syntax error, which most mutants have) is
replaced by a stand-in unless ``--real-bash``: a process start per input would measure
``fork``, not the analysis.

    python bench/fuzz_analysis.py [--inputs 100000] [--seed 1] [--out DIR]
                                  [--timeout 10] [--mem-limit 2048] [--trace-every 100]
                                  [--corpus /work/corpus] [--max-corpus 3000] [--real-bash]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import resource
import signal
import sys
import time
import traceback
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from types import FrameType, TracebackType

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from scriptkeeper.body import syntax  # noqa: E402
from scriptkeeper.pipeline import fsview, runner  # noqa: E402
from scriptkeeper.pipeline.discover import Candidate  # noqa: E402
from scriptkeeper.rules.config import Config, load_config  # noqa: E402

PACKAGE = str(REPO / "scriptkeeper")

BIG = ["0", "1", "-1", "7", "8", "64", "1001", "4000001", "2147483647", "2147483648",
       "4294967295", "4294967296", "4294967297", "9007199254740993", "9223372036854775806",
       "9223372036854775807", "9223372036854775808", "18446744073709551615",
       "18446744073709551616", "9" * 25, "9" * 180, "9" * 4301, "1" + "0" * 5000,
       "00000000000000000000000000001", "1.5", "1e9", "-0", "+3", " 4", "0x10", "abc", ""]
UNITS = ["", "K", "M", "G", "T", "KB", "g", "X"]
TIMES = ["{n}", "{n}:{n}", "{n}:{n}:{n}", "{n}-", "{n}-{n}", "{n}-{n}:{n}:{n}", "INFINITE",
         "0:{n}"]
SHELL = [
    "export CUDA_VISIBLE_DEVICES=$(seq -s, 0 {n})",
    "export CUDA_VISIBLE_DEVICES={list}",
    "for i in {{1..{n}}}; do srun -n $i python train.py & done",
    "for i in $(seq 1 {n}); do echo $i; done",
    "for ((i=0; i<{n}; i++)); do X=$X$X; done",
    "echo {{a,b}}{{a,b}}{{a,b}}{{a,b}}{{a,b}}{{a,b}}{{a,b}}{{a,b}}{{a,b}}{{a,b}}{{a,b}}{{a,b}}",
    "echo {{0..{n}}}",
    "echo {{0..{n}..{n}}}",
    "NP=$(( {n} * {n} ))\nsrun -n $NP python train.py",
    "N=$((2**{n}))\nsrun -n $N python train.py",
    "srun -n {n} --gpus-per-task={n} --ntasks-per-node={n} python train.py",
    "srun -N {n} --gpus={n} --cpus-per-task={n} python train.py",
    "srun --gpus-per-node={n} --gres=gpu:{n} python train.py",
    "torchrun --nproc_per_node={n} --nnodes={n} train.py",
    "torchrun --nproc-per-node=gpu --nnodes={n}:{n} train.py",
    "python -m torch.distributed.run --nproc_per_node {n} train.py",
    "python -m torch.distributed.launch --nproc_per_node={n} train.py",
    "mpirun -np {n} python train.py",
    "deepspeed --num_gpus {n} --num_nodes {n} train.py",
    "accelerate launch --num_processes {n} --num_machines {n} train.py",
    "A=( $(seq {n}) )\necho ${{#A[@]}}",
    "X=a\nX=$X$X\nX=$X$X\nX=$X$X\nX=$X$X\nX=$X$X\nX=$X$X\nX=$X$X\nX=$X$X\nX=$X$X\nX=$X$X",
    "f() {{ f; }}\nf",
    "bash -c \"bash -c 'bash -c \\\"srun -n {n} python train.py\\\"'\"",
    "eval srun -n {n} python train.py",
    "cat <<EOF\n{n}\nEOF",
    "export SLURM_NTASKS={n}\nexport WORLD_SIZE={n}",
    "export SLURM_GPUS_ON_NODE={n} SLURM_NNODES={n}",
    "srun --ntasks-per-node={n} --nodes={n}-{n} python -c 'import torch'",
    "case $x in\n  {n}) srun -n {n} python train.py ;;\nesac",
    "if [ $SLURM_NTASKS -gt {n} ]; then srun -n {n} python train.py; fi",
    "${{X:-${{Y:-${{Z:-{n}}}}}}}",
    "$($($($(echo {n}))))",
]
ENTRY = ("import lightning as L\n"
         "trainer = L.Trainer(devices=8, num_nodes=2, strategy='ddp')\n"
         "trainer.fit(None)\n")


class FuzzTimeout(Exception):
    """One input took longer than --timeout seconds."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise FuzzTimeout


def _options() -> list[str]:
    table = REPO / "scriptkeeper" / "parse" / "data" / "sbatch-options.tsv"
    names = []
    for line in table.read_text().splitlines():
        if line and not line.startswith(("#", "long\t")):
            names.append(line.split("\t")[0])
    return names


def seeds(corpus: Path | None, max_corpus: int) -> list[bytes]:
    found: list[bytes] = []
    for path in sorted((REPO / "examples").rglob("*")):
        if path.is_file() and path.suffix in (".slurm", ".sbatch", ".sh"):
            found.append(path.read_bytes())
    for folder in [*sorted(REPO.glob("tests/**/corpus*")), REPO / "tests" / "oracle" / "jobs"]:
        if folder.is_dir():
            found.extend(p.read_bytes() for p in sorted(folder.rglob("*"))
                         if p.is_file() and p.stat().st_size < 65536)
    try:
        from differential.corpus import CASES
        found.extend(CASES.values())
    except ImportError:
        pass
    if corpus is not None and corpus.is_dir():
        picked = []
        for path in sorted(corpus.rglob("*")):
            if path.suffix not in (".slurm", ".sbatch", ".sh", ".job", "") or path.is_symlink():
                continue
            try:
                if not path.is_file() or path.stat().st_size > 65536:
                    continue
                data = path.read_bytes()
            except OSError:
                continue
            if b"\n#SBATCH" in data or data.startswith(b"#SBATCH"):
                picked.append(data)
        random.Random(0).shuffle(picked)
        found.extend(picked[:max_corpus])
    return [s for s in found if s]


class Mutator:
    def __init__(self, rng: random.Random, pool: list[bytes]) -> None:
        self.rng = rng
        self.pool = pool
        self.options = _options()
        self.ops: list[Callable[[bytes], bytes]] = [
            self.flip, self.delete, self.duplicate, self.insert_token, self.swap_number,
            self.swap_number, self.directive, self.directive, self.shell_line, self.splice,
            self.lines, self.nest]

    def number(self) -> str:
        rng = self.rng
        if rng.random() < 0.7:
            return rng.choice(BIG)
        return str(rng.choice([rng.randrange(10**6), 2 ** rng.randrange(200),
                               10 ** rng.randrange(30)]))

    def value(self) -> str:
        rng = self.rng
        kind = rng.randrange(6)
        n = self.number()
        if kind == 0:
            return n + rng.choice(UNITS)
        if kind == 1:
            return rng.choice(TIMES).format(n=n)
        if kind == 2:
            return rng.choice(["gpu", "h200", "gpu:h200", "a100", "tmpdisk"]) + ":" + n
        if kind == 3:
            return f"{n}-{self.number()}" + rng.choice(["", ":" + self.number(),
                                                         "%" + self.number()])
        if kind == 4:
            return ",".join(self.number() for _ in range(rng.randrange(1, 4)))
        return n

    def directive(self, data: bytes) -> bytes:
        option = self.rng.choice(self.options)
        sep = self.rng.choice(["=", " "])
        line = f"#SBATCH --{option}{sep}{self.value()}\n".encode()
        return self._at_line(data, line, header=True)

    def shell_line(self, data: bytes) -> bytes:
        n = self.number()
        listed = ",".join(str(i) for i in range(self.rng.randrange(1, 40)))
        line = self.rng.choice(SHELL).format(n=n, list=listed) + "\n"
        return self._at_line(data, line.encode(), header=False)

    def _at_line(self, data: bytes, line: bytes, header: bool) -> bytes:
        lines = data.split(b"\n")
        if header:
            spots = [i for i, text in enumerate(lines) if text.startswith(b"#SBATCH")] or [1]
            where = self.rng.choice(spots) + self.rng.randrange(2)
        else:
            where = self.rng.randrange(len(lines) + 1)
        where = min(where, len(lines))
        return b"\n".join(lines[:where]) + (b"\n" if where else b"") + line + \
            b"\n".join(lines[where:])

    def flip(self, data: bytes) -> bytes:
        if not data:
            return bytes([self.rng.randrange(256)])
        i = self.rng.randrange(len(data))
        return data[:i] + bytes([self.rng.randrange(256)]) + data[i + 1:]

    def _span(self, data: bytes) -> tuple[int, int]:
        i = self.rng.randrange(len(data) + 1)
        return i, min(len(data), i + self.rng.choice([1, 2, 4, 16, 64, 512]))

    def delete(self, data: bytes) -> bytes:
        i, j = self._span(data)
        return data[:i] + data[j:]

    def duplicate(self, data: bytes) -> bytes:
        i, j = self._span(data)
        return data[:j] + data[i:j] * self.rng.choice([1, 2, 8]) + data[j:]

    def insert_token(self, data: bytes) -> bytes:
        token = self.rng.choice([
            b"\x00", b"\r\n", b"\"", b"'", b"`", b"$(", b")", b"{", b"}", b"${", b"$((",
            b"\\\n", b"#SBATCH ", b"#SBATCH --", b" --", b"=", b" -n ", b":", b"%", b"-",
            b"\xff\xfe", b"\xc3", b"\t", b"&&", b"|", b";;", b"<<EOF\n", b"\nEOF\n",
            b"#!", b"#PBS -l nodes=", b"#BSUB -n ", b"{{ x }}", b"{%", b"XXX"]
            + [n.encode() for n in BIG])
        i = self.rng.randrange(len(data) + 1)
        return data[:i] + token + data[i:]

    def swap_number(self, data: bytes) -> bytes:
        spots = [m.span() for m in re.finditer(rb"\d+", data[:20000])]
        if not spots:
            return self.insert_token(data)
        i, j = self.rng.choice(spots)
        return data[:i] + self.number().encode() + data[j:]

    def splice(self, data: bytes) -> bytes:
        other = self.rng.choice(self.pool)
        i = self.rng.randrange(len(data) + 1)
        j = self.rng.randrange(len(other) + 1)
        return data[:i] + other[j:]

    def lines(self, data: bytes) -> bytes:
        lines = data.split(b"\n")
        if len(lines) < 2:
            return data
        i, j = self.rng.randrange(len(lines)), self.rng.randrange(len(lines))
        action = self.rng.randrange(3)
        if action == 0:
            lines[i], lines[j] = lines[j], lines[i]
        elif action == 1:
            del lines[i]
        else:
            lines.insert(i, lines[j])
        return b"\n".join(lines)

    def nest(self, data: bytes) -> bytes:
        """Wrap a span of lines in blocks nested up to thousands deep."""
        lines = data.split(b"\n")
        i = self.rng.randrange(len(lines))
        j = min(len(lines), i + self.rng.randrange(1, 8))
        depth = self.rng.choice([1, 3, 50, 200, 2000])
        opener, closer = self.rng.choice([(b"if true; then", b"fi"), (b"(", b")"),
                                          (b"{", b"}"), (b"while true; do", b"done"),
                                          (b"f() {", b"}; f"), (b"$(", b")")])
        return b"\n".join(lines[:i] + [opener] * depth + lines[i:j] + [closer] * depth
                           + lines[j:])

    def mutate(self, data: bytes) -> bytes:
        for _ in range(self.rng.choice([1, 1, 2, 3, 5])):
            data = self.rng.choice(self.ops)(data)
        return data[:300000]


def crash_key(error: BaseException, tb: TracebackType | None) -> str:
    where = "?"
    for frame, line in traceback.walk_tb(tb):
        name = frame.f_code.co_filename
        if name.startswith(PACKAGE):
            where = f"{os.path.relpath(name, REPO)}:{line}"
    return f"{type(error).__name__}@{where}"


def workspace(base: Path) -> Path:
    root = base / "fuzz-root"
    (root / "scripts").mkdir(parents=True, exist_ok=True)
    (root / "train.py").write_text(ENTRY)
    (root / "requirements.txt").write_text("lightning==2.2.1\ntorch==2.3.0\n")
    return root


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inputs", type=int, default=100000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("fuzz-crashes"))
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--mem-limit", type=int, default=2048, help="MiB of address space")
    parser.add_argument("--trace-every", type=int, default=100)
    parser.add_argument("--corpus", type=Path, default=Path("/work/corpus"))
    parser.add_argument("--max-corpus", type=int, default=3000)
    parser.add_argument("--report-every", type=int, default=50000)
    parser.add_argument("--real-bash", action="store_true")
    parser.add_argument("--json", type=Path, help="write the summary here too")
    parser.add_argument("--atheris", action="store_true",
                        help="coverage-guided with atheris (pip install atheris), this file's "
                             "mutations as its custom mutator")
    args = parser.parse_args()

    limit = args.mem_limit * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.signal(signal.SIGALRM, _alarm)
    if not args.real_bash:
        syntax.bash_error = lambda text: (1, "syntax error (fuzz stand-in for bash -n)")
    pool = seeds(args.corpus, args.max_corpus)
    rng = random.Random(args.seed)
    mutator = Mutator(rng, pool)
    args.out.mkdir(parents=True, exist_ok=True)
    root = workspace(args.out)
    config = load_config(None)
    analyze, keys = runner._analysis()

    def judge(root: Path, config: Config, candidate: Candidate) -> None:
        # runner.judge_one without its guard: what it would turn into an internal-error
        # finding must reach us with its traceback
        result = analyze.analyze_script(root, candidate.path, candidate.data, config)
        result.keys = keys(result, config.redundancy, config.slurm_version,
                           config.plugin_options)

    names = ["scripts/job.slurm", "scripts/train_v2.sbatch", "run.sh", "scripts/t.job.j2"]
    state = _Run(args, root, config, judge)
    start = time.perf_counter()
    if args.atheris:
        _with_atheris(args, pool, mutator, names, state, rng)
    with fsview.one_scan():
        for done in range(1, args.inputs + 1):
            state.one(mutator.mutate(rng.choice(pool)), rng.choice(names))
            if args.report_every and done % args.report_every == 0:
                rate = done / (time.perf_counter() - start)
                print(f"[{done}] {rate:.0f} inputs/s, {sum(state.crashes.values())} crashing "
                      f"inputs, {len(state.crashes)} distinct", flush=True)
    return _summary(args, state, len(pool), time.perf_counter() - start)


class _Run:
    """One input at a time: judge it under the limits, keep what it costs and what it raised."""

    def __init__(self, args: argparse.Namespace, root: Path, config: Config,
                 judge: Callable[[Path, Config, Candidate], None]) -> None:
        self.args, self.root, self.config, self.judge = args, root, config, judge
        self.crashes: dict[str, int] = {}
        self.done = 0
        self.heap_peak = 0
        self.heap_peak_size = 0

    def one(self, data: bytes, path: str) -> None:
        args = self.args
        self.done += 1
        trace = args.trace_every and self.done % args.trace_every == 0
        if trace:
            tracemalloc.start()
        signal.setitimer(signal.ITIMER_REAL, args.timeout)
        try:
            self.judge(self.root, self.config, Candidate(path, data))
        except BaseException as error:
            signal.setitimer(signal.ITIMER_REAL, 0)
            if isinstance(error, KeyboardInterrupt):
                raise
            key = (f"FuzzTimeout@{args.timeout}s" if isinstance(error, FuzzTimeout)
                   else crash_key(error, error.__traceback__))
            self.crashes[key] = self.crashes.get(key, 0) + 1
            if self.crashes[key] == 1:
                stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", key)
                (args.out / f"{stem}.input").write_bytes(data)
                (args.out / f"{stem}.txt").write_text(
                    f"path: {path}\nsha256: {hashlib.sha256(data).hexdigest()}\n\n"
                    + "".join(traceback.format_exception(error)))
                print(f"[{self.done}] new crash {key} ({len(data)} bytes)", flush=True)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            if trace:
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                if peak > self.heap_peak:
                    self.heap_peak, self.heap_peak_size = peak, len(data)


def _with_atheris(args: argparse.Namespace, pool: list[bytes], mutator: Mutator,
                  names: list[str], state: _Run, rng: random.Random) -> None:
    """Coverage-guided (libFuzzer through atheris), with this file's mutator; never returns."""
    import atheris

    seeds = args.out / "atheris-seeds"
    seeds.mkdir(exist_ok=True)
    for i, data in enumerate(pool):
        (seeds / f"{i:05d}").write_bytes(data)

    start = time.perf_counter()

    def one_input(data: bytes) -> None:
        state.one(data, names[len(data) % len(names)])
        if state.done == args.inputs:  # libFuzzer's last run: it exits without Python's atexit
            _summary(args, state, len(pool), time.perf_counter() - start)

    def mutate(data: bytes, max_size: int, seed: int) -> bytes:
        mutator.rng.seed(seed)
        if seed % 4 == 0:
            return atheris.Mutate(data, max_size)
        return mutator.mutate(data or rng.choice(pool))[:max_size]

    atheris.instrument_all()
    atheris.Setup([sys.argv[0], f"-runs={args.inputs}", f"-seed={args.seed}",
                   "-max_len=300000", "-rss_limit_mb=0", str(seeds)], one_input,
                  custom_mutator=mutate)
    with fsview.one_scan():
        atheris.Fuzz()


def _summary(args: argparse.Namespace, state: _Run, seeds: int, elapsed: float) -> int:
    done = state.done
    crashes = state.crashes
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    summary = {
        "inputs": done, "seeds": seeds, "seconds": round(elapsed, 1),
        "inputs_per_second": round(done / elapsed, 1),
        "crashing_inputs": sum(crashes.values()), "distinct_crashes": crashes,
        "peak_rss_mib": round(rss / 2**20, 1),
        "peak_heap_one_input_kib": round(state.heap_peak / 1024, 1),
        "peak_heap_input_bytes": state.heap_peak_size,
        "traced_inputs": done // args.trace_every if args.trace_every else 0,
        "bash_n": "real" if args.real_bash else "stand-in",
        "mode": "atheris" if args.atheris else "mutation",
    }
    print(json.dumps(summary, indent=2), flush=True)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
