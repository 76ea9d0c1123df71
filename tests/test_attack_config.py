"""Issue 16, item 8 (a, b): patterns and files a checkout's configuration brings.

Each test is the attack: a pattern that makes a backtracking matcher take
minutes, a pattern that is no pattern, ignore and configuration files that
are FIFOs, endless devices or huge. The CLI runs in a subprocess with a
timeout (its whole process group killed), so a regression fails instead of
hanging the test run.
"""

from __future__ import annotations

import dataclasses

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bounded import bounded

from scorelint.run import discovery

BUGGY = "import numpy as np\n\ndef score(p):\n    return np.log(np.prod(p, axis=-1))\n"
# One name, as long as file systems allow, that the pattern below nearly matches.
LONG_NAME = "a" * 240 + ".py"
EVIL_GLOB = "*a*a*a*a*a*aX"


def scorelint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return bounded([sys.executable, "-m", "scorelint", *args], cwd)


def filenames(stdout: str) -> set[str]:
    return {os.path.basename(f["filename"]) for f in json.loads(stdout)}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project outside git: the .gitignore files are read by scorelint itself."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (project / "a.py").write_text(BUGGY)
    (project / "b.py").write_text(BUGGY)
    return project


# -- (a) patterns ----------------------------------------------------------------------


def test_a_backtracking_glob_against_a_long_name_finishes(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        f'[tool.scorelint]\nextend-exclude = ["{EVIL_GLOB}"]\n'
        f'[tool.scorelint.per-file-ignores]\n"{EVIL_GLOB}" = ["SL201"]\n')
    (project / "deep").mkdir()
    (project / "deep" / LONG_NAME).write_text(BUGGY)
    done = scorelint("check", "--output-format", "json", "--extend-exclude", EVIL_GLOB, ".",
                     cwd=project)
    assert done.returncode == 1, done.stderr
    assert filenames(done.stdout) == {"a.py", "b.py", LONG_NAME}


def test_the_matcher_takes_at_most_pattern_times_name_steps(
        monkeypatch: pytest.MonkeyPatch) -> None:
    steps = 0
    one_char = discovery._one_char

    def counted(token: object, char: str) -> bool:
        nonlocal steps
        steps += 1
        return one_char(token, char)

    monkeypatch.setattr(discovery, "_one_char", counted)
    patterns = discovery.Patterns.of([EVIL_GLOB, f"deep/**/{EVIL_GLOB}"], strict=True)
    assert patterns.check(f"deep/x/{LONG_NAME}") is None
    assert patterns.check(f"deep/x/{LONG_NAME[:-3]}X") is True
    # Three names tried against each pattern, two ways, three checks in all.
    assert 0 < steps <= 3 * 2 * 3 * len(EVIL_GLOB) * len(LONG_NAME)


@pytest.mark.parametrize(("table", "key"), [
    ('[tool.scorelint]\nextend-exclude = ["[z-a]"]\n', "extend-exclude"),
    ('[tool.scorelint]\nexclude = ["ok", "src/[z-a].py"]\n', "exclude"),
    ('[tool.scorelint.per-file-ignores]\n"[z-a]" = ["SL201"]\n', "per-file-ignores.'[z-a]'"),
])
def test_a_bad_glob_is_a_configuration_error_naming_the_key(project: Path, table: str,
                                                            key: str) -> None:
    (project / "pyproject.toml").write_text(table)
    done = scorelint("check", ".", cwd=project)
    assert done.returncode == 2
    assert "internal error" not in done.stderr
    assert f"pyproject.toml: [tool.scorelint] {key}: bad pattern" in done.stderr
    assert "z-a runs backwards" in done.stderr


def test_a_bad_glob_on_the_command_line_names_the_option(project: Path) -> None:
    done = scorelint("check", "--extend-exclude", "[z-a]", ".", cwd=project)
    assert done.returncode == 2
    assert "--extend-exclude: bad pattern '[z-a]'" in done.stderr


def test_a_bad_glob_in_a_gitignore_matches_nothing_as_in_git(project: Path) -> None:
    (project / ".gitignore").write_text("[z-a]\nb.py\n")
    done = scorelint("check", "--output-format", "json", ".", cwd=project)
    assert done.returncode == 1, done.stderr
    assert filenames(done.stdout) == {"a.py"}


@pytest.mark.parametrize(("lines", "path", "is_dir", "expected"), [
    (["generated/"], "generated", True, True),
    (["generated/"], "generated", False, None),
    (["generated/"], "x/generated/y.py", False, True),
    (["*_pb2.py", "!keep_pb2.py"], "a/keep_pb2.py", False, False),
    (["/legacy"], "a/legacy/old.py", False, None),
    (["src/**"], "src/a/b.py", False, True),
    (["src/**"], "src", False, None),
    (["a/**/b"], "a/b", False, True),
    (["a/**/b"], "a/x/y/b", False, True),
    (["[!abc].py"], "b.py", False, None),
    (["\\#x", "\\!y"], "#x", False, True),
    (["# comment"], "# comment", False, None),
])
def test_patterns_follow_gitignore(lines: list[str], path: str, is_dir: bool,
                                   expected: bool | None) -> None:
    assert discovery.Patterns.of(lines).check(path, is_dir) is expected


def _spelled_out(patterns: discovery.Patterns) -> discovery.Patterns:
    """The same patterns with every plain name as its characters: the general matcher."""
    def spelled(segment: object) -> object:
        if type(segment) is discovery._Literal:
            return tuple(("=", char) for char in segment)  # type: ignore[attr-defined]
        if type(segment) is discovery._Suffix:
            return (discovery._STAR, *(("=", char) for char in segment))  # type: ignore[attr-defined]
        return segment
    return discovery.Patterns(tuple(
        dataclasses.replace(p, segments=tuple(map(spelled, p.segments)))
        for p in patterns.patterns))


@pytest.mark.parametrize("lines", [
    [".venv"], ["build/"], ["!build"], ["build", "!build/"], ["a/b"], ["\\*"], ["*"],
    ["b*ld"], ["a/**/build"], ["**/build"], ["build/**"], ["node_modules", "!keep.py"],
    ["*.egg-info"], ["*.py", "!keep.py"], ["*ld/"], ["?"], ["a/*.py"],
])
def test_a_plain_name_matches_as_its_characters_would(lines: list[str]) -> None:
    """Plain names (most exclusions: `.venv`, `build`) are compared and `*.egg-info` is an
    ending, not matched character by character: the answers are the general matcher's."""
    fast = discovery.Patterns.of(lines)
    slow = _spelled_out(fast)
    assert type(discovery.Patterns.of([".venv"]).patterns[0].segments[-1]) is discovery._Literal
    for path in ("build", "a/build", "a/build/x.py", "build/x.py", "a/b", "a/b/c", "*",
                 "x/*/y", ".venv", "src/.venv/lib/a.py", "keep.py", "builds/x.py", "x",
                 "pkg.egg-info/top.txt", "a/x.py", ".egg-info"):
        for is_dir in (False, True):
            assert fast.check(path, is_dir) is slow.check(path, is_dir), (lines, path, is_dir)


# -- (b) files that are not what they claim --------------------------------------------


def test_a_gitignore_that_is_a_fifo_is_skipped_with_a_note(project: Path) -> None:
    os.mkfifo(project / ".gitignore")
    done = scorelint("check", "--output-format", "json", ".", cwd=project)
    assert done.returncode == 1, done.stderr
    assert filenames(done.stdout) == {"a.py", "b.py"}
    assert ".gitignore: not a regular file (a FIFO)" in done.stderr


def test_a_gitignore_linked_to_dev_zero_is_skipped(project: Path) -> None:
    (project / "sub").mkdir()
    (project / "sub" / "c.py").write_text(BUGGY)
    (project / ".gitignore").write_text("b.py\n")
    os.symlink("/dev/zero", project / "sub" / ".gitignore")
    done = scorelint("check", "--output-format", "json", ".", cwd=project)
    assert done.returncode == 1, done.stderr
    assert filenames(done.stdout) == {"a.py", "c.py"}
    assert "sub/.gitignore: not a regular file (a device)" in done.stderr


def test_a_gitignore_over_the_limit_is_skipped(project: Path) -> None:
    with open(project / ".gitignore", "w") as handle:
        handle.write("b.py\n")
        handle.write("# padding\n" * (discovery.IGNORE_FILE_LIMIT // 10 + 1))
    done = scorelint("check", "--output-format", "json", ".", cwd=project)
    assert done.returncode == 1, done.stderr
    assert filenames(done.stdout) == {"a.py", "b.py"}
    assert f"larger than {discovery.IGNORE_FILE_LIMIT} bytes" in done.stderr


def test_a_config_file_that_is_a_fifo_is_a_config_error(project: Path) -> None:
    os.mkfifo(project / "scorelint.toml")
    done = scorelint("check", "--config", "scorelint.toml", ".", cwd=project)
    assert done.returncode == 2
    assert "scorelint.toml: cannot read: not a regular file (a FIFO)" in done.stderr


def test_a_config_file_linked_to_dev_zero_is_a_config_error(project: Path) -> None:
    os.symlink("/dev/zero", project / "scorelint.toml")
    done = scorelint("check", "--config", "scorelint.toml", ".", cwd=project)
    assert done.returncode == 2
    assert "not a regular file (a device)" in done.stderr


def test_read_bounded_never_reads_past_the_limit(tmp_path: Path) -> None:
    with pytest.raises(discovery.Unreadable, match="not a regular file"):
        discovery.read_bounded("/dev/zero", 10)
    big = tmp_path / "big"
    big.write_bytes(b"x" * 11)
    with pytest.raises(discovery.Unreadable, match="larger than 10 bytes"):
        discovery.read_bounded(str(big), 10)
    assert discovery.read_bounded(str(big), 11) == b"x" * 11
