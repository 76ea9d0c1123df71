"""Lint one file's text: the prefilter funnel, one LibCST parse, one batched traversal.

Stage 1 (regex over the text) and stage 2 (CPython's `ast`) pick the rules
that could match; only then is the file parsed with LibCST, its scopes
computed, and every candidate rule run in a single traversal. Positions are
computed only when something was found.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Sequence

import libcst as cst
from libcst.metadata import ByteSpanPositionProvider, MetadataWrapper, ScopeProvider

from scorelint import prefilter
from scorelint.context import BindingRecorder, FileContext, FixSpec, InsertLine, RawFinding, Replace
from scorelint.findings import (
    ERROR_CODE,
    ERROR_NAME,
    INTERNAL_CODE,
    INTERNAL_NAME,
    Edit,
    Finding,
    Fix,
    Position,
)
from scorelint.rule import Rule
from scorelint.source import LineIndex
from scorelint.spelling import is_atom


class LintError(Exception):
    """The file cannot be checked (syntax error, too deep); the message says why."""

    def __init__(self, message: str, row: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.row, self.column = row, column


def error_finding(path: str, message: str, row: int = 1, column: int = 1) -> Finding:
    """The SL000 finding that stands for a file that could not be checked."""
    pos = Position(row, column)
    return Finding(path, ERROR_CODE, ERROR_NAME, message, pos, pos, noqa_row=row)


def parse(text: str) -> cst.Module:
    """Parse with LibCST, turning its failures into a `LintError` with the reason."""
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise LintError(f"syntax error at line {exc.raw_line}: {exc.message}",
                        exc.raw_line, exc.raw_column + 1) from None
    except RecursionError:
        raise LintError("too deeply nested to parse") from None


def lint(text: str, path: str, rules: Sequence[type[Rule]]) -> list[Finding]:
    """Every finding of `rules` in `text`; raises `LintError` if it cannot be parsed."""
    candidates = prefilter.candidates(rules, prefilter.text_tokens(text))
    # CPython's parser is ~10x cheaper than LibCST's; every file gets it so a
    # syntax error is reported everywhere, as Ruff does.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for odd escapes is not ours
            tree = ast.parse(text)
    except SyntaxError as exc:
        tree, ast_error = None, exc
    except (ValueError, RecursionError, MemoryError) as exc:
        tree, ast_error = None, exc
    if tree is not None:
        if not candidates:
            return []
        candidates = prefilter.candidates(candidates, prefilter.ast_tokens(tree))
        if not candidates:
            return []
    try:
        module = parse(text)
    except LintError:
        # LibCST may know newer syntax than this interpreter, so it has the last
        # word; CPython's message says better what is wrong.
        if isinstance(ast_error, SyntaxError) and ast_error.lineno:
            raise LintError(f"syntax error at line {ast_error.lineno}: {ast_error.msg}",
                            ast_error.lineno, max(1, ast_error.offset or 1)) from None
        raise
    if not candidates:
        return []
    try:
        return _run_rules(module, text, path, candidates)
    except RecursionError:
        raise LintError("too deeply nested to analyse") from None


def _run_rules(module: cst.Module, text: str, path: str,
               rules: Sequence[type[Rule]]) -> list[Finding]:
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    scopes = wrapper.resolve(ScopeProvider)
    recorder = BindingRecorder()
    ctx = FileContext(module, text, path, dict(scopes), recorder)  # type: ignore[arg-type]
    instances = [rule(ctx) for rule in rules]
    broken: list[tuple[Rule, Exception]] = []
    module.visit(_Batched([recorder, *instances], broken))
    if not ctx.findings and not broken:
        return []
    spans = wrapper.resolve(ByteSpanPositionProvider)
    locator = _Locator(module, text, spans)
    findings = [locator.finding(path, raw, recorder) for raw in ctx.findings]
    for rule, exc in broken:
        findings.append(Finding(
            path, INTERNAL_CODE, INTERNAL_NAME,
            f"rule {rule.code} ({rule.name}) failed on this file: {type(exc).__name__}: {exc}",
            Position(1, 1), Position(1, 1), noqa_row=1,
        ))
    return sorted(findings, key=lambda f: f.sort_key)


class _Batched(cst.CSTVisitor):
    """One traversal for every rule; a rule that raises is dropped for this file only."""

    def __init__(self, visitors: list[cst.BatchableCSTVisitor],
                 broken: list[tuple[Rule, Exception]]) -> None:
        super().__init__()
        self.broken = broken
        self.methods: dict[str, list[tuple[cst.BatchableCSTVisitor, object]]] = {}
        for visitor in visitors:
            for name, method in visitor.get_visitors().items():
                self.methods.setdefault(name, []).append((visitor, method))
        self.dead: set[int] = set()

    def _call(self, name: str, node: cst.CSTNode) -> None:
        for visitor, method in self.methods.get(name, ()):
            if id(visitor) in self.dead:
                continue
            try:
                method(node)  # type: ignore[operator]
            except RecursionError:
                raise
            except Exception as exc:  # noqa: BLE001  (promise 5: one rule's bug stays its own)
                if not isinstance(visitor, Rule):
                    raise
                self.dead.add(id(visitor))
                self.broken.append((visitor, exc))

    def on_visit(self, node: cst.CSTNode) -> bool:
        self._call(f"visit_{type(node).__name__}", node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self._call(f"leave_{type(original_node).__name__}", original_node)


class _Locator:
    """Turns LibCST byte spans into character offsets and 1-based positions."""

    def __init__(self, module: cst.Module, text: str, spans: object) -> None:
        self.module = module
        self.text = text
        self.spans = spans
        self.lines = LineIndex(text)
        self.exact = module.code == text
        self._encoded = text.encode("utf-8") if not text.isascii() else None

    def _chars(self, byte_offset: int) -> int:
        if self._encoded is None:
            return byte_offset
        return len(self._encoded[:byte_offset].decode("utf-8", errors="ignore"))

    def span(self, node: cst.CSTNode) -> tuple[int, int] | None:
        """Character offsets of the node's code in the text, or None if it cannot be found."""
        span = self.spans[node]  # type: ignore[index]
        start, end = self._chars(span.start), self._chars(span.start + span.length)
        if self.exact:
            return start, end
        # LibCST's round trip is not byte-exact for every file (lone CR, form
        # feeds): find the node's code near where the regenerated module has it.
        code = self.module.code_for_node(node)
        for distance in range(0, 400):
            for probe in {start - distance, start + distance}:
                if 0 <= probe < len(self.text):
                    found = _match_ignoring_space(self.text, probe, code)
                    if found is not None:
                        return probe, found
        return None

    def finding(self, path: str, raw: RawFinding, recorder: BindingRecorder) -> Finding:
        where = self.span(raw.node)
        fix = self.fix(raw.fix, recorder) if raw.fix and where else None
        if where is None:  # keep the finding at LibCST's position, without a fix
            span = self.spans[raw.node]  # type: ignore[index]
            start = min(self._chars(span.start), len(self.text))
            where = (start, min(len(self.text), start + 1))
        start, end = where
        rule = raw.rule
        first = self.lines.position(start)
        return Finding(
            path, rule.code, rule.name, raw.message, first, self.lines.position(end),
            fix=fix, noqa_row=first.row, extra={"url": rule.url()},
        )

    def fix(self, spec: FixSpec, recorder: BindingRecorder) -> Fix | None:
        edits = []
        for edit in spec.edits:
            resolved = (self._replace(edit, recorder) if isinstance(edit, Replace)
                        else self._insert(edit))
            if resolved is None:
                return None  # a fix we cannot place exactly is not offered
            edits.append(resolved)
        unique = sorted(set(edits), key=lambda e: (e.start, e.end))
        return Fix(spec.title, spec.applicability, tuple(unique))

    def _edit(self, start: int, end: int, content: str) -> Edit:
        return Edit(start, end, content, self.lines.position(start), self.lines.position(end))

    def _replace(self, edit: Replace, recorder: BindingRecorder) -> Edit | None:
        where = self.span(edit.node)
        if where is None:
            return None
        content = edit.content
        if isinstance(edit.node, cst.BaseExpression) and (
            edit.node.lpar  # the span includes the node's own parentheses: keep them
            or (edit.node not in recorder.free_slots and not is_atom(content))
        ):
            content = f"({content})"
        return self._edit(*where, content)

    def _insert(self, edit: InsertLine) -> Edit | None:
        newline = self.lines.newline()
        if edit.anchor is None:
            return self._edit(0, 0, edit.content + newline)
        where = self.span(edit.anchor)
        if where is None:
            return None
        start, end = where
        if not edit.after:
            row = self.lines.position(start).row
            offset = self.lines.line_start(row)
            return self._edit(offset, offset, edit.content + newline)
        row = self.lines.position(max(start, end - 1)).row
        if row < len(self.lines.starts):
            offset = self.lines.starts[row]
            return self._edit(offset, offset, edit.content + newline)
        return self._edit(len(self.text), len(self.text), newline + edit.content)


def _match_ignoring_space(text: str, start: int, code: str) -> int | None:
    """End offset if `code` occurs at `start` up to whitespace (indentation), else None."""
    i = start
    for char in code:
        if char.isspace():
            continue
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text) or text[i] != char:
            return None
        i += 1
    return i if i > start else None
