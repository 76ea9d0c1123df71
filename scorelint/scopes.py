"""LibCST's scopes in one pass over the tree instead of three.

`MetadataWrapper.resolve(ScopeProvider)` walks the module four times: a batched
traversal for `ExpressionContextProvider` whose only hook, `visit_Module`, walks
the module with the real visitor, then the same for `ScopeProvider`. The two
batched traversals do nothing but reach that hook, and each costs as much as a
parse. `Scopes` runs the two providers' `visit_Module` itself: the same scopes,
two walks fewer (about 40% of the scope time).

This leans on how LibCST 1.x computes scopes (each provider's work is its
`visit_Module`; `ScopeVisitor` reads expression contexts with `get_metadata`),
so pyproject pins `libcst<2`, `tests/test_scopes.py` compares the result with
`ScopeProvider`'s on every fixture, and `scopes` falls back to `ScopeProvider`
if LibCST no longer works this way.
"""

from __future__ import annotations

from collections.abc import Mapping

import libcst as cst
from libcst.metadata import (
    BaseMetadataProvider,
    ExpressionContextProvider,
    MetadataWrapper,
    ScopeProvider,
)
from libcst.metadata.scope_provider import Scope


class Scopes(BaseMetadataProvider["Scope | None"]):
    """`ScopeProvider`'s metadata, computed without LibCST's batched traversals."""

    def _gen_impl(self, module: cst.Module) -> None:
        self._contexts = ExpressionContextProvider()
        ExpressionContextProvider.visit_Module(self._contexts, module)
        ScopeProvider.visit_Module(self, module)  # type: ignore[arg-type]

    def get_metadata(self, key, node, *default):  # type: ignore[no-untyped-def,override]
        if key is ExpressionContextProvider:  # what the scope visitor asks of each name
            found = self._contexts._computed
            return found.get(node, *default) if default else found[node]
        return super().get_metadata(key, node, *default)


def scopes(module: cst.Module) -> Mapping[cst.CSTNode, Scope | None]:
    """Every node's scope, as `MetadataWrapper(module).resolve(ScopeProvider)` gives it
    (the module is not copied: its nodes are the keys)."""
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    try:
        return wrapper.resolve(Scopes)
    except (AttributeError, TypeError):  # LibCST changed how it computes scopes
        return wrapper.resolve(ScopeProvider)
