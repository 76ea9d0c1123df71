"""docs/reliability.md names, for each promise, the tests that keep it: each must exist."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAMED = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.name.startswith("test_")}


def test_every_promise_names_tests_that_exist() -> None:
    text = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if re.match(r"\| \d+ \|", line)]
    assert len(rows) >= 11
    missing = []
    for row in rows:
        named = NAMED.findall(row)
        assert named, f"a promise without a test: {row[:80]}"
        missing += [f"{file}::{name}" for file, name in named
                    if not (ROOT / file).exists() or name not in _tests_in(ROOT / file)]
    assert not missing, missing
