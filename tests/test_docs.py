"""The rules' docs pages in docs/rules/ are rendered from the rules and must not go stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scorelint.engine.registry import all_rules
from scorelint.reports import docs

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "docs" / "rules"


def test_docs_rules_are_up_to_date() -> None:
    problems = docs.stale(FOLDER)
    assert not problems, (
        f"docs/rules/ is stale ({'; '.join(problems)}). Regenerate it with "
        f"`{docs.REGENERATE}` from the repository root and commit the result."
    )


def test_pages_are_the_rules_docs_and_the_index_lists_every_rule() -> None:
    files = docs.render_all()
    rules = all_rules()
    assert set(files) == {f"{r.code}.md" for r in rules} | {"index.md"}
    for rule in rules:
        assert files[f"{rule.code}.md"].endswith(rule.docs())
        row = (f"| [{rule.code}]({rule.code}.md) | {rule.name} | "
               f"{rule.fix_availability.value} | {docs.safety(rule)} |")
        assert row in files["index.md"].splitlines()
        assert docs.summary(rule).endswith(".") and "\n" not in docs.summary(rule)
        assert docs.section(rule, "What it does").startswith(docs.summary(rule)[:20])


def test_stale_finds_missing_changed_and_leftover_pages(tmp_path: Path) -> None:
    assert docs.stale(tmp_path) == [f"{name} is missing" for name in sorted(docs.render_all())]
    written = docs.write(tmp_path)
    assert sorted(written) == sorted(docs.render_all())
    assert docs.stale(tmp_path) == []
    assert docs.write(tmp_path) == []  # nothing to do the second time
    first = sorted(tmp_path.glob("SL*.md"))[0]
    first.write_text(first.read_text(encoding="utf-8") + "hand edit\n", encoding="utf-8")
    (tmp_path / "SL999.md").write_text("# gone\n", encoding="utf-8")
    assert docs.stale(tmp_path) == [f"{first.name} is out of date", "SL999.md names no rule"]
    assert sorted(docs.write(tmp_path)) == sorted([first.name, "SL999.md"])
    assert not (tmp_path / "SL999.md").exists() and docs.stale(tmp_path) == []


def test_main_checks_and_writes(tmp_path: Path, capsys) -> None:
    assert docs.main(["--check", str(tmp_path)]) == 1
    assert docs.REGENERATE in capsys.readouterr().err
    assert docs.main([str(tmp_path)]) == 0
    assert docs.main(["--check", str(tmp_path)]) == 0


def test_module_entry_point(tmp_path: Path) -> None:
    stale = subprocess.run([sys.executable, "-m", "scorelint.reports.docs", "--check", str(tmp_path)],
                           capture_output=True, text=True)
    assert stale.returncode == 1 and "index.md is missing" in stale.stderr
