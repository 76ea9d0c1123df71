"""`--changed-since REV`: only findings on lines changed since a git revision."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from scorelint.base.findings import Finding, Position
from scorelint.frontends.cli import main
from scorelint.run import changes

BUG = "x{n} = np.log(np.prod(p{n}))\n"


def git(cwd: Path, *args: str) -> str:
    """Run git in a test repository, independent of the machine's git configuration."""
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)
    return done.stdout.decode()


def found(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, set[tuple[str, int]]]:
    code = main(["check", *args, "--output-format", "json"])
    return code, {(os.path.relpath(f["filename"]), f["location"]["row"])
                  for f in json.loads(capsys.readouterr().out)}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    git(tmp_path, "init", "-q")
    (tmp_path / "a.py").write_text("import numpy as np\n" + BUG.format(n=1) + BUG.format(n=2))
    (tmp_path / "same.py").write_text("import numpy as np\n" + BUG.format(n=1))
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    return tmp_path


def test_only_changed_lines_and_untracked_files(repo: Path, capsys) -> None:
    base = git(repo, "rev-parse", "HEAD").strip()
    # Lines inserted above old findings, one old finding rewritten, one new finding.
    (repo / "a.py").write_text("import numpy as np\n# a comment\n"
                               + BUG.format(n=1) + BUG.format(n=22) + BUG.format(n=3))
    git(repo, "add", "a.py")  # staged changes count as well as unstaged ones
    (repo / "new.py").write_text("import numpy as np\n" + BUG.format(n=9))
    (repo / ".gitignore").write_text("ignored.py\n")
    (repo / "ignored.py").write_text("import numpy as np\n" + BUG.format(n=9))
    assert found([], capsys)[1] == {("a.py", 3), ("a.py", 4), ("a.py", 5), ("same.py", 2),
                                    ("new.py", 2)}
    code, hits = found(["--changed-since", base], capsys)
    assert code == 1 and hits == {("a.py", 4), ("a.py", 5), ("new.py", 2)}
    # The explicitly named ignored file is checked, but none of its lines count as changed.
    assert found(["ignored.py", "--changed-since", "HEAD"], capsys) == (0, set())


def test_nothing_changed_passes(repo: Path, capsys) -> None:
    assert found(["--changed-since", "HEAD"], capsys) == (0, set())


def test_unknown_revision_and_no_repository_are_errors(repo: Path, tmp_path_factory,
                                                       capsys, monkeypatch) -> None:
    assert main(["check", "--changed-since", "no-such-branch"]) == 2
    assert "unknown git revision 'no-such-branch'" in capsys.readouterr().err
    assert main(["check", "--changed-since", "--output=x"]) == 2
    outside = tmp_path_factory.mktemp("plain")
    (outside / "a.py").write_text("x = 1\n")
    monkeypatch.chdir(outside)
    assert main(["check", "--changed-since", "HEAD"]) == 2
    assert "--changed-since needs a git work tree" in capsys.readouterr().err


def test_diff_parsing() -> None:
    diff = (
        "diff --git a/m.py b/m.py\n"
        "--- a/m.py\n+++ b/m.py\n"
        "@@ -3,0 +4,2 @@ def f():\n+++ looks like a header\n+y = 2\n"
        "@@ -10 +12 @@\n-a\n+b\n"
        "@@ -20,3 +22,0 @@\n-c\n-d\n-e\n"
        'diff --git "a/t\\tab.py" "b/t\\tab.py"\n'
        '--- "a/t\\tab.py"\n+++ "b/t\\tab.py"\n@@ -1 +1 @@\n-x\n+z\n'
        "diff --git a/gone.py b/gone.py\n--- a/gone.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-q\n"
    )
    assert changes._parse_diff(diff) == {"m.py": {4, 5, 12}, "t\tab.py": {1}}


def test_notebook_findings_follow_the_whole_notebook(tmp_path: Path) -> None:
    def at(name: str, cell: int | None) -> Finding:
        return Finding(str(tmp_path / name), "SL201", "log-of-product", "m", Position(2, 1),
                       Position(2, 9), cell=cell)

    changed = changes.ChangedLines({str((tmp_path / "nb.ipynb").resolve()): frozenset({40}),
                                    str((tmp_path / "a.py").resolve()): frozenset({40})})
    assert changed.touches(at("nb.ipynb", 3))  # JSON row 40 changed: the notebook counts
    assert not changed.touches(at("a.py", None))  # a .py file's rows are its own
    assert not changed.touches(at("other.ipynb", 3))
