"""Limits that keep one file from taking down a run: size, CPython's verdict, a deep stack,
time, memory and the number of findings.

LibCST's native parser has no nesting limit of its own: 2,000 nested brackets
(which CPython rejects) overflow its stack and kill the process with a
segfault. So CPython's `ast` parses every file first and LibCST only ever sees
text CPython accepts. What CPython accepts can still be ~3,000 levels deep,
which LibCST's recursive visitors cannot walk on the default stack, so the
LibCST work runs in a thread with a large stack and a raised recursion limit.
Memory grows about 0.7 GB per MB of source in LibCST, hence the size limit.

Cost is bounded per file too: a deadline (`time_budget`) that the analyses
check at cheap points (`check_time`, per statement or node), an address-space
limit for the worker processes that check files (`limit_memory`; a parse that
goes past it dies alone, as `scorelint.run.runner` arranges), and at most
`MAX_FINDINGS` findings per file (each costs milliseconds and memory).
"""

from __future__ import annotations

import ast
import contextlib
import gc
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

# Larger files are not checked: LibCST needs ~0.7 GB per MB of source.
MAX_CHARS = 2 * 1024 * 1024
# Enough for the deepest code CPython's own parser accepts (~3,000 levels).
STACK_BYTES = 512 * 1024 * 1024
RECURSION_LIMIT = 60_000
# CPython's own default: its parser's verdict is taken at it (how deep a tree it builds
# follows the recursion limit), so the deep stack's limit lets no deeper text reach LibCST.
CPYTHON_RECURSION_LIMIT = 1000
# Seconds one file may take (reading, every analysis, every fix pass); $SCORELINT_TIME_BUDGET.
TIME_BUDGET = 60.0
# Address space a worker may add to what it starts with, in MiB; $SCORELINT_MEMORY_BUDGET.
MEMORY_BUDGET_MIB = 4096
# Past this many findings in one file the rest of it is not checked (~3 ms and ~0.2 MB each).
MAX_FINDINGS = 1000


class Rejected(Exception):
    """CPython rejects the text, or it is over a limit; the message is the SL000 reason."""

    def __init__(self, message: str, row: int = 1, column: int = 1,
                 syntax: SyntaxError | None = None) -> None:
        super().__init__(message)
        self.row, self.column = row, column
        self.syntax = syntax  # CPython's complaint, when it is a syntax error


def cpython_check(text: str) -> ast.Module:
    """CPython's tree of `text`; raises `Rejected` with the reason LibCST must not see it."""
    if len(text) > MAX_CHARS:
        raise Rejected(f"file too large to check: {len(text):,} characters, "
                       f"scorelint's limit is {MAX_CHARS:,}")
    try:
        return cpython_parse(text)
    except SyntaxError as exc:
        raise Rejected(f"syntax error at line {exc.lineno}: {exc.msg}", exc.lineno or 1,
                       max(1, exc.offset or 1), syntax=exc) from None
    except UnicodeEncodeError as exc:  # a lone surrogate, as a notebook's JSON can hold
        row = text.count("\n", 0, exc.start) + 1
        column = exc.start - (text.rfind("\n", 0, exc.start) + 1) + 1
        raise Rejected(f"not valid Unicode at line {row}: {exc.reason}", row, column) from None
    except ValueError as exc:  # e.g. a NUL character in a notebook's cell
        raise Rejected(f"syntax error: {exc}") from None
    except (RecursionError, MemoryError) as exc:
        raise Rejected(nesting_message(exc)) from None


def cpython_parse(text: str) -> ast.Module:
    """`ast.parse` without warnings; raises what CPython raises (SyntaxError, ValueError,
    RecursionError, MemoryError). Nothing is compiled or executed."""
    old_limit = sys.getrecursionlimit()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning for odd escapes is not ours
        sys.setrecursionlimit(CPYTHON_RECURSION_LIMIT)  # as `python file.py` parses it
        try:
            return ast.parse(text)
        finally:
            sys.setrecursionlimit(old_limit)


def nesting_message(exc: BaseException) -> str:
    """The SL000 reason for code nested deeper than CPython's parser goes."""
    why = str(exc) or type(exc).__name__
    return f"too deeply nested: CPython's parser rejects it ({why})"


def on_deep_stack(work: Callable[..., T], *args: object) -> T:
    """`work(*args)` in a thread with a large stack and a raised recursion limit.

    Exceptions propagate. One such thread per process is kept and reused, so
    its stack is mapped once; called on that thread, the work runs right there.
    If the system refuses the thread, the work runs here, where a RecursionError
    is still caught by the caller.
    """
    try:
        pool = _deep_thread()
    except (RuntimeError, ValueError, MemoryError):
        return work(*args)  # no big thread here: the default stack, and its limit
    if threading.get_ident() == _deep_ident:
        return work(*args)  # already on it (waiting for itself would never end)
    global _waiting, _old_limit
    with _limit_lock:  # the first of several threads waiting raises it, the last restores it
        if _waiting == 0:
            _old_limit = sys.getrecursionlimit()
            sys.setrecursionlimit(max(_old_limit, RECURSION_LIMIT))
        _waiting += 1
    try:
        return pool.submit(work, *args).result()
    finally:
        with _limit_lock:
            _waiting -= 1
            if _waiting == 0:
                sys.setrecursionlimit(_old_limit)


_deep: tuple[int, ThreadPoolExecutor] | None = None
_deep_ident: int | None = None
_limit_lock = threading.Lock()
_waiting = 0  # threads waiting for work on the deep stack
_old_limit = 1000


def _forked() -> None:
    """A forked worker has none of its parent's waiting threads (nor their lock)."""
    global _limit_lock, _waiting
    _limit_lock, _waiting = threading.Lock(), 0


os.register_at_fork(after_in_child=_forked)


def _deep_thread() -> ThreadPoolExecutor:
    """This process's deep-stack thread (a forked pool worker makes its own)."""
    global _deep, _deep_ident
    if _deep is None or _deep[0] != os.getpid():
        old_size = threading.stack_size()
        try:
            threading.stack_size(STACK_BYTES)
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scorelint-deep")
            # Start the thread now, while the stack size is set.
            _deep_ident = pool.submit(threading.get_ident).result()
        finally:
            threading.stack_size(old_size)
        _deep = (os.getpid(), pool)
    return _deep[1]


def _env_number(name: str, default: float) -> float:
    """A positive number from the environment variable `name`, else `default`."""
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def time_budget() -> float:
    """The seconds one file may take: $SCORELINT_TIME_BUDGET, else `TIME_BUDGET`."""
    return _env_number("SCORELINT_TIME_BUDGET", TIME_BUDGET)


class OverBudget(Exception):
    """A file took longer than its time budget; the message is the SL000 reason."""


_budget = threading.local()  # the deadline of the file this thread is checking


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Within the block, `check_time` raises `OverBudget` once `seconds` have passed."""
    global _countdown
    outer = getattr(_budget, "until", None)
    _budget.until, _budget.seconds = time.monotonic() + seconds, seconds
    _countdown = 0  # the first check reads the clock
    try:
        yield
    finally:
        _budget.until = outer


_collector_lock = threading.Lock()
_collector_pausers = 0  # threads inside `collector_paused`
_collector_was_on = False


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection within the block (a file's check; a module the
    project index summarises). A check makes millions of short-lived objects (`ast` and
    LibCST trees, which hold no cycles and are freed as they go out of use), and the
    collector walked them, and all the process holds, again and again: 15-20% of a cold
    check. The first thread in turns the collector off (when it was on), the last out
    turns it back on, so the language server's checking threads do not undo each other;
    what cycles a check left are collected after it."""
    global _collector_pausers, _collector_was_on
    with _collector_lock:
        if _collector_pausers == 0:
            _collector_was_on = gc.isenabled()
            gc.disable()
        _collector_pausers += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector_pausers -= 1
            if _collector_pausers == 0 and _collector_was_on:
                gc.enable()


# The clock is read on every `CLOCK_EVERY`th call only: the calls come per node, and the
# thread-local lookup and the clock were 4% of a check. Shared by threads: it only
# spaces the readings, each of which reads the calling thread's own deadline.
CLOCK_EVERY = 64
_countdown = 0


def check_time() -> None:
    """Raise `OverBudget` if the file being checked is past its deadline (cheap: call it
    per statement or per node)."""
    global _countdown
    _countdown -= 1
    if _countdown > 0:
        return
    _countdown = CLOCK_EVERY
    until = getattr(_budget, "until", None)
    if until is not None and time.monotonic() > until:
        raise OverBudget(f"took longer than {_budget.seconds:g} s to check "
                         "(scorelint's limit per file, $SCORELINT_TIME_BUDGET)")


def limit_memory() -> None:
    """Let this process (a worker) add at most the memory budget to the address space it
    has now: an allocation past it fails (MemoryError, or an abort in native code) instead
    of the machine swapping. Never raises a limit already set lower."""
    try:
        import resource
    except ImportError:  # not on this system: the per-file time budget still holds
        return
    try:
        with open("/proc/self/statm", "rb") as statm:
            now = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        now = 0
    budget = int(_env_number("SCORELINT_MEMORY_BUDGET", MEMORY_BUDGET_MIB) * 1024 * 1024)
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        wanted = now + budget
        if soft != resource.RLIM_INFINITY:
            wanted = min(wanted, soft)
        if hard != resource.RLIM_INFINITY:
            wanted = min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    except (OSError, ValueError):
        pass  # refused here: the time budget and the findings cap still hold
