"""Value types every part of scorelint shares: positions, edits, fixes, findings, and what
checking a file came to."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
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


def applicable(fix: Fix | None, unsafe: bool) -> bool:
    if fix is None or not fix.edits:
        return False
    if fix.applicability is Applicability.SAFE:
        return True
    return unsafe and fix.applicability is Applicability.UNSAFE


def fixable(finding: Finding, unsafe: bool) -> bool:
    """Would `--fix` (with `unsafe` fixes or not) apply this finding's fix? Never a
    suppressed finding's."""
    return not finding.suppressed and applicable(finding.fix, unsafe)


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """Apply non-overlapping edits, back to front so offsets stay valid."""
    out = text
    # Back to front; insertions at one point end up in ascending order of content.
    for edit in sorted(edits, key=lambda e: (e.start, e.end, e.content), reverse=True):
        out = out[: edit.start] + edit.content + out[edit.end :]
    return out


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
class TraceStep:
    """One line of the chain a flow finding rests on: where, and what happens there."""

    start: Position
    end: Position
    note: str  # "`h` is a softmax here", "reshaped here"
    # In a notebook: the 1-based cell the positions are in (it may not be the finding's).
    cell: int | None = None

    def to_dict(self) -> dict[str, object]:
        """The step as stored in `Finding.extra["trace"]` (plain data, for any output)."""
        data: dict[str, object] = {"row": self.start.row, "column": self.start.column,
                                   "end_row": self.end.row, "end_column": self.end.column,
                                   "note": self.note}
        if self.cell is not None:
            data["cell"] = self.cell
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> TraceStep | None:
        """The step `to_dict` wrote, or None for an entry of another shape."""
        numbers = [data.get(k) for k in ("row", "column", "end_row", "end_column")]
        ints = [n for n in numbers if isinstance(n, int)]
        note, cell = data.get("note"), data.get("cell")
        if len(ints) != 4 or not isinstance(note, str):
            return None
        row, column, end_row, end_column = ints
        return cls(Position(row, column), Position(end_row, end_column), note,
                   cell if isinstance(cell, int) else None)


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
    # Not part of a finding's identity: `url`, `suppressed_by`, and `trace` (a list of
    # `TraceStep.to_dict()`: the lines a flow finding rests on, in source order).
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)
    # In a notebook: the 1-based cell (markdown cells counted, as Ruff) the rows are in.
    cell: int | None = None

    @property
    def sort_key(self) -> tuple[str, int, int, int, str]:
        return (self.path, self.cell or 0, self.start.row, self.start.column, self.code)

    @property
    def last_row(self) -> int:
        """The last row the finding covers (an end at column 1 stops at the row before)."""
        last = self.end.row if self.end.column > 1 else self.end.row - 1
        return max(self.start.row, last)

    @property
    def trace(self) -> tuple[TraceStep, ...]:
        """The steps in `extra["trace"]` (none for a finding that does not rest on flow)."""
        stored = self.extra.get("trace")
        if not isinstance(stored, list):
            return ()
        steps = (TraceStep.from_dict(d) for d in stored if isinstance(d, Mapping))
        return tuple(s for s in steps if s is not None)


@dataclass
class FixResult:
    """What the fix loop (`scorelint.engine.fixes.fix_text`) made of a text."""

    text: str  # the fixed text (the original when nothing applied or a fix was refused)
    applied: list[Finding] = field(default_factory=list)
    remaining: list[Finding] = field(default_factory=list)
    refused: str | None = None  # why the fixes were thrown away, if they were
    original: list[Finding] = field(default_factory=list)  # the findings before any fix
    source: str | None = None  # the text the fixes started from


@dataclass
class FileOutcome:
    """What checking one file (or notebook, or buffer) came to."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    fixed: int = 0
    diff: str = ""
    text: str | None = None  # the text the findings' positions refer to
    # A notebook's code cells, by 1-based cell index: the texts its findings' rows refer to.
    cells: dict[int, str] = field(default_factory=dict)
    # The findings whose fixes were applied (what `--show-fixes` lists).
    applied: list[Finding] = field(default_factory=list)
    # Other modules the project index read for it: (absolute path, sha256 of their bytes).
    depends: tuple[tuple[str, str], ...] = ()
    # A fix or diff run of a Python file: the fix loop's result, which the results cache
    # keeps for the next run (`scorelint.run.cache`); not part of what is reported.
    fix_loop: FixResult | None = field(default=None, compare=False, repr=False)

    @property
    def failed(self) -> bool:
        """Could the file, or part of it, not be checked (an SL000 finding)?"""
        return any(f.code == ERROR_CODE for f in self.findings)


# Code reserved for files that could not be checked at all.
ERROR_CODE = "SL000"
ERROR_NAME = "file-not-checked"
# Code for an exception raised inside a rule: the other rules still report.
INTERNAL_CODE = "SL001"
INTERNAL_NAME = "internal-error"


def error_finding(path: str, message: str, row: int = 1, column: int = 1) -> Finding:
    """The SL000 finding that stands for a file (or part of one) that could not be checked."""
    pos = Position(row, column)
    return Finding(path, ERROR_CODE, ERROR_NAME, message, pos, pos, noqa_row=row)
