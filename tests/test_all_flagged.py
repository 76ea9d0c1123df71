"""Issue 3: every rule's flagged examples in one file, fixed with `--fix --unsafe-fixes`.

Each example keeps its own namespace (a function of its own, so names bound once stay
bound once); the fixed file must parse and compile, and nothing fixable may be left:
only findings whose rule offers no fix for that spelling remain.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst

from scorelint.engine import linter as engine
from scorelint.engine.registry import all_rules
from scorelint.frontends.cli import main


def _combined() -> tuple[str, int]:
    parts, count = [], 0
    for rule in all_rules():
        for index, example in enumerate(rule.flagged):
            name = f"_{rule.code.lower()}_example_{index}"
            parts.append(f"def {name}():\n{textwrap.indent(example.code, '    ')}\n")
            count += 1
    return "\n".join(parts), count


def test_fix_of_every_flagged_example_parses_and_settles(tmp_path: Path, capsys) -> None:
    text, count = _combined()
    before = engine.lint(text, "all.py", all_rules())
    assert len({(f.start.row, f.code) for f in before}) >= count  # every example is found
    path = tmp_path / "all_flagged.py"
    path.write_text(text)
    main(["check", "--select", "ALL", "--fix", "--unsafe-fixes", "--exit-zero", str(path)])
    capsys.readouterr()
    fixed = path.read_text()
    cst.parse_module(fixed)
    compile(fixed, str(path), "exec")
    after = engine.lint(fixed, str(path), all_rules())
    assert [f"{f.start.row}: {f.code} {f.message}" for f in after if f.fix] == []
    # What remains is report-only: strictly fewer findings than before.
    assert len(after) < len(before)
