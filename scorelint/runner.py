"""Checking (and fixing) many files: one file per task, in a process pool when it pays."""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from scorelint import engine, fixes, source
from scorelint.discovery import Candidate
from scorelint.findings import ERROR_CODE, Finding
from scorelint.rule import Rule, all_rules

# Below this many files a pool costs more to start than it saves.
POOL_THRESHOLD = 24


@dataclass(frozen=True)
class Options:
    codes: tuple[str, ...]  # the selected rules, by code (picklable for workers)
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False  # compute fixes, print the patch, write nothing


@dataclass
class FileOutcome:
    path: str
    findings: list[Finding] = field(default_factory=list)
    fixed: int = 0
    diff: str = ""
    text: str | None = None  # the text the findings' positions refer to

    @property
    def failed(self) -> bool:
        return any(f.code == ERROR_CODE for f in self.findings)


def _rules(codes: Sequence[str]) -> list[type[Rule]]:
    wanted = set(codes)
    return [r for r in all_rules() if r.code in wanted]


def check_file(path: str, options: Options) -> FileOutcome:
    """Lint one file; with `fix` or `diff`, fix it too. Never raises for bad input."""
    try:
        src = source.read(path)
    except source.SourceError as exc:
        return FileOutcome(path, [engine.error_finding(path, str(exc))])
    return check_source(path, src, options)


def check_source(path: str, src: source.Source, options: Options) -> FileOutcome:
    """Lint (and fix, write or diff) one decoded Python source."""
    rules = _rules(options.codes)
    try:
        if not (options.fix or options.diff):
            return FileOutcome(path, engine.lint(src.text, path, rules), text=src.text)
        result = fixes.fix_text(src.text, path, rules, options.unsafe_fixes)
    except engine.LintError as exc:
        return FileOutcome(path, [engine.error_finding(path, str(exc), exc.row, exc.column)],
                           text=src.text)
    outcome = FileOutcome(path, result.remaining, fixed=len(result.applied), text=result.text)
    if result.text == src.text:
        outcome.text = src.text
        return outcome
    if options.diff:
        outcome.diff = unified_diff(path, src.text, result.text)
        outcome.text = src.text
        outcome.findings = engine.lint(src.text, path, rules)
    else:
        try:
            fixes.write_atomic(path, src.to_bytes(result.text))
        except OSError as exc:
            outcome.findings = engine.lint(src.text, path, rules) + [
                engine.error_finding(path, f"cannot write the fixed file: {exc.strerror or exc}")
            ]
            outcome.text, outcome.fixed = src.text, 0
    return outcome


def unified_diff(path: str, before: str, after: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True),
        fromfile=f"a/{_display(path)}", tofile=f"b/{_display(path)}",
    )
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
                   for line in lines)


def _display(path: str) -> str:
    rel = os.path.relpath(path)
    return path.lstrip("/") if rel.startswith("..") else rel


def run(candidates: Sequence[Candidate], options: Options, jobs: int | None = None) -> list[FileOutcome]:
    """Check every candidate; paths that could not be walked become SL000 findings."""
    outcomes = [FileOutcome(c.path, [engine.error_finding(c.path, c.error)])
                for c in candidates if c.error]
    paths = [c.path for c in candidates if not c.error]
    jobs = jobs or os.cpu_count() or 1
    if jobs > 1 and len(paths) >= POOL_THRESHOLD:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            outcomes.extend(pool.map(check_file, paths, [options] * len(paths),
                                     chunksize=max(1, len(paths) // (jobs * 8))))
    else:
        outcomes.extend(check_file(p, options) for p in paths)
    return outcomes
