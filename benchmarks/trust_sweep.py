"""Sweep real code through the `scorelint` command and count every broken promise.

On copies of the files (the originals are never touched), for stdlib and/or
a corpus folder:

1. `check --unsafe-fixes` (JSON): the fixes scorelint reports, with their edits;
2. `check --fix --unsafe-fixes`: files changed, fixes applied;
3. every fixed file still parses (CPython's `ast`; nothing is run);
4. no character outside a reported edit changed;
5. a second `--fix` run changes nothing (idempotence);
6. `kill -9` of a fix run at random moments: every file is afterwards either
   the original or the fully fixed text, byte for byte;
7. two fix runs at once (one with the SL2 rules, one with SL1 and SL3) on
   synthetic files that hold both kinds of bug: a file is "lost" when a
   run's fixes are missing although the run did not say it skipped the file.

The command runs from a source checkout given with `--src` (default: this
one), so the same sweep measures an older commit:

    git archive dc57908 | tar -x -C /tmp/sl-base
    python benchmarks/trust_sweep.py --src /tmp/sl-base --stdlib --corpus /tmp/sl-corpus

It prints the counts; exit status 1 when a promise is broken.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
import tokenize
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
_SKIP = frozenset({"site-packages", "dist-packages", "__pycache__", ".git"})
_FIXED = re.compile(r"\((\d+) fixed, \d+ remaining\)|^Fixed (\d+) errors?\.", re.M)
# Both families in one function: the two concurrent runs each have a fix to make in it.
# The padding keeps each run busy on the file long enough for the runs to overlap.
_BOTH = """import numpy as np


def score(p, scores):
    total = np.log(np.prod(p, axis=-1))
    w = np.exp(scores)
    return total, w / w.sum()
""" + "".join(f"v{i} = np.exp(np.minimum(x{i}, 0.0))\n" for i in range(300))


@dataclass
class Counts:
    files: int = 0
    fixes_applied: int = 0
    files_changed: int = 0
    crashes: int = 0
    unparseable_results: int = 0
    non_idempotent_files: int = 0
    chars_changed_outside_spans: int = 0
    files_changed_outside_spans: int = 0
    kills: int = 0
    kills_survived: int = 0
    temp_files_left_by_kills: int = 0
    concurrent_files: int = 0
    concurrent_lost: int = 0
    concurrent_skipped_with_a_note: int = 0
    notes: list[str] = field(default_factory=list)


def package_dir(src: Path, scratch: Path) -> Path:
    """A folder to put on PYTHONPATH that imports `scorelint` (with its rules) from `src`."""
    root = scratch / "pkg"
    shutil.copytree(src / "scorelint", root / "scorelint")
    shutil.copytree(src / "rules", root / "scorelint" / "rules")
    return root


class Scorelint:
    """Runs `python -m scorelint` from one source tree."""

    def __init__(self, pythonpath: Path, jobs: int) -> None:
        self.env = {**os.environ, "PYTHONPATH": str(pythonpath), "PYTHONIOENCODING": "utf-8"}
        self.jobs = jobs
        # `python -m` puts the working folder first on sys.path: run where no
        # `scorelint` folder shadows the one on PYTHONPATH.
        self.cwd = str(pythonpath.parent)

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "scorelint", "check", "-j", str(self.jobs), *args]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(*args), capture_output=True, text=True,
                              errors="replace", env=self.env, cwd=self.cwd, check=False)

    def version(self) -> str:
        """Where the runs import scorelint from (a check that --src is what runs)."""
        done = subprocess.run([sys.executable, "-c", "import scorelint; print(scorelint.__file__)"],
                              capture_output=True, text=True, env=self.env, cwd=self.cwd,
                              check=False)
        return done.stdout.strip()

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        # A session of its own, so that kill -9 reaches the pool's workers too.
        return subprocess.Popen(self.command(*args), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=self.env, cwd=self.cwd,
                                start_new_session=True)


def crashed(done: subprocess.CompletedProcess[str]) -> bool:
    return done.returncode not in (0, 1, 2) or "Traceback (most recent call last)" in done.stderr


def python_files(root: Path) -> Iterator[Path]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP)
        for name in sorted(files):
            if name.endswith(".py") and not os.path.islink(os.path.join(folder, name)):
                yield Path(folder, name)


def copy_tree(sources: list[tuple[str, Path]], dest: Path, sample: int) -> list[Path]:
    """Copy the .py files of each (label, root) under dest/label; returns the copies."""
    copies = []
    for label, root in sources:
        files = list(python_files(root))
        if sample and len(files) > sample:
            step = len(files) / sample
            files = [files[int(i * step)] for i in range(sample)]
        for path in files:
            target = dest / label / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            copies.append(target)
    return copies


def snapshot(root: Path) -> dict[Path, bytes]:
    return {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def decode(raw: bytes) -> str | None:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        text = raw.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return None
    return text[1:] if text.startswith("\ufeff") else text


def parses(raw: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(raw)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def offsets(text: str) -> list[int]:
    starts = [0]
    for match in re.finditer(r"\r\n|\r|\n", text):
        starts.append(match.end())
    return starts


def edit_spans(findings: list[dict], texts: dict[str, str]) -> dict[str, list[tuple[int, int]]]:
    """Character spans of every reported edit, per file name."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for finding in findings:
        fix, name = finding.get("fix"), finding["filename"]
        if not fix or name not in texts:
            continue
        starts = offsets(texts[name])
        for edit in fix["edits"]:
            begin = starts[edit["location"]["row"] - 1] + edit["location"]["column"] - 1
            end = starts[edit["end_location"]["row"] - 1] + edit["end_location"]["column"] - 1
            spans.setdefault(name, []).append((begin, end))
    return spans


def outside(before: str, after: str, spans: list[tuple[int, int]]) -> int:
    """Characters of `before` changed (or inserted) outside every reported span."""
    def covered(i: int, j: int) -> bool:
        return any(s <= i and j <= e for s, e in spans) if i < j else any(
            s <= i <= e for s, e in spans)

    a_lines, b_lines = before.splitlines(keepends=True), after.splitlines(keepends=True)
    a_starts = [0]
    for line in a_lines:
        a_starts.append(a_starts[-1] + len(line))
    bad = 0
    matcher = difflib.SequenceMatcher(None, a_lines, b_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        old, new = "".join(a_lines[i1:i2]), "".join(b_lines[j1:j2])
        inner = difflib.SequenceMatcher(None, old, new, autojunk=False)
        for itag, k1, k2, m1, m2 in inner.get_opcodes():
            if itag != "equal" and not covered(a_starts[i1] + k1, a_starts[i1] + k2):
                bad += max(k2 - k1, m2 - m1)
    return bad


def fixes_applied(output: str) -> int:
    return sum(int(a or b) for a, b in _FIXED.findall(output))


def sweep(tool: Scorelint, work: Path, counts: Counts, kills: int, seed: int) -> None:
    orig, fixed = work / "orig", work / "fixed"
    shutil.copytree(orig, fixed)
    before = snapshot(orig)
    texts = {str(fixed / rel): t for rel, raw in before.items() if (t := decode(raw)) is not None}
    counts.files = len(before)

    listed = tool.run("--unsafe-fixes", "--output-format", "json", str(fixed))
    counts.crashes += crashed(listed)
    findings = json.loads(listed.stdout) if listed.stdout.strip().startswith("[") else []
    spans = edit_spans(findings, texts)

    started = time.perf_counter()
    run = tool.run("--fix", "--unsafe-fixes", str(fixed))
    fix_seconds = time.perf_counter() - started
    counts.crashes += crashed(run)
    counts.fixes_applied = fixes_applied(run.stdout)
    after = snapshot(fixed)
    for rel, raw in after.items():
        if rel not in before or raw == before[rel]:
            continue
        counts.files_changed += 1
        if not parses(raw):
            counts.unparseable_results += 1
            counts.notes.append(f"unparseable after fix: {rel}")
        old, new = decode(before[rel]), decode(raw)
        if old is not None and new is not None:
            bad = outside(old, new, spans.get(str(fixed / rel), []))
            if bad:
                counts.chars_changed_outside_spans += bad
                counts.files_changed_outside_spans += 1
                counts.notes.append(f"{bad} characters changed outside reported edits: {rel}")
    leftovers = [rel for rel in after if rel.name.startswith(".scorelint-")]
    counts.notes += [f"temporary file left: {rel}" for rel in leftovers]

    again = tool.run("--fix", "--unsafe-fixes", str(fixed))
    counts.crashes += crashed(again)
    second = snapshot(fixed)
    counts.non_idempotent_files = sum(1 for rel, raw in second.items() if after.get(rel) != raw)

    rng = random.Random(seed)
    for trial in range(kills):
        target = work / f"kill{trial}"
        shutil.copytree(orig, target)
        process = tool.start("--fix", "--unsafe-fixes", str(target))
        time.sleep(rng.uniform(0.05, max(0.1, fix_seconds)))
        with _suppress_lookup():
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        state = snapshot(target)
        temps = [rel for rel in state if rel.name.startswith(".scorelint-")]
        counts.temp_files_left_by_kills += len(temps)
        good = all(raw in (before.get(rel), after.get(rel))
                   for rel, raw in state.items() if rel not in temps)
        good = good and all(rel in state for rel in before)
        counts.kills += 1
        counts.kills_survived += good
        shutil.rmtree(target)


class _suppress_lookup:
    """`os.killpg` on a run that already ended raises ProcessLookupError: fine."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, *rest: object) -> bool:
        return kind is ProcessLookupError


def concurrent(tool: Scorelint, work: Path, counts: Counts, synthetic: int) -> None:
    """Two fix runs (SL2, and SL1+SL3) at once; then what each run's rules left behind."""
    base = work / "concurrent_orig"
    base.mkdir()
    for i in range(synthetic):
        (base / "both" / f"both{i:03}.py").parent.mkdir(parents=True, exist_ok=True)
        (base / "both" / f"both{i:03}.py").write_text(_BOTH)

    def leftovers(root: Path) -> set[str]:
        done = tool.run("--unsafe-fixes", "--select", "SL1,SL2,SL3", "--output-format", "json",
                        str(root))
        found = json.loads(done.stdout) if done.stdout.strip().startswith("[") else []
        return {os.path.relpath(f["filename"], root) for f in found if f.get("fix")}

    sequential = work / "sequential"
    shutil.copytree(base, sequential)
    tool.run("--fix", "--unsafe-fixes", "--select", "SL2", str(sequential))
    tool.run("--fix", "--unsafe-fixes", "--select", "SL1,SL3", str(sequential))
    expected = leftovers(sequential)

    both = work / "both_at_once"
    shutil.copytree(base, both)
    # One process each, walking the files in the same order: they meet on every file.
    runs = [subprocess.Popen([*tool.command("--fix", "--unsafe-fixes", "--select", select,
                                            "--output-format", "json", str(both)), "-j", "1"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=tool.env,
                             cwd=tool.cwd)
            for select in ("SL2", "SL1,SL3")]
    outputs = [r.communicate()[0].decode("utf-8", "replace") for r in runs]
    skipped = set()
    for output in outputs:
        found = json.loads(output) if output.strip().startswith("[") else []
        skipped |= {os.path.relpath(f["filename"], both) for f in found
                    if f["code"] == "SL000" and "changed while" in f["message"]}
    left = leftovers(both)
    counts.concurrent_files = sum(1 for _ in base.rglob("*.py"))
    counts.concurrent_skipped_with_a_note = len(skipped)
    counts.concurrent_lost = len((left - expected) - skipped)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=HERE, help="scorelint source checkout")
    parser.add_argument("--stdlib", action="store_true", help="sweep the standard library")
    parser.add_argument("--corpus", type=Path, action="append", default=[],
                        help="a folder of Python files to sweep (repeatable)")
    parser.add_argument("--sample", type=int, default=0, help="at most this many files per root")
    parser.add_argument("--kills", type=int, default=10, help="kill -9 trials")
    parser.add_argument("--synthetic", type=int, default=40,
                        help="files with both kinds of bug for the concurrent runs")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--only-concurrent", action="store_true",
                        help="run only the two-fix-runs-at-once part")
    args = parser.parse_args(argv)
    roots = ([("stdlib", Path(sysconfig.get_paths()["stdlib"]))] if args.stdlib else [])
    roots += [(f"corpus{i}", path) for i, path in enumerate(args.corpus)]
    if not roots:
        parser.error("nothing to sweep: give --stdlib and/or --corpus")
    counts = Counts()
    with tempfile.TemporaryDirectory(prefix="scorelint-sweep-") as scratch:
        work = Path(scratch)
        tool = Scorelint(package_dir(args.src.resolve(), work), args.jobs)
        copy_tree(roots, work / "orig", args.sample)
        started = time.perf_counter()
        if not args.only_concurrent:
            sweep(tool, work, counts, args.kills, args.seed)
        concurrent(tool, work, counts, args.synthetic)
        wall = time.perf_counter() - started
        imported = tool.version()  # while the scratch folder still exists
    print(f"scorelint {imported} from {args.src} on {', '.join(label for label, _ in roots)}"
          f"{f' (sample {args.sample} per root)' if args.sample else ''}; {wall:.0f} s")
    for name, value in vars(counts).items():
        if name != "notes":
            print(f"{name.replace('_', ' ')}: {value}")
    for note in counts.notes[:40]:
        print(f"  {note}")
    broken = (counts.crashes or counts.unparseable_results or counts.non_idempotent_files
              or counts.chars_changed_outside_spans or counts.kills_survived < counts.kills
              or counts.concurrent_lost)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
