"""Limits that keep one file from taking down a run: size, CPython's verdict, a deep stack.

LibCST's native parser has no nesting limit of its own: 2,000 nested brackets
(which CPython rejects) overflow its stack and kill the process with a
segfault. So CPython's `ast` parses every file first and LibCST only ever sees
text CPython accepts. What CPython accepts can still be ~3,000 levels deep,
which LibCST's recursive visitors cannot walk on the default stack, so the
LibCST work runs in a thread with a large stack and a raised recursion limit.
Memory grows about 0.7 GB per MB of source in LibCST, hence the size limit.
"""

from __future__ import annotations

import ast
import os
import sys
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

# Larger files are not checked: LibCST needs ~0.7 GB per MB of source.
MAX_CHARS = 2 * 1024 * 1024
# Enough for the deepest code CPython's own parser accepts (~3,000 levels).
STACK_BYTES = 512 * 1024 * 1024
RECURSION_LIMIT = 60_000


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
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning for odd escapes is not ours
        return ast.parse(text)


def nesting_message(exc: BaseException) -> str:
    """The SL000 reason for code nested deeper than CPython's parser goes."""
    why = str(exc) or type(exc).__name__
    return f"too deeply nested: CPython's parser rejects it ({why})"


def on_deep_stack(work: Callable[..., T], *args: object) -> T:
    """`work(*args)` in a thread with a large stack and a raised recursion limit.

    Exceptions propagate. One such thread per process is kept and reused, so
    its stack is mapped once. If the system refuses the thread, the work runs
    here, where a RecursionError is still caught by the caller.
    """
    try:
        pool = _deep_thread()
    except (RuntimeError, ValueError, MemoryError):
        return work(*args)  # no big thread here: the default stack, and its limit
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, RECURSION_LIMIT))
    try:
        return pool.submit(work, *args).result()
    finally:
        sys.setrecursionlimit(old_limit)


_deep: tuple[int, ThreadPoolExecutor] | None = None


def _deep_thread() -> ThreadPoolExecutor:
    """This process's deep-stack thread (a forked pool worker makes its own)."""
    global _deep
    if _deep is None or _deep[0] != os.getpid():
        old_size = threading.stack_size()
        try:
            threading.stack_size(STACK_BYTES)
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scorelint-deep")
            pool.submit(int).result()  # start the thread now, while the stack size is set
        finally:
            threading.stack_size(old_size)
        _deep = (os.getpid(), pool)
    return _deep[1]
