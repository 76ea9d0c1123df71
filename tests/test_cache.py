"""The results cache: the same findings, fixes and suppressions with and without it, with
one process and with a pool; a changed file or setting is checked again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scorelint import cache, cli, pipeline, runner
from scorelint.discovery import Candidate
from scorelint.registry import all_rules

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
                        lambda path, options: checked.append(path) or real(path, options))
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
