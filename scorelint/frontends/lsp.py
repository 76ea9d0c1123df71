"""Findings as Language Server Protocol values: diagnostics, code actions, hover text.

Pure functions over `lsprotocol` types, so they are tested without a server
(`scorelint.frontends.server` wires them to the editor). Rows and columns are 1-based
code points in scorelint; LSP counts 0-based lines and columns in the code
units the client negotiated (UTF-16 unless it asked for another), so every
position goes through `Lines`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from lsprotocol import types

from scorelint.base.findings import Applicability, Finding, Position
from scorelint.base.source import LineIndex
from scorelint.engine import suppressions

SOURCE = "scorelint"
FIX_ALL_KIND = "source.fixAll.scorelint"


class Lines:
    """A document's text with conversions between scorelint and LSP positions."""

    def __init__(self, text: str, units: Callable[[str], int] = lambda s: len(s.encode(
            "utf-16-le")) // 2) -> None:
        self.index = LineIndex(text)
        self.units = units  # how many client code units a string takes

    def to_lsp(self, pos: Position) -> types.Position:
        if pos.row > len(self.index.starts):  # past the end: the end of the last line
            last = len(self.index.starts)
            return types.Position(last - 1, self.units(self.index.line(last)))
        line = self.index.line(pos.row)
        return types.Position(pos.row - 1, self.units(line[: pos.column - 1]))

    def range(self, start: Position, end: Position) -> types.Range:
        return types.Range(self.to_lsp(start), self.to_lsp(end))

    def from_lsp(self, pos: types.Position) -> Position:
        """The 1-based code-point position of an LSP position (clamped to the text)."""
        row = max(1, min(pos.line + 1, len(self.index.starts)))
        line = self.index.line(row)
        # Code units counted one character at a time: a far column on a long line
        # costs the line's length, not its square.
        column = used = 0
        while column < len(line):
            used += self.units(line[column])
            if used > pos.character:
                break
            column += 1
        return Position(row, column + 1)

    def end(self) -> types.Position:
        """The position just past the last character (for a whole-document edit)."""
        return self.to_lsp(self.index.position(len(self.index.text)))


def rule_url(finding: Finding) -> str | None:
    from scorelint.engine.registry import find_rule

    rule = find_rule(finding.code)
    return finding.extra.get("url") or (rule.url() if rule is not None else None)


def related_information(finding: Finding, lines: Lines, uri: str
                        ) -> list[types.DiagnosticRelatedInformation] | None:
    """The finding's "why" trace (`extra["trace"]`: steps with `row`, `column`, `note`),
    as the lines that made, reshaped and consumed the value."""
    trace: Any = finding.extra.get("trace")
    if not trace:
        return None
    related = []
    for step in trace:
        start = Position(int(step["row"]), int(step.get("column", 1)))
        related.append(types.DiagnosticRelatedInformation(
            location=types.Location(uri, lines.range(start, start)),
            message=str(step.get("note", ""))))
    return related


def diagnostic(finding: Finding, lines: Lines, uri: str) -> types.Diagnostic:
    url = rule_url(finding)
    severity = (types.DiagnosticSeverity.Error if finding.severity == "error"
                else types.DiagnosticSeverity.Warning)
    return types.Diagnostic(
        range=lines.range(finding.start, finding.end),
        message=finding.message,
        severity=severity,
        code=finding.code,
        code_description=types.CodeDescription(href=url) if url else None,
        source=SOURCE,
        related_information=related_information(finding, lines, uri),
        # Which finding this is, so a code action finds it again among the cached ones.
        data={"code": finding.code, "row": finding.start.row, "column": finding.start.column},
    )


def diagnostics(findings: Iterable[Finding], lines: Lines, uri: str) -> list[types.Diagnostic]:
    return [diagnostic(f, lines, uri) for f in findings if not f.suppressed]


def _workspace_edit(uri: str, edits: Sequence[types.TextEdit]) -> types.WorkspaceEdit:
    return types.WorkspaceEdit(changes={uri: list(edits)})


def fix_action(finding: Finding, lines: Lines, uri: str,
               diag: types.Diagnostic | None) -> types.CodeAction | None:
    """The finding's own fix as a quick fix; an unsafe one says so in its title."""
    fix = finding.fix
    if fix is None or not fix.edits or fix.applicability is Applicability.DISPLAY:
        return None
    safe = fix.applicability is Applicability.SAFE
    label = "" if safe else " (unsafe fix: changes what is computed)"
    edits = [types.TextEdit(lines.range(e.start_pos, e.end_pos), e.content) for e in fix.edits]
    return types.CodeAction(
        title=f"{finding.code}: {fix.title}{label}",
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diag] if diag is not None else None,
        edit=_workspace_edit(uri, edits),
        is_preferred=safe,
    )


def noqa_action(finding: Finding, lines: Lines, uri: str,
                diag: types.Diagnostic | None) -> types.CodeAction | None:
    """`# noqa: CODE` where `--add-noqa` would put it (`suppressions.noqa_edit`)."""
    found = suppressions.noqa_edit(lines.index.text, finding)
    if found is None:
        return None
    at, inserted = found
    where = lines.index.position(at)
    return types.CodeAction(
        title=f"{finding.code}: Disable for this line",
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diag] if diag is not None else None,
        edit=_workspace_edit(uri, [types.TextEdit(lines.range(where, where), inserted)]),
    )


def fix_all_action(uri: str, before: Lines, after: str, kind: str = FIX_ALL_KIND
                   ) -> types.CodeAction | None:
    """Every applicable fix at once, as one edit of the whole document (as Ruff's server)."""
    if after == before.index.text:
        return None
    whole = types.Range(types.Position(0, 0), before.end())
    return types.CodeAction(title="scorelint: Fix all auto-fixable problems", kind=kind,
                            edit=_workspace_edit(uri, [types.TextEdit(whole, after)]))


def hover_markdown(finding: Finding) -> str:
    """The rule's page (what it finds, why it is wrong, the fix) for a hover."""
    from scorelint.engine import suppressions
    from scorelint.engine.registry import find_rule

    if finding.code == suppressions.UNUSED_CODE:
        return suppressions.docs()
    rule = find_rule(finding.code)
    if rule is None:
        return f"**{finding.code}** {finding.name}: {finding.message}"
    return rule.docs()


def contains(finding: Finding, pos: Position) -> bool:
    """Is `pos` inside the finding's span (its end included, so a hover at the edge counts)?"""
    return finding.start <= pos <= finding.end
