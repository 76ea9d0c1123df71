"""Checking (and fixing) many files: one file per task, in a process pool when it pays.

Each file takes the one road of `scorelint.run.pipeline.check_file`; this module
only hands files to it, in order, in a pool, or from the cache.

A worker process is where a file can fail as badly as it likes: it has a
memory budget (`limits.limit_memory`), a worker that dies (a native abort, the
OOM killer) costs only the file it was checking, and a worker whose parent
dies exits instead of waiting forever for work.
"""

from __future__ import annotations

import dataclasses
import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, Protocol

from scorelint.base import limits, source
from scorelint.base.findings import FileOutcome, FixResult, error_finding, fixable
from scorelint.run import notebook, pipeline
from scorelint.run.discovery import Candidate
from scorelint.run.pipeline import Options

if TYPE_CHECKING:
    from scorelint.run.cache import Cache, Entry

# Below this many files a pool costs more to start than it saves.
POOL_THRESHOLD = 24
# Files checked one by one in this process are checked in a worker of their own from
# this size: LibCST's parser aborts the whole process when memory runs out, and the
# reaching definitions of a module-level flow grow with statements x names (~0.2 GB at
# 2,000 lines binding a new name each).
ISOLATE_BYTES = 64 * 1024
# How often a worker looks whether its parent is still there (where the kernel cannot
# be asked to kill it when its parent dies).
PARENT_POLL_SECONDS = 1.0


class Work(Protocol):
    """What a progress line is told: the bytes of the files about to be checked (or
    fixed), then each file's bytes as it is done. A cache hit is no work: never told."""

    def plan(self, size: int) -> None: ...

    def advance(self, size: int) -> None: ...


class _NoProgress:
    def plan(self, size: int) -> None:
        pass

    def advance(self, size: int) -> None:
        pass


def run(candidates: Sequence[Candidate], options: Options | Callable[[str], Options],
        jobs: int | None = None, cache: Cache | None = None,
        progress: Work | None = None) -> list[FileOutcome]:
    """Check every candidate; paths that could not be walked become SL000 findings.

    `options` is one `Options` for every file, or a function giving each file's
    own (its configuration and `per-file-ignores`). With a `cache`, files checked
    before with the same bytes and options are not checked again, and a fix or diff
    run fixes only the files whose check finds a fix it would apply (`_cached`).
    `progress` is told the work planned and done, in bytes.
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
        outcomes.extend(_cached(paths, per_file, jobs, cache, progress or _NoProgress()))
    else:
        outcomes.extend(_check_all(paths, per_file, jobs, progress or _NoProgress()))
    for outcome in outcomes:  # kept by now, if at all: two texts a fixed file, let them go
        outcome.fix_loop = None
    return outcomes


def _check_all(paths: Sequence[str], per_file: Sequence[Options], jobs: int | None,
               progress: Work, checked: Sequence[FileOutcome | None] = ()
               ) -> list[FileOutcome]:
    """The outcomes of `paths`, in their order; in a pool when there are enough files.
    `checked`: each file's check, if known (`pipeline.check_file`)."""
    checked = checked or [None] * len(paths)
    sizes = [_size(path) for path in paths]
    progress.plan(sum(sizes))
    workers = workers_for(jobs, len(paths))
    # Files this big get a process each anyway: two or more share a pool instead (a fix
    # run's few fixable files are often a tree's biggest).
    isolated = sum(size >= ISOLATE_BYTES for size in sizes)
    if workers > 1 and (len(paths) >= POOL_THRESHOLD or isolated >= 2):
        return _pooled(paths, per_file, workers, sizes, progress, checked)
    outcomes = []
    for path, options, size, known in zip(paths, per_file, sizes, checked):
        big = size >= ISOLATE_BYTES
        outcomes.append(_alone(path, options, known) if big
                        else pipeline.check_file(path, options, checked=known))
        progress.advance(size)
    return outcomes


def _cached(paths: Sequence[str], per_file: Sequence[Options], jobs: int | None,
            cache: Cache, progress: Work) -> list[FileOutcome]:
    """As `_check_all`, taking what the cache holds and storing what it lacked.

    A fix or diff run reads and fills the entries of the check with the same settings:
    a file whose check has no fix this run would apply is its own outcome (fixing
    it would change nothing); only the others are fixed: by the fix loop's result
    kept from an earlier run (`_fix_entries`), else by the fix loop, whose result is
    kept; and a file a fix wrote is cached as its last check found it.
    """
    checks = [dataclasses.replace(o, fix=False, diff=False) for o in per_file]
    fixing = any(o.fix or o.diff for o in per_file)
    workers = workers_for(jobs, len(paths))
    # Small runs fix in this process, or in a pool of the size they need.
    starts_early = fixing and workers > 1 and len(paths) >= POOL_THRESHOLD
    early = _EarlyFixes(workers, progress) if starts_early else None
    try:
        return _cached_in(paths, per_file, checks, jobs, cache, progress, early)
    finally:
        if early is not None:
            early.close()


def _cached_in(paths: Sequence[str], per_file: Sequence[Options], checks: Sequence[Options],
               jobs: int | None, cache: Cache, progress: Work,
               early: _EarlyFixes | None) -> list[FileOutcome]:
    found: dict[int, FileOutcome] = {}
    keys: dict[int, Entry] = {}
    kept: dict[int, tuple[FixResult, tuple[tuple[str, str], ...]]] = {}
    fix_keys: dict[int, tuple[Entry, str]] = {}
    # With fixes starting early, the largest files are read first: a large fix started
    # last would keep one worker busy alone at the end (as `_pooled` orders its files).
    order = sorted(range(len(paths)), key=lambda i: -_size(paths[i])) \
        if early is not None else range(len(paths))
    for i in order:
        path, options = paths[i], checks[i]
        try:
            raw = source.read_bytes(path)
        except source.SourceError:
            continue  # checked below, where the failure becomes its SL000
        key = cache.key(path, raw, options)
        hit = cache.get(key) if key else None
        if hit is not None and (hit.text is not None or notebook.is_notebook(path)
                                or _refill(hit, raw)):
            found[i] = hit
            if early is not None and _wants_fix(hit, per_file[i]):
                more_kept, more_keys = _fix_entries(cache, [(i, path, per_file[i])])
                kept.update(more_kept)
                fix_keys.update(more_keys)
                if i not in kept:
                    early.submit(i, path, per_file[i], hit)
        elif key:
            keys[i] = key
    missing = [i for i in range(len(paths)) if i not in found]
    checked = _check_all([paths[i] for i in missing], [checks[i] for i in missing], jobs,
                         progress)
    for i, outcome in zip(missing, checked):
        found[i] = outcome
        if i in keys and not outcome.failed:
            cache.put(keys[i], outcome)
    to_fix = [i for i in range(len(paths)) if _wants_fix(found[i], per_file[i])]
    checked_now = set(missing)
    later = [i for i in to_fix if early is None or i in checked_now]
    more_kept, more_keys = _fix_entries(cache, [(i, paths[i], per_file[i]) for i in later])
    kept.update(more_kept)
    fix_keys.update(more_keys)
    for i, (result, depends) in kept.items():
        # No lint, no parse: the patch or the write, here (no process of its own needed).
        found[i] = pipeline.check_file(paths[i], per_file[i], checked=found[i], fixed=result)
        if found[i].fix_loop is None:  # served (else the file changed since it was read)
            found[i].depends = depends  # what its lints read, for `_store_written`
    fixed, left = early.results() if early is not None else ({}, [])
    to_run = [i for i in later if i not in kept] + left
    fixed.update(zip(to_run, _check_all([paths[i] for i in to_run],
                                        [per_file[i] for i in to_run], jobs, progress,
                                        [found[i] for i in to_run])))
    for i, outcome in fixed.items():
        loop = outcome.fix_loop
        if i in fix_keys and loop is not None and not outcome.failed \
                and loop.source == fix_keys[i][1]:  # the text the key was made from
            depends = tuple(sorted({*found[i].depends, *outcome.depends}))
            cache.put_fix(fix_keys[i][0], loop, depends)
        found[i] = outcome
    for i in to_fix:
        if found[i].fixed and not per_file[i].diff:
            _store_written(cache, paths[i], checks[i], found[i])
    return [found[i] for i in range(len(paths))]


def _wants_fix(checked: FileOutcome, options: Options) -> bool:
    """Is this a fix or diff run's file whose check has a fix it would apply?"""
    return (options.fix or options.diff) and _would_fix(checked, options.unsafe_fixes)


class _EarlyFixes:
    """The fix loops of a large fix or diff run's cached files, started while the cache is
    still being read (it took ~0.5 s of the corpus's first --diff, the fixes ~0.8 s after
    it). A pool of their own, in the order the files come; a file it could not finish
    (a worker died) is left to `_check_all`, which finds the file that killed it."""

    def __init__(self, workers: int, progress: Work) -> None:
        self.workers = workers
        self.progress = progress
        self.pool: ProcessPoolExecutor | None = None
        self.futures: dict[int, Future[FileOutcome]] = {}
        self.left: list[int] = []

    def submit(self, index: int, path: str, options: Options, checked: FileOutcome) -> None:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(max_workers=self.workers, initializer=_start_worker,
                                            initargs=(None,))
        size = _size(path)
        try:
            future = self.pool.submit(_check_in_worker, index, path, options, checked)
        except BrokenProcessPool:
            self.left.append(index)
            return
        self.progress.plan(size)
        future.add_done_callback(_counter(self.progress, size))
        self.futures[index] = future

    def results(self) -> tuple[dict[int, FileOutcome], list[int]]:
        """The outcomes by index, and the indices left unfinished."""
        done: dict[int, FileOutcome] = {}
        for index, future in self.futures.items():
            try:
                done[index] = future.result()
            except BrokenProcessPool:
                self.left.append(index)
        return done, self.left

    def close(self) -> None:
        """Done, or stopped (an error, ^C): no fix is left running."""
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)


def _fix_entries(cache: Cache, files: Sequence[tuple[int, str, Options]]
                 ) -> tuple[dict[int, tuple[FixResult, tuple[tuple[str, str], ...]]],
                            dict[int, tuple[Entry, str]]]:
    """The fix loop's results the cache holds for these files as they are now (by index),
    and the entry and text to keep each other's under."""
    from scorelint.engine.wrapping import line_length

    kept: dict[int, tuple[FixResult, tuple[tuple[str, str], ...]]] = {}
    keys: dict[int, tuple[Entry, str]] = {}
    for i, path, options in files:
        if notebook.is_notebook(path):
            continue  # its outcome maps cells: not kept
        try:
            raw = source.read_bytes(path)
            text = source.decode(raw).text
        except source.SourceError:
            continue
        # Fixed lines are wrapped to the project's line length (`engine.wrapping`).
        key = cache.fix_key(path, raw, options, line_length(path))
        hit = cache.get_fix(key) if key is not None else None
        if hit is not None:
            kept[i] = (dataclasses.replace(hit[0], source=text), hit[1])
        elif key is not None:
            keys[i] = (key, text)
    return kept, keys


def _would_fix(checked: FileOutcome, unsafe: bool) -> bool:
    """Would the fix loop (`fixes.fix_text`) give another outcome than this check's: a
    fix it would apply, or fixes it withholds from a file that parses only in part?"""
    return (any(fixable(f, unsafe) for f in checked.findings)
            or (checked.failed and any(f.fix for f in checked.findings)))


def _store_written(cache: Cache, path: str, options: Options, outcome: FileOutcome) -> None:
    """Cache a fixed file's check: the fix loop's last lint, of the text it wrote. Only
    when the file now holds exactly that text (not a notebook: its outcome has cells)."""
    if outcome.failed or outcome.text is None or notebook.is_notebook(path):
        return
    try:
        raw = source.read_bytes(path)
        if source.decode(raw).text != outcome.text:
            return  # changed since it was written, or never written
    except source.SourceError:
        return
    key = cache.key(path, raw, options)
    if key is not None:
        cache.put(key, dataclasses.replace(outcome, fixed=0, applied=[]))


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
            sizes: Sequence[int], progress: Work, checked: Sequence[FileOutcome | None]
            ) -> list[FileOutcome]:
    """Check files in a process pool, largest first (a big file started last would keep
    one worker busy alone at the end); the outcomes come back in the order of `paths`.

    A worker that dies (a native crash, the memory budget, the OOM killer) breaks the
    pool and fails every unfinished file. The files a worker had begun are each checked
    again in a process of their own, so only the file that kills its process is lost,
    as an SL000; the files not begun go on in a new pool."""
    outcomes: dict[int, FileOutcome] = {}
    todo = sorted(range(len(paths)), key=lambda i: -sizes[i])
    while todo:
        begun = multiprocessing.RawArray("b", len(paths))  # set by a worker taking a file
        unfinished: list[int] = []
        with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker,
                                 initargs=(begun,)) as pool:
            futures = {}
            for i in todo:
                futures[i] = pool.submit(_check_in_worker, i, paths[i], per_file[i],
                                         checked[i])
                futures[i].add_done_callback(_counter(progress, sizes[i]))
            for i, future in futures.items():
                try:
                    outcomes[i] = future.result()
                except BrokenProcessPool:
                    unfinished.append(i)
        # No file begun: the pool itself failed (it could not start); do not start another.
        suspects = [i for i in unfinished if begun[i]] or unfinished
        for i in suspects:
            outcomes[i] = _alone(paths[i], per_file[i], checked[i])
            progress.advance(sizes[i])
        todo = [i for i in unfinished if i not in outcomes]
    return [outcomes[i] for i in range(len(paths))]


def _counter(progress: Work, size: int) -> Callable[[Future[FileOutcome]], None]:
    """A callback counting a file's bytes as done when its worker finished it."""
    return lambda future: None if future.exception() is not None else progress.advance(size)


# In a worker: which files it has begun, by index (the pool's shared array).
_begun: Any = None


def _start_worker(begun: Any) -> None:
    """A worker's start: exit when the parent dies, then take the memory budget (after
    the deep-stack thread is made, so its stack is not counted against a file).

    What the worker inherited from its parent (forked: the engine, a fix run's cached
    outcomes of every file) is moved out of the garbage collector's sight: it lives as
    long as the worker, and each full collection would walk it again (a tenth of a fix
    run's workers' CPU on the corpus) and copy its pages."""
    global _begun
    gc.freeze()
    _begun = begun
    _exit_with_parent()
    limits.on_deep_stack(int)
    limits.limit_memory()


def _exit_with_parent() -> None:
    """Make this worker exit when the process that started it dies (a kill -9 of the run
    would otherwise leave it blocked forever, waiting for work): on Linux the kernel
    kills it (PR_SET_PDEATHSIG); everywhere, a thread looks every second."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass  # the thread below still watches
    if parent == 1 or os.getppid() != parent:  # the parent died before the watch began
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="scorelint-parent-watch", daemon=True).start()


def _check_in_worker(index: int, path: str, options: Options,
                     checked: FileOutcome | None = None) -> FileOutcome:
    if _begun is not None:
        _begun[index] = 1
    return pipeline.check_file(path, options, checked=checked)


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _alone(path: str, options: Options, checked: FileOutcome | None = None) -> FileOutcome:
    """Check one file in a process of its own; its death is that file's SL000."""
    try:
        with ProcessPoolExecutor(max_workers=1, initializer=_start_worker,
                                 initargs=(None,)) as pool:
            return pool.submit(_check_in_worker, -1, path, options, checked).result()
    except BrokenProcessPool:
        return FileOutcome(path, [error_finding(
            path, "not checked: the process checking it died (a crash in the parser, or "
                  "out of memory)")])
