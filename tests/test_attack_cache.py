"""Issue 16, items 1, 7 and 9, as an attacker tries them: the results cache is data that
a checkout can neither bring, nor forge, nor swap, nor redirect through a symbolic link,
and a full disk leaves no partial entry behind.

Each test is the attack; `pickle` is used here only to build the hostile entries (an
attacker's tool), never by scorelint to read them.
"""

from __future__ import annotations

import errno
import json
import os
import pickle
from pathlib import Path

import pytest

from scorelint.base.findings import FileOutcome
from scorelint.frontends import cli
from scorelint.run import cache, pipeline

# Two files with one SL201 each, at different lines: a swapped entry would show.
FIRST = "import numpy as np\n\n\ndef score(p):\n    return np.log(np.prod(p, axis=-1))\n"
SECOND = ("import numpy as np\n\n\ndef other(q):\n    total = 0\n"
          "    return np.log(np.prod(q))\n")


class _Runs:
    """An `__reduce__` that creates a marker file: what `pickle.load` would run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return exec, (f"open({str(self.marker)!r}, 'w').close()",)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "a.py").write_text(FIRST)
    (folder / "b.py").write_text(SECOND)
    return folder


def _run(capsys: pytest.CaptureFixture[str], *args: str
         ) -> tuple[int, list[tuple[str, int]], str]:
    """Run `check` (JSON output): the exit code, (file, row) of each SL201, standard error."""
    capsys.readouterr()
    code = cli.main(["check", "--select", "SL201", "--output-format", "json", *args])
    out, err = capsys.readouterr()
    return code, sorted((Path(f["filename"]).name, f["location"]["row"])
                        for f in json.loads(out)), err


def _check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[tuple[str, int]]]:
    code, found, _ = _run(capsys, *args)
    return code, found


EXPECTED = [("a.py", 5), ("b.py", 6)]


def _entries(root: Path) -> list[Path]:
    """Every cache entry under a cache folder (not its `.gitignore`)."""
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != ".gitignore")


def _cache_root() -> Path:
    return Path(os.environ[cache.ENV_DIR])


def _forged_json(entry: Path) -> bytes:
    """The entry with its finding dropped, its authentication line (if any) kept."""
    raw = entry.read_bytes()
    head, _, body = raw.partition(b"\n")
    try:
        data = json.loads(body)
        data["outcome"]["findings"] = []
        return head + b"\n" + json.dumps(data).encode()
    except (ValueError, KeyError, TypeError):  # not our format: forge one outright
        return json.dumps({"path": "a.py", "findings": []}).encode()


@pytest.mark.parametrize("payload", ["runs-code", "empty-outcome", "forged-json"])
def test_a_planted_entry_neither_runs_nor_hides_a_finding(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], payload: str) -> None:
    """Item 1: run once, replace every entry the run wrote, run again."""
    files = [str(project / "a.py"), str(project / "b.py")]
    assert _check(capsys, *files) == (1, EXPECTED)
    entries = _entries(_cache_root())
    assert len(entries) == 2
    marker = tmp_path / "pwned"
    for entry in entries:
        if payload == "runs-code":
            entry.write_bytes(pickle.dumps(_Runs(marker)))
        elif payload == "empty-outcome":  # a well-formed outcome, without its finding
            entry.write_bytes(pickle.dumps(FileOutcome(files[0], [])))
        else:
            entry.write_bytes(_forged_json(entry))
    assert _check(capsys, *files) == (1, EXPECTED)
    assert not marker.exists()


def test_swapped_entries_give_each_file_its_own_findings(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Item 1: two valid entries exchanged between two files. The full text output shows
    each finding with its line of code: a swap would show one file's finding with the
    other file's code."""
    a, b = str(project / "a.py"), str(project / "b.py")

    def text(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        code = cli.main(["check", "--select", "SL201", *args])
        return code, capsys.readouterr().out

    plain = text("--no-cache", a, b)
    _check(capsys, a)
    (first,) = _entries(_cache_root())
    _check(capsys, b)
    (second,) = set(_entries(_cache_root())) - {first}
    one, two = first.read_bytes(), second.read_bytes()
    first.write_bytes(two)
    second.write_bytes(one)
    assert text(a, b) == plain
    assert _check(capsys, a, b) == (1, EXPECTED)


def test_a_cache_shipped_in_the_checkout_is_not_read(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Items 1 and 7: a repository commits `.scorelint_cache/` with hostile entries at the
    very names a plain `check` in it would look up."""
    monkeypatch.delenv(cache.ENV_DIR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(project)
    assert _check(capsys) == (1, EXPECTED)
    shipped = project / ".scorelint_cache"
    # Wherever the first run cached (in the project, or in the user's cache), plant the
    # same entry names in the shipped folder, and drop what the run cached.
    (written,) = [g.parent for top in (project, tmp_path / "xdg") for g in top.rglob(".gitignore")]
    names = [e.relative_to(written) for e in _entries(written)]
    assert len(names) == 2
    if written != shipped:
        cache.clean(written)
    marker = tmp_path / "pwned"
    for name in names:
        (shipped / name).parent.mkdir(parents=True, exist_ok=True)
        (shipped / name).write_bytes(pickle.dumps(_Runs(marker)))
    assert _check(capsys) == (1, EXPECTED)
    assert not marker.exists()
    # The run cached in the user's cache directory again, never in the checkout.
    assert project not in Path(written).parents and len(_entries(written)) == 2


def _walls(tmp_path: Path) -> Path:
    """A folder outside the project where a link points; nothing may appear in it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    return outside


def test_a_symlinked_cache_folder_is_not_written_through(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Item 7: `.scorelint_cache` is a link to a folder outside the project."""
    outside = _walls(tmp_path)
    link = project / ".scorelint_cache"
    link.symlink_to(outside, target_is_directory=True)
    for _ in range(2):  # the first run would create entries, the second read them
        code, found, err = _run(capsys, "--cache-dir", str(link), str(project))
        assert (code, found) == (1, EXPECTED)
        assert list(outside.iterdir()) == []
        assert err.count("cache is off") == 1 and str(link) in err


def test_a_symlinked_version_folder_is_not_written_through(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Item 7: the cache folder is real, its version folder a link outside."""
    outside = _walls(tmp_path)
    root = tmp_path / "cache"
    store = cache.Cache(root)
    store.folder.parent.mkdir(parents=True)
    (root / ".gitignore").write_text("# Automatically created by scorelint.\n*\n")
    store.folder.symlink_to(outside, target_is_directory=True)
    for _ in range(2):
        assert _check(capsys, "--cache-dir", str(root), str(project)) == (1, EXPECTED)
    assert list(outside.iterdir()) == []


def test_a_symlinked_gitignore_is_not_written_through(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Item 7: the cache folder's `.gitignore` is a dangling link to a file outside."""
    outside = _walls(tmp_path)
    root = tmp_path / "cache"
    root.mkdir()
    (root / ".gitignore").symlink_to(outside / "planted")
    assert _check(capsys, "--cache-dir", str(root), str(project)) == (1, EXPECTED)
    assert list(outside.iterdir()) == []


def test_a_symlinked_entry_is_neither_read_nor_written_through(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Item 7: each entry replaced by a link to a copy of itself outside: a link is a miss
    (the file is checked again), and storing the new entry replaces the link, not its target."""
    outside = _walls(tmp_path)
    root = tmp_path / "cache"
    assert _check(capsys, "--cache-dir", str(root), str(project)) == (1, EXPECTED)
    copies = {}
    for i, entry in enumerate(_entries(root)):
        copy = outside / f"copy{i}"
        copy.write_bytes(entry.read_bytes())
        entry.unlink()
        entry.symlink_to(copy)
        copies[copy] = copy.read_bytes()
    checked: list[str] = []
    real = pipeline.check_file
    monkeypatch.setattr(pipeline, "check_file",
                        lambda path, options, **_: checked.append(path) or real(path, options))
    assert _check(capsys, "--cache-dir", str(root), str(project)) == (1, EXPECTED)
    assert len(checked) == 2
    assert {c: c.read_bytes() for c in copies} == copies
    assert all(not e.is_symlink() for e in _entries(root))


def _full_disk(monkeypatch: pytest.MonkeyPatch, root: Path, where: str) -> None:
    """Writes into the cache folder fail with ENOSPC: after half the bytes of each write,
    or at the rename that publishes an entry (paths told by /proc/self/fd)."""
    def inside(fd: int | None, path: object = "") -> bool:
        folder = os.readlink(f"/proc/self/fd/{fd}") if fd is not None else ""
        return str(root) in os.path.join(folder, os.path.abspath(os.fsdecode(path))
                                         if fd is None else os.fsdecode(path))

    if where == "rename":
        real_replace = os.replace

        def replace(src: object, dst: object, **kwargs: int | None) -> None:
            if inside(kwargs.get("dst_dir_fd"), dst):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            real_replace(src, dst, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "replace", replace)
    else:
        real_write = os.write

        def write(fd: int, data: bytes) -> int:
            if inside(fd) and len(data) > 1:
                real_write(fd, data[: len(data) // 2])
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real_write(fd, data)

        monkeypatch.setattr(os, "write", write)


@pytest.mark.parametrize("where", ["rename", "write"])
def test_a_full_disk_leaves_no_partial_entry(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """Item 9: ENOSPC while an entry is written; the run's result is unchanged, nothing is
    left in the cache folder, and the next run (disk freed) caches and reports as ever."""
    if not os.path.exists("/proc/self/fd"):
        pytest.skip("tells the cache's writes by /proc/self/fd")
    root = tmp_path / "cache"
    with monkeypatch.context() as patch:
        _full_disk(patch, root, where)
        assert _check(capsys, "--cache-dir", str(root), str(project)) == (1, EXPECTED)
        assert _entries(root) == []
    assert _check(capsys, "--cache-dir", str(root), str(project)) == (1, EXPECTED)
    assert len(_entries(root)) == 2
    assert all(not e.name.startswith(".tmp") for e in _entries(root))
    assert _check(capsys, "--cache-dir", str(root), str(project)) == (1, EXPECTED)
