"""Sweep the running interpreter's standard library through scorelint, fixing in dry-run.

Every `.py` file of the stdlib (about 1,800 on CPython 3.11) is read, linted
with all rules and, when some fix applies, fixed with unsafe fixes on in
memory (`fixes.fix_text`); nothing is written. The promises checked
(RELIABILITY.md): no crash, no internal error (SL001), every file that cannot
be parsed comes out as SL000 with a reason, and every fixed text re-parses,
compiles when the original did and encodes back in the file's encoding.

    python benchmarks/stdlib_sweep.py            # the whole stdlib
    python benchmarks/stdlib_sweep.py --sample 60 --jobs 1

Exit status 1 when a promise is broken. `tests/test_reliability.py` runs a
60-file sample of the same sweep through `check`.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import sysconfig
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from scorelint.base import source
from scorelint.base.findings import INTERNAL_CODE
from scorelint.engine import fixes
from scorelint.engine import linter as engine
from scorelint.engine.registry import all_rules

_SKIP_DIRS = frozenset({"site-packages", "dist-packages", "__pycache__"})


@dataclass(frozen=True)
class FileResult:
    """What the sweep saw in one file."""

    path: str
    codes: tuple[str, ...] = ()  # codes of the findings before fixing
    not_checked: str | None = None  # the SL000 reason
    internal: tuple[str, ...] = ()  # SL001 messages
    crash: str | None = None  # an exception that escaped (a broken promise)
    applied: int = 0
    refused: str | None = None
    bad_fix: str | None = None  # a fixed text that breaks a promise
    seconds: float = 0.0

    @property
    def broken(self) -> bool:
        return bool(self.crash or self.internal or self.bad_fix)


def stdlib_root() -> str:
    return sysconfig.get_paths()["stdlib"]


def stdlib_files(root: str | None = None) -> list[str]:
    """Every `.py` file under the stdlib folder (third-party packages left out), sorted."""
    root = root or stdlib_root()
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        found.extend(os.path.join(folder, f) for f in files if f.endswith(".py"))
    return sorted(found)


def sample(files: list[str], count: int) -> list[str]:
    """`count` files spread evenly over the sorted list: the same ones on every run."""
    if count >= len(files):
        return list(files)
    step = len(files) / count
    return [files[int(i * step)] for i in range(count)]


def check(path: str) -> FileResult:
    """Lint one file with every rule and fix it in memory; never raises."""
    started = time.perf_counter()
    try:
        result = _check(path)
    except Exception:  # noqa: BLE001  (the sweep reports crashes instead of stopping)
        result = FileResult(path, crash=traceback.format_exc(limit=8))
    return FileResult(**{**result.__dict__, "seconds": time.perf_counter() - started})


def _check(path: str) -> FileResult:
    rules = all_rules()
    try:
        src = source.read(path)
    except source.SourceError as exc:
        return FileResult(path, not_checked=str(exc))
    try:
        findings = engine.lint(src.text, path, rules)
    except engine.LintError as exc:
        return FileResult(path, not_checked=str(exc))
    codes = tuple(f.code for f in findings)
    internal = tuple(f.message for f in findings if f.code == INTERNAL_CODE)
    if not any(fixes.applicable(f.fix, unsafe=True) for f in findings):
        return FileResult(path, codes, internal=internal)
    fixed = fixes.fix_text(src.text, path, rules, unsafe=True)
    internal += tuple(f.message for f in fixed.remaining if f.code == INTERNAL_CODE)
    bad = None
    if fixed.text != src.text:
        if not fixes.reparses(fixed.text, must_compile=fixes.compiles(src.text)):
            bad = "the fixed text does not parse"
        else:
            try:
                src.to_bytes(fixed.text)
            except UnicodeError as exc:
                bad = f"the fixed text does not encode: {exc}"
    return FileResult(path, codes, internal=internal, applied=len(fixed.applied),
                      refused=fixed.refused, bad_fix=bad)


def sweep(paths: list[str], jobs: int) -> list[FileResult]:
    if jobs <= 1:
        return [check(p) for p in paths]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(check, paths, chunksize=8))


def report(results: list[FileResult], wall: float, root: str) -> str:
    """The counts, the files not checked with their reasons, and every broken promise."""
    codes = collections.Counter(c for r in results for c in r.codes)
    lines = [
        f"python {sys.version.split()[0]}, {len(results)} files under {root}",
        f"wall {wall:.1f} s, cpu in checks {sum(r.seconds for r in results):.1f} s",
        f"checked: {sum(r.not_checked is None and r.crash is None for r in results)}",
        f"not checked (SL000): {sum(r.not_checked is not None for r in results)}",
        f"internal errors (SL001): {sum(len(r.internal) for r in results)}",
        f"crashes: {sum(r.crash is not None for r in results)}",
        f"findings: {dict(sorted(codes.items())) or 0}",
        f"files fixed in dry-run: {sum(r.applied > 0 and r.refused is None for r in results)}"
        f" ({sum(r.applied for r in results if r.refused is None)} fixes)",
        f"fixes refused: {sum(r.refused is not None for r in results)}",
        f"fixed texts that break a promise: {sum(r.bad_fix is not None for r in results)}",
    ]
    slowest = max(results, key=lambda r: r.seconds, default=None)
    if slowest is not None:
        lines.append(f"slowest: {os.path.relpath(slowest.path, root)} {slowest.seconds:.2f} s")
    for r in results:
        where = os.path.relpath(r.path, root)
        if r.not_checked:
            lines.append(f"  SL000 {where}: {r.not_checked}")
        if r.refused:
            lines.append(f"  refused {where}: {r.refused}")
        for message in r.internal:
            lines.append(f"  SL001 {where}: {message}")
        if r.bad_fix:
            lines.append(f"  BAD FIX {where}: {r.bad_fix}")
        if r.crash:
            lines.append(f"  CRASH {where}:\n{r.crash}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=None, help="folder to sweep (default: the stdlib)")
    parser.add_argument("--sample", type=int, default=0, help="check only this many files")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    root = args.root or stdlib_root()
    paths = stdlib_files(root)
    if args.sample:
        paths = sample(paths, args.sample)
    started = time.perf_counter()
    results = sweep(paths, args.jobs)
    print(report(results, time.perf_counter() - started, root))
    return 1 if any(r.broken for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
