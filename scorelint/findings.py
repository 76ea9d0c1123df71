"""Value types every part of scorelint shares: positions, edits, fixes, findings."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Applicability(str, enum.Enum):
    """How far a fix can be trusted, as in Ruff."""

    SAFE = "safe"  # same mathematical value, only more accurate
    UNSAFE = "unsafe"  # changes what is computed, because the original was wrong
    DISPLAY = "display-only"  # shown as a suggestion, never applied


class FixAvailability(str, enum.Enum):
    NONE = "none"
    SOMETIMES = "sometimes"
    ALWAYS = "always"


@dataclass(frozen=True, order=True)
class Position:
    """A 1-based row and 1-based character column, as Ruff reports them."""

    row: int
    column: int


@dataclass(frozen=True)
class Edit:
    """Replace the characters `start:end` of the file's text with `content`."""

    start: int
    end: int
    content: str
    start_pos: Position
    end_pos: Position
    # In a notebook: the 1-based cell the positions (and offsets) are relative to.
    cell: int | None = None


@dataclass(frozen=True)
class Fix:
    title: str
    applicability: Applicability
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class Finding:
    path: str
    code: str
    name: str
    message: str
    start: Position
    end: Position
    fix: Fix | None = None
    # Where a `# noqa` comment for this finding belongs (the first line of the node).
    noqa_row: int = 0
    severity: str = "error"
    # Set when the finding was matched by a suppression comment (shown only on request).
    suppressed: bool = False
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    # In a notebook: the 1-based cell (markdown cells counted, as Ruff) the rows are in.
    cell: int | None = None

    @property
    def sort_key(self) -> tuple[str, int, int, int, str]:
        return (self.path, self.cell or 0, self.start.row, self.start.column, self.code)


# Code reserved for files that could not be checked at all.
ERROR_CODE = "SL000"
ERROR_NAME = "file-not-checked"
# Code for an exception raised inside a rule: the other rules still report.
INTERNAL_CODE = "SL001"
INTERNAL_NAME = "internal-error"
