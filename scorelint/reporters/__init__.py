"""Output formats, one small module each; `render(name, ...)` picks one by name."""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from dataclasses import dataclass

from scorelint.findings import Finding
from scorelint.runner import FileOutcome

FORMATS = ("text", "json")


@dataclass(frozen=True)
class Report:
    """Everything a reporter may use: the outcomes and how the run was asked for."""

    outcomes: Sequence[FileOutcome]
    unsafe_fixes: bool = False
    fix: bool = False
    color: bool = False

    @property
    def findings(self) -> list[Finding]:
        found = [f for o in self.outcomes for f in o.findings if not f.suppressed]
        return sorted(found, key=lambda f: f.sort_key)

    def text_of(self, path: str) -> str | None:
        return next((o.text for o in self.outcomes if o.path == path), None)


def render(name: str, report: Report) -> str:
    module = importlib.import_module(f"scorelint.reporters.{name.replace('-', '_')}")
    return module.render(report)


def relative(path: str) -> str:
    """A path relative to the working directory when it lies below it."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel
