"""Fix and diff runs use the cache: a file whose cached check has no fix the run would
apply is not checked again, the others go through the fix loop as before (or take its
result kept from an earlier fix or diff run with the same settings), and what the run
prints and writes is what it would be without the cache. A changed file, a changed
setting only fixing reads (`--unsafe-fixes`, the line length) or a changed imported
module is never answered from the cache. Which files are linted is counted with a
recorder on the engine, never timed."""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
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
    # The fix loop's result was kept too: the same patch, and nothing is linted again.
    assert set(linted) == {"partial.py"}
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


def _early_submissions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files whose fix loop starts while the cache is still being read."""
    started: list[str] = []
    real = runner._EarlyFixes.submit

    def submit(self, index, path, *args):  # type: ignore[no-untyped-def]
        started.append(os.path.basename(path))
        return real(self, index, path, *args)

    monkeypatch.setattr(runner._EarlyFixes, "submit", submit)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    return started


def test_a_large_warm_fix_run_starts_its_fixes_while_the_cache_is_read(
        project: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: the fixes began after every cached check was read (half of the corpus's
    first --diff after a warm check). Now a cached file with a fix to apply starts as
    soon as its entry is read; what the run prints and writes is the same."""
    started = _early_submissions(monkeypatch)
    cold_tree = _copy(project, "cold")
    monkeypatch.chdir(cold_tree)
    cold = _scorelint(["check", "--fix", "--unsafe-fixes", "--no-cache", "-j", "2", "."],
                      capsys)
    monkeypatch.chdir(project)
    diff = _scorelint(["check", "--diff", "--unsafe-fixes", "--no-cache", "-j", "2", "."],
                      capsys)
    _scorelint(["check", "-j", "2", "."], capsys)
    assert not started  # a check, or a run without the cache, fixes as before
    assert _scorelint(["check", "--diff", "--unsafe-fixes", "-j", "2", "."], capsys) == diff
    assert sorted(started) == ["fixable.py", "unsafe.py"]
    started.clear()
    assert _scorelint(["check", "--fix", "--unsafe-fixes", "-j", "2", "."], capsys) == cold
    assert not started  # the diff's fix loops were kept: nothing to run
    for path in sorted(cold_tree.iterdir()):
        assert (project / path.name).read_bytes() == path.read_bytes(), path.name


def test_a_fix_whose_early_worker_dies_is_fixed_again(
        project: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker of the early pool that dies (a native crash, the OOM killer) leaves its
    files to the pool that finds which file killed it: here none does, so the patch is
    the one a run without the cache prints."""
    started = _early_submissions(monkeypatch)
    monkeypatch.chdir(project)
    cold = _scorelint(["check", "--diff", "--no-cache", "-j", "2", "."], capsys)
    _scorelint(["check", "-j", "2", "."], capsys)
    parent = os.getpid()
    real = runner._EarlyFixes.submit

    def dying(self, index, path, options, checked):  # type: ignore[no-untyped-def]
        if self.pool is None:
            self.pool = ProcessPoolExecutor(max_workers=2, initializer=runner._start_worker,
                                            initargs=(None,))
        self.pool.submit(os._exit, 9)  # first in line: a worker dies, the pool breaks
        real(self, index, path, options, checked)  # refused, or broken before it is done
        assert os.getpid() == parent

    monkeypatch.setattr(runner._EarlyFixes, "submit", dying)
    again: list[str] = []
    check_all = runner._check_all

    def recording(paths, *args):  # type: ignore[no-untyped-def]
        again.extend(os.path.basename(path) for path in paths)
        return check_all(paths, *args)

    monkeypatch.setattr(runner, "_check_all", recording)
    assert _scorelint(["check", "--diff", "-j", "2", "."], capsys) == cold
    assert started == ["fixable.py"] and "fixable.py" in again


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


# --- the fix loop's result, kept ---------------------------------------------------------

# The fix makes the line 63 characters long: wrapped at a line length of 60, not at 88.
LONG = ("import numpy as np\n\n\ndef score(values_of_the_batch_):\n"
        "    return np.log(np.sum(np.exp(values_of_the_batch_)))\n")
# A safe fix and an unsafe one in one file: a fix run finds a fix to apply either way.
BOTH = BUGGY + "\n\n" + LOGITS.split("\n\n", 1)[1]
MODEL = """\
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 1)

    def forward(self, x):
        return self.fc(x).sigmoid()
"""
# SL303's finding rests on model.py (the project index); SL201's fix is its own.
TRAIN = """\
import numpy as np
from torch import nn

from model import Net

model = Net()
criterion = nn.BCELoss()


def step(x, y):
    return criterion(model(x), y)


def score(p):
    return np.log(np.prod(p, axis=-1))
"""


def _served_and_fresh(args: list[str], capsys: pytest.CaptureFixture[str],
                      linted: list[str]) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    """A run on the cache (the files it linted left in `linted`), and the same run without
    it, in a copy of the folder (a fix run writes)."""
    twin = _copy(Path.cwd(), f"fresh-{len(list(Path.cwd().parent.iterdir()))}")
    linted.clear()
    served = _scorelint([*args, "-j", "1", "."], capsys)
    seen = list(linted)
    os.chdir(twin)
    try:
        fresh = _scorelint([*args, "--no-cache", "-j", "1", "."], capsys)
    finally:
        os.chdir(twin.parent / "tree")
    linted[:] = seen
    return served, fresh


def test_a_kept_fix_gives_the_same_patch_bytes_and_the_same_fix(
        tmp_path: Path, linted: list[str], capsysbinary: pytest.CaptureFixture[bytes],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Byte for byte: a latin-1 file with CRLF line endings, its patch from a kept result
    and from the loop; then a fix written from the kept result is the fix the loop writes,
    and the next check is served (the fixed file cached)."""
    root = tmp_path / "tree"
    root.mkdir()
    text = "# -*- coding: latin-1 -*-\n" + BUGGY.replace("\ndef", "# caf\u00e9\ndef")
    original = text.replace("\n", "\r\n").encode("latin-1")
    (root / "latin.py").write_bytes(original)
    monkeypatch.chdir(root)

    def run(*args: str) -> tuple[int, bytes, bytes]:
        code = main(["check", *args, "-j", "1", "."])
        captured = capsysbinary.readouterr()
        return code, captured.out, captured.err

    first = run("--diff")
    linted.clear()
    served = run("--diff")
    assert linted == [] and served == first == run("--diff", "--no-cache")
    assert b"# caf\xe9\r\n" in served[1]  # the file's own bytes, as `patch` needs them
    assert b"+    return np.sum(np.log(p), axis=-1)\r\n" in served[1]
    twin = _copy(root, "twin")
    linted.clear()
    written = run("--fix")
    assert linted == [] and b"Fixed 1 error." in written[1]
    monkeypatch.chdir(twin)
    assert run("--fix", "--no-cache") == written
    assert (root / "latin.py").read_bytes() == (twin / "latin.py").read_bytes() != original
    monkeypatch.chdir(root)
    linted.clear()
    assert run() == run("--no-cache")
    assert linted == ["latin.py"]  # the second, uncached run: the fixed file was cached


@pytest.mark.parametrize("config, table", [("ruff.toml", ""), ("pyproject.toml", "[tool.ruff]\n")],
                         ids=["ruff.toml", "pyproject"])
def test_a_kept_fix_is_stale_when_the_line_length_changes(
        config: str, table: str, tmp_path: Path, linted: list[str],
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The attack: the fix's long line was kept unwrapped (line length 88); the project
    then sets 60. The file and the check's settings are the same: only the wrapping reads
    the line length."""
    root = tmp_path / "tree"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "long.py").write_text(LONG)
    monkeypatch.chdir(root)
    before = _scorelint(["check", "--diff", "-j", "1", "."], capsys)
    assert "+    return np.logaddexp.reduce(values_of_the_batch_, axis=None)" in before[1]
    (root / config).write_text(f"{table}line-length = 60\n")
    served, fresh = _served_and_fresh(["check", "--diff"], capsys, linted)
    assert "+    return np.logaddexp.reduce(\n" in fresh[1]
    assert served == fresh
    assert "long.py" in linted


def test_a_kept_fix_is_stale_when_unsafe_fixes_toggle(
        tmp_path: Path, linted: list[str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The attack: a file with a safe and an unsafe fix. Its check is the same entry for
    both settings (a check does not read `--unsafe-fixes`); its fix is not."""
    root = tmp_path / "tree"
    root.mkdir()
    (root / "both.py").write_text(BOTH)
    monkeypatch.chdir(root)
    safe = _scorelint(["check", "--diff", "-j", "1", "."], capsys)
    assert "Would fix 1 error." in safe[2]
    served, fresh = _served_and_fresh(["check", "--diff", "--unsafe-fixes"], capsys, linted)
    assert "Would fix 2 errors." in fresh[2] and served == fresh
    assert "both.py" in linted  # not served from the safe run's result
    served, fresh = _served_and_fresh(["check", "--diff"], capsys, linted)
    assert served == fresh == safe and linted == []  # each setting's result is kept


def test_a_kept_fix_is_stale_when_an_imported_module_changes(
        tmp_path: Path, linted: list[str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The attack: the model stops ending in a sigmoid. The fixed file is the same bytes,
    but SL303's finding, which the kept result holds, rested on model.py."""
    root = tmp_path / "tree"
    root.mkdir()
    (root / "model.py").write_text(MODEL)
    (root / "train.py").write_text(TRAIN)
    monkeypatch.chdir(root)
    before = _scorelint(["check", "--diff", "-j", "1", "."], capsys)
    assert "Would fix 1 error." in before[2]
    (root / "model.py").write_text(MODEL.replace(".sigmoid()", ""))
    # A fix run reports what is left once fixed: the kept result's SL303 is stale.
    served, fresh = _served_and_fresh(["check", "--fix"], capsys, linted)
    assert "Fixed 1 error." in fresh[1] and "SL303" not in fresh[1] and served == fresh


def test_a_kept_fix_holds_the_finding_an_imported_module_makes(
        tmp_path: Path, linted: list[str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The other way round, so the attack above could fail: with model.py unchanged, the
    kept result serves the fix run, SL303 and all."""
    root = tmp_path / "tree"
    root.mkdir()
    (root / "model.py").write_text(MODEL)
    (root / "train.py").write_text(TRAIN)
    monkeypatch.chdir(root)
    _scorelint(["check", "--diff", "-j", "1", "."], capsys)
    served, fresh = _served_and_fresh(["check", "--fix"], capsys, linted)
    assert "SL303" in fresh[1] and served == fresh and linted == []
