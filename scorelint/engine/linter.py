"""Lint one file's text: narrowing, one LibCST parse, one batched traversal.

`scorelint.engine.narrowing` picks the rules that could match and blanks what
none of them needs; only then is the file parsed with LibCST, its scopes
computed, and every candidate rule run in a single traversal. Positions are
computed only when something was found.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

import libcst as cst
from libcst._nodes.internal import CodegenState

from scorelint.base import limits
from scorelint.base.findings import (
    INTERNAL_CODE,
    INTERNAL_NAME,
    Edit,
    Finding,
    Fix,
    Position,
    TraceStep,
    error_finding,
)
from scorelint.base.source import Alignment, LineIndex
from scorelint.engine import narrowing, project, recovery, reparse, safety
from scorelint.engine.rule import Rule
from scorelint.model import walk
from scorelint.model.context import FileContext
from scorelint.model.proposal import FixSpec, InsertLine, RawFinding, Replace
from scorelint.model.semantic import Semantic
from scorelint.model.spelling import is_atom
from scorelint.model.summaries import MemberRecorder

# Narrowing by function (step 3) on; tests turn it off to compare findings both ways.
NARROW_FUNCTIONS = True
# A longer trace reads as noise: keep where the value was made and where it ends up.
MAX_TRACE_STEPS = 8


class LintError(Exception):
    """The file cannot be checked (syntax error, too deep); the message says why."""

    def __init__(self, message: str, row: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.row, self.column = row, column


def parse(text: str, cpython_checked: bool = False) -> cst.Module:
    """Parse with LibCST, turning its failures into a `LintError` with the reason.

    CPython parses it first (unless the caller just did): LibCST's native parser
    must never see a text CPython rejects."""
    if not cpython_checked:
        try:
            limits.cpython_check(text)
        except limits.Rejected as exc:
            raise LintError(str(exc), exc.row, exc.column) from None
    try:
        return reparse.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise LintError(f"syntax error at line {exc.raw_line}: {exc.message}",
                        exc.raw_line, exc.raw_column + 1) from None
    except cst.CSTValidationError as exc:  # e.g. `u"a" b"b"`: parsed, then rejected
        raise LintError(f"syntax error: {exc}") from None
    except UnicodeEncodeError as exc:  # a lone surrogate, as a notebook's JSON can hold
        where = LineIndex(text).position(exc.start)
        raise LintError(f"not valid Unicode at line {where.row}: {exc.reason}",
                        where.row, where.column) from None
    except RecursionError:
        raise LintError("too deeply nested to parse") from None


def lint(text: str, path: str, rules: Sequence[type[Rule]],
         tree: ast.Module | None = None, whole: bool = False) -> list[Finding]:
    """Every finding of `rules` in `text`; raises `LintError` if it cannot be parsed.
    `tree`: CPython's tree of `text` (`limits.cpython_check`), when the caller has it.
    `whole`: LibCST parses all of `text`, even with no trigger in it, and the rules run
    on all of it (the fix loop: the text it keeps must parse whole, promise 2; once
    parsed, running the rules on it costs less than narrowing and parsing again)."""
    tokens = narrowing.text_tokens(text, rules)
    candidates = narrowing.candidates(rules, tokens)
    # A rule that follows values may find a trigger it lacks in what a name this file
    # imports makes (a model ending in a sigmoid, in model.py): the project index lends it.
    borrowers = [r for r in rules if r.across_modules and r not in candidates
                 and narrowing.partly(r, tokens, project.lendable([r]))] if "import" in text else []
    # A text with no trigger cannot hold a finding: it is not parsed at all (a syntax
    # error in it is not this linter's business). The others get CPython's parser,
    # ~10x cheaper than LibCST's, so LibCST never sees a text CPython rejects (its
    # native parser can overflow its stack on one).
    if not candidates and not borrowers and not whole:
        return []
    try:
        tree = tree if tree is not None else limits.cpython_check(text)
    except limits.Rejected as exc:  # lint what parses around a syntax error
        partial = recovery.mask_rejected(text, exc.syntax) if exc.syntax else None
        if partial is None or whole:
            raise LintError(str(exc), exc.row, exc.column) from None
        return recovery.report(partial, path, lint(partial.text, path, rules))
    statements = None
    if borrowers:  # a call the text gate saw may be none (`self.log(m)`, an own method)
        statements = narrowing.Statements.of(tree)
        borrowers = [r for r in borrowers
                     if narrowing.partly(r, statements.present, project.lendable([r]))]
    lent = project.lent_tokens(path, tree, project.lendable(borrowers)) if borrowers else {}
    if lent:  # what imports make counts for the rules that follow values into them
        candidates += narrowing.candidates(borrowers, tokens | narrowing.mapping_union(lent))
    if whole:
        limits.check_time()
        module = parse(text, cpython_checked=True)
        return _checked_run(module, text, path, candidates) if candidates else []
    if not candidates:
        return []
    narrowing.reached("2 text triggers", text)
    narrowed = narrowing.narrow(text, tree, candidates, lent, functions=NARROW_FUNCTIONS,
                                statements=statements)
    if narrowed is None:
        return []
    limits.check_time()  # LibCST's parse and scopes cannot stop midway: not past the budget
    narrowing.reached("3 LibCST parse", text)
    narrowing.reached_code("4 kept for LibCST", narrowed.text)
    # A long-lived process (the server) reuses the trees of statements that did not change.
    module = reparse.parse(narrowed.parsed, tree, narrowed.text)
    if module is None:
        module = parse(narrowed.parsed, cpython_checked=True)
    return _checked_run(module, narrowed.text, path, narrowed.rules)


def _checked_run(module: cst.Module, text: str, path: str,
                 rules: Sequence[type[Rule]]) -> list[Finding]:
    try:  # on the pipeline's deep stack already (`limits.on_deep_stack`)
        return _run_rules(module, text, path, rules)
    except RecursionError:
        raise LintError("too deeply nested to analyse") from None




def _run_rules(module: cst.Module, text: str, path: str,
               rules: Sequence[type[Rule]]) -> list[Finding]:
    limits.check_time()
    members, recorder = MemberRecorder(), SlotRecorder()
    ctx = FileContext(module, text, path, Semantic(module), members)
    ctx.index = project.Index(path)
    instances = [rule(ctx) for rule in rules]
    broken: list[tuple[Rule | type[Rule], Exception]] = []
    try:
        # Not module.visit: LibCST's own visit would rebuild every node for this read-only pass.
        batch = _Batched([members, recorder, *instances], broken, ctx.findings)
        visit(module, batch, batch.skippable())
        capped = False
    except _TooManyFindings:  # each finding costs milliseconds and memory: stop here
        del ctx.findings[limits.MAX_FINDINGS:]
        capped = True
    if not ctx.findings and not broken:
        return []
    narrowing.reached("5 with a finding", text)
    locator = _Locator(module, text)
    findings: list[Finding] = []
    unplaceable: set[type[Rule]] = set()
    for raw in ctx.findings:
        limits.check_time()
        if raw.rule in unplaceable:
            continue
        try:
            findings.append(locator.finding(path, raw, recorder))
        except limits.OverBudget:
            raise
        except Exception as exc:  # noqa: BLE001  (a node not in this file, a bad fix spec)
            unplaceable.add(raw.rule)
            broken.append((raw.rule, exc))
    for rule, exc in broken:
        findings.append(Finding(
            path, INTERNAL_CODE, INTERNAL_NAME,
            f"rule {rule.code} ({rule.name}) failed on this file: {type(exc).__name__}: {exc}",
            Position(1, 1), Position(1, 1), noqa_row=1,
        ))
    if capped:  # what was found stands; a fix could not be re-checked against the rest
        findings = [*(dataclasses.replace(f, fix=None) for f in findings), error_finding(
            path, f"more than {limits.MAX_FINDINGS:,} findings (scorelint's limit per file): "
                  "the rest of the file is not checked")]
    return sorted(findings, key=lambda f: f.sort_key)


class SlotRecorder(cst.BatchableCSTVisitor):
    """Expressions that stand alone (an assigned value, a call argument, an element...):
    a replacement there needs no parentheses of its own."""

    def __init__(self) -> None:
        super().__init__()
        self.free_slots: set[cst.CSTNode] = set()

    def visit_Assign(self, node: cst.Assign) -> None:
        self.free_slots.add(node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self.free_slots.add(node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.free_slots.add(node.value)

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None:
            self.free_slots.add(node.value)

    def visit_Expr(self, node: cst.Expr) -> None:
        self.free_slots.add(node.value)

    def visit_Arg(self, node: cst.Arg) -> None:
        self.free_slots.add(node.value)

    def visit_Element(self, node: cst.Element) -> None:
        self.free_slots.add(node.value)


@functools.cache
def _visitor_names(cls: type) -> tuple[str, ...]:
    """The `visit_*` / `leave_*` methods a visitor class defines (LibCST's no-op stubs left
    out): `BatchableCSTVisitor.get_visitors`, which inspects every member of every
    instance, once per class instead of once per rule per file."""
    return tuple(name for name in dir(cls) if name.startswith(("visit_", "leave_"))
                 and inspect.isfunction(member := getattr(cls, name))
                 and not getattr(member, "_is_no_op", False))


class Visitor(Protocol):
    """What `visit` calls: `on_visit` says whether to enter the node's children;
    `on_leave` is called either way (LibCST's `CSTVisitor` semantics)."""

    def on_visit(self, node: cst.CSTNode) -> bool: ...

    def on_leave(self, original_node: cst.CSTNode) -> None: ...



def visit(root: cst.CSTNode, visitor: Visitor, skip: frozenset[type] = frozenset()) -> None:
    """Call `visitor.on_visit` / `on_leave` on every node under `root` exactly as
    `root.visit(visitor)` does for a `CSTVisitor`: same nodes, same order, children
    skipped (but `on_leave` still called) where `on_visit` returns False. The fields
    are `scorelint.model.walk`'s; the traversal is the engine's, so the rules it calls
    back are entered from the engine, not through the model. Nodes of the classes in
    `skip` are not entered at all (for `TRIVIA` no rule handles)."""
    on_visit: Callable[[cst.CSTNode], bool] = visitor.on_visit
    on_leave: Callable[[cst.CSTNode], None] = visitor.on_leave
    fields, kinds = walk.FIELDS, walk.KINDS

    def enter(node: cst.CSTNode) -> None:
        if on_visit(node):
            for name in fields[type(node)]:
                value = getattr(node, name)
                kind = kinds[type(value)]
                if kind == walk.NODE:
                    if type(value) not in skip:
                        enter(value)
                elif kind == walk.SEQUENCE:
                    for child in value:
                        if type(child) not in skip:
                            enter(child)
        on_leave(node)

    enter(root)


# Whitespace, comments, operators and punctuation: nodes that hold only such nodes. They
# are two thirds of a tree's nodes; the rule pass skips them when no visitor of the batch
# handles one (`tests/test_trivia.py` checks that the set is closed).
_TRIVIA_BASES = frozenset({
    cst.BaseParenthesizableWhitespace, cst.EmptyLine, cst.TrailingWhitespace,
    cst.Newline, cst.Comment, cst.BaseBinaryOp, cst.BaseBooleanOp, cst.BaseCompOp,
    cst.BaseUnaryOp, cst.BaseAugOp, cst.Comma, cst.Dot, cst.Colon, cst.AssignEqual,
    cst.Semicolon, cst.ImportStar, cst.LeftParen, cst.RightParen, cst.LeftSquareBracket,
    cst.RightSquareBracket, cst.LeftCurlyBrace, cst.RightCurlyBrace})
# Read off each class's MRO: `issubclass` against LibCST's abstract bases walks the ABC
# registry, 15 ms of every process's import of the engine.
TRIVIA: frozenset[type] = frozenset(
    cls for cls in vars(cst).values()
    if isinstance(cls, type) and not inspect.isabstract(cls)
    and not _TRIVIA_BASES.isdisjoint(cls.__mro__))


_TRIVIA_NAMES = frozenset(cls.__name__ for cls in TRIVIA)


class _TooManyFindings(Exception):
    """The rules found more than `limits.MAX_FINDINGS` in one file."""


class _Batched(cst.CSTVisitor):
    """One traversal for every rule; a rule that raises is dropped for this file only.
    Each node visited checks the file's time budget and how many findings there are."""

    def __init__(self, visitors: list[cst.BatchableCSTVisitor],
                 broken: list[tuple[Rule | type[Rule], Exception]],
                 findings: list[RawFinding]) -> None:
        super().__init__()
        self.broken = broken
        self.findings = findings
        self.methods: dict[str, list[tuple[cst.BatchableCSTVisitor, object]]] = {}
        for visitor in visitors:
            for name in _visitor_names(type(visitor)):
                self.methods.setdefault(name, []).append((visitor, getattr(visitor, name)))
        self.dead: set[int] = set()
        # Per node class, the methods its visit and its leave call (no name built per node).
        self.by_class: dict[type, tuple[list[tuple[cst.BatchableCSTVisitor, object]], ...]] = {}

    def skippable(self) -> frozenset[type]:
        """`TRIVIA`, unless a visitor handles one of its classes (then nothing)."""
        if any(name.split("_", 1)[1] in _TRIVIA_NAMES for name in self.methods):
            return frozenset()
        return TRIVIA

    def _methods(self, cls: type) -> tuple[list[tuple[cst.BatchableCSTVisitor, object]], ...]:
        found = self.by_class[cls] = (self.methods.get(f"visit_{cls.__name__}", []),
                                      self.methods.get(f"leave_{cls.__name__}", []))
        return found

    def _call(self, methods: list[tuple[cst.BatchableCSTVisitor, object]],
              node: cst.CSTNode) -> None:
        for visitor, method in methods:
            if self.dead and id(visitor) in self.dead:
                continue
            try:
                method(node)  # type: ignore[operator]
            except (RecursionError, limits.OverBudget):
                raise  # the file's, not the rule's: the pipeline's guard makes it an SL000
            except Exception as exc:  # noqa: BLE001  (promise 5: one rule's bug stays its own)
                if not isinstance(visitor, Rule):
                    raise
                self.dead.add(id(visitor))
                self.broken.append((visitor, exc))

    def on_visit(self, node: cst.CSTNode) -> bool:
        limits.check_time()
        if len(self.findings) > limits.MAX_FINDINGS:
            raise _TooManyFindings
        methods = self.by_class.get(node.__class__) or self._methods(node.__class__)
        if methods[0]:
            self._call(methods[0], node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        methods = self.by_class.get(original_node.__class__) or \
            self._methods(original_node.__class__)
        if methods[1]:
            self._call(methods[1], original_node)


def _bare(code: str) -> bool:
    """Is `code` a name, attribute, call or subscript (parentheses around it are noise)?"""
    try:
        node = cst.parse_expression(code)
    except cst.ParserSyntaxError:
        return False
    return not node.lpar and isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.Subscript))


class _SpanState(CodegenState):
    """LibCST's code generation, keeping where each node's code starts and ends (in
    characters of the generated code) as `ByteSpanPositionProvider` does in bytes: a
    node's span stops inside its own parentheses. One pass gives the code and every
    span; the provider's pass cost five plain ones (a byte count per token, a node hash
    per node), on every file with a finding and every pass of the fix loop."""

    def __init__(self, module: cst.Module) -> None:
        super().__init__(default_indent=module.default_indent,
                         default_newline=module.default_newline)
        self.position = 0
        self.starts: list[int] = []
        self.spans: dict[int, tuple[int, int]] = {}  # by `id`: nodes hash by identity

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)
        self.position += sum(map(len, self.indent_tokens))

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self.position += len(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self.starts.append(self.position)

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self.starts.pop()
        self.spans.setdefault(id(node), (start, self.position))

    @contextmanager
    def record_syntactic_position(self, node: cst.CSTNode, *,
                                  start_node: cst.CSTNode | None = None,
                                  end_node: cst.CSTNode | None = None) -> Iterator[None]:
        start = self.position
        try:
            yield
        finally:
            if start_node is not None:
                start = self.spans[id(start_node)][0]
            end = self.spans[id(end_node)][1] if end_node is not None else self.position
            self.spans[id(node)] = (start, end)


class _Locator:
    """Turns LibCST's spans into offsets in the text and 1-based positions."""

    def __init__(self, module: cst.Module, text: str) -> None:
        self.text = text
        state = _SpanState(module)
        module._codegen(state)
        self.spans = state.spans
        self.lines = LineIndex(text)
        # LibCST's spans count in its regenerated code, which is not always the
        # text (it drops the space in `except X :`, LibCST #1457, and a form
        # feed that starts a line): map them back by aligning the two.
        code = "".join(state.tokens)
        self.exact = code == text
        self.alignment = None if self.exact else Alignment.of(text, code)

    def span(self, node: cst.CSTNode) -> tuple[int, int] | None:
        """Character offsets of the node's code in the text, or None if it cannot be
        mapped; KeyError for a node not in this module."""
        start, end = self.spans[id(node)]
        if self.exact:
            return start, end
        if self.alignment is None:
            return None  # LibCST changed more than whitespace: no exact place
        return self.alignment.span(start, end)

    def finding(self, path: str, raw: RawFinding, recorder: SlotRecorder) -> Finding:
        where = self.span(raw.node)
        fix = self.fix(raw.fix, recorder) if raw.fix and where else None
        if where is None:  # keep the finding at LibCST's position, without a fix
            start = min(self.spans[id(raw.node)][0], len(self.text))
            where = (start, min(len(self.text), start + 1))
        start, end = where
        rule = raw.rule
        first = self.lines.position(start)
        extra: dict[str, object] = {"url": rule.url()}
        trace = self.trace(raw.trace)
        if trace:
            extra["trace"] = [step.to_dict() for step in trace]
        return Finding(
            path, rule.code, rule.name, raw.message, first, self.lines.position(end),
            fix=fix, noqa_row=first.row, extra=extra,
        )

    def trace(self, steps: Sequence[tuple[cst.CSTNode, str]]) -> list[TraceStep]:
        """The steps placed in the text, in source order; a step that cannot be placed
        exactly (a node of another tree, text LibCST rewrote) is left out."""
        placed: set[tuple[int, int, str]] = set()
        for node, note in steps:
            try:
                where = self.span(node)
            except KeyError:  # not a node of this module: nothing to point at
                continue
            if where is not None:
                placed.add((*where, " ".join(note.split())))  # a note is one line
        ordered = sorted(placed)
        if len(ordered) > MAX_TRACE_STEPS:
            half = MAX_TRACE_STEPS // 2
            ordered = ordered[:half] + ordered[-half:]
        return [TraceStep(self.lines.position(start), self.lines.position(end), note)
                for start, end, note in ordered]

    def fix(self, spec: FixSpec, recorder: SlotRecorder) -> Fix | None:
        edits = []
        for edit in spec.edits:
            resolved = (self._replace(edit, recorder) if isinstance(edit, Replace)
                        else self._insert(edit))
            if resolved is None:
                return None  # a fix we cannot place exactly is not offered
            edits.append(resolved)
        unique = sorted(set(edits), key=lambda e: (e.start, e.end))
        # The policy every rule's fix gets, whatever the rule declared (scorelint.engine.safety).
        return Fix(spec.title, safety.applicability(spec.applicability, self.text, unique),
                   tuple(unique))

    def _edit(self, start: int, end: int, content: str) -> Edit:
        return Edit(start, end, content, self.lines.position(start), self.lines.position(end))

    def _replace(self, edit: Replace, recorder: SlotRecorder) -> Edit | None:
        where = self.span(edit.node)
        if where is None:
            return None
        content = edit.content
        # A span stops inside the node's own parentheses, which stay; a node without
        # them gets parentheses when the replacement is not an atom where it stands.
        if (isinstance(edit.node, cst.BaseExpression) and not edit.node.lpar
                and edit.node not in recorder.free_slots and not is_atom(content)):
            content = f"({content})"
        if isinstance(edit.node, cst.BaseExpression) and edit.node.lpar and _bare(content):
            # Parentheses around a name, call or subscript only add noise: `-(f(x))`.
            where = self._with_parens(where, len(edit.node.lpar)) or where
        return self._edit(*where, content)

    def _with_parens(self, where: tuple[int, int], count: int) -> tuple[int, int] | None:
        """The span widened over `count` pairs of parentheses with only whitespace between
        them and it, or None (a comment inside, or a neighbour that would glue on:
        `not(f(x))` must not become `notf(x)`)."""
        start, end = where
        text = self.text
        for _ in range(count):
            before = text[:start].rstrip(" \t\r\n")
            after_start = len(text) - len(text[end:].lstrip(" \t\r\n"))
            if not before.endswith("(") or not text.startswith(")", after_start):
                return None
            start, end = len(before) - 1, after_start + 1
        glued = (start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_")) or \
            (end < len(text) and (text[end].isalnum() or text[end] == "_"))
        return None if glued else (start, end)

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
