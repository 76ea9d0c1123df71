"""Issue 16, items 3, 7, 9 and 12, each written as the attack: no edit is lost, writes
stay in the project, no temporary file or broken baseline is left behind, patches apply.

- an editor saves while `--fix` syncs its temporary file (the slow disk): the save is kept;
- a folder of the project that is a link out of it: `--fix` does not write through it;
- `.scorelint-*.tmp` files: removed on every failure path, and stale ones (kill -9) cleaned;
- `--write-baseline` on a full disk leaves no empty file that breaks later runs;
- `--diff` for a latin-1 file and for a file named with a newline: `git apply` and
  `patch` take the patch and give `--fix`'s bytes.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scorelint.base import source
from scorelint.frontends.cli import main

BUGGY = "import numpy as np\n\ndef score(p):\n    return np.log(np.prod(p, axis=-1))\n"
FIXED = "import numpy as np\n\ndef score(p):\n    return np.sum(np.log(p), axis=-1)\n"
SAVED = "# the user's edit, saved while the fixed file was being synced\n"
LATIN1 = Path(__file__).resolve().parent / "data" / "edge_cases" / "latin1_cookie.py"
HAS_GIT = shutil.which("git") is not None
HAS_PATCH = shutil.which("patch") is not None


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict]]:
    code = main(["check", "--output-format", "json", "-j", "1", "--no-cache", *args])
    return code, json.loads(capsys.readouterr().out)


def write_baseline(checked: str, baseline: str = "b.json") -> int:
    return main(["check", "--no-cache", checked, "--baseline", baseline, "--write-baseline"])


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".scorelint-"))


# -- item 3: an edit saved while the fixed file is synced is never overwritten ----------------


def _sync_while_the_user_saves(monkeypatch: pytest.MonkeyPatch, save) -> list[int]:  # noqa: ANN001
    """`os.fsync` that lets the user save the file first: a slow disk, an editor meanwhile."""
    real_fsync, calls = os.fsync, []

    def slow_fsync(fd: int) -> None:
        calls.append(fd)
        save()
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", slow_fsync)
    return calls


@pytest.mark.parametrize("how", ["append", "rename"])
def test_an_edit_saved_while_the_fix_is_synced_is_kept(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "a.py"
    target.write_text(BUGGY)

    def save() -> None:
        if how == "append":  # an editor writing in place
            with open(target, "a") as handle:
                handle.write(SAVED)
        else:  # an editor saving through a file of its own, renamed over the old one
            (tmp_path / "a.py.swp").write_text(BUGGY + SAVED)
            os.replace(tmp_path / "a.py.swp", target)

    calls = _sync_while_the_user_saves(monkeypatch, save)
    code = main(["check", "--fix", "-j", "1", "--no-cache", str(target)])
    out = capsys.readouterr().out
    assert calls  # the save really came while the fixed text was being synced
    assert target.read_text() == BUGGY + SAVED
    assert code == 2
    assert "the file changed while it was being fixed; run again" in out
    assert "Fixed" not in out
    assert leftovers(tmp_path) == []


def test_an_edit_in_the_instant_before_the_rename_is_put_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """After the compare, before the rename: the edit lands in the file being replaced.
    It is seen after the rename, and that file's bytes are put back."""
    target = tmp_path / "a.py"
    target.write_text(BUGGY)
    real_replace = os.replace

    def replace_after_a_save(src: str, dst: str) -> None:
        if os.fspath(dst) == str(target) and SAVED not in target.read_text():
            with open(target, "a") as handle:
                handle.write(SAVED)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace_after_a_save)
    code, found = run_json(["--fix", str(target)], capsys)
    assert target.read_text() == BUGGY + SAVED
    assert code == 2 and [f["message"] for f in found if f["code"] == "SL000"] == [
        "cannot write the fixed file: the file changed while it was being fixed; run again"]
    assert leftovers(tmp_path) == []


def test_a_file_touched_while_the_fix_is_synced_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Same size, same bytes, another mtime: saved meanwhile, so not ours to replace."""
    target = tmp_path / "a.py"
    target.write_text(BUGGY)
    then = target.stat().st_mtime_ns

    def touch() -> None:
        os.utime(target, ns=(then, then - 10**9))

    _sync_while_the_user_saves(monkeypatch, touch)
    code, found = run_json(["--fix", str(target)], capsys)
    assert code == 2 and sorted(f["code"] for f in found) == ["SL000", "SL201"]
    assert target.read_text() == BUGGY and target.stat().st_mtime_ns == then - 10**9


# -- item 7: a link in the project to a folder outside it is not written through ----------------


@pytest.fixture
def linked_vendor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """`proj/vendor` links to a folder outside the project (`proj/lib` to `vendor`);
    the run starts in `proj`."""
    tmp_path = tmp_path.resolve()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "v.py").write_text(BUGGY)
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "mine.py").write_text(BUGGY)
    (proj / "vendor").symlink_to(outside, target_is_directory=True)
    (proj / "lib").symlink_to("vendor", target_is_directory=True)
    monkeypatch.chdir(proj)
    return proj, outside


@pytest.mark.parametrize(("named", "link"), [
    ("vendor/v.py", "vendor"),
    ("{proj}/vendor/v.py", "vendor"),  # absolute
    ("vendor", "vendor"),  # the linked folder itself, walked
    ("lib/v.py", "lib"),  # a link to the link
])
def test_fix_does_not_write_through_a_linked_folder_out_of_the_project(
    named: str, link: str, linked_vendor: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str]
) -> None:
    proj, outside = linked_vendor
    code, found = run_json(["--fix", named.format(proj=proj), "mine.py"], capsys)
    assert (outside / "v.py").read_text() == BUGGY  # the outside file is untouched
    assert (proj / "mine.py").read_text() == FIXED  # the project's own file is fixed
    assert code == 2
    [refused] = [f for f in found if f["code"] == "SL000"]
    assert refused["message"] == (
        f"cannot write the fixed file: {proj / link} is a link to {outside}, "
        f"outside the working directory {proj}; name the real path to write there")
    assert leftovers(outside) == []


def test_a_link_within_the_project_is_still_written_through(
    linked_vendor: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    proj, _ = linked_vendor
    (proj / "src").mkdir()
    (proj / "src" / "m.py").write_text(BUGGY)
    (proj / "alias").symlink_to(proj / "src", target_is_directory=True)
    code, found = run_json(["--fix", "alias/m.py"], capsys)
    assert code == 0 and found == []
    assert (proj / "src" / "m.py").read_text() == FIXED


def test_the_real_path_of_an_outside_file_is_fixed_when_named(
    linked_vendor: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, outside = linked_vendor
    code, found = run_json(["--fix", str(outside / "v.py")], capsys)
    assert code == 0 and found == []
    assert (outside / "v.py").read_text() == FIXED


def test_a_baseline_named_through_a_link_out_of_the_project_is_not_written(
    linked_vendor: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    proj, outside = linked_vendor
    (outside / "b.json").write_text("")  # an empty file a checkout points at: replaceable
    assert write_baseline("mine.py", "vendor/b.json") == 2
    assert "is a link to" in capsys.readouterr().err
    assert (outside / "b.json").read_text() == ""


# -- item 9: no temporary file is left, whatever fails; stale ones are cleaned ---------------------


def _fail_with(exc: BaseException):  # noqa: ANN202
    def fail(*args: object, **kwargs: object) -> None:
        raise exc

    return fail


@pytest.mark.parametrize("where", ["replace", "fsync", "chmod"])
@pytest.mark.parametrize("exc", [OSError(errno.EIO, "Input/output error"), KeyboardInterrupt()])
def test_no_temporary_file_is_left_when_a_write_fails(
    where: str, exc: BaseException, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "a.py"
    target.write_text(BUGGY)
    monkeypatch.setattr(os, where, _fail_with(exc))
    with pytest.raises(type(exc)):
        source.write_atomic(str(target), FIXED.encode(), expected=BUGGY.encode(),
                            tree=str(tmp_path))
    monkeypatch.undo()
    assert target.read_text() == BUGGY
    assert leftovers(tmp_path) == []


def test_no_temporary_file_is_left_when_the_compare_and_swap_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "a.py"
    target.write_text(BUGGY)
    _sync_while_the_user_saves(monkeypatch, lambda: target.write_text(SAVED))
    with pytest.raises(source.WriteRefused):
        source.write_atomic(str(target), FIXED.encode(), expected=BUGGY.encode())
    assert target.read_text() == SAVED
    assert leftovers(tmp_path) == []


def _age(path: Path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then), follow_symlinks=False)


def test_a_temporary_file_left_by_a_killed_run_is_cleaned_by_the_next_fix(tmp_path: Path) -> None:
    """kill -9 while the fixed text is being synced leaves `.scorelint-*.tmp`; the next run
    that writes in that folder removes it once it is stale, and nothing of the user's."""
    target = tmp_path / "a.py"
    target.write_text(BUGGY)
    started = tmp_path.parent / f"{tmp_path.name}.syncing"
    stall = ("import os, sys, time\n"
             "def stall(fd):\n"
             f"    open({str(started)!r}, 'w').close()\n"
             "    time.sleep(120)\n"
             "os.fsync = stall\n"
             "from scorelint.frontends.cli import main\n"
             "sys.exit(main(sys.argv[1:]))\n")
    run = subprocess.Popen([sys.executable, "-c", stall, "check", "--fix", "--no-cache",
                            str(target)])
    try:
        deadline = time.monotonic() + 60
        while not started.exists() and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists(), "the run never reached its sync"
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait()
    [left] = leftovers(tmp_path)  # what the issue saw: the fixed text beside the source
    assert target.read_text() == BUGGY
    # Files scorelint did not make, or made too recently to be abandoned, stay.
    mine = [tmp_path / ".scorelint-notes.tmp", tmp_path / "x.tmp",
            tmp_path / ".scorelint-abcd1234.tmp.bak"]
    for path in mine:
        path.write_text("the user's\n")
        _age(path, 5)
    fresh = tmp_path / ".scorelint-fresh_01.tmp"
    fresh.write_text("another run's, right now\n")
    other = tmp_path / "elsewhere"
    other.mkdir()
    elsewhere = other / ".scorelint-zzzzzzzz.tmp"
    elsewhere.write_text("")
    _age(elsewhere, 5)
    _age(tmp_path / left, 2)
    assert main(["check", "--fix", "--no-cache", "-j", "1", str(target)]) == 0
    assert target.read_text() == FIXED
    assert not (tmp_path / left).exists()
    assert all(p.exists() for p in [*mine, fresh, elsewhere])


# -- item 9: a baseline written on a full disk breaks nothing ----------------------------------


@contextlib.contextmanager
def full_disk() -> Iterator[None]:
    """Every file opened for writing fails its writes with ENOSPC (after being created)."""
    real_open = builtins.open

    class Full:
        def __init__(self, handle: object) -> None:
            self.handle = handle

        def write(self, data: object) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name: str) -> object:
            return getattr(self.handle, name)

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()  # type: ignore[attr-defined]

    def fake_open(file: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        handle = real_open(file, mode, *args, **kwargs)  # type: ignore[call-overload]
        return Full(handle) if set(mode) & set("wxa+") else handle

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(builtins, "open", fake_open)
        patch.setattr(io, "open", fake_open)
        yield


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "a.py").write_text(BUGGY)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_first_baseline_on_a_full_disk_leaves_nothing_that_breaks_later_runs(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with full_disk():
        assert write_baseline("a.py") == 2
    # Space is freed: the next runs work.
    assert "cannot write baseline b.json: No space left on device" in capsys.readouterr().err
    assert not (project / "b.json").exists()
    assert leftovers(project) == []
    assert write_baseline("a.py") == 0
    assert main(["check", "--no-cache", "a.py", "--baseline", "b.json"]) == 0


def test_a_baseline_rewritten_on_a_full_disk_stays_as_it_was(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert write_baseline("a.py") == 0
    before = (project / "b.json").read_bytes()
    (project / "c.py").write_text(BUGGY)  # a new finding to record
    with full_disk():
        assert write_baseline(".") == 2
    assert (project / "b.json").read_bytes() == before
    assert leftovers(project) == []
    capsys.readouterr()
    assert main(["check", "--no-cache", "a.py", "--baseline", "b.json"]) == 0  # still works


def test_an_empty_baseline_names_itself_and_can_be_written_again(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a full disk left behind with an older scorelint: an empty file."""
    (project / "b.json").write_bytes(b"")
    assert main(["check", "--no-cache", "a.py", "--baseline", "b.json"]) == 2
    assert capsys.readouterr().err == (
        "scorelint: error: baseline b.json is empty (a write that did not finish?); "
        "write it again with `--baseline b.json --write-baseline`\n")
    assert write_baseline("a.py") == 0
    assert main(["check", "--no-cache", "a.py", "--baseline", "b.json"]) == 0


def test_a_new_baseline_gets_the_usual_mode(project: Path) -> None:
    old = os.umask(0o022)
    try:
        assert write_baseline("a.py") == 0
    finally:
        os.umask(old)
    assert (project / "b.json").stat().st_mode & 0o777 == 0o644


# -- item 12: a --diff patch applies, whatever the encoding or the file name ------------------


def _git_repo(folder: Path) -> None:
    subprocess.run(["git", "init", "-q", str(folder)], check=True, capture_output=True)


def _diff_and_fix(folder: Path, name: str, raw: bytes, monkeypatch: pytest.MonkeyPatch,
                  capsysbinary: pytest.CaptureFixture[bytes]) -> tuple[bytes, bytes]:
    """The `--diff` patch of `name` holding `raw`, and the bytes `--fix` writes."""
    monkeypatch.chdir(folder)
    (folder / name).write_bytes(raw)
    assert main(["check", "--diff", "-j", "1", "--no-cache", name]) == 1
    patch = capsysbinary.readouterr().out
    assert (folder / name).read_bytes() == raw
    assert main(["check", "--fix", "-j", "1", "--no-cache", name]) == 0
    capsysbinary.readouterr()
    fixed = (folder / name).read_bytes()
    (folder / name).write_bytes(raw)
    assert fixed != raw
    return patch, fixed


def _applies(folder: Path, name: str, raw: bytes, patch: bytes, fixed: bytes) -> None:
    patch_file = folder.parent / f"{folder.name}.patch"
    patch_file.write_bytes(patch)
    tools = []
    if HAS_GIT:
        tools.append(["git", "apply", str(patch_file)])
    if HAS_PATCH:
        tools.append(["patch", "-s", "-p1", "-i", str(patch_file)])
    if not tools:
        pytest.skip("neither git nor patch is installed")
    for tool in tools:
        (folder / name).write_bytes(raw)
        done = subprocess.run(tool, cwd=folder, capture_output=True)
        assert done.returncode == 0, (tool, done.stdout, done.stderr)
        assert (folder / name).read_bytes() == fixed, tool


@pytest.mark.skipif(not HAS_GIT, reason="git is not installed")
def test_the_patch_of_a_latin1_file_applies_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    raw = LATIN1.read_bytes()
    assert b"\xe9" in raw and b"coding: latin-1" in raw
    repo = tmp_path / "repo"
    _git_repo(repo)
    patch, fixed = _diff_and_fix(repo, "l1.py", raw, monkeypatch, capsysbinary)
    assert b"\xe9" in patch and "é".encode() not in patch  # the file's bytes, not UTF-8
    _applies(repo, "l1.py", raw, patch, fixed)


@pytest.mark.skipif(not HAS_GIT, reason="git is not installed")
@pytest.mark.parametrize("name", ["a\nb.py", 'q"uote.py', "back\\slash.py", "tab\there.py",
                                  "café.py"])
def test_the_patch_of_a_file_with_an_odd_name_applies(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    repo = tmp_path / "repo"
    _git_repo(repo)
    patch, fixed = _diff_and_fix(repo, name, BUGGY.encode(), monkeypatch, capsysbinary)
    assert fixed == FIXED.encode()
    _applies(repo, name, BUGGY.encode(), patch, fixed)
    # Quoted as git quotes it: the header is one line.
    header = patch.split(b"\n")[0]
    assert header.startswith(b'--- "a/') and header.endswith(b'"')


def test_a_name_with_a_space_is_not_quoted_but_ends_in_a_tab_as_git_has_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    patch, fixed = _diff_and_fix(tmp_path, "plain name.py", BUGGY.encode(), monkeypatch,
                                 capsysbinary)
    assert patch.startswith(b"--- a/plain name.py\t\n+++ b/plain name.py\t\n")
    _applies(tmp_path, "plain name.py", BUGGY.encode(), patch, fixed)
