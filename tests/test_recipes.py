"""The README's integration recipes, run as copied against a local clone at a real tag.

A snapshot of this checkout (as tests/test_precommit.py makes it) is tagged with this
release's tag; the repository URL the README names is replaced by that clone and
nothing else is changed, except for the flags that keep pip off the network
(`--no-deps --no-build-isolation`, with this virtualenv's site-packages on
`PYTHONPATH` for scorelint's dependencies): the pip line installs the tag, every
`scorelint check` line of the CI recipes runs in a project, pre-commit runs with
`rev:` set to the tag, and the GitHub Action's steps run as a runner would run them.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from test_precommit import BUGGY, Project, _check, _isolated_env, _snapshot, needs_git

from scorelint.version import __version__

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
URLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
REPOSITORY = URLS["Repository"]
TAG = f"v{__version__}"
ACTION = f"{REPOSITORY.removeprefix('https://github.com/')}@"
SITE_PACKAGES = sysconfig.get_paths()["purelib"]
FENCE = re.compile(r"```(?P<lang>\w*)\n(?P<body>.*?)```", re.DOTALL)
ANNOTATION = "::error title=scorelint SL201 (log-of-product),file=score.py,line=5,"
PIP_LINE = re.compile(r'pip install "scorelint @ git\+(?P<url>\S+)@(?P<rev>[^"\s]+)"')


def _blocks(lang: str) -> list[str]:
    return [m["body"] for m in FENCE.finditer(README) if m["lang"] == lang]


def test_every_recipe_pins_this_release_from_the_repository() -> None:
    pips = PIP_LINE.findall(README)
    assert len(pips) >= 4 and set(pips) == {(REPOSITORY, TAG)}
    assert "pip install scorelint\n" not in README and "pip install scorelint`" not in README
    revs = re.findall(r"^\s*rev: (\S+)", README, re.MULTILINE)
    assert revs == [TAG]
    uses = re.findall(rf"uses: {re.escape(ACTION)}(\S+)", README)
    assert uses == [TAG]
    assert f"uses: {ACTION}{TAG}" in (ROOT / "action.yml").read_text(encoding="utf-8")


def test_every_yaml_recipe_and_the_action_are_valid_yaml() -> None:
    blocks = _blocks("yaml")
    assert len(blocks) >= 5
    for block in blocks:
        yaml.safe_load(block)  # raises on a recipe that would not load where it is pasted
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert set(action["inputs"]) == {"args", "sarif", "python"}


def test_the_changelog_has_this_release_and_the_project_its_urls() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    released = re.findall(r"^## \[(\d[^\]]*)\]", changelog, re.MULTILINE)
    assert released[0] == __version__, "CHANGELOG.md's newest release is not version.py's"
    assert f"[{__version__}]: {REPOSITORY}/releases/tag/{TAG}" in changelog
    assert "## [Unreleased]" in changelog
    assert set(URLS) == {"Homepage", "Repository", "Documentation", "Changelog"}
    assert all(url.startswith(REPOSITORY) for k, url in URLS.items() if k != "Documentation")
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Release:
    clone: Path  # the hook and package repository, with TAG
    env: dict[str, str]  # isolated git, this virtualenv's packages for the dependencies
    tmp: Path

    def readme_text(self, text: str) -> str:
        """A README recipe with the repository URL pointed at the local clone (pip's
        vendored `packaging` wants a host in a file URL: `localhost`)."""
        return text.replace(f"git+{REPOSITORY}", f"git+file://localhost{self.clone}").replace(
            f"repo: {REPOSITORY}", f"repo: {json.dumps(str(self.clone))}")


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    tmp = tmp_path_factory.mktemp("release")
    env = _isolated_env(tmp)
    env["PYTHONPATH"] = SITE_PACKAGES
    clone, _ = _snapshot(tmp, env)
    _check(Project(clone, env).git("tag", "-a", TAG, "-m", f"scorelint {__version__}"))
    _check(Project(clone, env).git("commit", "-q", "--allow-empty", "--no-verify",
                                   "-m", "after the release"))  # the tag is not HEAD
    return Release(clone, env, tmp)


@pytest.fixture(scope="module")
def installed(release: Release) -> Path:
    """The README's pip line, run in a fresh virtualenv; returns the virtualenv's bin."""
    venv = release.tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (line,) = {m[0] for m in PIP_LINE.finditer(README)}
    args = shlex.split(release.readme_text(line))
    assert args[:2] == ["pip", "install"]
    command = [str(venv / "bin" / "python"), "-m", *args, "--quiet", "--no-deps",
               "--no-build-isolation"]
    result = subprocess.run(command, cwd=release.tmp, env=release.env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return venv / "bin"


def _project(path: Path, env: dict[str, str]) -> Project:
    """A git project with one bug, and `origin/main` one commit behind it."""
    path.mkdir()
    project = Project(path, env)
    _check(project.git("-c", "init.defaultBranch=main", "init", "-q"))
    (path / "README.md").write_text("A project.\n")
    _check(project.git("add", "-A"))
    _check(project.git("commit", "-q", "-m", "start"))
    _check(project.git("update-ref", "refs/remotes/origin/main", "HEAD"))
    (path / "score.py").write_text(BUGGY)
    _check(project.git("add", "-A"))
    _check(project.git("commit", "-q", "-m", "a bug"))
    return project


@pytest.mark.slow
@needs_git
def test_the_pip_recipe_installs_the_tag(release: Release, installed: Path) -> None:
    project = _project(release.tmp / "pip-project", release.env)
    found = subprocess.run([str(installed / "python"), "-c",
                            "import scorelint, scorelint.version as v; "
                            "print(v.__version__, scorelint.__file__)"],
                           cwd=project.path, env=release.env, capture_output=True, text=True,
                           check=True)
    version, location = found.stdout.split()
    assert version == __version__ and location.startswith(str(installed.parent))
    result = subprocess.run([str(installed / "scorelint"), "check", "score.py"],
                            cwd=project.path, env=release.env, capture_output=True, text=True)
    assert result.returncode == 1 and "score.py:5:12: SL201" in result.stdout


def _ci_commands() -> list[str]:
    """Every `scorelint check` shell line of the README's CI recipes, joined and cut
    before a pipe into another tool (reviewdog is not installed here)."""
    commands = []
    for block in _blocks("yaml"):
        block = block.replace("\\\n", " ")
        for line in block.splitlines():
            _, found, rest = line.partition("scorelint check ")
            if found:
                command = (found + rest).split(" | ")[0].strip()
                commands.append(command.replace("${{ github.base_ref }}", "main"))
    return commands


@pytest.mark.slow
@needs_git
def test_every_ci_recipe_command_runs(release: Release, installed: Path) -> None:
    commands = _ci_commands()
    formats = {re.search(r"--output-format (\S+)", c)[1] for c in commands}
    assert formats == {"github", "sarif", "rdjson", "review", "gitlab"}
    project = _project(release.tmp / "ci-project", release.env)
    env = dict(release.env, PATH=f"{installed}{os.pathsep}{release.env['PATH']}")
    for command in commands:
        result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                                 command], cwd=project.path, env=env, capture_output=True,
                                text=True)
        assert result.returncode == (0 if "--exit-zero" in command else 1), (command, result)
        target = re.search(r"> (\S+)$", command)
        output = (project.path / target[1]).read_text() if target else result.stdout
        fmt = re.search(r"--output-format (\S+)", command)[1]
        if fmt in ("sarif", "gitlab", "rdjson"):
            assert "SL201" in json.dumps(json.loads(output)), command
        elif fmt == "github":
            assert output.startswith(ANNOTATION)
        else:  # review: only the lines changed since origin/main
            assert "score.py" in output and "SL201" in output, command


@pytest.mark.slow
@needs_git
def test_the_precommit_recipe_runs_at_the_tag(release: Release) -> None:
    (config,) = [b for b in _blocks("yaml") if b.startswith("# .pre-commit-config.yaml")]
    assert f"rev: {TAG}" in config
    project = _project(release.tmp / "precommit-project", release.env)
    (project.path / ".pre-commit-config.yaml").write_text(release.readme_text(config))
    # pre-commit's own virtualenv gets scorelint from the tag; its dependencies come from
    # this virtualenv (PYTHONPATH), so pip need not download them.
    env = dict(release.env, PIP_NO_DEPS="1", PIP_NO_BUILD_ISOLATION="0")
    project = Project(project.path, env)
    result = project.run(sys.executable, "-m", "pre_commit", "run", "--files", "score.py")
    # The README's hook is scorelint-fix: it fixes the file and so fails the run.
    assert result.returncode == 1, result.stdout
    assert "files were modified by this hook" in result.stdout
    assert (project.path / "score.py").read_text() != BUGGY


# --- the GitHub Action ----------------------------------------------------------------

EXPRESSION = re.compile(r"\$\{\{\s*(?P<expr>.*?)\s*\}\}")


def _evaluate(expression: str, context: dict[str, str], failed: bool) -> bool:
    """The `if:` conditions action.yml uses: `always()`, `inputs.X == 'v'`, joined by `&&`."""
    verdict = True
    for term in expression.split("&&"):
        term = term.strip()
        if term == "always()":
            continue
        name, op, value = term.partition(" == ")
        assert op and value.startswith("'"), f"an `if:` this test cannot read: {term}"
        verdict &= context[name] == value.strip("'")
    if failed and "always()" not in expression:
        return False  # GitHub's default: later steps run only while all succeeded
    return verdict


@pytest.mark.slow
@needs_git
def test_the_github_action_steps_run(release: Release) -> None:
    (workflow,) = [b for b in _blocks("yaml") if b.startswith("# .github/workflows/scorelint.yml")]
    steps = yaml.safe_load(workflow)["jobs"]["scorelint"]["steps"]
    (step,) = [s for s in steps if s.get("uses", "").startswith(ACTION)]
    assert step["uses"] == f"{ACTION}{TAG}"
    action_checkout = release.tmp / "action"
    _check(Project(release.tmp, release.env).git(
        "clone", "-q", "--branch", TAG, str(release.clone), str(action_checkout)))
    action = yaml.safe_load((action_checkout / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"

    runner_temp = release.tmp / "runner-temp"
    runner_temp.mkdir()
    github_path = runner_temp / "path.txt"
    github_path.touch()
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    # The workflow's `with:` values, as GitHub passes them: strings (`true` is "true").
    inputs.update({k: str(v).lower() if isinstance(v, bool) else str(v)
                   for k, v in step.get("with", {}).items()})
    inputs["python"] = sys.executable
    context = {f"inputs.{k}": v for k, v in inputs.items()}
    context.update({"github.action_path": str(action_checkout),
                    "runner.temp": str(runner_temp)})
    project = _project(release.tmp / "action-project", release.env)
    base_env = dict(release.env, RUNNER_TEMP=str(runner_temp), GITHUB_PATH=str(github_path),
                    PIP_NO_DEPS="1", PIP_NO_BUILD_ISOLATION="0")

    failed, ran, outputs = False, [], {}
    for spec in action["runs"]["steps"]:
        if "if" in spec and not _evaluate(spec["if"], context, failed):
            continue
        if failed and "if" not in spec:
            continue

        def substitute(text: str) -> str:
            return EXPRESSION.sub(lambda m: context[m["expr"]], str(text))

        if "uses" in spec:  # a JavaScript action: check what it would be given
            assert spec["uses"].startswith("github/codeql-action/upload-sarif@")
            sarif = Path(substitute(spec["with"]["sarif_file"]))
            log = json.loads(sarif.read_text())
            assert log["version"] == "2.1.0" and log["runs"][0]["results"]
            ran.append(spec["name"])
            continue
        assert spec["shell"] == "bash"
        added = [line for line in github_path.read_text().splitlines() if line]
        env = dict(base_env, **{k: substitute(v) for k, v in spec.get("env", {}).items()})
        env["PATH"] = os.pathsep.join([*reversed(added), base_env["PATH"]])
        result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                                 substitute(spec["run"])], cwd=project.path, env=env,
                                capture_output=True, text=True, timeout=600)
        outputs[spec["name"]] = result
        failed = failed or result.returncode != 0
        ran.append(spec["name"])

    assert ran == ["Install scorelint", "Write SARIF", "Check", "Upload SARIF"]
    assert outputs["Install scorelint"].returncode == 0, outputs["Install scorelint"].stderr
    check = outputs["Check"]
    assert check.returncode == 1  # findings fail the step, and so the job
    assert check.stdout.startswith(ANNOTATION)
    venv_bin = Path(github_path.read_text().split()[0])
    version = subprocess.run([str(venv_bin / "scorelint"), "version"], env=release.env,
                             capture_output=True, text=True, check=True).stdout
    assert __version__ in version
