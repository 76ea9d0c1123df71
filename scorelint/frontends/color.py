"""Whether to colour the output: `--color always|never|auto`, `NO_COLOR` and `FORCE_COLOR`.

`auto` (the default) colours a terminal only; in `auto`, a non-empty
`NO_COLOR` turns colour off (https://no-color.org) and a non-empty
`FORCE_COLOR` turns it on even through a pipe (NO_COLOR wins when both are
set). `always` and `never` are what the user typed, so they beat both.
"""

from __future__ import annotations

import os
from typing import TextIO

CHOICES = ("auto", "always", "never")


def wanted(choice: str, stream: TextIO) -> bool:
    """Should text written to `stream` be coloured?"""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
