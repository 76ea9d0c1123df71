"""A finding's identity across runs: what the baseline matches and the reporters fingerprint.

A finding is known by its code, its file's path, the text of the lines it
flags (whitespace collapsed) and its place among the findings that share
those three (0, 1, ...). Not by its row, so lines added or removed above it
do not make it new, and not by a notebook's cell number.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from scorelint.base.findings import FileOutcome, Finding
from scorelint.base.source import LineIndex

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Texts:
    """The texts a run's findings refer to, each file's (or notebook cell's) as checked."""

    outcomes: Sequence[FileOutcome]
    # Line indexes built on first use, one per file or notebook cell (a cache).
    _indexes: dict[tuple[str, int | None], LineIndex | None] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def text_of(self, path: str, cell: int | None = None) -> str | None:
        """The text a file's (or a notebook cell's) findings refer to, if it was read."""
        for outcome in self.outcomes:
            if outcome.path == path:
                return outcome.text if cell is None else outcome.cells.get(cell)
        return None

    def index(self, path: str, cell: int | None = None) -> LineIndex | None:
        """The line index of `text_of(path, cell)` (None if it was not read)."""
        if (path, cell) not in self._indexes:
            text = self.text_of(path, cell)
            self._indexes[path, cell] = LineIndex(text) if text is not None else None
        return self._indexes[path, cell]

    def flagged_text(self, finding: Finding) -> str:
        """The source lines a finding covers, whitespace collapsed (its message if unread)."""
        index = self.index(finding.path, finding.cell)
        if index is None or finding.start.row > len(index.starts):
            return finding.message
        rows = range(finding.start.row, finding.last_row + 1)
        joined = " ".join(index.line(r) for r in rows if r <= len(index.starts))
        return _SPACE.sub(" ", joined).strip()


@dataclass(frozen=True)
class Identity:
    """Who a finding is, from one run to the next."""

    path: str  # as the caller writes paths (relative to the baseline, or to the working folder)
    code: str
    text: str  # the flagged lines, whitespace collapsed
    index: int  # which of the findings with the same path, code and text

    @property
    def digest(self) -> str:
        """The flagged text's hash, as a baseline file stores it beside path, code, index."""
        return _sha256(self.text)[:16]

    @property
    def fingerprint(self) -> str:
        """The whole identity as one hash, as CI services (SARIF, GitLab) want it."""
        return _sha256(f"{self.code}\0{self.path}\0{self.text}\0{self.index + 1}")[:32]


def identify(findings: Iterable[Finding], texts: Texts,
             path: Callable[[str], str]) -> list[tuple[Finding, Identity]]:
    """Each finding with its identity, in file and position order.

    `findings` are the ones counted: a finding's index is its place among
    them, so a caller that counts suppressed findings too keeps the others'
    identities whether or not the suppressed ones are shown. `path` writes a
    finding's path as the identity should hold it.
    """
    seen: Counter[tuple[str, str, str]] = Counter()
    result = []
    for finding in sorted(findings, key=lambda f: f.sort_key):
        key = (path(finding.path), finding.code, texts.flagged_text(finding))
        result.append((finding, Identity(*key, seen[key])))
        seen[key] += 1
    return result


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
