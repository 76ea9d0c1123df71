"""Output formats, one small module each; `render(name, ...)` picks one by name."""

from __future__ import annotations

import codecs
import hashlib
import importlib
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from scorelint.findings import FileOutcome, Finding
from scorelint.output_formats import FORMATS  # noqa: F401  (re-exported)
from scorelint.source import LineIndex

TOOL_NAME = "scorelint"
HOMEPAGE = "https://scorelint.readthedocs.io/"
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Report:
    """Everything a reporter may use: the outcomes and how the run was asked for."""

    outcomes: Sequence[FileOutcome]
    unsafe_fixes: bool = False
    fix: bool = False
    color: bool = False
    # `--show-suppressed`: suppressed findings are listed too (`finding.suppressed`
    # tells them apart; `extra["suppressed_by"]` is "comment" or "baseline").
    show_suppressed: bool = False
    # `--quiet`: the findings only, no summary lines.
    quiet: bool = False
    # Line indexes built on first use, one per file or notebook cell (a cache).
    _indexes: dict[tuple[str, int | None], LineIndex | None] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    @property
    def findings(self) -> list[Finding]:
        found = [f for o in self.outcomes for f in o.findings
                 if self.show_suppressed or not f.suppressed]
        return sorted(found, key=lambda f: f.sort_key)

    @property
    def active(self) -> list[Finding]:
        """The findings that are not suppressed, for outputs that post them as problems."""
        return [f for f in self.findings if not f.suppressed]

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

    def fingerprints(self, findings: Sequence[Finding]) -> list[tuple[Finding, str]]:
        """Each of `findings` with a stable fingerprint, unique within the run.

        The hash covers the code, the relative path and the flagged lines' text
        (not their row, nor a notebook's cell number), so a finding keeps its
        fingerprint when lines are added above it; identical findings in one
        file are told apart by their order. Suppressed findings are counted
        too, so showing them does not change the others' fingerprints.
        """
        seen: Counter[str] = Counter()
        digests: dict[int, str] = {}
        every = sorted((f for o in self.outcomes for f in o.findings), key=lambda f: f.sort_key)
        for finding in every:
            key = "\0".join((finding.code, posix(finding.path), self.flagged_text(finding)))
            seen[key] += 1
            data = f"{key}\0{seen[key]}".encode("utf-8", "surrogatepass")
            digests[id(finding)] = hashlib.sha256(data).hexdigest()[:32]
        return [(f, digests[id(f)]) for f in findings]


# The error handler for printing reports (`sys.stdout.reconfigure(errors=OUTPUT_ERRORS)`).
OUTPUT_ERRORS = "scorelint-output"


def _unprintable(exc: UnicodeError) -> tuple[bytes | str, int]:
    """A file name that is not UTF-8 decodes to surrogates U+DC80..U+DCFF: print its own
    bytes back; any other character the output cannot hold (a notebook's lone
    surrogate) is printed as a backslash escape."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    bad = exc.object[exc.start:exc.end]
    out = b"".join(bytes([ord(c) - 0xDC00]) if 0xDC80 <= ord(c) <= 0xDCFF
                   else c.encode("ascii", "backslashreplace") for c in bad)
    return out, exc.end


codecs.register_error(OUTPUT_ERRORS, _unprintable)


def render(name: str, report: Report) -> str:
    module = importlib.import_module(f"scorelint.reporters.{name.replace('-', '_')}")
    return module.render(report)


def location(finding: Finding) -> str:
    """`path:row:col`, or `path:cell N:row:col` in a notebook (as Ruff writes it)."""
    cell = f"cell {finding.cell}:" if finding.cell is not None else ""
    return f"{relative(finding.path)}:{cell}{finding.start.row}:{finding.start.column}"


def relative(path: str) -> str:
    """A path relative to the working directory when it lies below it."""
    return os.path.relpath(path) if is_below_cwd(path) else path


def posix(path: str) -> str:
    """`relative(path)` with forward slashes, as CI services and URIs want it."""
    return PurePath(relative(path)).as_posix()


def is_below_cwd(path: str) -> bool:
    """Does `path` lie below the working directory (so it can be given relative)?"""
    rel = os.path.relpath(path)
    return rel != os.pardir and not rel.startswith(os.pardir + os.sep)


def cwd_uri() -> str:
    """The working directory as a `file:` URI ending in a slash."""
    return Path.cwd().as_uri().rstrip("/") + "/"
