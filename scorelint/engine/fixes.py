"""Applying fixes: text edits, re-lint until stable, re-parse.

A fix is a set of text edits on the node's own source span, so every byte
outside the edits is kept (encoding, BOM, line endings, comments). The file
is re-linted after each pass, at most `MAX_PASSES` times; a result that does
not parse, or that never settles, is thrown away whole. Writing the result
is `scorelint.base.source.write_atomic`'s.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import warnings
from collections.abc import Callable, Sequence

from scorelint.base import limits
from scorelint.base.findings import (
    ERROR_CODE,
    Edit,
    Finding,
    FixResult,
    applicable,  # noqa: F401  (callers use fixes.applicable)
    apply_edits,
    fixable,
)
from scorelint.engine import linter as engine
from scorelint.engine import recovery
from scorelint.engine.rule import Rule
from scorelint.engine.tidy import Parses, name_repeats, tidy
from scorelint.engine.wrapping import line_length, wrap_long_lines

MAX_PASSES = 10

# Called on every pass's findings (the runner marks suppressed ones and adds
# unused-suppression reports): (text, findings) -> findings.
Postprocess = Callable[[str, list[Finding]], list[Finding]]


def _choose(findings: Sequence[Finding], unsafe: bool) -> tuple[list[Finding], list[Edit]]:
    """Fixes that do not overlap each other; the rest wait for the next pass."""
    chosen: list[Finding] = []
    taken: list[Edit] = []
    for finding in findings:
        if not fixable(finding, unsafe):
            continue
        assert finding.fix is not None
        new = [e for e in finding.fix.edits if e not in taken]
        if any(_overlaps(a, b) for a in new for b in taken):
            continue
        chosen.append(finding)
        taken.extend(new)
    return chosen, taken


def _overlaps(a: Edit, b: Edit) -> bool:
    """Do two edits touch the same text? Insertions (whole import lines) never collide
    with each other: several at one point are all applied, in a fixed order."""
    if a.start == a.end and b.start == b.end:
        return False
    return a.start < b.end and b.start < a.end


def compiles(text: str) -> bool:
    """Does CPython accept the text? (`compile` only; nothing is executed.)"""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "<scorelint>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def reparses(text: str, must_compile: bool) -> bool:
    """Does the text parse: CPython's parser and LibCST's, and `compile` if `must_compile`?"""
    try:
        engine.parse(text)
    except engine.LintError:
        return False
    return compiles(text) if must_compile else True


def _lint(text: str, path: str, rules: Sequence[type[Rule]],
          postprocess: Postprocess | None) -> list[Finding]:
    """The findings in the text before any fix."""
    findings = engine.lint(text, path, rules)
    return postprocess(text, findings) if postprocess is not None else findings


def _lint_fixed(text: str, tree: ast.Module, path: str, rules: Sequence[type[Rule]],
                postprocess: Postprocess | None) -> list[Finding]:
    """The findings in a fixed text (`tree`: CPython's), which LibCST parses whole for
    them: what the loop keeps parses with LibCST (promise 2), and once it is parsed the
    rules cost less on all of it than narrowing and a second parse would."""
    findings = engine.lint(text, path, rules, tree, whole=True)
    return postprocess(text, findings) if postprocess is not None else findings


def _cpython_tree(text: str) -> ast.Module | None:
    """CPython's tree of a fixed text (the re-lint reads it: parsed once), None if rejected."""
    try:
        return limits.cpython_check(text)
    except limits.Rejected:
        return None


def _compiles_unless(text: str, original_compiles: Callable[[], bool]) -> bool:
    """Does `compile` accept the fixed text, where it accepted the original? The original
    is compiled only when the fixed text is not: a text that compiles passes either way."""
    return compiles(text) or not original_compiles()


def fix_text(text: str, path: str, rules: Sequence[type[Rule]], unsafe: bool,
             postprocess: Postprocess | None = None,
             first: Sequence[Finding] | None = None) -> FixResult:
    """Fix `text` until no applicable fix is left; raises `engine.LintError` if unparseable.

    Suppressed findings (as `postprocess` marks them) are never fixed. `first` is the
    lint of `text` when it is known already (a cached check), so it is not linted again.
    """
    return dataclasses.replace(_fix_text(text, path, rules, unsafe, postprocess, first),
                               source=text)


def _fix_text(text: str, path: str, rules: Sequence[type[Rule]], unsafe: bool,
              postprocess: Postprocess | None, first: Sequence[Finding] | None) -> FixResult:
    original = findings = list(first) if first is not None else _lint(text, path, rules,
                                                                      postprocess)
    if any(f.code == ERROR_CODE for f in original):
        # Part of the file does not parse (scorelint.engine.recovery): a fix could not be re-checked.
        return FixResult(text, [], recovery.without_fixes(original), original=original)
    # Does the original compile (then every fixed text must)? Asked when one does not.
    original_compiles = functools.cache(lambda: compiles(text))
    current, applied = text, []
    for _ in range(MAX_PASSES):
        chosen, edits = _choose(findings, unsafe)
        if not chosen:
            break
        candidate = apply_edits(current, edits)
        if candidate == current:  # a fix that changes nothing would never settle
            return _refused(text, original, "a fix changed nothing")
        tree = _cpython_tree(candidate)
        if tree is None or not _compiles_unless(candidate, original_compiles):
            return _refused(text, original, "the fixed file would not parse")
        # What the fixes left behind is cleared before the re-lint (a text is parsed
        # and linted once a pass); the fixed text as it is when the tidied one does not
        # parse (CPython, `compile` or LibCST).
        tidied = tidy_text(text, candidate, path, tree)
        tidied_tree = _cpython_tree(tidied) if tidied != candidate else None
        found = None
        if tidied_tree is not None and _compiles_unless(tidied, original_compiles):
            try:
                found = _lint_fixed(tidied, tidied_tree, path, rules, postprocess)
                candidate = tidied
            except engine.LintError:
                pass
        if found is None:
            try:
                found = _lint_fixed(candidate, tree, path, rules, postprocess)
            except engine.LintError:
                if not reparses(candidate, must_compile=False):  # LibCST rejects it
                    return _refused(text, original, "the fixed file would not parse")
                raise
        current, findings = candidate, found
        applied.extend(chosen)
    else:
        if any(fixable(f, unsafe) for f in findings):
            return _refused(text, original, f"fixes did not settle in {MAX_PASSES} passes")
    return FixResult(current, applied, findings, original=original)


def tidy_text(before: str, after: str, path: str, tree: ast.Module | None = None) -> str:
    """What the fixes that turned `before` into `after` left behind, cleared: a value they
    wrote twice computed once, dead bindings and imports removed (scorelint.engine.tidy), the
    lines they made too long for the project's line length broken inside their brackets
    (scorelint.engine.wrapping)."""
    # The fixed text is read by both, a tidied one by the next round; `tree`: `after`'s.
    parse = Parses({after: tree} if tree is not None else None)
    named = name_repeats(before, after, parse)
    return wrap_long_lines(before, tidy(before, named, path, parse), line_length(path))


def withdraw_fixes(findings: Sequence[Finding], why: str) -> list[Finding]:
    """The findings with their fixes withdrawn and the reason in the message."""
    return [dataclasses.replace(f, message=f"{f.message} (fix refused: {why})", fix=None)
            if f.fix else f for f in findings]


def _refused(text: str, original: list[Finding], why: str) -> FixResult:
    return FixResult(text, [], withdraw_fixes(original, why), refused=why, original=original)
