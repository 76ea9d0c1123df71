"""Checking (and fixing) many files: one file per task, in a process pool when it pays.

Each file takes the one road of `scorelint.pipeline.check_file`; this module
only hands files to it, in order, in a pool, or from the cache.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from scorelint import notebook, pipeline, source
from scorelint.discovery import Candidate
from scorelint.findings import FileOutcome, error_finding
from scorelint.pipeline import Options

if TYPE_CHECKING:
    from scorelint.cache import Cache, Entry

# Below this many files a pool costs more to start than it saves.
POOL_THRESHOLD = 24


def run(candidates: Sequence[Candidate], options: Options | Callable[[str], Options],
        jobs: int | None = None, cache: Cache | None = None,
        done: Callable[[], None] | None = None) -> list[FileOutcome]:
    """Check every candidate; paths that could not be walked become SL000 findings.

    `options` is one `Options` for every file, or a function giving each file's
    own (its configuration and `per-file-ignores`). With a `cache`, files checked
    before with the same bytes and options are not checked again; `done` is called
    once per file checked or found in the cache (a progress line).
    """
    outcomes = [FileOutcome(c.path, [error_finding(c.path, c.error)])
                for c in candidates if c.error]
    for skipped in (c for c in candidates if c.skipped):
        print(f"scorelint: note: skipped {skipped.path}: {skipped.skipped}", file=sys.stderr)
    checked = [c for c in candidates if not (c.error or c.skipped)]
    paths = [c.path for c in checked]
    per_file = [dataclasses.replace(options(c.path) if callable(options) else options,
                                    tree=c.tree) for c in checked]
    if cache is not None:
        outcomes.extend(_cached(paths, per_file, jobs, cache, done or _nothing))
    else:
        outcomes.extend(_check_all(paths, per_file, jobs, done or _nothing))
    return outcomes


def _nothing() -> None:
    pass


def _check_all(paths: Sequence[str], per_file: Sequence[Options], jobs: int | None,
               done: Callable[[], None]) -> list[FileOutcome]:
    """The outcomes of `paths`, in their order; in a pool when there are enough files."""
    workers = workers_for(jobs, len(paths))
    if workers > 1 and len(paths) >= POOL_THRESHOLD:
        return _pooled(paths, per_file, workers, done)
    outcomes = []
    for path, options in zip(paths, per_file):
        outcomes.append(pipeline.check_file(path, options))
        done()
    return outcomes


def _cached(paths: Sequence[str], per_file: Sequence[Options], jobs: int | None,
            cache: Cache, done: Callable[[], None]) -> list[FileOutcome]:
    """As `_check_all`, taking what the cache holds and storing what it lacked."""
    found: dict[int, FileOutcome] = {}
    keys: dict[int, Entry] = {}
    for i, (path, options) in enumerate(zip(paths, per_file)):
        try:
            raw = source.read_bytes(path)
        except source.SourceError:
            continue  # checked below, where the failure becomes its SL000
        key = cache.key(path, raw, options)
        hit = cache.get(key) if key else None
        if hit is not None and (hit.text is not None or notebook.is_notebook(path)
                                or _refill(hit, raw)):
            found[i] = hit
            done()
        elif key:
            keys[i] = key
    missing = [i for i in range(len(paths)) if i not in found]
    checked = _check_all([paths[i] for i in missing], [per_file[i] for i in missing], jobs,
                         done)
    for i, outcome in zip(missing, checked):
        found[i] = outcome
        if i in keys and not outcome.failed:
            cache.put(keys[i], outcome)
    return [found[i] for i in range(len(paths))]


def _refill(outcome: FileOutcome, raw: bytes) -> bool:
    """Put back the text a cached outcome's positions refer to (not stored: it is the file)."""
    try:
        outcome.text = source.decode(raw).text
    except source.SourceError:
        return False
    return True


def workers_for(jobs: int | None, files: int) -> int:
    """Worker processes for `files` files: at most one per core, and no more than files.

    More workers than cores only add memory (each holds a parse), so `-j` above
    the core count is capped, with a note.
    """
    cores = os.cpu_count() or 1
    if jobs is not None and jobs > cores:
        print(f"scorelint: note: -j {jobs} is more than the {cores} cores here; "
              f"using {cores}", file=sys.stderr)
    wanted = cores if jobs is None or jobs < 1 else min(jobs, cores)
    return max(1, min(wanted, files))


def _pooled(paths: Sequence[str], per_file: Sequence[Options], workers: int,
            done: Callable[[], None] = _nothing) -> list[FileOutcome]:
    """Check files in a process pool, largest first (a big file started last would keep
    one worker busy alone at the end); the outcomes come back in the order of `paths`.
    A worker that dies (a native crash, the OOM killer) breaks the pool and fails every
    unfinished file: those are checked again one per process, so only the file that
    kills its process is lost, as an SL000."""
    outcomes: dict[int, FileOutcome] = {}
    unfinished: list[int] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {}
        for i in sorted(range(len(paths)), key=lambda i: -_size(paths[i])):
            futures[i] = pool.submit(pipeline.check_file, paths[i], per_file[i])
            futures[i].add_done_callback(lambda _: done())
        for i, future in futures.items():
            try:
                outcomes[i] = future.result()
            except BrokenProcessPool:
                unfinished.append(i)
    for i in unfinished:
        outcomes[i] = _alone(paths[i], per_file[i])
    return [outcomes[i] for i in range(len(paths))]


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _alone(path: str, options: Options) -> FileOutcome:
    """Check one file in a process of its own; its death is that file's SL000."""
    try:
        with ProcessPoolExecutor(max_workers=1) as pool:
            return pool.submit(pipeline.check_file, path, options).result()
    except BrokenProcessPool:
        return FileOutcome(path, [error_finding(
            path, "not checked: the process checking it died (a crash in the parser, or "
                  "out of memory)")])
