"""Issue 10, trust on real code: each reproducer of the issue as a regression test.

Linting past syntax errors, nesting and size limits, a worker that dies, `-j`,
malformed configuration and baselines, odd file names, an edit saved during
`--fix`, two fix runs at once, links, and git settings that run commands.
Runs that could crash the interpreter go through a subprocess, so a segfault
is a failed assertion instead of a dead test run.
"""

from __future__ import annotations

import faulthandler
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scorelint.base import limits
from scorelint.base.findings import (
    ERROR_CODE,
    Applicability,
    Edit,
    FileOutcome,
    Finding,
    Fix,
    Position,
)
from scorelint.engine import fixes
from scorelint.engine import linter as engine
from scorelint.engine.registry import all_rules
from scorelint.frontends.cli import main
from scorelint.run import notebook, pipeline, runner
from scorelint.run.discovery import Candidate

BUGGY = "import numpy as np\n\ndef score(p):\n    return np.log(np.prod(p, axis=-1))\n"
FIXED = "import numpy as np\n\ndef score(p):\n    return np.sum(np.log(p), axis=-1)\n"
# CPython: too many nested parentheses. The comment holds a trigger: a file without one
# is not parsed at all (see test_gate).
NESTED = "x = " + "(" * 2000 + "1" + ")" * 2000 + "  # w / np.sum(w)\n"


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict], str]:
    code = main(["check", "--output-format", "json", "-j", "1", *args])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def scorelint(*args: str, cwd: Path | None = None,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI in a process of its own (a native crash there is a return code here)."""
    return subprocess.run([sys.executable, "-m", "scorelint", *args], cwd=cwd,
                          capture_output=True, text=True, errors="replace", check=False,
                          env={**os.environ, **(env or {})}, timeout=300)


def rows(found: list[dict], code: str) -> list[int]:
    return sorted(f["location"]["row"] for f in found if f["code"] == code)


# -- lint past syntax errors ----------------------------------------------------------


PYTHON2 = """import numpy as np

print "scoring"

def score(p):
    print "p has", len(p), "tokens"
    return np.log(np.prod(p, axis=-1))

def weights(scores):
    w = np.exp(scores)
    return w / w.sum()
"""

MAGIC = """import numpy as np
%matplotlib inline

def score(p):
    return np.log(np.prod(p, axis=-1))
"""

CONFLICT = """import numpy as np

def score(p):
<<<<<<< HEAD
    return np.log(np.prod(p, axis=-1))
=======
    return np.log(np.prod(p, axis=0))
>>>>>>> other

def total(q):
    return np.log(np.prod(q))
"""


@pytest.mark.parametrize("text, error_row, others", [
    (PYTHON2, 3, {("SL201", 7), ("SL102", 11)}),
    (MAGIC, 2, {("SL201", 5)}),
    (CONFLICT, 4, {("SL201", 5), ("SL201", 7), ("SL201", 11)}),  # both sides are code
], ids=["python2", "magic", "merge-conflict"])
def test_a_syntax_error_hides_nothing_else(text: str, error_row: int, others: set,
                                          tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                          ) -> None:
    target = tmp_path / "a.py"
    target.write_text(text)
    code, found, _ = run_json(["--fix", str(target)], capsys)
    assert code == 2  # a file not wholly checked fails the run
    [error] = [f for f in found if f["code"] == ERROR_CODE]
    assert error["location"]["row"] == error_row
    assert error["message"].startswith(f"syntax error at line {error_row}: ")
    assert {(f["code"], f["location"]["row"]) for f in found if f["code"] != ERROR_CODE} == others
    # No fix in a file that does not parse: it is left byte for byte.
    assert all(f["fix"] is None for f in found)
    assert target.read_text() == text


def test_every_failing_statement_is_named_in_the_one_sl000() -> None:
    found = engine.lint(PYTHON2 + 'print "done"\n', "a.py", all_rules())
    [error] = [f for f in found if f.code == ERROR_CODE]
    assert error.message.endswith("; also at lines 6, 12")


def _notebook(*sources: str) -> dict:
    return {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {},
                       "outputs": [], "source": s} for s in sources],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_a_notebook_cell_that_does_not_parse_is_sl000_for_that_cell_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "nb.ipynb"
    data = json.dumps(_notebook("import numpy as np\n", "def broken(:\n    pass\n",
                                "score = np.log(np.prod(p, axis=-1))\n"), indent=1)
    path.write_text(data)
    code, found, _ = run_json(["--fix", str(path)], capsys)
    assert code == 2
    assert {(f["code"], f["cell"], f["location"]["row"]) for f in found} == {
        ("SL000", 2, 1), ("SL201", 3, 1)}
    error = next(f for f in found if f["code"] == ERROR_CODE)
    assert error["message"].startswith("syntax error in cell 2 at line 1: ")
    assert path.read_text() == data  # nothing fixed in a notebook that does not run


# -- nesting, size, and a process that dies -----------------------------------------


def test_nested_brackets_alone_are_sl000_not_a_segfault(tmp_path: Path) -> None:
    (tmp_path / "nested.py").write_text(NESTED)
    done = scorelint("check", "--fix", "--output-format", "json", str(tmp_path / "nested.py"))
    assert done.returncode == 2, done.stderr
    [finding] = json.loads(done.stdout)
    assert finding["message"] == "syntax error at line 1: too many nested parentheses"


def test_nested_brackets_in_a_folder_of_30_files_break_nothing(tmp_path: Path) -> None:
    for i in range(29):
        (tmp_path / f"m{i:02}.py").write_text(BUGGY)
    (tmp_path / "nested.py").write_text(NESTED)
    done = scorelint("check", "-j", "2", "--output-format", "json", str(tmp_path))
    assert done.returncode == 2, done.stderr
    found = json.loads(done.stdout)
    assert sorted(f["code"] for f in found) == ["SL000"] + ["SL201"] * 29


def test_a_file_over_the_size_limit_is_sl000_naming_the_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_CHARS", 1024)
    big = tmp_path / "big.py"
    big.write_text(BUGGY + "x = 1\n" * 300)
    code, found, _ = run_json([str(big)], capsys)
    assert code == 2
    [finding] = found
    assert finding["message"] == (f"file too large to check: {len(big.read_text()):,} "
                                  "characters, scorelint's limit is 1,024")


def _dies_on_boom(path: str, options: pipeline.Options, **_: object) -> FileOutcome:
    if path.endswith("boom.py"):
        # pytest's faulthandler, inherited by the forked worker, would print a "Fatal
        # Python error" dump that makes a green run look broken: the abort is the point.
        faulthandler.disable()
        os.abort()  # as a native parser crash would: the worker process dies
    return FileOutcome(path)


def test_a_worker_that_dies_costs_only_its_own_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [f"m{i:02}.py" for i in range(30)] + ["boom.py"]
    for name in names:
        (tmp_path / name).write_text("x = 1\n")
    monkeypatch.setattr(pipeline, "check_file", _dies_on_boom)  # workers are forked: they see it
    outcomes = runner.run([Candidate(str(tmp_path / n)) for n in names],
                          pipeline.Options(codes=()), jobs=2)
    assert sorted(Path(o.path).name for o in outcomes) == sorted(names)
    failed = [Path(o.path).name for o in outcomes if o.failed]
    assert failed == ["boom.py"]


# -- bounded parallelism ----------------------------------------------------------


def test_jobs_above_the_cores_are_capped_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started: list[int] = []
    real = runner.ProcessPoolExecutor

    class Recording(real):  # type: ignore[misc, valid-type]
        def __init__(self, max_workers: int, **kwargs: object) -> None:
            started.append(max_workers)
            super().__init__(max_workers=max_workers, **kwargs)

    monkeypatch.setattr(runner, "ProcessPoolExecutor", Recording)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    for i in range(60):
        (tmp_path / f"m{i:02}.py").write_text("x = 1\n")
    outcomes = runner.run([Candidate(str(p)) for p in sorted(tmp_path.iterdir())],
                          pipeline.Options(codes=("SL201",)), jobs=200)
    assert len(outcomes) == 60
    assert started == [2]
    assert "-j 200 is more than the 2 cores here; using 2" in capsys.readouterr().err


@pytest.mark.parametrize("jobs, files, workers", [
    (None, 30, 2), (1, 30, 1), (0, 30, 2), (-3, 30, 2), (8, 1, 1), (2, 0, 1)])
def test_workers_never_exceed_cores_or_files(
    jobs: int | None, files: int, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert runner.workers_for(jobs, files) == workers


# -- bad input is a clear error: exit 2, one line, no traceback -------------------------


@pytest.mark.parametrize("content, message", [
    (b"tool = 5\n", "[tool] must be a table, not an integer (5)"),
    (b"[tool.scorelint]\nselect = ['SL2\xff']\n", "not valid TOML: not UTF-8"),
    (b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n", "not valid TOML"),
], ids=["tool-is-a-number", "not-utf8", "nested"])
def test_a_malformed_pyproject_is_exit_2_with_one_line(content: bytes, message: str,
                                                       tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(content)
    (tmp_path / "a.py").write_text(BUGGY)
    done = scorelint("check", "a.py", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_text("[" * 100_000 + "]" * 100_000), "nested too deeply"),
    (lambda p: None, "not a regular file"),
    (lambda p: os.mkfifo(p), "not a regular file (a FIFO)"),  # a checkout can ship one: no hang
], ids=["nested", "endless", "fifo"])
def test_a_malformed_baseline_is_exit_2_with_one_line(make, message: str,  # noqa: ANN001
                                                      tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    make(baseline)
    path = str(baseline) if baseline.exists() else "/dev/zero"
    (tmp_path / "a.py").write_text(BUGGY)
    done = scorelint("check", "--baseline", path, "a.py", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and message in done.stderr


@pytest.mark.parametrize("output_format", ["text", "sarif", "github", "review", "json"])
def test_a_file_name_that_is_not_utf8_is_reported(output_format: str, tmp_path: Path) -> None:
    name = os.fsdecode(b"bad\xff.py")
    (tmp_path / name).write_text(BUGGY)
    done = scorelint("check", "--output-format", output_format, ".", cwd=tmp_path,
                     env={"PYTHONIOENCODING": "utf-8:strict"})
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "SL201" in done.stdout
    if output_format == "sarif":
        assert "bad%FF.py" in done.stdout


def test_an_internal_error_is_exit_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("a bug of ours")

    monkeypatch.setattr(runner, "run", broken)
    assert main(["check", str(tmp_path)]) == 2
    assert capsys.readouterr().err == "scorelint: internal error: KeyError: 'a bug of ours'\n"


# -- nothing lost on disk ------------------------------------------------------------


def test_an_edit_saved_during_fix_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "a.py"
    target.write_text(BUGGY)
    edited = BUGGY + "# the user's edit, saved while scorelint worked\n"
    real_fix = fixes.fix_text

    def fix_while_the_user_saves(*args: object, **kwargs: object) -> fixes.FixResult:
        result = real_fix(*args, **kwargs)  # type: ignore[arg-type]
        target.write_text(edited)
        return result

    monkeypatch.setattr(fixes, "fix_text", fix_while_the_user_saves)
    code, found, _ = run_json(["--fix", str(target)], capsys)
    assert code == 2
    assert target.read_text() == edited
    assert [f["message"] for f in found if f["code"] == ERROR_CODE] == [
        "cannot write the fixed file: the file changed while it was being fixed; run again"]


def test_two_fix_runs_at_once_lose_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Run A computes its fix; run B fixes the file meanwhile; A must not write over B."""
    target = tmp_path / "a.py"
    text = BUGGY + "\ndef weights(scores):\n    w = np.exp(scores)\n    return w / w.sum()\n"
    target.write_text(text)
    real_fix = fixes.fix_text
    inner: list[int] = []

    def another_run_meanwhile(*args: object, **kwargs: object) -> fixes.FixResult:
        result = real_fix(*args, **kwargs)  # type: ignore[arg-type]
        if not inner:  # the first call only (B's own run comes through here too)
            inner.append(-1)
            inner[0] = main(["check", "--fix", "--select", "SL102", "-j", "1", str(target)])
        return result

    monkeypatch.setattr(fixes, "fix_text", another_run_meanwhile)
    code = main(["check", "--fix", "--select", "SL201", "-j", "1", "--output-format", "json",
                 str(target)])
    out = capsys.readouterr().out
    assert inner == [0]  # B fixed its finding and said so
    assert code == 2 and "the file changed while it was being fixed" in out  # A says it did not
    after = target.read_text()
    assert "w / w.sum()" not in after  # B's fix is there
    assert "np.log(np.prod(p, axis=-1))" in after  # A wrote nothing


def test_a_named_link_out_of_the_folder_is_not_written_through(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside, tree = tmp_path / "outside", tmp_path / "tree"
    outside.mkdir()
    tree.mkdir()
    (outside / "theirs.py").write_text(BUGGY)
    (tree / "link.py").symlink_to(outside / "theirs.py")
    code, found, _ = run_json(["--fix", str(tree / "link.py")], capsys)
    assert code == 2
    assert (outside / "theirs.py").read_text() == BUGGY
    [error] = [f for f in found if f["code"] == ERROR_CODE]
    assert "outside the folder being checked" in error["message"]


def test_a_dangling_link_in_the_tree_is_skipped_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "good.py").write_text(BUGGY)
    (tmp_path / "gone.py").symlink_to(tmp_path / "missing.py")
    code, found, err = run_json(["--fix", str(tmp_path)], capsys)
    assert code == 0 and found == []
    assert (tmp_path / "good.py").read_text() == FIXED
    assert f"skipped {tmp_path / 'gone.py'}: a dangling symbolic link" in err


# -- git runs none of the checked repository's commands -------------------------------------


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", *args],
                   cwd=repo, check=True, capture_output=True)


@pytest.mark.skipif(subprocess.run(["git", "--version"], capture_output=True,
                                   check=False).returncode != 0, reason="git is not installed")
def test_a_repository_with_fsmonitor_and_filters_runs_nothing(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "a.py").write_text(BUGGY)
    _git(repo, "add", "a.py")
    _git(repo, "commit", "-qm", "a")
    marker = tmp_path / "ran"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\necho $0 >> {marker}\n")
    hook.chmod(0o755)
    _git(repo, "config", "core.fsmonitor", str(hook))
    _git(repo, "config", "filter.evil.clean", f"sh {hook}; cat")
    (repo / ".gitattributes").write_text("*.py filter=evil\n")
    (repo / "a.py").write_text(BUGGY + "x = np.log(np.prod(q))\n")
    check = scorelint("check", ".", cwd=repo)
    changed = scorelint("check", "--changed-since", "HEAD", "--output-format", "json", ".",
                        cwd=repo)
    assert not marker.exists()
    assert check.returncode == 1 and "SL201" in check.stdout
    assert changed.returncode == 1
    assert rows(json.loads(changed.stdout), "SL201") == [5]  # git still answered


def test_notebook_writes_are_checked_against_the_bytes_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(_notebook("import numpy as np\n",
                                         "score = np.log(np.prod(p, axis=-1))\n"), indent=1))
    edited = path.read_text().replace('"metadata": {}', '"metadata": {"edited": true}', 1)
    real_dump = notebook.Notebook.dump

    def dump_while_the_user_saves(self: notebook.Notebook, cells: object) -> bytes:
        data = real_dump(self, cells)  # type: ignore[arg-type]
        path.write_text(edited)
        return data

    monkeypatch.setattr(notebook.Notebook, "dump", dump_while_the_user_saves)
    checked = pipeline.check_file(str(path), pipeline.Options(
        codes=tuple(r.code for r in all_rules()), fix=True))
    assert path.read_text() == edited
    assert any("changed while it was being fixed" in f.message for f in checked.findings)


def test_no_fix_at_all_in_a_file_that_does_not_parse_not_even_a_suppression_cleanup() -> None:
    text = 'import numpy as np\nprint "x"\ny = 1  # noqa: SL201\nz = np.log(np.prod(p))\n'

    def unused_suppression_with_a_fix(source: str, found: list) -> list:  # noqa: ANN001
        fix = Fix("Remove the comment", Applicability.SAFE, (
            Edit(source.index("  # noqa"), source.index("\nz"), "", Position(3, 6),
                 Position(3, 20)),))
        return [*found, Finding("a.py", "SL002", "unused-suppression", "unused",
                                Position(3, 6), Position(3, 20), fix=fix)]

    result = fixes.fix_text(text, "a.py", all_rules(), unsafe=True,
                            postprocess=unused_suppression_with_a_fix)
    assert result.text == text and result.applied == []
    assert all(f.fix is None for f in result.remaining)
    assert {f.code for f in result.remaining} == {"SL000", "SL201", "SL002"}
