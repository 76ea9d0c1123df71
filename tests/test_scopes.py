"""`scorelint.scopes` gives LibCST's own scopes (it only skips two empty traversals):
the same scope, with the same bindings and reads, for every node of every fixture."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, ScopeProvider

from scorelint import scopes

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "fixtures").rglob("*.py"))


def _shape(scope: object) -> tuple[object, ...]:
    if scope is None:
        return (None,)
    return (type(scope).__name__, type(getattr(scope, "node", None)).__name__,
            sorted(a.name for a in scope.assignments),  # type: ignore[attr-defined]
            sorted(_name(a.node) for a in scope.accesses))  # type: ignore[attr-defined]


def _name(node: cst.CSTNode) -> str:
    return node.value if isinstance(node, cst.Name) else type(node).__name__


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_same_scopes_as_scope_provider(path: Path) -> None:
    module = cst.parse_module(path.read_text(encoding="utf-8"))
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    ours = wrapper.resolve(scopes.Scopes)  # not the fallback: LibCST still works this way
    theirs = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)
    # Nodes parsed out of string annotations are new on every run; the tree's own match.
    in_tree = [node for node in theirs if node in ours]
    assert len(in_tree) >= 0.95 * len(theirs)
    assert [_shape(ours[n]) for n in in_tree] == [_shape(theirs[n]) for n in in_tree]
