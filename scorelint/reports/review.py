"""A markdown pull-request review comment: findings grouped by file.

Each finding gives its rule (linked to the rule's docs page), where it is, its
message, and, when `--fix` would apply its fix, a ```` ```suggestion ```` block
for each run of lines the fix touches (a fix that also adds an import gets a
block for the import line too). A block holds the full fixed lines, so
replacing the lines named above it with the block's text gives the fixed file.
A fix whose lines overlap a suggestion shown earlier for another finding is
not suggested (GitHub applies one suggestion per line); applying the first
and re-running scorelint offers it again. Unsafe fixes are suggested only
with `--unsafe-fixes`, display-only fixes never; both are named in the text.
Notebook findings name the cell and get no suggestion (a pull request shows
the notebook's JSON, not its cells' lines). Suppressed findings are left out.
A finding that rests on flow gets a short "Why:" list under its heading, one
`line N: note` per line that led to it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass

from scorelint.base.findings import (
    Applicability,
    Edit,
    Finding,
    Fix,
    applicable,
    apply_edits,
)
from scorelint.base.source import LineIndex
from scorelint.reports import Report, relative, url_of

# GitHub refuses comment bodies over 65,536 characters; stop well before.
MAX_CHARS = 60_000
_BACKTICKS = re.compile(r"`+")
_NEWLINE = re.compile(r"\r\n|\r")


@dataclass(frozen=True)
class Suggestion:
    """Replace rows `first`..`last` (1-based, inclusive) with the lines of `text`."""

    first: int
    last: int
    text: str

    def overlaps(self, other: Suggestion) -> bool:
        return self.first <= other.last and other.first <= self.last

    @property
    def rows(self) -> str:
        if self.first == self.last:
            return f"line {self.first}"
        return f"lines {self.first}-{self.last}"


def _line_count(index: LineIndex) -> int:
    """Rows that hold text (the empty row after a final newline is not one)."""
    ends_with_newline = len(index.starts) > 1 and index.starts[-1] == len(index.text)
    return len(index.starts) - ends_with_newline


def suggestions(fix: Fix, index: LineIndex) -> list[Suggestion] | None:
    """The fix as whole-line replacements, one per run of overlapping rows.

    None when it cannot be put that way (an edit that removes the file's last
    line ending).
    """
    count = _line_count(index)
    runs: list[tuple[int, int, list[Edit]]] = []
    for edit in sorted(fix.edits, key=lambda e: (e.start, e.end)):
        first = min(index.position(edit.start).row, count)
        last = index.position(edit.end - 1).row if edit.end > edit.start else first
        last = min(max(first, last), count)
        if runs and first <= runs[-1][1]:
            runs[-1] = (runs[-1][0], max(last, runs[-1][1]), [*runs[-1][2], edit])
        else:
            runs.append((first, last, [edit]))
    result = []
    for first, last, edits in runs:
        start = index.line_start(first)
        end = index.starts[last] if last < len(index.starts) else len(index.text)
        old = index.text[start:end]
        new = apply_edits(old, [dataclasses.replace(e, start=e.start - start, end=e.end - start)
                                for e in edits])
        ending = next((e for e in ("\r\n", "\n", "\r") if old.endswith(e)), "")
        if ending:
            if not new.endswith(ending):
                return None
            new = new[: -len(ending)]
        elif new.endswith(("\n", "\r")):
            return None
        result.append(Suggestion(first, last, _NEWLINE.sub("\n", new)))
    return result


def code_span(text: str) -> str:
    """`text` as an inline code span, whatever backticks it holds."""
    ticks = "`" * (max((len(m) for m in _BACKTICKS.findall(text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fence(text: str, info: str) -> str:
    """A fenced block longer than any run of backticks inside it."""
    ticks = "`" * max(3, max((len(m) for m in _BACKTICKS.findall(text)), default=0) + 1)
    return f"{ticks}{info}\n{text}\n{ticks}" if text else f"{ticks}{info}\n{ticks}"


def _heading(finding: Finding) -> str:
    url = url_of(finding)
    code = f"[{finding.code}]({url})" if url else finding.code
    message = " ".join(finding.message.splitlines())
    cell = f"cell {finding.cell}, " if finding.cell is not None else ""
    return (f"**{code} {code_span(finding.name)}** at {cell}line {finding.start.row}, "
            f"column {finding.start.column}: {message}")


def _why(finding: Finding) -> Iterator[str]:
    """The lines the finding rests on, as a markdown list (nothing without a trace)."""
    if not finding.trace:
        return
    items = []
    for step in finding.trace:
        cell = f"cell {step.cell}, " if step.cell not in (None, finding.cell) else ""
        items.append(f"- {cell}line {step.start.row}: {step.note}")
    yield "\n".join(["Why:", *items])


def _fix_blocks(finding: Finding, report: Report, shown: list[Suggestion]) -> Iterator[str]:
    """The text and suggestion blocks for one finding's fix; records what it suggests."""
    fix = finding.fix
    if fix is None or not fix.edits:
        return
    title = fix.title
    if fix.applicability is Applicability.DISPLAY:
        yield f"Display-only fix, not applied by scorelint: {title}."
        return
    if not applicable(fix, report.unsafe_fixes):
        yield (f"Unsafe fix available: {title}. It changes what is computed, so it is "
               "suggested only when scorelint runs with `--unsafe-fixes`.")
        return
    # A suggestion replaces lines of the file; a notebook finding's rows are a cell's.
    index = report.index(finding.path) if finding.cell is None else None
    blocks = suggestions(fix, index) if index is not None else None
    kind = ("Safe fix" if fix.applicability is Applicability.SAFE
            else "Unsafe fix (it changes what is computed: review it before committing)")
    if blocks is None:
        yield f"{kind}: {title}. It cannot be shown as a suggestion; run `scorelint check --fix`."
        return
    if any(b.overlaps(s) and b != s for b in blocks for s in shown):
        yield (f"{kind}: {title}. Its lines overlap a suggestion above: apply that one, "
               "then re-run scorelint for this one.")
        return
    yield f"{kind}: {title}."
    for block in blocks:
        if block in shown:
            yield f"The change to {block.rows} is the same as suggested above."
            continue
        shown.append(block)
        yield f"Suggested change to {block.rows}:"
        yield fence(block.text, "suggestion")


def render(report: Report) -> str:
    findings = report.active
    files = sorted({f.path for f in findings})
    fixable = sum(1 for f in findings if applicable(f.fix, report.unsafe_fixes))
    command = "scorelint check --fix" + (" --unsafe-fixes" if report.unsafe_fixes else "")
    parts = ["## scorelint review"]
    if not findings:
        parts.append("No findings.")
        return "\n\n".join(parts) + "\n"
    parts.append(f"{len(findings)} finding{'s' * (len(findings) != 1)} in {len(files)} "
                 f"file{'s' * (len(files) != 1)}; `{command}` fixes {fixable}.")
    size, shown_count, full = sum(len(p) + 2 for p in parts), 0, False
    for path in files:
        shown: list[Suggestion] = []
        heading = f"### {code_span(relative(path))}"
        size += len(heading) + 2
        section = [heading]
        for finding in (f for f in findings if f.path == path):
            block = "\n\n".join([_heading(finding), *_why(finding),
                                  *_fix_blocks(finding, report, shown)])
            size += len(block) + 2
            if size > MAX_CHARS:
                full = True  # out of room: stop here rather than skip to later findings
                break
            section.append(block)
            shown_count += 1
        if len(section) > 1:
            parts.extend(section)
        if full:
            break
    if shown_count < len(findings):
        rest = len(findings) - shown_count
        parts.append(f"{rest} more finding{'s' * (rest != 1)} not shown, to keep this comment "
                     "within GitHub's size limit; `scorelint check` lists them all.")
    return "\n\n".join(parts) + "\n"
