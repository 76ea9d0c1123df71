"""The reports: findings rendered for people and tools (text, concise, JSON, SARIF, GitHub, GitLab, rdjson, the review comment, statistics) and the rules' docs pages.

It may import `scorelint.engine.linter` (the registry, for rule metadata) and `scorelint.base`; never the run or the front ends.

Output formats, one small module each; `render(name, ...)` picks one by name.
"""

from __future__ import annotations

import codecs
import importlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from scorelint.base.findings import Finding
from scorelint.base.identity import Texts, identify
from scorelint.reports.output_formats import FORMATS  # noqa: F401  (re-exported)

TOOL_NAME = "scorelint"


def url_of(finding: Finding) -> str | None:
    """The address of the finding's rule page, as the docs base is now (a finding read
    back from the cache keeps the address it was made with; the base may have moved)."""
    if not finding.extra.get("url"):
        return None
    from scorelint.base import urls

    return urls.rule_url(finding.code)


def homepage() -> str:
    """The documentation site's address (scorelint.base.urls: `[project.urls] Documentation`)."""
    from scorelint.base import urls

    return urls.docs_base()


@dataclass(frozen=True)
class Report(Texts):
    """Everything a reporter may use: the outcomes (and their texts, from `Texts`) and how
    the run was asked for."""

    unsafe_fixes: bool = False
    fix: bool = False
    color: bool = False
    # `--show-suppressed`: suppressed findings are listed too (`finding.suppressed`
    # tells them apart; `extra["suppressed_by"]` is "comment" or "baseline").
    show_suppressed: bool = False
    # `--quiet`: the findings only, no summary lines.
    quiet: bool = False

    @property
    def findings(self) -> list[Finding]:
        found = [f for o in self.outcomes for f in o.findings
                 if self.show_suppressed or not f.suppressed]
        return sorted(found, key=lambda f: f.sort_key)

    @property
    def active(self) -> list[Finding]:
        """The findings that are not suppressed, for outputs that post them as problems."""
        return [f for f in self.findings if not f.suppressed]

    def fingerprints(self, findings: Sequence[Finding]) -> list[tuple[Finding, str]]:
        """Each of `findings` with a stable fingerprint (`scorelint.base.identity`), unique within
        the run. Suppressed findings are counted too, so showing them does not change the
        others' fingerprints."""
        every = [f for o in self.outcomes for f in o.findings]
        known = {id(f): i.fingerprint for f, i in identify(every, self, posix)}
        return [(f, known[id(f)]) for f in findings]


# The error handler for printing reports (`sys.stdout.reconfigure(errors=OUTPUT_ERRORS)`).
OUTPUT_ERRORS = "scorelint-output"


def _unprintable(exc: UnicodeError) -> tuple[bytes | str, int]:
    """A file name that is not UTF-8 decodes to surrogates U+DC80..U+DCFF: print its own
    bytes back; any other character the output cannot hold (a notebook's lone
    surrogate) is printed as a backslash escape."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    bad = exc.object[exc.start:exc.end]
    out = b"".join(bytes([ord(c) - 0xDC00]) if 0xDC80 <= ord(c) <= 0xDCFF
                   else c.encode("ascii", "backslashreplace") for c in bad)
    return out, exc.end


codecs.register_error(OUTPUT_ERRORS, _unprintable)


def render(name: str, report: Report) -> str:
    module = importlib.import_module(f"scorelint.reports.{name.replace('-', '_')}")
    return module.render(report)


def location(finding: Finding) -> str:
    """`path:row:col`, or `path:cell N:row:col` in a notebook (as Ruff writes it)."""
    cell = f"cell {finding.cell}:" if finding.cell is not None else ""
    return f"{relative(finding.path)}:{cell}{finding.start.row}:{finding.start.column}"


def relative(path: str) -> str:
    """A path relative to the working directory when it lies below it."""
    return os.path.relpath(path) if is_below_cwd(path) else path


def posix(path: str) -> str:
    """`relative(path)` with forward slashes, as CI services and URIs want it."""
    return PurePath(relative(path)).as_posix()


def is_below_cwd(path: str) -> bool:
    """Does `path` lie below the working directory (so it can be given relative)?"""
    rel = os.path.relpath(path)
    return rel != os.pardir and not rel.startswith(os.pardir + os.sep)


def cwd_uri() -> str:
    """The working directory as a `file:` URI ending in a slash."""
    return Path.cwd().as_uri().rstrip("/") + "/"
