"""Jupyter notebooks: cells joined, IPython lines skipped, findings by cell, fixes in place."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from scorelint.base.findings import ERROR_CODE
from scorelint.engine import linter as engine
from scorelint.engine.registry import all_rules
from scorelint.frontends.cli import main
from scorelint.run import discovery, notebook, pipeline

DATA = Path(__file__).resolve().parent / "data" / "notebooks"
ALL = pipeline.Options(codes=tuple(r.code for r in all_rules()))
BUG = "score = np.log(np.prod(probs, axis=-1))\n"
FIXED = "score = np.sum(np.log(probs), axis=-1)\n"


def copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copyfile(DATA / name, target)
    return target


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


# --- reading cells ---------------------------------------------------------------


def test_bug_in_third_cell_is_reported_at_that_cell_and_line() -> None:
    outcome = pipeline.check_file(str(DATA / "bug_in_third_cell.ipynb"), ALL)
    assert [(f.code, f.cell, f.start.row, f.start.column, f.end.row, f.end.column)
            for f in outcome.findings] == [("SL201", 3, 3, 9, 3, 40)]
    # `np` comes from an import in cell 1; the `%%bash` cell 4 holds the same
    # text but is not Python, so it is not reported.
    finding = outcome.findings[0]
    assert finding.noqa_row == 3
    assert outcome.cells[3].splitlines()[2] == BUG.rstrip("\n")
    assert 4 not in outcome.cells  # a non-Python cell is not part of the program
    edit, = finding.fix.edits
    assert edit.cell == 3
    assert outcome.cells[3][edit.start:edit.end] == "np.log(np.prod(probs, axis=-1))"


def test_text_and_json_output_name_the_cell(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(DATA / "bug_in_third_cell.ipynb")
    assert main(["check", path]) == 1
    out = capsys.readouterr().out
    assert "bug_in_third_cell.ipynb:cell 3:3:9: SL201" in out
    assert "3 | score = np.log(np.prod(probs, axis=-1))" in out  # the excerpt is the cell's line
    assert main(["check", path, "--output-format", "json"]) == 1
    (record,) = json.loads(capsys.readouterr().out)
    assert (record["cell"], record["location"], record["end_location"]) == (
        3, {"row": 3, "column": 9}, {"row": 3, "column": 40})
    assert record["fix"]["edits"][0]["location"] == {"row": 3, "column": 9}


def test_ipython_lines_are_skipped_and_python_around_them_is_read() -> None:
    nb = notebook.load((DATA / "magics.ipynb").read_bytes())
    # `pip install numpy` (automagic) and `%%writefile` are not Python: left out.
    assert [c.index for c in nb.cells] == [1, 2]
    first = nb.cells[0]
    code_lines = first.code.splitlines()
    masked = [i + 1 for i, line in enumerate(code_lines) if line.strip() == notebook.PLACEHOLDER]
    # %load_ext, %autoreload, `files = !ls`, `?np.exp`, `np.exp??`, a backslash-continued
    # `!pip` (2 lines) and an indented `%time`; not the `%` inside a string or brackets.
    assert masked == [1, 2, 4, 5, 6, 7, 8, 10]
    assert code_lines[9] == "    " + notebook.PLACEHOLDER  # keeps the loop's indentation
    assert code_lines[11] == "%not a magic, inside a string"
    assert code_lines[14] == "        % 3)"
    assert len(code_lines) == len(first.text.splitlines())  # rows keep their numbers
    engine.parse(first.code)
    # The `%%time` cell's body is Python in the kernel's namespace, so it is checked.
    outcome = pipeline.check_file(str(DATA / "magics.ipynb"), ALL)
    assert [(f.code, f.cell, f.start.row) for f in outcome.findings] == [("SL201", 2, 3)]


@pytest.mark.parametrize(("source", "magics"), [
    ('s = """\n%d"""\n!ls\n', ("!ls",)),  # the string's last line looks like a magic
    ("a = 1 if b else \\\n%c\n", ()),  # continues a line
    ("f(x,\n  !y)\n", ()),
    ("if ok:\n    !ls\n    x = 1\n", ("    !ls",)),
    ("%time x = 1; \\\n  y = 2\nz = 3\n", ("%time x = 1; \\", "  y = 2")),
])
def test_a_line_is_ipython_only_where_a_statement_starts(source: str,
                                                         magics: tuple[str, ...]) -> None:
    cell = notebook.read_cell(1, source)
    assert cell is not None and cell.magics == magics
    assert notebook._unmask(cell.code, cell.magics) == source


@pytest.mark.parametrize("line", ["time = 3", "pwd", "run(model)", "env.step(action)"])
def test_python_lines_named_like_magics_are_python(line: str) -> None:
    cell = notebook.read_cell(1, line + "\n")
    assert cell is not None and cell.code == line + "\n" and cell.magics == ()


def test_a_notebook_in_another_language_is_not_checked() -> None:
    assert pipeline.check_file(str(DATA / "r_kernel.ipynb"), ALL).findings == []


def test_a_syntax_error_names_its_cell() -> None:
    (finding,) = pipeline.check_file(str(DATA / "syntax_error_in_cell2.ipynb"), ALL).findings
    assert finding.code == ERROR_CODE and finding.cell == 2 and finding.start.row == 2
    assert finding.message.startswith("syntax error in cell 2 at line 2:")


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "not a notebook: invalid JSON at line 1 column 1"),
    (b'{"cells": [', "not a notebook: invalid JSON at line 1 column 12"),
    (b"[1, 2]", 'not a notebook: no "cells" list'),
    (b'{"nbformat": 3, "worksheets": [], "cells": []}', "unsupported notebook format 3"),
    (b'{"nbformat": 4, "cells": [{"source": "x"}]}', "cell 1 has no cell_type"),
    (b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": 7}]}',
     "the source of cell 1 is not text"),
    (b'{"cells": [], "name": "\xff"}', "not valid UTF-8"),
])
def test_a_bad_notebook_is_one_clear_error(tmp_path: Path, content: bytes, reason: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.ipynb"
    path.write_bytes(content)
    (finding,) = pipeline.check_file(str(path), ALL).findings
    assert finding.code == ERROR_CODE and reason in finding.message and finding.cell is None
    assert main(["check", str(path)]) == 2  # as for any file that could not be checked
    assert main(["check", "--fix", str(path)]) == 2
    assert path.read_bytes() == content
    capsys.readouterr()


def test_notebooks_are_discovered_and_checkpoints_skipped(tmp_path: Path) -> None:
    copy("bug_in_third_cell.ipynb", tmp_path)
    (tmp_path / ".ipynb_checkpoints").mkdir()
    copy("bug_in_third_cell.ipynb", tmp_path / ".ipynb_checkpoints")
    (tmp_path / "notes.json").write_text("{}")
    found = [Path(c.path).name for c in discovery.iter_files([str(tmp_path)])]
    assert found == ["bug_in_third_cell.ipynb"]


def test_suppression_comments_work_in_cells(tmp_path: Path) -> None:
    path = copy("bug_in_third_cell.ipynb", tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(BUG.replace("\n", "\\n"),
                                 BUG.replace("\n", "  # noqa: SL201\\n")), encoding="utf-8")
    outcome = pipeline.check_file(str(path), ALL)
    assert [f.suppressed for f in outcome.findings if f.code == "SL201"] == [True]
    assert not [f for f in outcome.findings if not f.suppressed]


# --- fixing cells ----------------------------------------------------------------


def test_fix_rewrites_only_that_cells_source(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = copy("bug_in_third_cell.ipynb", tmp_path)
    before = path.read_bytes()
    assert main(["check", "--fix", str(path)]) == 0
    after = path.read_bytes()
    # Byte for byte, the file differs only in the one source line of cell 3.
    old, new = json.dumps(BUG).encode(), json.dumps(FIXED).encode()
    assert before.count(old) == 1 and after == before.replace(old, new)
    old_nb, new_nb = json.loads(before), json.loads(after)
    for number, (a, b) in enumerate(zip(old_nb["cells"], new_nb["cells"]), 1):
        if number != 3:
            assert json.dumps(a, ensure_ascii=False) == json.dumps(b, ensure_ascii=False)
    assert new_nb["metadata"] == old_nb["metadata"]
    # The IPython lines of the fixed cell are back as they were.
    assert new_nb["cells"][2]["source"] == [
        "!pip install numpy\n", "probs = np.full(2000, 0.01)\n", FIXED, "np.prod?"]
    assert new_nb["cells"][2]["outputs"] == old_nb["cells"][2]["outputs"]
    # Idempotent: nothing left to fix, and the file is not rewritten.
    capsys.readouterr()
    mtime = path.stat().st_mtime_ns
    assert main(["check", "--fix", str(path)]) == 0
    assert path.read_bytes() == after and path.stat().st_mtime_ns == mtime


def test_fix_keeps_a_hand_formatted_notebook_byte_for_byte(tmp_path: Path) -> None:
    path = copy("hand_formatted.ipynb", tmp_path)
    before = path.read_bytes()
    # CRLF, two-space indent, inline arrays, \u escapes, no final newline: no
    # json.dumps setting reproduces this file, so only the source values are replaced.
    assert notebook.load(before)._style() is None
    outcome = pipeline.check_file(str(path), pipeline.Options(codes=ALL.codes, fix=True))
    assert outcome.fixed == 2 and outcome.findings == []
    after = path.read_bytes()
    assert after == before.replace(json.dumps(BUG).encode(), json.dumps(FIXED).encode()).replace(
        b'"total = np.log(np.prod(probs))"', b'"total = np.sum(np.log(probs))"')
    assert after.endswith(b"]\r\n}")


def test_splicing_a_standard_notebook_equals_reserializing_it(tmp_path: Path) -> None:
    nb = notebook.load((DATA / "bug_in_third_cell.ipynb").read_bytes())
    assert nb._style() == (1, False, "\n")  # nbformat's own serialization
    fixed_text = nb.cells[1].text.replace(BUG, FIXED)
    sources = {3: fixed_text}
    cell = dict(nb.data["cells"][2], source=fixed_text.splitlines(keepends=True))
    expected = dict(nb.data, cells=[*nb.data["cells"][:2], cell, *nb.data["cells"][3:]])
    assert nb._spliced(sources) == json.dumps(expected, indent=1, ensure_ascii=False) + "\n"


def test_a_fix_may_add_an_import_to_another_cell(tmp_path: Path) -> None:
    path = copy("cross_cell_import.ipynb", tmp_path)
    options = pipeline.Options(codes=ALL.codes, unsafe_fixes=True)
    (finding,) = pipeline.check_file(str(path), options).findings
    assert finding.cell == 3
    assert sorted(e.cell for e in finding.fix.edits) == [1, 3]
    fixed = pipeline.check_file(str(path), pipeline.Options(codes=ALL.codes, fix=True,
                                                        unsafe_fixes=True))
    assert fixed.fixed == 1
    new = cells(path)
    # `jnp` is read by nothing once the fix is in: the engine removes its import.
    assert new[0]["source"] == ["import jax.nn"]
    assert new[1] == json.loads((DATA / "cross_cell_import.ipynb").read_text())["cells"][1]
    assert new[2]["source"] == ["def normalise(scores):\n",
                                "    return jax.nn.softmax(scores, axis=1)\n"]


def test_a_string_source_stays_a_string(tmp_path: Path) -> None:
    path = copy("hand_formatted.ipynb", tmp_path)
    pipeline.check_file(str(path), pipeline.Options(codes=ALL.codes, fix=True))
    assert cells(path)[3]["source"] == "total = np.sum(np.log(probs))"


def test_diff_shows_the_cell_and_writes_nothing(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = copy("bug_in_third_cell.ipynb", tmp_path)
    before = path.read_bytes()
    assert main(["check", "--diff", str(path)]) == 1
    out = capsys.readouterr().out
    assert ":cell 3\n" in out and "-" + BUG in out and "+" + FIXED in out
    assert path.read_bytes() == before


def test_changed_cells_must_parse_on_their_own() -> None:
    data = (DATA / "bug_in_third_cell.ipynb").read_bytes()
    nb = notebook.load(data)
    layout = notebook.Layout(nb.cells)
    parts = layout.joined.split(notebook.BOUNDARY)
    # Joined, `(` closed in the next cell would parse; the kernel runs cells alone.
    broken = [parts[0], parts[1].replace(BUG, "score = (\n"), ")\n" + parts[2]]
    kind = pipeline.NotebookSource.read("nb.ipynb", data)
    with pytest.raises(notebook.Refused, match="would not parse on its own"):
        kind.fixed(notebook.BOUNDARY.join(broken))
    with pytest.raises(notebook.Refused, match="could not be told apart"):
        layout.split(layout.joined.replace(notebook.BOUNDARY, "", 1))
    with pytest.raises(notebook.Refused, match="IPython line"):
        layout.split(layout.joined.replace(notebook.PLACEHOLDER + "\n", "", 1))
    assert [c.text for c in layout.split(layout.joined)] == [c.text for c in nb.cells]


def test_a_failed_write_leaves_the_notebook_untouched(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = copy("bug_in_third_cell.ipynb", tmp_path)
    before = path.read_bytes()

    def fail(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("scorelint.base.source.write_atomic", fail)
    outcome = pipeline.check_file(str(path), pipeline.Options(codes=ALL.codes, fix=True))
    assert path.read_bytes() == before and outcome.fixed == 0
    assert [f.code for f in outcome.findings] == ["SL201", ERROR_CODE]
    assert outcome.findings[0].cell == 3
