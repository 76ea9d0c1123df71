"""Issue 16, items 2 and 8(c): what a checkout's git state can make git run or wait for.

Each test is the attack: a submodule whose own configuration runs a clean
filter, ignore files git would block on (FIFOs), git that never answers.
The CLI runs in a subprocess with a timeout, so a regression fails instead
of hanging the test run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from bounded import LIMIT, bounded

from scorelint.run import gitsafe

pytestmark = pytest.mark.skipif(
    subprocess.run(["git", "--version"], capture_output=True, check=False).returncode != 0,
    reason="git is not installed")

BUGGY = "import numpy as np\n\ndef score(p):\n    return np.log(np.prod(p, axis=-1))\n"
def scorelint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return bounded([sys.executable, "-m", "scorelint", *args], cwd)


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid",
                    "-c", "protocol.file.allow=always", *args],
                   cwd=repo, check=True, capture_output=True, timeout=LIMIT)


def sl201_rows(stdout: str) -> list[int]:
    return sorted(f["location"]["row"] for f in json.loads(stdout) if f["code"] == "SL201")


@pytest.fixture
def superproject(tmp_path: Path) -> tuple[Path, Path]:
    """A repository with a submodule whose own .git/config sets a clean filter that
    leaves a marker, its .gitattributes applying it to a file changed in place (same
    size, new mtime: git must read it through the filter to know), and `.gitmodules`
    asking for the submodule's dirt to be shown (`ignore = none`)."""
    marker = tmp_path / "ran"
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    git(upstream, "init", "-q")
    (upstream / "s.py").write_text("x = 1\n")
    (upstream / ".gitattributes").write_text("*.py filter=evil\n")
    git(upstream, "add", ".")
    git(upstream, "commit", "-qm", "s")
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "a.py").write_text(BUGGY)
    git(repo, "add", "a.py")
    git(repo, "commit", "-qm", "a")
    git(repo, "submodule", "add", "-q", str(upstream), "sub")
    git(repo, "config", "-f", ".gitmodules", "submodule.sub.ignore", "none")
    git(repo, "config", "submodule.sub.ignore", "none")
    git(repo, "commit", "-qam", "sub")
    git(repo / "sub", "config", "filter.evil.clean", f"echo ran >> {marker}; cat")
    git(repo / "sub", "config", "filter.evil.smudge", f"echo ran >> {marker}; cat")
    git(repo / "sub", "config", "core.fsmonitor", f"echo ran >> {marker}; false")
    (repo / "sub" / "s.py").write_text("x = 2\n")
    old = os.stat(repo / "sub" / "s.py").st_mtime - 1000
    os.utime(repo / "sub" / "s.py", (old, old))
    (repo / "a.py").write_text(BUGGY + "x = np.log(np.prod(q))\n")
    return repo, marker


def test_a_submodule_clean_filter_does_not_run_under_changed_since(
        superproject: tuple[Path, Path]) -> None:
    repo, marker = superproject
    # The fixture's trap works: plain git with the submodule's dirt shown runs it.
    subprocess.run(["git", "diff", "HEAD", "--"], cwd=repo, capture_output=True, check=False,
                   timeout=LIMIT)
    assert marker.exists()
    marker.unlink()
    done = scorelint("check", "--changed-since", "HEAD", "--output-format", "json", ".", cwd=repo)
    assert not marker.exists()
    assert done.returncode == 1, done.stderr
    assert sl201_rows(done.stdout) == [5]  # git still answered: only the new line


def test_a_submodule_clean_filter_does_not_run_under_baseline(
        superproject: tuple[Path, Path]) -> None:
    repo, marker = superproject
    written = scorelint("check", "--baseline", "base.json", "--write-baseline", ".", cwd=repo)
    assert written.returncode == 0, written.stderr
    (repo / "a.py").write_text(BUGGY + "x = np.log(np.prod(q))\ny = np.log(np.prod(r))\n")
    alone = scorelint("check", "--baseline", "base.json", "--output-format", "json", ".",
                      cwd=repo)
    both = scorelint("check", "--baseline", "base.json", "--changed-since", "HEAD",
                     "--output-format", "json", ".", cwd=repo)
    assert not marker.exists()
    assert alone.returncode == both.returncode == 1, alone.stderr + both.stderr
    assert sl201_rows(alone.stdout) == sl201_rows(both.stdout) == [6]  # base: rows 4, 5


def test_the_system_safe_directories_still_count(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    """GIT_CONFIG_NOSYSTEM drops the system file, where CI images mark checkouts owned by
    another user safe; those entries are passed on the command line instead."""
    system = tmp_path / "gitconfig"
    system.write_text("[safe]\n\tdirectory = /builds/project\n")
    monkeypatch.setenv("GIT_CONFIG_SYSTEM", str(system))
    gitsafe._system_safe_directories.cache_clear()
    try:
        command = gitsafe._base()
    finally:
        gitsafe._system_safe_directories.cache_clear()
    assert "safe.directory=/builds/project" in command


def test_every_git_call_turns_submodules_and_system_config_off(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[tuple[list[str], dict[str, str]]] = []

    class Done:
        returncode, stdout, stderr = 0, b"", b""

    def fake(command: list[str], cwd: str, env: dict[str, str]) -> Done:
        seen.append((command, env))
        return Done()

    monkeypatch.setattr(gitsafe, "_call", fake)
    gitsafe.run(["-c", "core.quotePath=false", "diff", "HEAD", "--"], str(tmp_path))
    gitsafe.run(["status", "--porcelain"], str(tmp_path))
    gitsafe.run(["ls-files", "-z"], str(tmp_path))
    seen = [(c, e) for c, e in seen if "config" not in c]  # `run` reads settings first
    for command, env in seen:
        assert "diff.ignoreSubmodules=all" in command and "submodule.recurse=false" in command
        assert env["GIT_CONFIG_NOSYSTEM"] == "1"
    diff, status, ls_files = (c for c, _ in seen)
    # The flag, unlike the setting, beats a `.gitmodules` `ignore = none`.
    assert diff[diff.index("diff") + 1] == "--ignore-submodules=all"
    assert status[status.index("status") + 1] == "--ignore-submodules=all"
    assert "--ignore-submodules=all" not in ls_files


# -- ignore files git would block on ---------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A work tree with a committed file with a finding, and an untracked one with another."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "a.py").write_text(BUGGY)
    git(repo, "add", "a.py")
    git(repo, "commit", "-qm", "a")
    (repo / "b.py").write_text(BUGGY)
    return repo


def test_a_global_excludes_file_that_is_a_fifo_does_not_hang_git(repo: Path,
                                                                  tmp_path: Path) -> None:
    fifo = tmp_path / "excludes"
    os.mkfifo(fifo)
    git(repo, "config", "core.excludesFile", str(fifo))
    (repo / ".gitignore").write_text("b.py\n")
    done = scorelint("check", "--output-format", "json", ".", cwd=repo)
    assert done.returncode == 1, done.stderr
    assert {f["filename"] for f in json.loads(done.stdout)} == {str(repo / "a.py")}
    changed = scorelint("check", "--changed-since", "HEAD", ".", cwd=repo)
    assert changed.returncode == 0, changed.stderr  # nothing changed, b.py ignored


def test_an_attributes_file_that_is_a_fifo_does_not_hang_git(repo: Path,
                                                               tmp_path: Path) -> None:
    fifo = tmp_path / "attributes"
    os.mkfifo(fifo)
    git(repo, "config", "core.attributesFile", str(fifo))
    (repo / "a.py").write_text(BUGGY + "x = np.log(np.prod(q))\n")
    changed = scorelint("check", "--changed-since", "HEAD", "--output-format", "json", "a.py",
                        cwd=repo)
    assert changed.returncode == 1, changed.stderr
    assert sl201_rows(changed.stdout) == [5]


def test_an_info_exclude_that_is_a_fifo_is_left_unread(repo: Path) -> None:
    exclude = repo / ".git" / "info" / "exclude"
    exclude.unlink(missing_ok=True)
    exclude.parent.mkdir(exist_ok=True)
    os.mkfifo(exclude)
    (repo / ".gitignore").write_text("b.py\n")
    done = scorelint("check", "--output-format", "json", ".", cwd=repo)
    assert done.returncode == 1, done.stderr
    assert {f["filename"] for f in json.loads(done.stdout)} == {str(repo / "a.py")}
    assert "info/exclude" in done.stderr and "not a regular file" in done.stderr
    # `git diff REV` reads it whatever it is told: a clear error at once, not a wait.
    changed = scorelint("check", "--changed-since", "HEAD", ".", cwd=repo)
    assert changed.returncode == 2
    assert "info/exclude is not a regular file" in changed.stderr


def test_an_info_attributes_that_is_a_fifo_is_a_clear_error_under_changed_since(
        repo: Path) -> None:
    attributes = repo / ".git" / "info" / "attributes"
    attributes.parent.mkdir(exist_ok=True)
    os.mkfifo(attributes)
    (repo / "a.py").write_text(BUGGY + "x = 1\n")
    changed = scorelint("check", "--changed-since", "HEAD", ".", cwd=repo)
    assert changed.returncode == 2
    assert "info/attributes is not a regular file" in changed.stderr
    assert scorelint("check", ".", cwd=repo).returncode == 1  # ls-files does not read it


def test_a_gitignore_fifo_in_a_work_tree_does_not_hang(repo: Path) -> None:
    """git blocks opening it; the timeout ends git and the files are read directly, the
    FIFO skipped with a note. The budget is set tiny in the subprocess."""
    (repo / "data").mkdir()
    os.mkfifo(repo / "data" / ".gitignore")
    (repo / "data" / "c.py").write_text(BUGGY)
    (repo / ".gitignore").write_text("b.py\n")
    script = textwrap.dedent(f"""
        import sys
        from scorelint.run import gitsafe
        from scorelint.frontends.cli import main
        gitsafe.TIMEOUT = 2.0
        sys.exit(main(["check", "--output-format", "json", {str(repo)!r}]))
    """)
    done = bounded([sys.executable, "-c", script], repo)
    assert done.returncode == 1, done.stderr
    # b.py ignored by the top .gitignore, data/c.py checked: the FIFO's patterns do not apply
    assert {f["filename"] for f in json.loads(done.stdout)} == {str(repo / "a.py"),
                                                                  str(repo / "data" / "c.py")}
    assert "did not answer" in done.stderr
    assert "data/.gitignore" in done.stderr and "not a regular file" in done.stderr


def test_git_that_does_not_answer_is_a_clear_error_under_changed_since(repo: Path) -> None:
    """A `.gitattributes` git blocks on (a FIFO, which only an unpacked archive or a
    shared folder brings): git never answers, the budget ends it and the run says so
    (exit 2) instead of hanging. The budget is set tiny in the subprocess."""
    os.mkfifo(repo / ".gitattributes")
    (repo / "a.py").write_text(BUGGY + "x = 1\n")
    script = textwrap.dedent("""
        import sys
        from scorelint.run import gitsafe
        from scorelint.frontends.cli import main
        gitsafe.TIMEOUT = 2.0
        sys.exit(main(["check", "--changed-since", "HEAD", "."]))
    """)
    done = bounded([sys.executable, "-c", script], repo)
    assert done.returncode == 2, done.stderr
    assert "did not answer within 2 s" in done.stderr
    assert "internal error" not in done.stderr
