"""Suppression comments, applied once per file after linting.

Line forms, accepted on the finding's first line, its last line, or the first
line of the statement that holds it:

    # noqa                         every finding on the line (shared with other tools)
    # noqa: SL101, SL201           those codes; other tools' codes are left alone
    # scorelint: ignore            every scorelint finding on the line
    # scorelint: ignore[SL101]     that code (several: `[SL101, SL201]`)

File forms, anywhere in the file (Ruff's `# ruff: noqa`):

    # scorelint: ignore-file       # scorelint: ignore-file[SL201]
    # scorelint: noqa              # scorelint: noqa: SL201

Comments are found with `tokenize`, so `# noqa` inside a string is text, not a
directive. A line directive that suppresses nothing is reported as SL002
(Ruff's RUF100) with a safe fix that drops the unused codes or the comment,
but only for codes whose rule ran on this file: a code that was not
selected, or was turned off by `per-file-ignores`, may be needed by another
configuration. A bare `# noqa` is never reported, because it may be there
for another tool. File forms are not judged; `# scorelint: ignore-file[SL002]`
or `ignore = ["SL002"]` turns the reports off.

`scorelint check --show-suppressed` lists suppressed findings too, marked
`[suppressed by comment]` (or `baseline`); they never fail the run.
"""

from __future__ import annotations

import dataclasses
import io
import re
import textwrap
import tokenize
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from scorelint.base.findings import (
    ERROR_CODE,
    INTERNAL_CODE,
    Applicability,
    Edit,
    Finding,
    Fix,
)
from scorelint.base.source import LineIndex
from scorelint.engine import registry

UNUSED_CODE = "SL002"
UNUSED_NAME = "unused-suppression"

_QUICK = re.compile(r"(?i:noqa)|scorelint:")
_CODES = r"[A-Z]+[0-9]+(?:(?:[ \t]*,[ \t]*|[ \t]+)[A-Z]+[0-9]+)*"
# `# noqa`, `#noqa`, `# noqa: A1, B2` (`# noqa:` with no code reads as bare, as in Ruff)
_NOQA = re.compile(rf"#[ \t]*(?i:noqa)(?::[ \t]*(?P<codes>{_CODES})?|(?![\w-]))")
_OURS = re.compile(
    rf"#[ \t]*scorelint:[ \t]*(?P<kind>ignore-file|ignore|noqa)"
    rf"(?:\[(?P<bracket>[^\]\r\n]*)\]|:[ \t]*(?P<codes>{_CODES})|(?![\w\-\[]))"
)
_CODE = re.compile(r"[A-Za-z]+[0-9]+")
_OUR_CODE = re.compile(r"SL[0-9]{3}$")


@dataclass(frozen=True)
class Directive:
    """One suppression comment (or one of several in a comment)."""

    row: int
    start: int  # character offsets of the directive itself
    end: int
    codes: tuple[str, ...] | None  # None: every code
    codes_span: tuple[int, int] | None  # where the code list is, to rewrite it
    comment_start: int  # the whole comment the directive sits in
    comment_end: int
    file_level: bool = False
    ours: bool = True  # False for `# noqa`, which other tools read too


@dataclass(frozen=True)
class Directives:
    """Every directive in a file, plus the first row of each multi-line statement."""

    lines: dict[int, tuple[Directive, ...]]
    file: tuple[Directive, ...]
    statement_start: dict[int, int]  # row -> first row of its statement (only when different)

    def suppressor(self, finding: Finding) -> Directive | None:
        """The directive that silences `finding`, if any."""
        for directive in self.file:
            if directive.codes is None or finding.code in directive.codes:
                return directive
        start = finding.start.row
        rows = (finding.noqa_row or start, start, finding.last_row,
                self.statement_start.get(start, start))
        for row in dict.fromkeys(rows):  # in order, without repeats
            for directive in self.lines.get(row, ()):
                if directive.codes is None or finding.code in directive.codes:
                    return directive
        return None


def scan(text: str) -> Directives:
    """Find every suppression comment in `text`."""
    index = LineIndex(text)
    comments, statement_start = _comments(text, index)
    lines: dict[int, list[Directive]] = {}
    file: list[Directive] = []
    for row, start, comment in comments:
        end = start + len(comment)
        for directive in _parse(comment, row, start, end):
            if directive.file_level:
                file.append(directive)
            else:
                lines.setdefault(row, []).append(directive)
    return Directives({r: tuple(d) for r, d in lines.items()}, tuple(file), statement_start)


def _comments(text: str, index: LineIndex) -> tuple[list[tuple[int, int, str]], dict[int, int]]:
    """(row, offset, text) of each comment, and each statement's first row, via tokenize."""
    comments: list[tuple[int, int, str]] = []
    statement_start: dict[int, int] = {}
    first: int | None = None
    skip = (tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING, tokenize.ENDMARKER)
    try:
        # newline=None reads \r\n and a lone \r as line ends, as LineIndex counts rows.
        for tok in tokenize.generate_tokens(io.StringIO(text, newline=None).readline):
            if tok.type == tokenize.COMMENT:
                row, col = tok.start
                comments.append((row, index.line_start(row) + col, tok.string))
            elif tok.type == tokenize.NEWLINE:
                if first is not None:
                    statement_start.update((r, first) for r in range(first + 1, tok.start[0] + 1))
                first = None
            elif tok.type not in skip and first is None:
                first = tok.start[0]
    except (tokenize.TokenError, SyntaxError):
        # LibCST accepted the file but this interpreter's tokenizer does not:
        # read comments line by line (a `#` inside a string may be misread).
        comments, statement_start = [], {}
        for row in range(1, len(index.starts) + 1):
            line = index.line(row)
            if "#" in line:
                col = line.index("#")
                comments.append((row, index.line_start(row) + col, line[col:]))
    return comments, statement_start


def _parse(comment: str, row: int, start: int, end: int) -> list[Directive]:
    found = []
    for match in _NOQA.finditer(comment):
        codes, span = _codes_of(match, "codes", start)
        found.append(Directive(row, start + match.start(), start + match.end(), codes, span,
                               start, end, ours=False))
    for match in _OURS.finditer(comment):
        group = "bracket" if match.group("bracket") is not None else "codes"
        codes, span = _codes_of(match, group, start)
        found.append(Directive(row, start + match.start(), start + match.end(), codes, span,
                               start, end, file_level=match.group("kind") != "ignore"))
    return sorted(found, key=lambda d: d.start)


def _codes_of(match: re.Match[str], group: str, offset: int
              ) -> tuple[tuple[str, ...] | None, tuple[int, int] | None]:
    listed = match.group(group)
    if listed is None:
        return None, None
    codes = tuple(code.upper() for code in _CODE.findall(listed))
    if not codes:
        return None, None  # `ignore[]` reads as every code
    return codes, (offset + match.start(group), offset + match.end(group))


def docs() -> str:
    """The page `scorelint explain SL002` prints: how suppressions work."""
    body = textwrap.dedent(__doc__ or "").strip()
    return f"# {UNUSED_NAME} ({UNUSED_CODE})\n\nFix: always (safe).\n\n{body}\n"


def known_codes() -> frozenset[str]:
    """Every code scorelint can report: its rules and the engine's own codes."""
    return frozenset({r.code for r in registry.index()} | {ERROR_CODE, INTERNAL_CODE, UNUSED_CODE})


def apply(path: str, text: str, findings: Sequence[Finding],
          selected: Collection[str]) -> list[Finding]:
    """Mark suppressed findings and add SL002 for unused line directives.

    `selected` are the codes enabled for this file (rules and SL002). A file
    that could not be checked is left alone: its directives cannot be judged.
    """
    if not (findings or UNUSED_CODE in selected) or not _QUICK.search(text):
        return list(findings)
    if any(f.code == ERROR_CODE for f in findings):
        return list(findings)
    directives = scan(text)
    used: dict[Directive, set[str]] = {}
    result = []
    for finding in findings:
        directive = directives.suppressor(finding)
        if directive is None:
            result.append(finding)
            continue
        used.setdefault(directive, set()).add(finding.code)
        result.append(suppress(finding, "comment"))
    if UNUSED_CODE in selected:
        index = LineIndex(text)
        known = known_codes()
        # Every rule on by default: an opt-in rule that is off cannot use the directive.
        every_rule = {r.code for r in registry.index() if r.default}
        for row in sorted(directives.lines):
            for directive in directives.lines[row]:
                report = _unused(path, text, index, directive, used.get(directive, set()),
                                 selected, known, every_rule)
                if report is not None:
                    by_file = next((d for d in directives.file
                                    if d.codes is None or UNUSED_CODE in d.codes), None)
                    result.append(suppress(report, "comment") if by_file else report)
    return sorted(result, key=lambda f: f.sort_key)


def suppress(finding: Finding, by: str) -> Finding:
    """The finding marked as suppressed, with what suppressed it (`comment`, `baseline`)."""
    return dataclasses.replace(finding, suppressed=True,
                               extra={**finding.extra, "suppressed_by": by})


def _unused(path: str, text: str, index: LineIndex, directive: Directive, used: set[str],
            selected: Collection[str], known: Collection[str],
            every_rule: set[str]) -> Finding | None:
    if directive.codes is None:
        # Only our own blanket form is ours to judge, and only if every default rule ran.
        if used or not directive.ours or not every_rule <= set(selected):
            return None
        return _finding(path, index, directive, "Unused blanket suppression: nothing on this "
                        "line is reported", _removal(text, index, directive))
    # In a shared `# noqa`, only codes shaped like ours (`SL` and three digits) are ours to
    # judge: `SLOT000` belongs to flake8-slots.
    ours = [c for c in directive.codes if directive.ours or _OUR_CODE.match(c)]
    unknown = [c for c in ours if c not in known]
    unused = [c for c in ours if c in known and c in selected and c not in used]
    if not unknown and not unused:
        return None
    parts = []
    if unused:
        parts.append(f"Unused suppression of {_listed(unused)}: nothing on this line reports "
                     + ("it" if len(unused) == 1 else "them"))
    if unknown:
        parts.append(f"{_listed(unknown)} {'is not a' if len(unknown) == 1 else 'are not'} "
                     f"scorelint rule{'s' * (len(unknown) > 1)}")
    drop = set(unused) | set(unknown)
    kept = [c for c in directive.codes if c not in drop]
    if kept and directive.codes_span is not None:
        start, end = directive.codes_span
        edit = _edit(index, start, end, ", ".join(kept))
        title = f"Remove {_listed(sorted(drop))} from the suppression"
    else:
        edit, title = _removal(text, index, directive), "Remove the unused suppression"
    return _finding(path, index, directive, "; ".join(parts), edit, title)


def _listed(codes: Sequence[str]) -> str:
    return ", ".join(f"`{c}`" for c in codes)


def _finding(path: str, index: LineIndex, directive: Directive, message: str, edit: Edit,
             title: str = "Remove the unused suppression") -> Finding:
    start, end = index.position(directive.start), index.position(directive.end)
    return Finding(path, UNUSED_CODE, UNUSED_NAME, message, start, end,
                   fix=Fix(title, Applicability.SAFE, (edit,)), noqa_row=start.row)


def _edit(index: LineIndex, start: int, end: int, content: str) -> Edit:
    return Edit(start, end, content, index.position(start), index.position(end))


def _removal(text: str, index: LineIndex, directive: Directive) -> Edit:
    """The edit that takes a whole directive out, keeping any other comment text."""
    line_start = index.line_start(directive.row)
    rest = text[directive.end:directive.comment_end]
    before_in_comment = text[directive.comment_start:directive.start]
    if rest.strip() and rest.lstrip().startswith("#"):
        # Another comment follows: it takes the directive's place.
        return _edit(index, directive.start, directive.end + len(rest) - len(rest.lstrip()), "")
    if rest.strip():
        # Free text after the directive stays a comment.
        content = "# " if directive.start == directive.comment_start else ""
        return _edit(index, directive.start, directive.end + len(rest) - len(rest.lstrip()),
                     content)
    if before_in_comment.strip():
        # A directive after another comment (`# type: ignore  # noqa: ...`): keep the other.
        start = directive.comment_start + len(before_in_comment.rstrip())
        return _edit(index, start, directive.comment_end, "")
    code = text[line_start:directive.comment_start]
    if code.strip():
        return _edit(index, line_start + len(code.rstrip()), directive.comment_end, "")
    # The comment is alone on its line: delete the line.
    row = directive.row
    line_end = index.starts[row] if row < len(index.starts) else len(text)
    return _edit(index, line_start, line_end, "")


def add_noqa(text: str, findings: Sequence[Finding]) -> tuple[str, int]:
    """Ruff's `--add-noqa`: `# noqa: CODE` for each finding not yet silenced, on the row its
    suppression is read from, joined to a `# noqa:` list already there (a bare `# noqa`
    silences the row already). Returns the text and how many rows got a directive; a row
    whose comment would change what Python reads (it ends inside a string) is left alone."""
    directives = scan(text)
    index = LineIndex(text)
    wanted: dict[int, list[str]] = {}
    for finding in findings:
        if _needs_noqa(finding, directives):
            codes = wanted.setdefault(finding.noqa_row or finding.start.row, [])
            if finding.code not in codes:
                codes.append(finding.code)
    tree = _meaning(text)
    if tree is None:
        return text, 0
    added = 0
    for row in sorted(wanted, reverse=True):  # back to front: offsets above stay valid
        at, inserted = _noqa_insertion(directives, index, row, ", ".join(sorted(wanted[row])))
        candidate = f"{text[:at]}{inserted}{text[at:]}"
        if _meaning(candidate) == tree:
            text, added = candidate, added + 1
    return text, added


def noqa_edit(text: str, finding: Finding) -> tuple[int, str] | None:
    """The one insertion (offset, text) that silences `finding` as `add_noqa` would, for an
    editor's quick fix; None when the row is silenced already or the comment would change
    what Python reads. A text that does not parse cannot be judged, so it gets the edit."""
    directives = scan(text)
    if not _needs_noqa(finding, directives):
        return None
    row = finding.noqa_row or finding.start.row
    index = LineIndex(text)
    if row > len(index.starts):
        return None
    at, inserted = _noqa_insertion(directives, index, row, finding.code)
    tree = _meaning(text)
    if tree is not None and _meaning(f"{text[:at]}{inserted}{text[at:]}") != tree:
        return None
    return at, inserted


def _needs_noqa(finding: Finding, directives: Directives) -> bool:
    return not (finding.suppressed or finding.code in (ERROR_CODE, INTERNAL_CODE, UNUSED_CODE)
                or directives.suppressor(finding) is not None)


def _noqa_insertion(directives: Directives, index: LineIndex, row: int,
                    codes: str) -> tuple[int, str]:
    """Where `codes` go on `row`: joined to a `# noqa:` list there, else a new comment."""
    listed = [d for d in directives.lines.get(row, ()) if not d.ours and d.codes_span]
    if listed:
        return listed[0].codes_span[1], f", {codes}"  # type: ignore[index]
    return index.line_start(row) + len(index.line(row)), f"  # noqa: {codes}"


def _meaning(text: str) -> str | None:
    """What Python reads in `text` (its AST dumped), or None when it does not parse."""
    import ast

    try:
        return ast.dump(ast.parse(text))
    except (SyntaxError, ValueError):
        return None
