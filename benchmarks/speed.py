"""How fast is scorelint next to Ruff and Fixit, on the corpus of DESIGN.md?

Builds (or reuses) the corpus from the pinned wheels, hashes checked: transformers
5.24.0, lm-eval 0.4.13, peft 0.21.2, trl 1.16.0 (.py files only), and a venv with
the peers (ruff, fixit). Then, interleaved so that a busy machine hurts every tool
alike, the median of `--repeat` runs of:

- scorelint cold (an empty cache), warm (the cache of a previous run) and `-j 1`;
- `ruff check --select ALL --no-cache`, concise and full output;
- on lm-eval + peft + trl: scorelint cold and Fixit's default rules;

and prints wall time, CPU time (the process and its children), the peak RSS of the
process tree (the largest sum over time of the RSS of the command and its descendants,
sampled from /proc: scorelint's pool and Fixit's workers are several processes, Ruff is
one) and that of the largest single process (wait4's ru_maxrss), with the scorelint/Ruff
ratios of the issue. `--funnel` then checks every file once in this process and prints
how many files and lines pass each stage of the engine, and the 10 slowest files.

`--latency` measures what a person waits for instead (no interleaving; no peers):

- a one-file check of the slowest corpus file from the shell (`--candidates` largest
  files are timed in this process; the slowest is then run `--repeat` times);
- `--diff` right after a warm check, against that warm check (each pair on a fresh copy
  of the cache a cold check filled, so that every first `--diff` runs the fix loop);
- the language server's diagnostics after an edit of `transformers/generation/utils.py`,
  with a real client over stdio: the time from `didChange` of a version to its
  `publishDiagnostics`, and from `didSave`: the median of `--repeat` edits.

    python benchmarks/speed.py --latency --repeat 5

The findings of cold, warm and `-j 1` runs are compared (a difference fails the
script); `--save-findings FILE` keeps them to compare two commits:

    python benchmarks/speed.py --repeat 3 --funnel --save-findings /tmp/after.txt
    python benchmarks/speed.py --src /tmp/sl-base --skip fixit --save-findings /tmp/before.txt
"""

from __future__ import annotations

import argparse
import compileall
import functools
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
PINS = {  # name, version -> sha256 of the wheel (as /work/shared/corpus/make_corpus.sh)
    ("transformers", "5.24.0"): "ff5ebedf9359f94bb63772b6380eba6e7104d010cbbb2cb82c788817ea7486f6",
    ("lm-eval", "0.4.13"): "5daaa1973bf874005f64f28d3834b875f6886f0d6475878e6a6c821994a5286a",
    ("peft", "0.21.2"): "106ab6077ff72c54d21577f9af5970e34bac7582cb14209f7b2b511e322a4eae",
    ("trl", "1.16.0"): "c4726e139dd40e1a41661511c639c8a68416782b2e3e8c0befebd77bb7ba0396",
}
PEER_PINS = ("ruff==0.17.6", "fixit==2.2.1", "libcst==1.9.0")
SUBSET = ("lm-eval", "peft", "trl")


# --- the corpus -------------------------------------------------------------------------

def build_corpus(corpus: Path, peers: Path) -> None:
    """Download the pinned wheels (hashes checked) and unpack their .py files; make the
    peers' venv. Both are reused when present."""
    pip = peers / "bin" / "pip"
    if not (peers / "bin" / "ruff").exists():
        subprocess.run([sys.executable, "-m", "venv", str(peers)], check=True)
        subprocess.run([str(pip), "install", "-q", *PEER_PINS], check=True)
    wheels = Path(f"{corpus}.wheels")
    wheels.mkdir(parents=True, exist_ok=True)
    for (name, version), sha in PINS.items():
        target = corpus / name
        if target.is_dir() and any(target.rglob("*.py")):
            continue
        subprocess.run([str(pip), "download", "-q", "--no-deps", "--only-binary=:all:",
                        "-d", str(wheels), f"{name}=={version}"], check=True)
        wheel = next(wheels.glob(f"{name.replace('-', '_')}-{version}-*.whl"))
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if digest != sha:
            sys.exit(f"{wheel}: sha256 {digest}, expected {sha}")
        shutil.rmtree(target, ignore_errors=True)
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(target, [n for n in archive.namelist() if n.endswith(".py")])


def corpus_files(folders: list[Path]) -> list[Path]:
    return sorted(p for folder in folders for p in folder.rglob("*.py"))


# --- measuring ---------------------------------------------------------------------------

SAMPLE_EVERY = 0.05  # seconds between two readings of the tree's RSS (each ~1 ms of a CPU
#                     the measured tools share)


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    tree_mb: float  # peak over time of the summed RSS of the process tree
    largest_mb: float  # peak RSS of the largest single process (ru_maxrss)
    output: bytes


def measure(argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
    """Wall, CPU (user + system of the process and the children it waited for), the peak
    RSS of the whole process tree (sampled by a thread while this one blocks in wait4, so
    that the wall time stays exact) and the peak RSS of the largest process (Linux's wait4).
    The tree's peak is at least the largest process's: a single process (Ruff) can peak
    between two samples. Pages that forked workers share with their parent count once per
    process, as they do in RSS."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, env=env,
                                cwd=cwd)
        peak, done = [0], threading.Event()
        sampler = threading.Thread(target=_sample_tree, args=(proc.pid, peak, done))
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read()
    if proc.returncode not in (0, 1):
        sys.exit(f"{argv[0]} exited {proc.returncode}: {' '.join(argv)}")
    largest = usage.ru_maxrss / 1024
    return Run(wall, usage.ru_utime + usage.ru_stime, max(peak[0] / 1024, largest), largest,
               output)


def _sample_tree(root: int, peak: list[int], done: threading.Event) -> None:
    """Keep in peak[0] the largest sum of VmRSS (kB) over `root` and its descendants,
    read every SAMPLE_EVERY seconds until `done`."""
    while not done.is_set():
        peak[0] = max(peak[0], sum(_rss_kb(pid) for pid in _tree(root)))
        done.wait(SAMPLE_EVERY)


def _tree(root: int) -> list[int]:
    """`root` and its descendants, from each process's parent in /proc/*/stat (the
    /proc/<pid>/task/<tid>/children files need a kernel option, missing here)."""
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"{entry.path}/stat", "rb") as file:  # 2x faster than Path's
                    stat = file.read()
            except OSError:  # it ended since scandir
                continue
            ppid = int(stat[stat.rindex(b")") + 1:].split()[1])  # the name may hold spaces
            parents.setdefault(ppid, []).append(int(entry.name))
    tree = [root]
    for pid in tree:  # grows while it is walked: breadth first
        tree += parents.get(pid, [])
    return tree


def _rss_kb(pid: int) -> int:
    """VmRSS of `pid` in kB; 0 when it has ended (or is a zombie, without the line)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as file:
            status = file.read()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith(b"VmRSS:"):
            return int(line.split()[1])
    return 0


def median(runs: list[Run]) -> Run:
    return Run(*(statistics.median(getattr(r, field) for r in runs)
                 for field in ("wall", "cpu", "tree_mb", "largest_mb")), runs[0].output)


def package_dir(src: Path, scratch: Path) -> Path:
    """A folder to put on PYTHONPATH that imports `scorelint` (with its rules) from `src`
    (as benchmarks/trust_sweep.py): the runs are run from its parent, where no other
    `scorelint` folder shadows it."""
    root = scratch / "pkg"
    shutil.copytree(src / "scorelint", root / "scorelint")
    shutil.copytree(src / "rules", root / "scorelint" / "rules")
    # Byte-compiled, as pip installs it: else, where PYTHONDONTWRITEBYTECODE is set, every
    # process (the CLI, each pool worker) compiles the engine again (~0.2 s each), a cost
    # no user pays and the peers (a binary, a pip-installed Fixit) do not pay either.
    compileall.compile_dir(str(root), quiet=1)
    return root


def scorelint_argv(src: Path, python: str, paths: list[Path], jobs: int,
                   cache: Path | None) -> list[str]:
    argv = [python, "-m", "scorelint", "check", "--output-format", "concise", "--exit-zero",
            "-j", str(jobs)]
    if _has_cache(src, python):
        argv += ["--cache-dir", str(cache)] if cache else ["--no-cache"]
    return argv + [str(p) for p in paths]


@functools.cache
def _has_cache(src: Path, python: str) -> bool:
    """Older commits have no cache: then every run is a cold run."""
    out = subprocess.run([python, "-m", "scorelint", "check", "--help"], capture_output=True,
                         check=False, text=True, cwd=src.parent, env=_env(src)).stdout
    return "--cache-dir" in out


def _env(src: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(src)}


def findings(output: bytes) -> list[str]:
    """The finding lines of a concise report, sorted (the summary line left out)."""
    lines = output.decode("utf-8", "replace").splitlines()
    return sorted(line for line in lines if ": SL" in line)


# --- the funnel ---------------------------------------------------------------------------

def funnel(src: Path, files: list[Path]) -> None:
    """Check every file in this process, counting what passes each stage of the engine."""
    sys.path.insert(0, str(src))
    for name in [m for m in sys.modules if m == "scorelint" or m.startswith("scorelint.")]:
        del sys.modules[name]
    from scorelint.engine import narrowing as stages
    from scorelint.engine.registry import all_rules
    from scorelint.run import pipeline

    from scorelint.base import limits
    from scorelint.engine import linter, project

    options = pipeline.Options(codes=tuple(r.code for r in all_rules() if r.default))
    recorder = stages.Recorder()
    stages.RECORDER = recorder
    spent: dict[str, float] = {}
    timed = [("text gate", stages, "text_tokens"), ("CPython's ast.parse", limits, "cpython_check"),
             ("project index (tokens lent)", project, "lent_tokens"),
             ("narrowing (steps 2 and 3)", stages, "narrow"), ("LibCST parse", linter, "parse"),
             ("rules and the model", linter, "_run_rules")]
    originals = [(module, name, getattr(module, name)) for _, module, name in timed]
    for stage, module, name in timed:
        setattr(module, name, _timed(spent, stage, getattr(module, name)))
    timings = []
    start_all = time.perf_counter()
    try:
        for path in files:
            start = time.perf_counter()
            pipeline.check_file(str(path), options)
            timings.append((time.perf_counter() - start, path))
    finally:
        for module, name, original in originals:
            setattr(module, name, original)
        stages.RECORDER = None
    total = time.perf_counter() - start_all
    print("\nfunnel (files, lines reaching each stage):")
    for stage, (count, lines) in recorder.stages.items():
        print(f"  {stage:<28} {count:>6} files {lines:>10,} lines")
    print(f"\nwhere one process's {total:.1f} s go (stages nest: the index and narrowing "
          "run inside the engine's lint):")
    for stage, seconds in spent.items():
        print(f"  {stage:<28} {seconds:7.2f} s {100 * seconds / total:5.1f}%")
    print("\n10 slowest files (one process, seconds):")
    for seconds, path in sorted(timings, reverse=True)[:10]:
        print(f"  {seconds:7.3f}  {path}")


def _timed(spent: dict[str, float], stage: str, work: Callable[..., Any]) -> Callable[..., Any]:
    """`work`, adding the seconds each call takes to `spent[stage]`."""
    spent.setdefault(stage, 0.0)

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return work(*args, **kwargs)
        finally:
            spent[stage] += time.perf_counter() - start
    return timed


# --- latency ------------------------------------------------------------------------------

LSP_FILE = Path("transformers/transformers/generation/utils.py")


def slowest_file(src: Path, files: list[Path], candidates: int) -> tuple[Path, float]:
    """Of the `candidates` largest files, the one that takes longest to check in this
    process (every rule, no cache), with its seconds."""
    sys.path.insert(0, str(src))
    from scorelint.engine.registry import all_rules
    from scorelint.run import pipeline

    options = pipeline.Options(codes=tuple(r.code for r in all_rules() if r.default))
    timed = []
    for path in sorted(files, key=lambda p: -p.stat().st_size)[:candidates]:
        start = time.perf_counter()
        pipeline.check_file(str(path), options)
        timed.append((time.perf_counter() - start, path))
    seconds, path = max(timed)
    return path, seconds


class LspClient:
    """Just enough of an LSP client to time diagnostics: JSON-RPC framed by
    Content-Length over the server's standard input and output."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env, cwd=cwd)
        self._next_id = 0

    def send(self, method: str, params: dict, request: bool = False) -> int | None:
        message: dict = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self._next_id += 1
            message["id"] = self._next_id
        body = json.dumps(message).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()
        return message.get("id")

    def receive(self) -> dict:
        assert self.proc.stdout is not None
        length = 0
        while (line := self.proc.stdout.readline().strip()):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        if not length:
            raise RuntimeError("the server closed its output")
        return json.loads(self.proc.stdout.read(length))

    def wait_for(self, match: Callable[[dict], bool]) -> dict:
        while True:
            message = self.receive()
            if match(message):
                return message

    def close(self) -> None:
        ident = self.send("shutdown", {}, request=True)
        self.wait_for(lambda m: m.get("id") == ident)
        self.send("exit", {})
        self.proc.wait(timeout=30)


def lsp_latency(python: str, env: dict[str, str], cwd: Path, path: Path,
                repeat: int) -> dict[str, list[float]]:
    """Seconds from an edit (`didChange`, then `didSave`) of `path` to the diagnostics of
    that version, `repeat` times each; and of the first check, on `didOpen`."""
    client = LspClient([python, "-m", "scorelint", "server"], env, cwd)
    uri = path.resolve().as_uri()
    text = path.read_text(encoding="utf-8")
    ident = client.send("initialize", {"processId": os.getpid(), "rootUri": None,
                                       "capabilities": {}}, request=True)
    client.wait_for(lambda m: m.get("id") == ident)
    client.send("initialized", {})

    def diagnostics_of(version: int) -> Callable[[dict], bool]:
        return lambda m: (m.get("method") == "textDocument/publishDiagnostics"
                          and m["params"]["uri"] == uri and m["params"].get("version") == version)

    times: dict[str, list[float]] = {"open": [], "change": [], "save": []}
    start = time.perf_counter()
    client.send("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "python", "version": 1, "text": text}})
    client.wait_for(diagnostics_of(1))
    times["open"].append(time.perf_counter() - start)
    version = 1
    for i in range(repeat):
        # An edit as a person makes one: a line typed into the middle of the file.
        lines = text.splitlines(keepends=True)
        middle = len(lines) // 2
        text = "".join([*lines[:middle], f"# edit {i}\n", *lines[middle:]])
        version += 1
        start = time.perf_counter()
        client.send("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"text": text}]})
        client.wait_for(diagnostics_of(version))
        times["change"].append(time.perf_counter() - start)
        start = time.perf_counter()  # a save checks again (the configuration may have changed)
        client.send("textDocument/didSave", {"textDocument": {"uri": uri}})
        client.wait_for(diagnostics_of(version))
        times["save"].append(time.perf_counter() - start)
    client.close()
    return times


def latency(args: argparse.Namespace, src: Path, env: dict[str, str], files: list[Path],
            everything: list[Path]) -> None:
    path, seconds = slowest_file(src, files, args.candidates)
    print(f"slowest of the {args.candidates} largest files, in one process: {seconds:.2f} s  "
          f"{path}")
    one = [measure([args.python, "-m", "scorelint", "check", "--no-cache", "--exit-zero",
                    "--output-format", "concise", str(path)], env, src.parent)
           for _ in range(args.repeat)]
    print(f"  one-file check from the shell: median {median(one).wall:.2f} s wall  "
          "(goal <= 0.5)")

    cache = Path(tempfile.mkdtemp(prefix="sl-speed-cache-"))
    check = scorelint_argv(src, args.python, everything, args.jobs, cache)
    measure(check, env, src.parent)  # a cold check fills the cache
    filled = Path(tempfile.mkdtemp(prefix="sl-speed-filled-")) / "cache"
    shutil.copytree(cache, filled)
    warm, first, again = [], [], []
    for _ in range(args.repeat):
        # Each first --diff runs the fix loop on a copy of the cache the cold check filled
        # (the goal is about it); a --diff again takes its result from the cache.
        shutil.rmtree(cache)
        shutil.copytree(filled, cache)
        warm.append(measure(check, env, src.parent))
        first.append(measure([*check, "--diff"], env, src.parent))
        again.append(measure([*check, "--diff"], env, src.parent))
    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(filled.parent, ignore_errors=True)
    warm_run, first_run, again_run = median(warm), median(first), median(again)
    print(f"warm check: median {warm_run.wall:.2f} s wall, {warm_run.cpu:.2f} CPU-s; "
          f"the first --diff after it: median {first_run.wall:.2f} s wall, "
          f"{first_run.cpu:.2f} CPU-s: {first_run.wall / warm_run.wall:.1f}x  (goal <= 2.0)")
    print(f"  a --diff again (its fixes kept): median {again_run.wall:.2f} s wall, "
          f"{again_run.cpu:.2f} CPU-s: {again_run.wall / warm_run.wall:.1f}x")

    target = args.corpus / LSP_FILE
    times = lsp_latency(args.python, env, src.parent, target, args.repeat)
    change, save = statistics.median(times["change"]), statistics.median(times["save"])
    lines = target.read_bytes().count(b"\n")
    print(f"language server, {target} ({lines:,} lines):")
    print(f"  first diagnostics after didOpen: {times['open'][0]:.2f} s")
    print(f"  after didChange: median {change:.2f} s, after didSave: median {save:.2f} s  "
          "(goal <= 0.3)")
    print(f"  every didChange: {', '.join(f'{t:.2f}' for t in times['change'])}")


# --- main ---------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("/tmp/sl-corpus"))
    parser.add_argument("--peers", type=Path, default=Path("/tmp/sl-peers"))
    parser.add_argument("--src", type=Path, default=HERE, help="the scorelint checkout to time")
    parser.add_argument("--python", default=sys.executable,
                        help="the interpreter with scorelint's dependencies")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skip", default="", help="comma-separated: fixit,j1,warm,full")
    parser.add_argument("--funnel", action="store_true",
                        help="also print the funnel and the 10 slowest files")
    parser.add_argument("--save-findings", type=Path, metavar="FILE")
    parser.add_argument("--latency", action="store_true",
                        help="measure one-file, --diff-after-warm and editor latency instead")
    parser.add_argument("--candidates", type=int, default=12,
                        help="with --latency: how many of the largest files to time")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))

    if args.latency:  # no peers needed; the corpus must be there
        if not all((args.corpus / name).is_dir() for name, _ in PINS):
            sys.exit(f"no corpus at {args.corpus}: run without --latency once to build it")
    else:
        build_corpus(args.corpus, args.peers)
    everything = [args.corpus / name for name, _ in PINS]
    subset = [args.corpus / name for name in SUBSET]
    files = corpus_files(everything)
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    print(f"corpus: {len(files):,} files, {lines:,} lines; {args.jobs} processes; "
          f"median of {args.repeat}")
    if args.latency:
        scratch = Path(tempfile.mkdtemp(prefix="sl-speed-"))
        src = package_dir(args.src.resolve(), scratch)
        latency(args, src, _env(src), files, everything)
        shutil.rmtree(scratch, ignore_errors=True)
        return 0
    ruff, fixit = str(args.peers / "bin" / "ruff"), str(args.peers / "bin" / "fixit")
    scratch = Path(tempfile.mkdtemp(prefix="sl-speed-"))
    src = package_dir(args.src.resolve(), scratch)  # what runs: a copy of --src
    env = _env(src)
    cache = Path(tempfile.mkdtemp(prefix="sl-speed-cache-"))
    cold_cache = Path(tempfile.mkdtemp(prefix="sl-speed-cold-"))

    def cold(paths: list[Path], jobs: int) -> list[str]:
        shutil.rmtree(cold_cache, ignore_errors=True)
        return scorelint_argv(src, args.python, paths, jobs, cold_cache)

    commands: dict[str, tuple[callable, dict | None]] = {
        "scorelint cold": (lambda: cold(everything, args.jobs), env),
        "scorelint warm": (lambda: scorelint_argv(src, args.python, everything,
                                                  args.jobs, cache), env),
        "scorelint -j 1": (lambda: cold(everything, 1), env),
        "ruff concise": (lambda: [ruff, "check", "--select", "ALL", "--no-cache", "--exit-zero",
                                  "--output-format", "concise", *map(str, everything)], None),
        "ruff full": (lambda: [ruff, "check", "--select", "ALL", "--no-cache", "--exit-zero",
                               *map(str, everything)], None),
        "subset: scorelint cold": (lambda: cold(subset, args.jobs), env),
        "subset: fixit": (lambda: [fixit, "lint", *map(str, subset)], None),
    }
    if "warm" in skip:
        del commands["scorelint warm"]
    else:  # the warm runs read the cache this run fills
        measure(scorelint_argv(src, args.python, everything, args.jobs, cache), env, src.parent)
    if "j1" in skip:
        del commands["scorelint -j 1"]
    if "full" in skip:
        del commands["ruff full"]
    if "fixit" in skip:
        del commands["subset: fixit"], commands["subset: scorelint cold"]
    results: dict[str, list[Run]] = {name: [] for name in commands}
    for _ in range(args.repeat):
        for name, (argv, run_env) in commands.items():
            results[name].append(measure(argv(), run_env, src.parent))
    shutil.rmtree(cold_cache, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)

    medians = {name: median(runs) for name, runs in results.items()}
    print(f"\n{'':<24} {'wall s':>8} {'CPU s':>8} {'peak RSS MB (tree)':>19} "
          f"{'largest process MB':>19}")
    for name, run in medians.items():
        print(f"{name:<24} {run.wall:8.2f} {run.cpu:8.2f} {run.tree_mb:19.0f} "
              f"{run.largest_mb:19.0f}")
    base = medians["ruff concise"]
    cold_run = medians["scorelint cold"]
    print("\nratios:")
    print(f"  scorelint cold / ruff concise, wall {cold_run.wall / base.wall:6.2f}x  "
          "(target <= 4.0, goal <= 2.0: DESIGN.md)")
    print(f"  scorelint cold / ruff concise, CPU  {cold_run.cpu / base.cpu:6.2f}x")
    print(f"  scorelint peak RSS / ruff's (tree)  {cold_run.tree_mb / base.tree_mb:6.2f}x  "
          "(goal <= 2.0)")
    if "scorelint warm" in medians:
        print(f"  scorelint warm / cold, wall         "
              f"{medians['scorelint warm'].wall / cold_run.wall:6.2f}x  (goal <= 0.1)")
    if "subset: fixit" in medians:
        print(f"  fixit / scorelint on the subset     "
              f"{medians['subset: fixit'].wall / medians['subset: scorelint cold'].wall:6.1f}x"
              "  (goal >= 30)")

    found = findings(cold_run.output)
    print(f"\nscorelint findings: {len(found)}")
    same = True
    for name in ("scorelint warm", "scorelint -j 1"):
        if name in medians and findings(medians[name].output) != found:
            same = False
            print(f"  {name}: DIFFERENT findings from the cold run")
    if args.save_findings:
        args.save_findings.write_text("".join(f"{line}\n" for line in found))
    if args.funnel:
        funnel(src, files)
    shutil.rmtree(scratch, ignore_errors=True)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
