"""Every rule's inline examples run as tests (as Fixit's VALID/INVALID cases do)."""

from __future__ import annotations

import libcst as cst
import pytest

from scorelint.engine import fixes
from scorelint.engine import linter as engine
from scorelint.engine.registry import all_rules
from scorelint.engine.rule import DOC_SECTIONS

RULES = all_rules()
FLAGGED = [(r, i, ex) for r in RULES for i, ex in enumerate(r.flagged)]
CLEAN = [(r, i, ex) for r in RULES for i, ex in enumerate(r.clean)]


def _id(case: tuple) -> str:
    return f"{case[0].code}-{case[1]}"


def _codes(text: str, rule) -> list[str]:
    return [f.code for f in engine.lint(text, "example.py", [rule])]


@pytest.mark.parametrize("case", FLAGGED, ids=_id)
def test_flagged_example_is_reported(case) -> None:
    rule, _, example = case
    assert rule.code in _codes(example.code, rule)


@pytest.mark.parametrize("case", CLEAN, ids=_id)
def test_clean_example_is_silent(case) -> None:
    rule, _, example = case
    assert _codes(example.code, rule) == []


@pytest.mark.parametrize("case", [c for c in FLAGGED if c[2].fixed is not None], ids=_id)
def test_fix_gives_expected_source(case) -> None:
    rule, _, example = case
    result = fixes.fix_text(example.code, "example.py", [rule], unsafe=True)
    assert result.refused is None
    # An example states the rule's own fix; after it, the engine clears what the fix
    # left dead and rewraps what it made too long (tests/test_fix_rendering.py).
    assert result.text == fixes.tidy_text(example.code, example.fixed, "example.py")
    # The fixed code parses for LibCST and CPython, and the rule is silent on it.
    cst.parse_module(result.text)
    compile(result.text, "example.py", "exec")
    assert rule.code not in _codes(result.text, rule)
    # Fixing again changes nothing.
    assert fixes.fix_text(result.text, "example.py", [rule], unsafe=True).text == result.text


@pytest.mark.parametrize("case", [c for c in FLAGGED if c[2].fixed is not None], ids=_id)
def test_fix_touches_only_its_span(case) -> None:
    rule, _, example = case
    finding = next(f for f in engine.lint(example.code, "example.py", [rule]) if f.fix)
    edits = finding.fix.edits
    start, end = min(e.start for e in edits), max(e.end for e in edits)
    fixed = fixes.apply_edits(example.code, edits)
    assert fixed[:start] == example.code[:start]
    assert fixed.endswith(example.code[end:])


@pytest.mark.parametrize("case", [c for c in FLAGGED if c[2].fixed is None], ids=_id)
def test_report_only_example_offers_no_applicable_fix(case) -> None:
    rule, _, example = case
    result = fixes.fix_text(example.code, "example.py", [rule], unsafe=True)
    assert result.text == example.code


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_docs_have_every_section_and_examples(rule) -> None:
    docs = rule.docs()
    for section in DOC_SECTIONS:
        assert f"## {section}" in docs
    assert rule.code in docs and rule.name in docs
    assert len(rule.flagged) >= 5 and len(rule.clean) >= 5
    assert len(rule.message) <= 100
