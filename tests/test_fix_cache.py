"""Fix and diff runs use the cache: a file whose cached check has no fix the run would
apply is not checked again, the others go through the fix loop as before, and what the
run prints and writes is what it would be without the cache. A changed file is never
answered from the cache. Which files are linted is counted with a recorder on the
engine, never timed."""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from scorelint.engine import linter as engine
from scorelint.frontends.cli import main
from scorelint.run import runner

CLEAN = "import numpy as np\n\ndef f{i}(p):\n    return np.log(p) - np.exp(p)\n"  # a trigger, no finding
BUGGY = "import numpy as np\n\ndef score(p):\n    return np.log(np.prod(p, axis=-1))\n"  # safe fix
LOGITS = "import numpy as np\n\ndef norm(logits):\n    return logits / logits.sum(-1, keepdims=True)\n"  # unsafe fix
SUPPRESSED = BUGGY.replace("-1))\n", "-1))  # noqa: SL201\n")
PARTIAL = BUGGY.replace("\ndef", 'print "py2"\n\ndef')  # parses only in part: no fix offered
NOTEBOOK_CELL = "import numpy as np\ny = np.log(np.exp(3.0))"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Many clean files (more than `POOL_THRESHOLD`, so `-j 2` takes a pool), one with a
    safe fix, one with only an unsafe fix, a suppressed one, one that parses in part and
    a notebook."""
    root = tmp_path / "project"
    root.mkdir()
    for i in range(runner.POOL_THRESHOLD + 2):
        (root / f"clean_{i:02}.py").write_text(CLEAN.format(i=i))
    (root / "fixable.py").write_text(BUGGY)
    (root / "unsafe.py").write_text(LOGITS)
    (root / "suppressed.py").write_text(SUPPRESSED)
    (root / "partial.py").write_text(PARTIAL)
    import json

    (root / "book.ipynb").write_text(json.dumps({
        "cells": [{"cell_type": "code", "metadata": {}, "source": NOTEBOOK_CELL,
                   "outputs": [], "execution_count": None}],
        "metadata": {"language_info": {"name": "python"}}, "nbformat": 4,
        "nbformat_minor": 5}))
    return root


@pytest.fixture
def linted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The files the engine lints in this process (`-j 1`), one entry a lint."""
    seen: list[str] = []
    real = engine.lint

    def recording(text, path, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(os.path.basename(path))
        return real(text, path, *args, **kwargs)

    monkeypatch.setattr(engine, "lint", recording)
    yield seen


def _scorelint(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _copy(project: Path, name: str) -> Path:
    twin = project.parent / name
    shutil.copytree(project, twin)
    return twin


def test_a_warm_diff_lints_only_the_files_with_a_fix_to_apply(
        project: Path, linted: list[str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    cold = _scorelint(["check", "--diff", "--no-cache", "-j", "1", "."], capsys)
    assert cold[0] == 2  # partial.py's SL000
    assert "b/fixable.py" in cold[1] and "Would fix 1 error." in cold[2]
    _scorelint(["check", "-j", "1", "."], capsys)  # a check fills the cache
    linted.clear()
    assert _scorelint(["check", "--diff", "-j", "1", "."], capsys) == cold
    # The fix loop lints the fixable file; the file that parses in part is never cached
    # (its SL000), so every run checks it; no other file is read but from the cache.
    assert set(linted) == {"fixable.py", "partial.py"}
    # Its cached check is the fix loop's first lint: only the fixed text is linted.
    assert linted.count("fixable.py") == 1


def test_a_cold_diff_fills_the_cache_for_the_next(
        project: Path, linted: list[str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    cold = _scorelint(["check", "--diff", "--no-cache", "-j", "1", "."], capsys)
    assert _scorelint(["check", "--diff", "-j", "1", "."], capsys) == cold
    linted.clear()
    assert _scorelint(["check", "--diff", "-j", "1", "."], capsys) == cold
    assert set(linted) == {"fixable.py", "partial.py"}
    linted.clear()
    check = _scorelint(["check", "-j", "1", "."], capsys)  # a diff's checks serve a check
    assert set(linted) == {"partial.py"}
    assert check == _scorelint(["check", "--no-cache", "-j", "1", "."], capsys)


def test_unsafe_fixes_send_the_unsafe_file_through_the_fix_loop(
        project: Path, linted: list[str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    cold = _scorelint(["check", "--diff", "--unsafe-fixes", "--no-cache", "-j", "1", "."],
                      capsys)
    assert "b/unsafe.py" in cold[1]
    _scorelint(["check", "-j", "1", "."], capsys)  # a check's entries serve either setting
    linted.clear()
    assert _scorelint(["check", "--diff", "--unsafe-fixes", "-j", "1", "."], capsys) == cold
    assert set(linted) == {"fixable.py", "unsafe.py", "partial.py"}


def test_a_warm_fix_writes_what_a_cold_one_writes_and_caches_the_fixed_file(
        project: Path, linted: list[str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    cold_tree = _copy(project, "cold")
    monkeypatch.chdir(cold_tree)
    cold = _scorelint(["check", "--fix", "--no-cache", "-j", "1", "."], capsys)
    assert "fixable.py" not in cold[1] and "Found 4 errors (1 fixed" in cold[1]
    monkeypatch.chdir(project)
    _scorelint(["check", "-j", "1", "."], capsys)
    linted.clear()
    assert _scorelint(["check", "--fix", "-j", "1", "."], capsys) == cold
    assert set(linted) == {"fixable.py", "partial.py"}
    for path in sorted(cold_tree.iterdir()):
        assert (project / path.name).read_bytes() == path.read_bytes(), path.name
    # The fixed file was cached as the fix left it: the next check lints nothing new.
    linted.clear()
    after = _scorelint(["check", "-j", "1", "."], capsys)
    assert set(linted) == {"partial.py"}
    assert after == _scorelint(["check", "--no-cache", "-j", "1", "."], capsys)


def test_with_a_pool_the_outcomes_are_the_same(
        project: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    cold = _scorelint(["check", "--diff", "--no-cache", "-j", "2", "."], capsys)
    _scorelint(["check", "-j", "2", "."], capsys)
    assert _scorelint(["check", "--diff", "-j", "2", "."], capsys) == cold
    assert _scorelint(["check", "--diff", "-j", "2", "."], capsys) == cold


def test_an_edited_file_is_never_answered_from_its_old_entry(
        project: Path, linted: list[str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The attack: a clean file, cached clean, gets a fixable bug of the same size and
    its old modification time back; a cache that trusted the file's stat would skip it."""
    monkeypatch.chdir(project)
    _scorelint(["check", "-j", "1", "."], capsys)
    victim = project / "clean_03.py"
    before = victim.stat()
    bug = "import numpy as np\n\ndef f3(p):\n    return np.log(np.prod(p))\n"
    bug = bug.replace("\n\ndef", "\n" + " " * (before.st_size - len(bug) - 1) + "\n\ndef")
    assert len(bug) == before.st_size
    victim.write_text(bug)
    os.utime(victim, ns=(before.st_atime_ns, before.st_mtime_ns))
    linted.clear()
    _, out, err = _scorelint(["check", "--diff", "-j", "1", "."], capsys)
    assert "+    return np.sum(np.log(p))" in out and "Would fix 2 errors." in err
    assert "clean_03.py" in linted
    # And a fix writes it, though the cache once said it was clean.
    assert _scorelint(["check", "--fix", "-j", "1", "."], capsys)[0] == 2
    assert "np.sum(np.log(p))" in victim.read_text()


def test_a_check_of_other_text_is_never_the_fix_loops_first_lint(tmp_path: Path) -> None:
    """The attack: the file changed after the runner read its check from the cache. That
    check's fix edits, at offsets into the old text, must not be applied to the new."""
    from scorelint.engine.registry import all_rules
    from scorelint.run import pipeline

    options = pipeline.Options(codes=tuple(r.code for r in all_rules()), diff=True)
    old = tmp_path / "old.py"
    old.write_text("# a longer comment that moves every offset\n" + BUGGY)
    stale = pipeline.check_file(str(old), dataclasses.replace(options, diff=False))
    assert stale.findings and stale.findings[0].fix is not None
    path = tmp_path / "score.py"
    path.write_text(BUGGY)
    stale = dataclasses.replace(stale, path=str(path))
    plain = pipeline.check_file(str(path), options)
    assert "+    return np.sum(np.log(p), axis=-1)" in plain.diff
    assert pipeline.check_file(str(path), options, checked=stale) == plain
