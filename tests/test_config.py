"""Configuration in [tool.scorelint], command-line overrides, exclusions and .gitignore."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from scorelint.frontends.cli import main
from scorelint.run import config

# One SL201 (log of a product, fix safe) and one SL101 (logits over their sum, fix unsafe).
BOTH = ("import numpy as np\n"
        "x = np.log(np.prod(p))\n"
        "y = logits / logits.sum(-1, keepdims=True)\n")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def found(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, set[tuple[str, str]]]:
    """Exit code and {(path relative to cwd, code)} of a JSON run."""
    code = main(["check", *args, "--output-format", "json"])
    out = capsys.readouterr().out
    return code, {(os.path.relpath(f["filename"]), f["code"]) for f in json.loads(out)}


def error_of(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["check", *args]) == 2
    return capsys.readouterr().err


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "a.py", BOTH)
    return tmp_path


def test_unknown_key_names_the_closest_valid_one(project: Path, capsys) -> None:
    write(project / "pyproject.toml", '[tool.scorelint]\nextend-selct = ["SL1"]\n')
    err = error_of([], capsys)
    assert "pyproject.toml" in err
    assert "unknown key 'extend-selct'" in err and "did you mean 'extend-select'?" in err


@pytest.mark.parametrize(("table", "expected"), [
    ('select = "SL1"', "select must be a list of strings, not a string ('SL1')"),
    ('select = ["SL2O1"]', "select: unknown rule selector 'SL2O1'; did you mean 'SL201'?"),
    ('ignore = ["XX9"]', "ignore: unknown rule selector 'XX9'"),
    ('unsafe-fixes = "yes"', "unsafe-fixes must be true or false, not a string ('yes')"),
    ('output-format = "jsn"', "output-format: unknown output format 'jsn'; did you mean 'json'?"),
    ('per-file-ignores = ["tests/*"]', "per-file-ignores must be a table of pattern = [codes]"),
    ('per-file-ignores = { "t/*" = ["SL9"] }', "per-file-ignores.'t/*': unknown rule selector"),
    ("exclude = 3", "exclude must be a list of strings, not an integer (3)"),
    ("force-exclude = 1", "force-exclude must be true or false"),
])
def test_bad_value_names_the_key(project: Path, capsys, table: str, expected: str) -> None:
    write(project / "pyproject.toml", f"[tool.scorelint]\n{table}\n")
    assert expected in error_of([], capsys)


def test_invalid_toml_and_bad_command_line_are_errors(project: Path, capsys) -> None:
    write(project / "pyproject.toml", "[tool.scorelint\n")
    assert "not valid TOML" in error_of([], capsys)
    (project / "pyproject.toml").unlink()
    assert "--select: unknown rule selector 'SL2O1'; did you mean 'SL201'?" in error_of(
        ["--select", "SL2O1"], capsys)
    assert "--config nowhere.toml: no such file" in error_of(["--config", "nowhere.toml"], capsys)


def test_nearest_config_wins(project: Path, capsys) -> None:
    write(project / "pyproject.toml", '[tool.scorelint]\nselect = ["SL2"]\n')
    write(project / "sub" / "pyproject.toml", '[tool.scorelint]\nselect = ["SL1"]\n')
    write(project / "sub" / "b.py", BOTH)
    # A pyproject.toml without [tool.scorelint] is passed over, as in Ruff.
    write(project / "other" / "pyproject.toml", "[project]\nname = 'x'\n")
    write(project / "other" / "c.py", BOTH)
    code, hits = found([], capsys)
    assert code == 1
    assert hits == {("a.py", "SL201"), (os.path.join("sub", "b.py"), "SL101"),
                    (os.path.join("other", "c.py"), "SL201")}
    # Checking the sub-folder (or a file in it) directly still uses its own config.
    assert found(["sub/b.py"], capsys)[1] == {(os.path.join("sub", "b.py"), "SL101")}


def test_command_line_overrides_config(project: Path, capsys) -> None:
    write(project / "pyproject.toml", '[tool.scorelint]\nselect = ["SL2"]\nunsafe-fixes = true\n')
    assert found([], capsys)[1] == {("a.py", "SL201")}
    assert found(["--select", "SL1"], capsys)[1] == {("a.py", "SL101")}  # replaces
    assert found(["--extend-select", "SL101"], capsys)[1] == {("a.py", "SL101"), ("a.py", "SL201")}
    assert found(["--ignore", "SL201"], capsys)[1] == set()
    # unsafe-fixes from the config applies the SL101 fix; --no-unsafe-fixes turns it off.
    copy = write(project / "fixme.py", BOTH)
    assert main(["check", str(copy), "--select", "SL1", "--fix", "--no-unsafe-fixes"]) == 1
    assert copy.read_text() == BOTH
    assert main(["check", str(copy), "--select", "SL1", "--fix"]) == 0
    fixed = copy.read_text()
    assert "logits / logits.sum" not in fixed and "x = np.log(np.prod(p))" in fixed
    capsys.readouterr()


def test_output_format_from_config_and_its_override(project: Path, capsys) -> None:
    write(project / "pyproject.toml", '[tool.scorelint]\noutput-format = "concise"\n')
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("a.py:2:5: SL201") and "|" not in out  # concise: no excerpt
    assert main(["check", "--output-format", "json"]) == 1
    assert {f["code"] for f in json.loads(capsys.readouterr().out)} == {"SL101", "SL201"}


def test_explicit_config_file_governs_everything(project: Path, capsys) -> None:
    write(project / "pyproject.toml", '[tool.scorelint]\nselect = ["SL2"]\n')
    shared = write(project / "ci" / "scorelint.toml", 'select = ["SL1"]\nexclude = ["skip*"]\n')
    write(project / "skipme.py", BOTH)
    hits = found(["--config", str(shared)], capsys)[1]
    assert hits == {("a.py", "SL101")}  # relative patterns are relative to the working directory


def test_selection_specificity_as_ruff() -> None:
    codes = config.selectable_codes()
    assert "SL002" in codes
    layer = config.Layer
    # The more specific selector wins, in either direction; equal specificity: ignore wins.
    assert config.resolve_codes([layer(select=("SL201",)), layer(ignore=("SL2",))]) == set()
    assert config.resolve_codes([layer(ignore=("SL2",)), layer(select=("SL201",))]) == {"SL201"}
    assert config.resolve_codes([layer(select=("ALL",), ignore=("SL1",))]) == (
        set(codes) - {c for c in codes if c.startswith("SL1")})
    assert config.resolve_codes([layer(select=("SL1",), ignore=("SL101",))]) == (
        {c for c in codes if c.startswith("SL1")} - {"SL101"})
    assert config.resolve_codes([layer(select=("SL101",), ignore=("SL101",))]) == set()
    assert config.resolve_codes([layer(select=("SL2",)), layer(extend_select=("SL101",))]) == (
        {c for c in codes if c.startswith("SL2")} | {"SL101"})


def test_per_file_ignores(project: Path, capsys) -> None:
    write(project / "pyproject.toml", "[tool.scorelint.per-file-ignores]\n"
          '"tests/*" = ["SL201"]\n"__init__.py" = ["SL1"]\n"!src/**" = ["SL101"]\n')
    for name in ("tests/test_a.py", "pkg/__init__.py", "src/core.py", "tests/deep/b.py"):
        write(project / name, BOTH)
    # a.py: outside src/, so SL101 is off. tests/* (any depth): SL201 off, and SL101 as
    # outside src/. __init__.py: SL1 off. src/core.py: nothing off.
    assert found([], capsys)[1] == {
        ("a.py", "SL201"), (os.path.join("pkg", "__init__.py"), "SL201"),
        (os.path.join("src", "core.py"), "SL101"), (os.path.join("src", "core.py"), "SL201"),
    }


def test_exclude_and_extend_exclude(project: Path, capsys) -> None:
    for name in ("build/gen.py", "legacy/old.py", "src/keep.py", "src/generated_x.py"):
        write(project / name, BOTH)
    paths = {p for p, _ in found([], capsys)[1]}
    assert paths == {"a.py", os.path.join("legacy", "old.py"), os.path.join("src", "keep.py"),
                     os.path.join("src", "generated_x.py")}  # build/ is a default exclusion
    write(project / "pyproject.toml", '[tool.scorelint]\nextend-exclude = ["legacy/", "generated_*"]\n')
    assert {p for p, _ in found([], capsys)[1]} == {"a.py", os.path.join("src", "keep.py")}
    # `exclude` replaces the defaults, so build/ is checked again.
    write(project / "pyproject.toml", '[tool.scorelint]\nexclude = ["/legacy"]\n')
    assert os.path.join("build", "gen.py") in {p for p, _ in found([], capsys)[1]}
    assert os.path.join("legacy", "old.py") not in {p for p, _ in found([], capsys)[1]}
    # Named on the command line: checked anyway, unless --force-exclude.
    assert found(["legacy/old.py"], capsys)[1]
    assert found(["legacy/old.py", "--force-exclude"], capsys)[1] == set()
    assert found(["--exclude", "src"], capsys)[1] == {("a.py", "SL101"), ("a.py", "SL201"),
                                                       (os.path.join("build", "gen.py"), "SL101"),
                                                       (os.path.join("build", "gen.py"), "SL201"),
                                                       (os.path.join("legacy", "old.py"), "SL101"),
                                                       (os.path.join("legacy", "old.py"), "SL201")}


def git(cwd: Path, *args: str) -> None:
    """Run git in a test repository, independent of the machine's git configuration."""
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def test_gitignore_is_respected_in_a_git_work_tree(project: Path, capsys) -> None:
    git(project, "init", "-q")
    write(project / ".gitignore", "generated/\n*_pb2.py\n!keep_pb2.py\n")
    for name in ("generated/g.py", "api_pb2.py", "keep_pb2.py", "scratch/s.py", "sub/n.py"):
        write(project / name, BOTH)
    write(project / "sub" / ".gitignore", "n.py\n")
    # git's own exclude file counts too: proof that git, not a copy of its rules, decides.
    write(project / ".git" / "info" / "exclude", "scratch/\n")
    git(project, "add", "a.py", ".gitignore")
    paths = {p for p, _ in found([], capsys)[1]}
    assert paths == {"a.py", "keep_pb2.py"}
    # A file named explicitly is checked even when ignored, as in Ruff.
    assert {p for p, _ in found(["api_pb2.py"], capsys)[1]} == {"api_pb2.py"}


def test_gitignore_is_read_outside_git(project: Path, capsys) -> None:
    write(project / "pyproject.toml", "[project]\nname = 'x'\n")  # marks the project's top
    write(project / ".gitignore", "generated/\n*_pb2.py\n!keep_pb2.py\n")
    for name in ("generated/g.py", "pkg/api_pb2.py", "pkg/keep_pb2.py", "pkg/n.py", "pkg/m.py"):
        write(project / name, BOTH)
    write(project / "pkg" / ".gitignore", "n.py\n")
    assert {p for p, _ in found([], capsys)[1]} == {
        "a.py", os.path.join("pkg", "keep_pb2.py"), os.path.join("pkg", "m.py")}
    # Walking a sub-folder still applies the .gitignore above it, up to the project's top.
    assert {p for p, _ in found(["pkg"], capsys)[1]} == {
        os.path.join("pkg", "keep_pb2.py"), os.path.join("pkg", "m.py")}
