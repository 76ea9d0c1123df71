"""The Python API for tools that embed scorelint: lint (and fix) a text in memory.

`check_source` is what an editor plugin, a formatter hook or a notebook
extension calls; `scorelint check -` and `scorelint server` use it too, so
all three give the same findings as `scorelint check PATH`. Nothing here
reads or writes the file at `path`: it only says which configuration
(`pyproject.toml`), `per-file-ignores` and messages apply.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from scorelint.base.findings import ERROR_CODE, FileOutcome, Finding
from scorelint.run import config, pipeline

# The name a text without a file is reported under, as Ruff does for stdin.
STDIN_PATH = "-"


@dataclass(frozen=True)
class CheckResult:
    """What `check_source` found: the findings and, with `fix`, the fixed text."""

    path: str
    findings: tuple[Finding, ...]
    # The text after fixing (the input itself when nothing was fixed or `fix` was off);
    # the findings' positions refer to it.
    text: str
    # The findings whose fixes were applied.
    fixed: tuple[Finding, ...] = ()
    diff: str = ""  # with `diff`: the patch from the input to the fixed text

    @property
    def failed(self) -> bool:
        """Could the text not be checked at all (a syntax error: an SL000 finding)?"""
        return any(f.code == ERROR_CODE for f in self.findings)


def check_source(text: str, path: str = STDIN_PATH, *, select: Sequence[str] | None = None,
                 extend_select: Sequence[str] = (), ignore: Sequence[str] = (),
                 fix: bool = False, unsafe_fixes: bool | None = None,
                 config_file: str | None = None) -> CheckResult:
    """Lint `text` as if it were the file at `path`; with `fix`, fix it in memory.

    `select`, `extend_select`, `ignore` and `unsafe_fixes` override the nearest
    `pyproject.toml` above `path` (the working directory for `-`) exactly as
    the command line's flags do; `config_file` replaces that lookup, as
    `--config`. Raises `scorelint.run.config.ConfigError` for a bad selector or
    configuration; never raises for bad source (it becomes an SL000 finding).
    """
    # A bad selector is named as the caller gave it, not as the command line's flag.
    for given, keyword in ((select or (), "select"), (extend_select, "extend_select"),
                           (ignore, "ignore")):
        config.check_selectors(given, f"check_source({keyword}=...)")
    resolver = config.Resolver(config.Overrides(
        select=tuple(s.upper() for s in select) if select is not None else None,
        extend_select=tuple(s.upper() for s in extend_select),
        ignore=tuple(s.upper() for s in ignore), unsafe_fixes=unsafe_fixes), config=config_file)
    outcome = check_buffer(text, path, resolver, fix=fix)
    fixed_text = outcome.text if outcome.text is not None and fix else text
    return CheckResult(path, tuple(sorted(outcome.findings, key=lambda f: f.sort_key)), fixed_text,
                       tuple(outcome.applied), outcome.diff)


def check_buffer(content: bytes | str, path: str, resolver: config.Resolver, *,
                 fix: bool = False, diff: bool = False) -> FileOutcome:
    """The outcome of a buffer checked as if it were the file at `path`, with a resolver
    already built (the command line's, with all its flags): an editor's text, or standard
    input's bytes (decoded as a file's would be; their BOM goes into a patch). It takes the
    same road as a file (`scorelint.run.pipeline`), and is fixed in memory only."""
    where = path if path != STDIN_PATH else os.path.join(resolver.cwd, "stdin.py")
    settings = resolver.settings_for(where)
    options = pipeline.Options(codes=settings.codes_for(where), fix=fix, diff=diff,
                               unsafe_fixes=settings.unsafe_fixes, write=False)
    return pipeline.check_file(path, options, content)
