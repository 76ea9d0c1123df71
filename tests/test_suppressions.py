"""Suppression comments: line and file forms, unused-suppression reports (SL002) and their fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scorelint.base.findings import error_finding
from scorelint.engine import fixes, suppressions
from scorelint.engine import linter as engine
from scorelint.engine.registry import all_rules
from scorelint.frontends.cli import main

HEAD = "import numpy as np\n"
BUG = "x = np.log(np.prod(p))"  # SL201, columns 5..22
LOGITS = "y = logits / logits.sum(-1, keepdims=True)"  # SL101
EVERY = ("SL002", *(r.code for r in all_rules()))


def codes_of(text: str, selected: tuple[str, ...] = EVERY) -> list[tuple[str, int, bool]]:
    """(code, row, suppressed) of every finding, suppression comments applied."""
    rules = [r for r in all_rules() if r.code in selected]
    found = suppressions.apply("t.py", text, engine.lint(text, "t.py", rules), selected)
    return [(f.code, f.start.row, f.suppressed) for f in found]


@pytest.mark.parametrize("comment", [
    "# noqa",
    "# noqa: SL201",
    "#noqa:SL201",
    "# NOQA: SL201",
    "# noqa: E501, SL201",
    "# noqa: SL201 SL101",
    "# noqa: SL201 -- log of a product of two terms is fine here",
    "# scorelint: ignore",
    "# scorelint: ignore[SL201]",
    "# scorelint: ignore[SL101, SL201]",
    "# type: ignore  # noqa: SL201",
    "# scorelint: ignore[SL201]  # and a remark",
])
def test_line_forms_suppress(comment: str) -> None:
    found = codes_of(f"{HEAD}{BUG}  {comment}\n")
    assert ("SL201", 2, True) in found
    assert not [f for f in found if f[0] == "SL201" and not f[2]]


@pytest.mark.parametrize("comment", ["# noqa: SL101", "# scorelint: ignore[SL101]",
                                     "# noqa: E501", "# noqa-ish", "# scorelint: ignored"])
def test_other_codes_do_not_suppress(comment: str) -> None:
    assert ("SL201", 2, False) in codes_of(f"{HEAD}{BUG}  {comment}\n")


def test_noqa_inside_a_string_is_text() -> None:
    assert ("SL201", 2, False) in codes_of(f'{HEAD}{BUG}; s = "# noqa: SL201"\n')


def test_multi_line_statements() -> None:
    first_line = f"{HEAD}z = f(  # noqa: SL201\n    a,\n    np.log(np.prod(p)),\n)\n"
    assert codes_of(first_line) == [("SL201", 4, True)]
    # A multi-line finding: its last line, or its first.
    on_last = f"{HEAD}z = np.log(\n    np.prod(p)\n)  # noqa: SL201\n"
    assert codes_of(on_last) == [("SL201", 2, True)]
    on_first = f"{HEAD}z = np.log(  # noqa: SL201\n    np.prod(p)\n)\n"
    assert codes_of(on_first) == [("SL201", 2, True)]
    # A comment on a line the finding does not cover suppresses nothing (and is unused).
    other = f"{HEAD}z = f(\n    np.log(np.prod(p)),\n    b,  # noqa: SL201\n)\n"
    assert codes_of(other) == [("SL201", 3, False), ("SL002", 4, False)]


@pytest.mark.parametrize(("comment", "left"), [
    ("# scorelint: ignore-file", set()),
    ("# scorelint: noqa", set()),
    ("# scorelint: ignore-file[SL201]", {"SL101"}),
    ("# scorelint: noqa: SL201", {"SL101"}),
    ("# scorelint: ignore-file[SL101, SL201]", set()),
])
def test_file_level_forms(comment: str, left: set[str]) -> None:
    text = f"{comment}\n{HEAD}{BUG}\n\n\n{LOGITS}\n"
    found = codes_of(text)
    assert {code for code, _, suppressed in found if not suppressed} == left
    assert {code for code, _, suppressed in found if suppressed} == {"SL101", "SL201"} - left


@pytest.mark.parametrize(("line", "fixed", "message"), [
    (f"{BUG}  # noqa: SL201, SL101", f"{BUG}  # noqa: SL201",
     "Unused suppression of `SL101`: nothing on this line reports it"),
    ("w = 1  # noqa: SL201", "w = 1", "Unused suppression of `SL201`"),
    ("w = 1  # noqa: E501, SL201", "w = 1  # noqa: E501", "Unused suppression of `SL201`"),
    ("w = 1  # type: ignore  # noqa: SL201", "w = 1  # type: ignore", "`SL201`"),
    ("w = 1  # noqa: SL201  # why", "w = 1  # why", "`SL201`"),
    ("w = 1  # noqa: SL201 tuned by hand", "w = 1  # tuned by hand", "`SL201`"),
    ("w = 1  # scorelint: ignore[SL201, SL101]", "w = 1", "of `SL201`, `SL101`: nothing"),
    ("w = 1  # scorelint: ignore", "w = 1", "Unused blanket suppression"),
    ("w = 1  # noqa: SL999", "w = 1", "`SL999` is not a scorelint rule"),
    (f"{BUG}  # noqa: SL201, SL999", f"{BUG}  # noqa: SL201", "`SL999` is not a scorelint rule"),
])
def test_unused_suppression_is_reported_and_fixed(tmp_path: Path, capsys, line: str, fixed: str,
                                                  message: str) -> None:
    path = tmp_path / "t.py"
    path.write_text(f"{HEAD}{line}\nv = 2\n")
    assert main(["check", str(path), "--output-format", "json"]) == 1
    (report,) = [f for f in json.loads(capsys.readouterr().out) if f["code"] == "SL002"]
    assert message in report["message"] and report["name"] == "unused-suppression"
    assert report["location"]["row"] == 2 and report["fix"]["applicability"] == "safe"
    assert main(["check", str(path), "--fix"]) == 0
    assert path.read_text() == f"{HEAD}{fixed}\nv = 2\n"
    capsys.readouterr()


def test_a_comment_alone_on_its_line_is_removed_with_the_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "t.py"
    path.write_text(f"{HEAD}# noqa: SL201\nv = 2\n")
    assert main(["check", str(path), "--fix"]) == 0
    assert path.read_text() == f"{HEAD}v = 2\n"


@pytest.mark.parametrize(("line", "args"), [
    ("w = 1  # noqa: SL101", ["--ignore", "SL101"]),  # the rule is not selected
    ("w = 1  # noqa: SL101", ["--ignore", "SL002"]),  # SL002 itself is not selected
    ("w = 1  # noqa", []),  # a bare noqa may be for another tool
    ("w = 1  # noqa: E501, F401", []),  # other tools' codes
    ("w = 1  # noqa: SLOT000", []),  # flake8-slots, not ours though it starts with SL
    ("w = 1  # scorelint: ignore", ["--ignore", "SL102"]),  # blanket, not every rule ran
    ("# scorelint: ignore-file[SL101]\nw = 1", []),  # file-level forms are not judged
])
def test_unused_is_not_reported_when_it_cannot_be_judged(tmp_path: Path, capsys, line: str,
                                                         args: list[str]) -> None:
    path = tmp_path / "t.py"
    path.write_text(f"{HEAD}{line}\n")
    assert main(["check", str(path), *args]) == 0, capsys.readouterr().out


def test_per_file_ignored_code_is_not_unused(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.scorelint.per-file-ignores]\n"t.py" = ["SL201"]\n')
    (tmp_path / "t.py").write_text(f"{HEAD}{BUG}  # noqa: SL201\n")
    assert main(["check"]) == 0


def test_unused_report_can_be_silenced_file_wide() -> None:
    text = f"# scorelint: ignore-file[SL002]\n{HEAD}w = 1  # noqa: SL201\n"
    assert codes_of(text) == [("SL002", 3, True)]


def test_a_file_that_failed_is_not_judged() -> None:
    found = suppressions.apply("t.py", "x = (  # noqa: SL201\n",
                               [error_finding("t.py", "syntax error")], EVERY)
    assert [f.code for f in found] == ["SL000"]


def test_show_suppressed_marks_them_and_the_run_passes(tmp_path: Path, capsys) -> None:
    path = tmp_path / "t.py"
    path.write_text(f"{HEAD}{BUG}  # noqa: SL201\n")
    assert main(["check", str(path)]) == 0
    assert "All checks passed!" in capsys.readouterr().out
    assert main(["check", str(path), "--show-suppressed"]) == 0
    out = capsys.readouterr().out
    assert "SL201" in out and "[suppressed by comment]" in out and "All checks passed!" in out
    for fmt in ("json", "concise", "json-lines"):
        assert main(["check", str(path), "--output-format", fmt]) == 0
        assert "SL201" not in capsys.readouterr().out


def test_fix_leaves_suppressed_findings_alone(tmp_path: Path, capsys) -> None:
    text = f"{HEAD}{BUG}  # noqa: SL201\nq = np.log(np.prod(r))\n"
    path = tmp_path / "t.py"
    path.write_text(text)
    assert main(["check", str(path), "--fix"]) == 0
    assert path.read_text() == f"{HEAD}{BUG}  # noqa: SL201\nq = np.sum(np.log(r))\n"
    # The same at the library level: the hook marks it, fix_text skips it.
    post = lambda t, found: suppressions.apply("t.py", t, found, EVERY)  # noqa: E731
    result = fixes.fix_text(text, "t.py", all_rules(), unsafe=True, postprocess=post)
    assert [(f.code, f.suppressed) for f in result.remaining] == [("SL201", True)]
    assert len(result.applied) == 1


def test_explain_documents_sl002(capsys) -> None:
    assert main(["explain", "SL002"]) == 0
    page = capsys.readouterr().out
    assert page.startswith("# unused-suppression (SL002)") and "# scorelint: ignore-file" in page
