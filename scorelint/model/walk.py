"""A read-only walk over a LibCST tree, without LibCST's rebuilding traversal.

`node.visit(visitor)` runs each node's `_visit_and_replace_children`, which
visits the fields and then builds a new node from them (with validation),
even when the visitor changes nothing; `node.children` runs the same
machinery with a collecting visitor. For a linter that only reads the tree
that rebuilding is most of the cost of a traversal.

Here each node class has a precomputed tuple of the fields LibCST's visit
enters, in the order it enters them (source order: decorators before the
`def` name, `lpar` before the value, whitespace nodes included when LibCST's
visit includes them). `children` reads those fields directly, as the engine's
rule pass does (`scorelint.engine.linter.visit`), so both meet the same nodes
in the same order as LibCST, and build nothing.
"""

from __future__ import annotations

from typing import Any

import libcst as cst
from libcst import MaybeSentinel


class _Hole:
    """Stands for every field of a node while its class's own
    `_visit_and_replace_children` runs, to record which fields it visits and in
    what order. It is a node to `visit_required`, an empty sequence to
    `visit_sequence`, and not None, so a field visited only when present
    (`FormattedStringExpression.format_spec`) is recorded too."""

    def visit(self, visitor: object) -> _Hole:
        return self

    def __iter__(self) -> Any:
        return iter(())


class _Probe:
    """The `self` a node class's `_visit_and_replace_children` is run with: every
    attribute is a hole."""

    def __getattr__(self, name: str) -> _Hole:
        return _Hole()


class _FieldRecorder:
    """The visitor given to that run: LibCST announces each field it enters with
    `on_visit_attribute(node, name)` before visiting it."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def on_visit_attribute(self, node: object, attribute: str) -> None:
        self.names.append(attribute)

    def on_leave_attribute(self, node: object, attribute: str) -> None:
        pass


def _learn(cls: type[cst.CSTNode]) -> tuple[str, ...]:
    """The fields LibCST's own traversal of a `cls` node enters, in its order: learnt
    from LibCST once per class (not per node), so it follows LibCST's version."""
    recorder = _FieldRecorder()
    try:
        cls._visit_and_replace_children(_Probe(), recorder)  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001  (the node it then builds from holes may not validate)
        pass
    return tuple(recorder.names)


class _Fields(dict[type, tuple[str, ...]]):
    """Node class -> the fields a traversal enters, learnt the first time one is met."""

    def __missing__(self, cls: type[cst.CSTNode]) -> tuple[str, ...]:
        names = self[cls] = _learn(cls)
        return names


FIELDS = _Fields()

# What a field's value is, by its class: a node, a sequence of nodes, or nothing
# (None, `MaybeSentinel.DEFAULT`). A dict lookup by class, because `isinstance`
# against LibCST's abstract node classes is several times slower, once per field.
NODE, SEQUENCE, NOTHING = 0, 1, 2


class _Kinds(dict[type, int]):
    """Value class -> NODE / SEQUENCE / NOTHING, worked out the first time it is met."""

    def __missing__(self, cls: type) -> int:
        if issubclass(cls, cst.CSTNode):
            kind = NODE
        elif cls is type(None) or issubclass(cls, MaybeSentinel):
            kind = NOTHING
        else:
            kind = SEQUENCE  # a tuple or list of nodes (a body, arguments, `lpar`)
        self[cls] = kind
        return kind


KINDS = _Kinds()


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The node's immediate children, as `node.children` gives them (same nodes, same
    order), without LibCST rebuilding the node to find them."""
    found: list[cst.CSTNode] = []
    kinds = KINDS
    for name in FIELDS[type(node)]:
        value = getattr(node, name)
        kind = kinds[type(value)]
        if kind == NODE:
            found.append(value)
        elif kind == SEQUENCE:
            found.extend(value)
    return found
