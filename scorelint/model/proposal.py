"""What a rule proposes, in terms of the tree: a finding on a node, its fix as node edits,
and the trace of lines that led to it. The engine turns these into positions and text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import libcst as cst

from scorelint.base.findings import Applicability


class Reporter(Protocol):
    """What the model knows of a rule that reports: the engine's `Rule` (the rule contract
    sits above the model and depends on it, never the other way round)."""

    code: ClassVar[str]
    name: ClassVar[str]

    @classmethod
    def url(cls) -> str: ...


@dataclass(frozen=True)
class Replace:
    """Replace a node's source (its own parentheses included) with `content`."""

    node: cst.CSTNode
    content: str


@dataclass(frozen=True)
class InsertLine:
    """Insert a whole line before (or after) the line(s) of a statement."""

    anchor: cst.CSTNode | None  # None: at the very start of the file
    content: str
    after: bool = False


@dataclass(frozen=True)
class FixSpec:
    title: str
    applicability: Applicability
    edits: tuple[Replace | InsertLine, ...]


@dataclass
class RawFinding:
    rule: type[Reporter]
    node: cst.CSTNode
    message: str
    fix: FixSpec | None
    # The lines that made the value this finding is about: (node, note), in flow order.
    trace: tuple[tuple[cst.CSTNode, str], ...] = ()
