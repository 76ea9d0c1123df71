"""Where scorelint's documentation lives, set in one place: `[project.urls] Documentation`
in `pyproject.toml`.

A source checkout (an editable install, a test run) reads its own `pyproject.toml`; an
installed wheel reads the same value from its package metadata. A team that mirrors the
site sets `docs-url` in `[tool.scorelint]` (or `SCORELINT_DOCS_URL`) to the mirror's base
address, and every link `scorelint check` prints points there.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

ENV = "SCORELINT_DOCS_URL"
RULE_PAGE = "rules/{code}/"  # the site's page of a rule (docs/rules/CODE.md, built by mkdocs)


# `docs-url` of the configuration a `check` run uses (scorelint.frontends.cli sets it per run).
_configured_mirror: str | None = None


def use_mirror(base: str | None) -> None:
    """Link to `base` (the configuration's `docs-url`) instead, until told otherwise."""
    global _configured_mirror
    _configured_mirror = base


def docs_base() -> str:
    """The documentation site's base address, ending in `/`: `SCORELINT_DOCS_URL`, else
    the configuration's `docs-url`, else `[project.urls] Documentation`."""
    base = os.environ.get(ENV) or _configured_mirror or _configured()
    return base if base.endswith("/") or not base else base + "/"


def rule_url(code: str) -> str:
    return docs_base() + RULE_PAGE.format(code=code)


@functools.cache
def _configured() -> str:
    return _from_source_tree() or _from_metadata() or ""


def _from_source_tree() -> str | None:
    """`[project.urls] Documentation` of the checkout this module is in, if it is one."""
    path = Path(__file__).resolve().parent.parent / "pyproject.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    try:
        project = tomllib.loads(text).get("project", {})
    except tomllib.TOMLDecodeError:
        return None
    if project.get("name") != "scorelint":
        return None
    return project.get("urls", {}).get("Documentation")


def _from_metadata() -> str | None:
    """The same value from an installed distribution's metadata (`Project-URL`)."""
    from importlib import metadata

    try:
        urls = metadata.metadata("scorelint").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip() == "Documentation":
            return url.strip()
    return None
