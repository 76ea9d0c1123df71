"""The fix-safety policy lives in the engine: every rule's fix gets it (scorelint.engine.safety).

A comment inside the span a fix replaces is never deleted by plain `--fix`:
the fix is made unsafe unless its replacement carries the comment along.
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import pytest

from scorelint.base.findings import Applicability
from scorelint.base.source import LineIndex
from scorelint.engine import fixes, safety
from scorelint.engine import linter as engine
from scorelint.engine.registry import all_rules
from scorelint.frontends.cli import main

RULES = all_rules()
COMMENT = "# keep-me: a note the author wrote"


def _bracket_offsets(text: str) -> list[int]:
    """Offsets just after each `(`, `[` and `,` token: a comment and a line break fit there."""
    lines = LineIndex(text)
    return [lines.line_start(tok.end[0]) + tok.end[1]
            for tok in tokenize.generate_tokens(io.StringIO(text).readline)
            if tok.type == tokenize.OP and tok.string in "([,"]


def _injected(code: str) -> list[tuple[str, str]]:
    """(finding code, text with a comment inside one of its fix's replaced spans), one per
    fix: the example with `COMMENT` and a line break after a bracket in the span."""
    cases = []
    for finding in engine.lint(code, "example.py", RULES):
        if finding.fix is None:
            continue
        spans = [(e.start, e.end) for e in finding.fix.edits if e.end > e.start]
        for offset in _bracket_offsets(code):
            if not any(start < offset < end for start, end in spans):
                continue
            text = f"{code[:offset]}  {COMMENT}\n{code[offset:]}"
            try:
                ast.parse(text)
            except SyntaxError:
                continue
            if finding.code in {f.code for f in engine.lint(text, "example.py", RULES)}:
                cases.append((finding.code, text))
                break
    return cases


CASES = [(rule.code, i, case) for rule in RULES for i, example in enumerate(rule.flagged)
         if example.fixed is not None for case in _injected(example.code)]


def test_every_rule_with_a_fix_has_injected_cases() -> None:
    fixable = {r.code for r in RULES if any(ex.fixed is not None for ex in r.flagged)}
    covered = {code for code, _, (_, _) in CASES}
    assert fixable and fixable <= covered


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}-{c[2][0]}")
def test_plain_fix_keeps_a_comment_inside_the_replaced_span(case) -> None:  # noqa: ANN001
    _, _, (code, text) = case
    result = fixes.fix_text(text, "example.py", RULES, unsafe=False)
    assert result.text.count(COMMENT) == text.count(COMMENT), code
    # The finding is still there, its fix now unsafe unless it keeps the comment.
    for finding in engine.lint(text, "example.py", RULES):
        if finding.code == code and finding.fix is not None:
            edits = finding.fix.edits
            kept = all(COMMENT in e.content for e in edits
                       if COMMENT in text[e.start:e.end])
            assert kept or finding.fix.applicability is not Applicability.SAFE


def test_the_cli_fix_keeps_the_comment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "a.py"
    text = ("import numpy as np\n\ndef score(p):\n"
            "    return np.log(np.prod(  # per-token probabilities\n        p, axis=-1))\n")
    target.write_text(text)
    assert main(["check", "--fix", "-j", "1", str(target)]) == 1
    assert target.read_text() == text  # not applied: the fix is unsafe now
    assert "fix (unsafe)" in capsys.readouterr().out  # shown as a suggestion
    assert main(["check", "--fix", "--unsafe-fixes", "-j", "1", str(target)]) == 0
    assert "# per-token probabilities" not in target.read_text()  # asked for, and done


@pytest.mark.parametrize("replaced, content, dropped", [
    ("np.log(np.prod(p))", "np.sum(np.log(p))", False),
    ("np.log(np.prod(  # c\n p))", "np.sum(np.log(p))", True),
    ("np.log(np.prod(  # c\n p))", "np.sum(np.log(  # c\n p))", False),
    ("f('#not a comment')", "g('#not a comment')", False),
    ('f("""\n# in a string\n""")', "g()", False),
    ("for x in xs:\n        s *= x  # running product\n", "s = sum(xs)", True),
])
def test_drops_comment_reads_tokens(replaced: str, content: str, dropped: bool) -> None:
    assert safety.drops_comment(replaced, content) is dropped
