"""Linting past syntax errors: blank the top-level statements CPython rejects, lint the rest.

One Python 2 `print`, an IPython `%magic` left in an exported notebook, or a
merge-conflict marker must not hide every other finding in the file. When
CPython rejects a file, the top-level statement holding the error is
blanked (each of its characters but line endings becomes a space, so rows,
columns and offsets stay where they were) and the text is parsed again,
until it parses or nothing more can be blanked. The engine lints the result
as usual; the caller reports one SL000 for the parts left out and offers no
fix, since a fixed file that does not parse cannot be re-checked.
"""

from __future__ import annotations

import dataclasses
import io
import re
import tokenize
from dataclasses import dataclass

from scorelint.base import limits
from scorelint.base.findings import Finding, error_finding

# Why a finding in a file that does not parse as a whole has no fix.
NO_FIX = "no fix: the file does not parse as a whole"
# More statements than this that do not parse: it is not Python 3; report the file whole.
MAX_GAPS = 64
# Keywords that continue the compound statement above them at column 0.
_CLAUSES = frozenset({"else", "elif", "except", "finally"})
# A merge-conflict marker line, as git writes them.
_CONFLICT = re.compile(r"(?:<{7}|\|{7}|={7}|>{7})(?:[ \t][^\r\n]*)?(?:\r\n|\r|\n)?\Z")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_SKIPPED = frozenset({tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT,
                      tokenize.ENDMARKER, tokenize.NEWLINE})


@dataclass(frozen=True)
class Gap:
    """A blanked top-level statement: rows `first`..`last` and CPython's complaint."""

    first: int
    last: int
    row: int  # where CPython points
    column: int
    message: str


@dataclass(frozen=True)
class Partial:
    """The text with the rejected statements blanked; same length, rows and columns."""

    text: str
    gaps: tuple[Gap, ...]

    def summary(self) -> str:
        """The SL000 reason: the first error, and the rows of any others."""
        first = self.gaps[0]
        message = f"syntax error at line {first.row}: {first.message}"
        others = sorted({g.row for g in self.gaps[1:]})
        if others:
            message += f"; also at line{'s' * (len(others) > 1)} {', '.join(map(str, others))}"
        return message


def report(partial: Partial, path: str, found: list[Finding]) -> list[Finding]:
    """The findings in the parts that parse, without fixes, and one SL000 for the rest."""
    first = partial.gaps[0]
    error = error_finding(path, partial.summary(), first.row, first.column)
    return sorted([error, *without_fixes(found)], key=lambda f: f.sort_key)


def without_fixes(found: list[Finding]) -> list[Finding]:
    """The findings with their fixes withheld, saying why."""
    return [dataclasses.replace(f, fix=None, message=f"{f.message} ({NO_FIX})") if f.fix else f
            for f in found]


def blank(text: str) -> str:
    """`text` with every character but line endings made a space."""
    return "".join(" " * len(line.rstrip("\r\n")) + line[len(line.rstrip("\r\n")):]
                   for line in _LINE.findall(text))


def mask_rejected(text: str, error: SyntaxError) -> Partial | None:
    """Blank the top-level statements CPython rejects until the rest parses.

    `error` is CPython's complaint about the whole `text`. Returns None when
    nothing parses around the error (or too many statements fail).
    """
    lines = _LINE.findall(text)
    if not lines:
        return None
    gaps: list[Gap] = []
    blanked: set[int] = set()  # 0-based rows
    for _ in range(MAX_GAPS):
        row = min(max(error.lineno or len(lines), 1), len(lines))
        gap = Gap(row, row, row, max(1, error.offset or 1), error.msg)
        # A bad line inside a function (a Python 2 `print`) costs only that line
        # when a `pass` can stand in for it, a conflict marker only its own line;
        # else the whole top-level statement goes.
        line = _as_pass(lines[row - 1]) if row - 1 not in blanked else None
        if _CONFLICT.match(lines[row - 1]):  # both sides of a merge conflict are code
            line = blank(lines[row - 1])
        if line is not None:
            trial = lines[: row - 1] + [line] + lines[row:]
            after = _parse_error(trial)
            if after is None or (after.lineno, after.msg) != (error.lineno, error.msg):
                lines, error = trial, after  # type: ignore[assignment]
                blanked.add(row - 1)
                gaps.append(gap)
                if after is None:
                    return Partial("".join(lines), tuple(gaps))
                continue
        first, last = _statement_around(lines, row, "never closed" in error.msg)
        new = set(range(first - 1, last)) - blanked
        if not new:
            return None  # the error is where we already blanked: no progress
        blanked |= new
        for i in new:
            lines[i] = blank(lines[i])
        gaps.append(dataclasses.replace(gap, first=first, last=last))
        try:
            after = _parse_error(lines)
        except _Unparseable:
            return None
        if after is None:
            return Partial("".join(lines), tuple(gaps))
        error = after
    return None


class _Unparseable(Exception):
    """CPython fails on the text for a reason other than syntax (too deep, NUL)."""


def _parse_error(lines: list[str]) -> SyntaxError | None:
    """CPython's syntax error in the joined lines, or None if they parse."""
    try:
        limits.cpython_parse("".join(lines))
    except SyntaxError as exc:
        return exc
    except (ValueError, RecursionError, MemoryError):
        raise _Unparseable from None
    return None


def _as_pass(line: str) -> str | None:
    """An indented one-line statement as `pass` padded to the same length, else None."""
    body = line.rstrip("\r\n")
    code = body.lstrip(" \t")
    indent = body[: len(body) - len(code)]
    if not indent or len(code) < 4 or not _one_line(code):
        return None  # not inside a block, or it may continue on the next line
    return indent + "pass" + " " * (len(code) - 4) + line[len(body):]


def _one_line(code: str) -> bool:
    """Does `code` close every bracket and string it opens, on its own line?"""
    depth = 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code + "\n").readline):
            if tok.type == tokenize.OP and tok.string in "([{":
                depth += 1
            elif tok.type == tokenize.OP and tok.string in ")]}":
                depth -= 1
    except (tokenize.TokenError, SyntaxError):
        return False
    return depth == 0 and not code.endswith("\\")


def _statement_around(lines: list[str], row: int, unclosed: bool) -> tuple[int, int]:
    """Rows (1-based, inclusive) of the top-level statement holding `row`.

    After a bracket that is never closed tokenize sees one statement to the
    end of the file; a line at column 0 is taken to start the next one there,
    as past anything tokenize could not read.
    """
    starts, known = _starts(lines)
    before = [s for s in starts if s <= row]
    first = before[-1] if before else 1
    after = [s for s in starts if s > row]
    if unclosed or row > known:
        after = _guessed_starts(lines, row)
    return first, (after[0] - 1 if after else len(lines))


def _starts(lines: list[str]) -> tuple[list[int], float]:
    """Rows where a top-level statement starts (a decorator's `def` is part of it), and
    the last row tokenize got through."""
    starts: list[int] = []
    depth, fresh, decorated = 0, True, False
    reader = io.StringIO("".join(lines)).readline
    try:
        for tok in tokenize.generate_tokens(reader):
            if tok.type == tokenize.OP and tok.string in "([{":
                depth += 1
            elif tok.type == tokenize.OP and tok.string in ")]}":
                depth = max(0, depth - 1)
            if tok.type == tokenize.NEWLINE or (tok.type == tokenize.NL and depth == 0):
                fresh = True
            elif tok.type not in _SKIPPED and fresh:
                fresh = False
                if tok.start[1] == 0 and tok.string not in _CLAUSES and not decorated:
                    starts.append(tok.start[0])
                decorated = tok.start[1] == 0 and tok.string == "@"
    except (tokenize.TokenError, SyntaxError) as exc:
        # An unclosed string or bracket runs to the end; bad indentation stops tokenize.
        if isinstance(exc, SyntaxError):
            return starts, (exc.lineno or 1) - 1
    return starts, float("inf")


def _guessed_starts(lines: list[str], row: int) -> list[int]:
    """Rows after `row` that look like a new top-level statement (used past a tokenize error)."""
    guessed = []
    for number in range(row + 1, len(lines) + 1):
        line = lines[number - 1]
        word = line.split(None, 1)[0].rstrip(":") if line.strip() else ""
        if line[:1] not in ("", " ", "\t", "#", "\r", "\n", ")", "]", "}") and word not in _CLAUSES:
            guessed.append(number)
    return guessed
