"""The pre-commit hooks, run by the real `pre-commit` in a throwaway git repository.

The hook repository is a snapshot of this checkout (tracked files plus new,
not-ignored ones, so uncommitted work is tested too) committed to a temporary
git repository; pre-commit clones it, builds its own virtualenv and installs
scorelint there with pip, as it would for a user. A project repository with
`pre-commit install` then makes real commits: a bug is refused with the
finding printed, a clean commit passes, and the fix hook rewrites the file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from scorelint.frontends.cli import main

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "tests" / "data" / "notebooks" / "bug_in_third_cell.ipynb"
BUGGY = "import numpy as np\n\n\ndef score(p):\n    return np.log(np.prod(p, axis=-1))\n"
FIXED = "import numpy as np\n\n\ndef score(p):\n    return np.sum(np.log(p), axis=-1)\n"
CLEAN = "import numpy as np\n\n\ndef total(p):\n    return np.sum(np.log(p))\n"

needs_git = pytest.mark.skipif(shutil.which("git") is None,
                               reason="the pre-commit test needs the `git` command")


@dataclass(frozen=True)
class Project:
    path: Path
    env: dict[str, str]

    def run(self, *args: str, skip: str = "") -> subprocess.CompletedProcess[str]:
        env = dict(self.env, SKIP=skip)
        # One stream: git passes a hook's output on through its stderr.
        return subprocess.run(args, cwd=self.path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=600)

    def git(self, *args: str, skip: str = "") -> subprocess.CompletedProcess[str]:
        return self.run("git", *args, skip=skip)

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").stdout.strip()


def _isolated_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(
        GIT_AUTHOR_NAME="scorelint test", GIT_AUTHOR_EMAIL="test@example.invalid",
        GIT_COMMITTER_NAME="scorelint test", GIT_COMMITTER_EMAIL="test@example.invalid",
        # No user or system git config (hooksPath, signing, templates) leaks in.
        GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1",
        PRE_COMMIT_HOME=str(tmp / "pre-commit-home"),
        NO_COLOR="1",
    )
    return env


def _check(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout
    return result.stdout


def _snapshot(tmp: Path, env: dict[str, str]) -> tuple[Path, str]:
    """This checkout's files (committed or not, minus ignored ones) as a one-commit repo."""
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True, text=True)  # the user's git config: safe.directory may be needed
    if listed.returncode != 0:
        pytest.skip(f"{ROOT} is not a git checkout: {listed.stderr.strip()}")
    repo = tmp / "scorelint-hooks"
    for name in filter(None, listed.stdout.split("\0")):
        source = ROOT / name
        if not source.is_file():  # deleted in the working tree, or a submodule
            continue
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, repo / name, follow_symlinks=False)
    hooks = Project(repo, env)
    _check(hooks.git("-c", "init.defaultBranch=main", "init", "-q"))
    _check(hooks.git("add", "-A"))
    _check(hooks.git("commit", "-q", "--no-verify", "-m", "snapshot"))
    return repo, hooks.head()


@dataclass(frozen=True)
class Hooks:
    """The hook repository at one commit, and the environment that has its hooks built."""

    repo: Path
    rev: str
    env: dict[str, str]


@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> Hooks:
    tmp = tmp_path_factory.mktemp("precommit")
    env = _isolated_env(tmp)
    repo, rev = _snapshot(tmp, env)
    hooks = Hooks(repo, rev, env)
    # Build the hooks' virtualenv once (pip installs scorelint and its dependencies);
    # every project below shares it through PRE_COMMIT_HOME.
    scratch = _project(hooks, tmp / "scratch")
    _check(scratch.run(sys.executable, "-m", "pre_commit", "install-hooks"))
    return hooks


def _project(hooks: Hooks, path: Path) -> Project:
    """A git repository whose commits run both hooks (`SKIP=<id>` leaves one out)."""
    path.mkdir()
    project = Project(path, hooks.env)
    _check(project.git("-c", "init.defaultBranch=main", "init", "-q"))
    (path / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {json.dumps(str(hooks.repo))}\n  rev: {hooks.rev}\n  hooks:\n"
        "  - id: scorelint\n  - id: scorelint-fix\n")
    (path / "README.md").write_text("A project that uses scorelint.\n")
    _check(project.git("add", ".pre-commit-config.yaml"))
    _check(project.git("commit", "-q", "-m", "configure pre-commit"))
    _check(project.run(sys.executable, "-m", "pre_commit", "install"))
    return project


@pytest.fixture
def project(hooks: Hooks, tmp_path: Path) -> Project:
    return _project(hooks, tmp_path / "project")


def test_the_manifest_declares_both_hooks() -> None:
    from pre_commit.clientlib import load_manifest

    hooks = {h["id"]: h for h in load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))}
    assert sorted(hooks) == ["scorelint", "scorelint-fix"]
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["types_or"] == ["python", "jupyter"]
        assert hook["pass_filenames"] and hook["entry"].startswith("scorelint check ")
    assert "--fix" in hooks["scorelint-fix"]["entry"].split()
    assert "--fix" not in hooks["scorelint"]["entry"].split()


def test_no_files_or_only_excluded_files_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """What the hooks' command does when pre-commit's file list leaves nothing to check."""
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--force-exclude"]) == 0  # an empty project
    (tmp_path / "pyproject.toml").write_text('[tool.scorelint]\nextend-exclude = ["gen/"]\n')
    (tmp_path / "gen").mkdir()
    (tmp_path / "gen" / "x.py").write_text(BUGGY)
    assert main(["check", "--force-exclude", "gen/x.py"]) == 0
    assert main(["check", "--force-exclude", "--fix", "gen/x.py"]) == 0
    assert (tmp_path / "gen" / "x.py").read_text() == BUGGY
    assert capsys.readouterr().out.count("All checks passed!") == 3


@needs_git
def test_a_commit_without_python_files_skips_the_hooks(project: Project) -> None:
    _check(project.git("add", "README.md"))
    out = _check(project.git("commit", "-m", "add a readme"))
    # pre-commit runs a hook only with matching files: scorelint never gets an empty list.
    assert out.count("(no files to check)Skipped") == 2


@needs_git
def test_a_clean_commit_passes(project: Project) -> None:
    (project.path / "clean.py").write_text(CLEAN)
    _check(project.git("add", "clean.py"))
    out = _check(project.git("commit", "-m", "clean code"))
    assert out.count("Passed") == 2 and "Failed" not in out


@needs_git
def test_a_commit_with_a_bug_is_refused_with_the_finding(project: Project) -> None:
    (project.path / "score.py").write_text(BUGGY)
    shutil.copyfile(NOTEBOOK, project.path / "scores.ipynb")
    _check(project.git("add", "score.py", "scores.ipynb"))
    head = project.head()
    result = project.git("commit", "-m", "add a bug", skip="scorelint-fix")
    assert result.returncode != 0
    assert "score.py:5:12: SL201" in result.stdout
    assert "scores.ipynb:cell 3:3:9: SL201" in result.stdout
    assert project.head() == head  # nothing was committed
    assert (project.path / "score.py").read_text() == BUGGY  # the check hook writes nothing


@needs_git
def test_the_fix_hook_rewrites_the_files_then_the_commit_passes(project: Project) -> None:
    (project.path / "score.py").write_text(BUGGY)
    shutil.copyfile(NOTEBOOK, project.path / "scores.ipynb")
    _check(project.git("add", "score.py", "scores.ipynb"))
    head = project.head()
    result = project.git("commit", "-m", "add a bug", skip="scorelint")
    # pre-commit refuses a commit whose files a hook changed, so they can be reviewed.
    assert result.returncode != 0
    assert "files were modified by this hook" in result.stdout
    assert project.head() == head
    assert (project.path / "score.py").read_text() == FIXED
    notebook_after = (project.path / "scores.ipynb").read_text(encoding="utf-8")
    assert notebook_after == NOTEBOOK.read_text(encoding="utf-8").replace(
        json.dumps("score = np.log(np.prod(probs, axis=-1))\n"),
        json.dumps("score = np.sum(np.log(probs), axis=-1)\n"))
    _check(project.git("add", "score.py", "scores.ipynb"))
    out = _check(project.git("commit", "-m", "add the fixed code"))
    assert out.count("Passed") == 2 and "Failed" not in out
    assert project.git("show", "HEAD:score.py").stdout == FIXED
