"""The documentation site builds, and every address scorelint prints is one of its pages.

The site is mkdocs over `docs/` (.ci/mkdocs.yml), built with warnings as errors; its
address is `[project.urls] Documentation`, the one place it is set (scorelint.base.urls).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scorelint import reports as reporters
from scorelint.base import urls
from scorelint.frontends.cli import main

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTATION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
    "project"]["urls"]["Documentation"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("mkdocs")
    out = tmp_path_factory.mktemp("site") / "site"
    env = {**os.environ, "SCORELINT_DOCS_URL": DOCUMENTATION}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
         str(ROOT / ".ci" / "mkdocs.yml"), "--site-dir", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return out


def _page(site: Path, url: str) -> Path | None:
    """The built file an address of the site serves, or None."""
    if not url.startswith(DOCUMENTATION):
        return None
    rest = url[len(DOCUMENTATION):].split("#")[0]
    page = site / rest / "index.html" if not rest or rest.endswith("/") else site / rest
    return page if page.is_file() else None


def test_the_docs_address_is_set_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv(urls.ENV, raising=False)
    assert urls.docs_base() == DOCUMENTATION
    assert reporters.homepage() == DOCUMENTATION
    assert urls.rule_url("SL201") == f"{DOCUMENTATION}rules/SL201/"
    # A team's mirror: one variable moves every link.
    monkeypatch.setenv(urls.ENV, "https://docs.example.com/scorelint")
    assert urls.rule_url("SL201") == "https://docs.example.com/scorelint/rules/SL201/"
    # A finding read back from the cache links where the docs are now, not where they were.
    target = tmp_path / "score.py"
    target.write_text("import numpy as np\ny = np.log(np.prod(p))\n")
    monkeypatch.setenv("SCORELINT_CACHE_DIR", str(tmp_path / "cache"))
    for base in ("https://one.example/", "https://two.example/"):
        monkeypatch.setenv(urls.ENV, base)
        main(["check", "--output-format", "json", str(target)])
        (finding,) = json.loads(capsys.readouterr().out)
        assert finding["url"] == f"{base}rules/SL201/"
    sources = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "scorelint").rglob("*.py"))
    assert DOCUMENTATION not in sources and "readthedocs" not in sources


def test_every_address_scorelint_prints_is_a_built_page(
        site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv(urls.ENV, raising=False)
    monkeypatch.chdir(ROOT)
    printed = ""
    assert main(["rules", "--output-format", "json"]) == 0
    printed += capsys.readouterr().out
    for fmt in ("json", "sarif", "rdjson", "review", "text"):
        main(["check", "--no-cache", "--select", "ALL", "--output-format", fmt, "fixtures/"])
        printed += capsys.readouterr().out
    found = set(re.findall(r"https?://[^\s\"')>\]]+", printed))
    ours = {u for u in found if u.startswith(DOCUMENTATION)}
    # Every rule's page, and the site itself (SARIF's informationUri, rdjson's source).
    codes = {p.stem for p in (ROOT / "docs" / "rules").glob("SL*.md")}
    assert {f"{DOCUMENTATION}rules/{code}/" for code in codes} <= ours
    assert DOCUMENTATION in ours
    missing = sorted(u for u in ours if _page(site, u) is None)
    assert not missing, f"printed but not built: {missing}"
    # No other documentation address is printed (the old readthedocs one, say).
    assert not {u for u in found - ours if "scorelint" in u and "github.com" not in u}


def test_the_configuration_can_point_the_links_at_a_mirror(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(urls.ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "score.py").write_text("import numpy as np\ny = np.log(np.prod(p))\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.scorelint]\ndocs-url = "https://docs.example.com/sl/"\n')
    main(["check", "--output-format", "sarif", "score.py"])
    log = json.loads(capsys.readouterr().out)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == "https://docs.example.com/sl/"
    assert {r["helpUri"] for r in driver["rules"]} == {"https://docs.example.com/sl/rules/SL201/"}
    (tmp_path / "pyproject.toml").write_text("[tool.scorelint]\ndocs-url = 3\n")
    assert main(["check", "score.py"]) == 2
    assert "docs-url must be an http(s) address" in capsys.readouterr().err
    urls.use_mirror(None)
