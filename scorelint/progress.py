"""A progress line on stderr for long runs on a terminal: `scorelint: 812/4045 files, 3.1 s`.

Shown only when stderr is a terminal (not a pipe, not a CI log: `CI` set, or
`TERM=dumb`), the output format is for people, and the run has lasted about a
second; it is redrawn at most ten times a second and erased when the run ends.
"""

from __future__ import annotations

import os
import threading
import time
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
    """Counts files done (from any thread) and keeps the line up to date."""

    def __init__(self, total: int, stream: TextIO, delay: float = DELAY) -> None:
        self.total = total
        self.stream = stream
        self.done = 0
        self.start = time.monotonic()
        self.delay = delay
        self._drawn_at = 0.0
        self._width = 0
        self._lock = threading.Lock()

    def advance(self) -> None:
        """One more file done."""
        with self._lock:
            self.done += 1
            now = time.monotonic()
            if now - self.start >= self.delay and now - self._drawn_at >= _REDRAW:
                self._draw(now)

    def _draw(self, now: float) -> None:
        line = f"scorelint: {self.done}/{self.total} files, {now - self.start:.1f} s"
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
