"""The results cache: the same findings, fixes and suppressions with and without it, with
one process and with a pool; a changed file or setting is checked again; an entry that
is not exactly what this user's scorelint wrote for this file is a miss. The attacks on
it are in test_attack_cache.py."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scorelint.base.findings import FileOutcome, Finding, Position
from scorelint.engine.registry import all_rules
from scorelint.frontends import cli
from scorelint.run import cache, pipeline, runner
from scorelint.run.discovery import Candidate

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = pipeline.Options(codes=tuple(r.code for r in all_rules()) + ("SL002",))


@pytest.fixture
def corpus(tmp_path: Path) -> list[Path]:
    """The fixture files, copied (more than `POOL_THRESHOLD`, so `-j 2` uses a pool)."""
    files = []
    for i, path in enumerate(sorted((ROOT / "fixtures").rglob("*.py"))):
        target = tmp_path / "src" / f"{i:03}_{path.name}"
        target.parent.mkdir(exist_ok=True)
        shutil.copy(path, target)
        files.append(target)
    # A suppression comment, so that its application is cached too.
    files[0].write_text(files[0].read_text() + "import numpy as np\n"
                        "y = np.log(np.prod(p))  # noqa: SL201\n")
    return files


def _run(files: list[Path], jobs: int, store: cache.Cache | None) -> list[tuple[object, ...]]:
    outcomes = runner.run([Candidate(str(p)) for p in files], OPTIONS, jobs=jobs, cache=store)
    return [(o.path, o.text, o.findings, o.fixed) for o in outcomes]


def test_same_outcomes_with_and_without_cache_and_pool(corpus: list[Path],
                                                       tmp_path: Path) -> None:
    assert len(corpus) >= runner.POOL_THRESHOLD
    plain = _run(corpus, 1, None)
    assert any(f.suppressed for _, _, found, _ in plain for f in found)
    store = cache.Cache(tmp_path / "cache")
    assert _run(corpus, 2, store) == plain  # cold, in a pool: fills the cache
    assert len(list((tmp_path / "cache").rglob("*/*/*"))) >= len(corpus) - 1
    assert _run(corpus, 1, store) == plain  # warm
    assert _run(corpus, 2, cache.Cache(tmp_path / "cache")) == plain


def test_a_hit_is_not_checked_again_and_a_change_is(corpus: list[Path], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    store = cache.Cache(tmp_path / "cache")
    _run(corpus[:3], 1, store)
    checked: list[str] = []
    real = pipeline.check_file
    monkeypatch.setattr(pipeline, "check_file",
                        lambda path, options, **_: checked.append(path) or real(path, options))
    _run(corpus[:3], 1, store)
    assert checked == []
    corpus[1].write_text(corpus[1].read_text() + "\n# changed\n")
    _run(corpus[:3], 1, store)
    assert checked == [str(corpus[1])]
    other = pipeline.Options(codes=("SL201",))  # other settings: another entry
    runner.run([Candidate(str(corpus[0]))], other, jobs=1, cache=store)
    assert checked[-1] == str(corpus[0])


def test_fix_runs_do_not_use_the_cache(corpus: list[Path], tmp_path: Path) -> None:
    store = cache.Cache(tmp_path / "cache")
    assert store.key(str(corpus[0]), b"x", pipeline.Options(codes=("SL201",), fix=True)) is None
    assert store.key(str(corpus[0]), b"x", pipeline.Options(codes=("SL201",), diff=True)) is None


def test_cli_cache_dir_gitignore_no_cache_and_clean(corpus: list[Path], tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "here"
    paths = [str(p) for p in corpus[:2]]
    assert cli.main(["check", "--no-cache", "--cache-dir", str(folder), *paths]) == 1
    assert not folder.exists()
    first = capsys.readouterr().out
    assert cli.main(["check", "--cache-dir", str(folder), *paths]) == 1
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    assert cli.main(["check", "--cache-dir", str(folder), *paths]) == 1
    assert capsys.readouterr().out == first + first
    assert cli.main(["clean", "--cache-dir", str(folder)]) == 0
    assert not folder.exists()


def test_clean_refuses_a_folder_that_is_not_a_cache(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    assert cli.main(["clean", "--cache-dir", str(tmp_path)]) == 2
    assert (tmp_path / "precious.txt").exists()


def _full(outcomes: list[FileOutcome]) -> list[tuple[object, ...]]:
    """Everything an outcome carries, the findings' `extra` (url, trace) included."""
    return [(o.path, o.text, o.cells, o.fixed, o.diff, o.applied,
             [(f, f.extra) for f in o.findings]) for o in outcomes]


def test_entries_give_back_every_field_notebooks_and_traces_included(
        corpus: list[Path], tmp_path: Path) -> None:
    book = tmp_path / "src" / "book.ipynb"
    shutil.copy(ROOT / "tests" / "data" / "notebooks" / "hand_formatted.ipynb", book)
    files = [Candidate(str(p)) for p in [*corpus, book]]
    plain = _full(runner.run(files, OPTIONS, jobs=1))
    assert any(f.extra.get("trace") for *_, found in plain for f, _ in found)
    assert any(cells for _, _, cells, *_ in plain)
    store = cache.Cache(tmp_path / "cache")
    assert _full(runner.run(files, OPTIONS, jobs=1, cache=store)) == plain
    entries = list((tmp_path / "cache").rglob("*/*/*"))
    assert len(entries) >= len(files) - 1
    assert all(e.read_bytes()[64:65] == b"\n" for e in entries)  # a MAC line, then JSON
    assert _full(runner.run(files, OPTIONS, jobs=1, cache=store)) == plain


def test_an_outcome_json_would_change_is_not_stored(tmp_path: Path) -> None:
    """A value JSON does not give back as it is (a tuple) is not cached: a hit is always
    the outcome itself."""
    path = tmp_path / "a.py"
    path.write_text("x = 1\n")
    store = cache.Cache(tmp_path / "cache")
    entry = store.key(str(path), path.read_bytes(), OPTIONS)
    assert entry is not None
    found = Finding(str(path), "SL201", "log-of-product", "m", Position(1, 1), Position(1, 2),
                    extra={"url": "u", "odd": (1, 2)})
    store.put(entry, FileOutcome(str(path), [found]))
    assert store.get(entry) is None
    good = dataclasses.replace(found, extra={"url": "u"})
    store.put(entry, FileOutcome(str(path), [good]))
    assert store.get(entry) == FileOutcome(str(path), [good])


def _reforged(entry_file: Path, change: Callable[[dict[str, Any]], object]) -> None:
    """Rewrite an entry with the user's real key: what only the schema check can refuse."""
    key = (Path(os.environ["XDG_CACHE_HOME"]) / "scorelint" / "key").read_bytes()
    data = json.loads(entry_file.read_bytes().partition(b"\n")[2])
    change(data)
    body = json.dumps(data).encode()
    entry_file.write_bytes(cache._mac(key, body) + b"\n" + body)


@pytest.mark.parametrize("change", [
    lambda d: d.update(format=1),
    lambda d: d.update(digest="0" * 64),
    lambda d: d.update(path="elsewhere.py"),
    lambda d: d["outcome"]["findings"][0].update(start=["5", 1]),
    lambda d: d["outcome"]["findings"][0].update(suppressed=1),
    lambda d: d["outcome"]["findings"][0].update(path="elsewhere.py"),
    lambda d: d["outcome"]["findings"][0].pop("code"),
    lambda d: d["outcome"]["findings"][0]["fix"].update(applicability="always"),
    lambda d: d["outcome"]["findings"][0]["extra"].update(trace=[{"row": 1}]),
    lambda d: d["outcome"].update(cells=[[1]]),
    lambda d: d["outcome"].update(findings={}),
], ids=["format", "digest", "path", "row", "bool", "finding-path", "field", "applicability",
        "trace", "cells", "list"])
def test_a_malformed_entry_is_a_miss_never_an_error(
        tmp_path: Path, change: Callable[[dict[str, Any]], object]) -> None:
    path = tmp_path / "a.py"
    path.write_text("import numpy as np\n\n\ndef f(p):\n    return np.log(np.prod(p))\n")
    store = cache.Cache(tmp_path / "cache")
    first = _full(runner.run([Candidate(str(path))], OPTIONS, jobs=1, cache=store))
    (entry_file,) = (tmp_path / "cache").rglob("*/*/*")
    _reforged(entry_file, change)
    entry = store.key(str(path), path.read_bytes(), OPTIONS)
    assert entry is not None and store.get(entry) is None
    assert _full(runner.run([Candidate(str(path))], OPTIONS, jobs=1, cache=store)) == first
    entry_file.write_bytes(entry_file.read_bytes()[:100])  # truncated
    assert store.get(entry) is None


def test_by_default_the_cache_is_the_projects_folder_in_the_user_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv(cache.ENV_DIR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    project = tmp_path / "proj"
    (project / "src").mkdir(parents=True)
    (project / "pyproject.toml").write_text("")
    (project / "src" / "a.py").write_text("import numpy as np\nnp.log(np.prod(p))\n")
    monkeypatch.chdir(project)
    assert cli.main(["check", "src"]) == 1
    assert sorted(p.name for p in project.rglob("*")) == ["a.py", "pyproject.toml", "src"]
    key = tmp_path / "xdg" / "scorelint" / "key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32
    (folder,) = (tmp_path / "xdg" / "scorelint" / "projects").iterdir()
    assert folder == Path(cache.default_dir(str(project / "src")) or "")
    assert len(list(folder.rglob("*/*/*"))) == 1
    monkeypatch.chdir(project / "src")  # the same project, from below its root
    assert cli.main(["clean"]) == 0
    assert not folder.exists() and key.exists()
    assert f"Removed {folder}" in capsys.readouterr().err


def test_a_key_others_can_read_turns_the_cache_off(
        corpus: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = Path(os.environ["XDG_CACHE_HOME"]) / "scorelint" / "key"
    key.parent.mkdir(parents=True)
    key.write_bytes(b"k" * 32)
    key.chmod(0o644)
    folder = tmp_path / "here"
    for _ in range(2):
        assert cli.main(["check", "--cache-dir", str(folder), str(corpus[0])]) == 1
        assert capsys.readouterr().err.count("the cache is off") == 1
    assert not folder.exists()
