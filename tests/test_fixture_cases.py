"""Larger case files: `fixtures/<CODE>/*.py` with inline expectations.

A line ending in `# expect: SL203` (codes comma-separated) must be reported
with those codes; a line marked `# known-fn: SL203` is a false negative we
know of, kept in the fixture so that catching it later shows up here. No
other line may be reported. After `--fix --unsafe-fixes` the file still
parses and only report-only findings remain.
"""

from __future__ import annotations

import re
from pathlib import Path

import libcst as cst
import pytest

from scorelint.engine import fixes
from scorelint.engine import linter as engine
from scorelint.engine.registry import all_rules

ROOT = Path(__file__).resolve().parent.parent
CASE_FILES = sorted(p for p in (ROOT / "fixtures").glob("SL*/*.py"))
EXPECT = re.compile(r"#\s*expect:\s*(SL\d{3}(?:\s*,\s*SL\d{3})*)")
KNOWN_FN = re.compile(r"#\s*known-fn:\s*(SL\d{3}(?:\s*,\s*SL\d{3})*)")


def _marks(text: str, pattern: re.Pattern[str]) -> set[tuple[int, str]]:
    marks = set()
    for row, line in enumerate(text.splitlines(), start=1):
        match = pattern.search(line)
        if match:
            marks.update((row, code.strip()) for code in match.group(1).split(","))
    return marks


def _covers(finding, row: int) -> bool:
    return finding.start.row <= row <= finding.end.row


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_case_file_expectations(path: Path) -> None:
    text = path.read_text()
    findings = engine.lint(text, str(path), all_rules())
    expected = _marks(text, EXPECT)
    missing = [(row, code) for row, code in sorted(expected)
               if not any(f.code == code and _covers(f, row) for f in findings)]
    unexpected = [f"{f.start.row}: {f.code} {f.message}" for f in findings
                  if not any(code == f.code and _covers(f, row) for row, code in expected)]
    assert not missing, f"not reported: {missing}"
    assert not unexpected, "reported on lines not marked `# expect:`\n" + "\n".join(unexpected)
    for row, code in _marks(text, KNOWN_FN):
        assert not any(f.code == code and _covers(f, row) for f in findings), (
            f"line {row}: {code} is now found; turn `known-fn` into `expect`")


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_case_file_fixes_cleanly(path: Path) -> None:
    text = path.read_text()
    result = fixes.fix_text(text, str(path), all_rules(), unsafe=True)
    assert result.refused is None, result.refused
    cst.parse_module(result.text)
    compile(result.text, str(path), "exec")
    leftover = [f"{f.start.row}: {f.code} {f.message}" for f in result.remaining if f.fix]
    assert not leftover, "fixable findings remain after --fix --unsafe-fixes:\n" + "\n".join(leftover)
