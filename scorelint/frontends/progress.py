"""A progress line on stderr for long runs on a terminal:
`scorelint: 38% of 52.3 MB, about 50 s left`.

It counts work, not files: the bytes of the files the run checks (or fixes), as
the runner plans and finishes them. A file the cache answers is no work and is
not counted, so a warm run with a few changed files shows the few. The time
left is the bytes left at the rate of the bytes done so far. A count of files
ignores that the biggest files of a tree are most of its work (on the
four-package corpus, 7% of the files done at half the run); bytes still err
long, as the pool takes the biggest files first and a big model file costs more
per byte than a small one (measured there: 1.2-1.5x the time left in the first
half of the run, up to 3x near its end).

Shown only when stderr is a terminal (not a pipe, not a CI log: `CI` set, or
`TERM=dumb`), the output format is for people, and the run has lasted about a
second; it is redrawn at most ten times a second and erased when the run ends.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import TextIO

# A run shorter than this shows nothing.
DELAY = 1.0
_REDRAW = 0.1


def wanted(stream: TextIO, output_format: str) -> bool:
    """A progress line belongs on this stream for this output format."""
    if output_format not in ("text", "concise"):
        return False
    if os.environ.get("CI") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or fake stream
        return False


class Progress:
    """Counts bytes planned and done (from any thread) and keeps the line up to date."""

    def __init__(self, stream: TextIO, delay: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.total = 0  # bytes planned
        self.done = 0  # bytes done
        self.delay = DELAY if delay is None else delay
        self._clock = clock
        self.start = clock()
        self._began: float | None = None  # when the first work was planned
        self._drawn_at = 0.0
        self._width = 0
        self._lock = threading.Lock()

    def plan(self, size: int) -> None:
        """Files of `size` bytes in all are about to be checked (or fixed)."""
        with self._lock:
            if self._began is None and size:
                self._began = self._clock()
            self.total += size

    def advance(self, size: int) -> None:
        """A file of `size` bytes is done."""
        with self._lock:
            self.done += size
            now = self._clock()
            if now - self.start >= self.delay and now - self._drawn_at >= _REDRAW:
                self._draw(now)

    def line(self, now: float) -> str:
        """What the line says at `now`."""
        shown = f"scorelint: {_percent(self.done, self.total)} of {_size(self.total)}"
        left = self.left(now)
        return shown if left is None else f"{shown}, {_duration(left)} left"

    def left(self, now: float) -> float | None:
        """Seconds left, at the rate of the work done so far; None before any is done."""
        if self._began is None or self.done <= 0 or now <= self._began:
            return None
        return max(0, self.total - self.done) * (now - self._began) / self.done

    def _draw(self, now: float) -> None:
        line = self.line(now)
        self.stream.write("\r" + line.ljust(self._width))
        self.stream.flush()
        self._width = len(line)
        self._drawn_at = now

    def close(self) -> None:
        """Erase the line, if one was drawn, so the report starts on a clean line."""
        with self._lock:
            if self._width:
                self.stream.write("\r" + " " * self._width + "\r")
                self.stream.flush()
                self._width = 0


def _percent(done: int, total: int) -> str:
    # Never "100%" while something is left, nor more than 100 (a file fixed grows).
    share = min(done, total) / total if total else 1.0
    return f"{min(int(share * 100), 99 if done < total else 100)}%"


def _size(count: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        return f"about {round(seconds)} s"
    return f"about {round(seconds / 60)} min"
