"""Read-only walks: over a LibCST tree without LibCST's rebuilding traversal, and over
CPython's `ast` without its generators (at the end).

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

import ast
import operator
import re
from collections import deque
from collections.abc import Callable, Iterator
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


# --- CPython's ast ------------------------------------------------------------------
#
# `ast.iter_child_nodes` goes through `ast.iter_fields` (a generator) and a type test
# per field; narrowing walks every statement of every candidate file with it. Here each
# node class gets a reader made once from its ASDL signature (`ast.Call.__doc__` is
# `Call(expr func, expr* args, keyword* keywords)`): node fields by one C-level
# `attrgetter`, lists flattened, absent optional ones dropped; fields that only hold
# names, constants, expression contexts or operators are not read at all (no reader of
# the tree looks for those as children: `BinOp.op` is read where the `BinOp` is met).

_SIGNATURE = re.compile(r"(\w+)\((.*)\)\Z")
_NOT_CHILDREN = frozenset({"identifier", "string", "int", "constant", "expr_context",
                           "operator", "cmpop", "unaryop", "boolop"})
_AST_READERS: dict[type, Callable[[ast.AST], list[ast.AST]]] = {}


def _fields_by_kind(cls: type) -> tuple[list[str], list[str], list[str]] | None:
    """The class's node fields, lists of nodes, and optional nodes, from its signature;
    None when the signature cannot be read (then every field is tested)."""
    found = _SIGNATURE.match((cls.__doc__ or "").strip())
    if found is None or found.group(1) != cls.__name__:
        return None
    fields = [part.split() for part in found.group(2).split(", ")] if found.group(2) else []
    if any(len(part) != 2 for part in fields) or [n for _, n in fields] != list(cls._fields):
        return None
    kinds: tuple[list[str], list[str], list[str]] = ([], [], [])
    for kind, name in fields:
        if kind.rstrip("*?") not in _NOT_CHILDREN:
            kinds[1 if kind.endswith("*") else 2 if kind.endswith("?") else 0].append(name)
    return kinds


def _getter(names: list[str]) -> Callable[[ast.AST], tuple[Any, ...]]:
    if len(names) == 1:
        name = names[0]
        return lambda node: (getattr(node, name),)
    return operator.attrgetter(*names)


def _ast_reader(cls: type) -> Callable[[ast.AST], list[ast.AST]]:
    kinds = _fields_by_kind(cls)
    if kinds is None:
        names = [f for f in cls._fields if f not in ("ctx", "op", "ops")]

        def read(node: ast.AST) -> list[ast.AST]:
            found: list[ast.AST] = []
            for name in names:
                value = getattr(node, name, None)
                if isinstance(value, ast.AST):
                    found.append(value)
                elif isinstance(value, list):
                    found.extend(item for item in value if isinstance(item, ast.AST))
            return found
    else:
        plain, many, optional = (_getter(k) if k else None for k in kinds)

        def read(node: ast.AST) -> list[ast.AST]:
            found = list(plain(node)) if plain is not None else []
            if many is not None:
                for items in many(node):
                    found.extend(filter(None, items))  # `Dict.keys` holds None for `**d`
            if optional is not None:
                found.extend(filter(None, optional(node)))
            return found
    _AST_READERS[cls] = read
    return read


def ast_children(node: ast.AST) -> list[ast.AST]:
    """`node`'s child nodes, as `ast.iter_child_nodes` gives them but without expression
    contexts and operators (an optional field's node comes after the others)."""
    read = _AST_READERS.get(node.__class__)
    return (read or _ast_reader(node.__class__))(node)


def ast_walk(root: ast.AST) -> Iterator[ast.AST]:
    """Every node under `root` and `root` itself, breadth first as `ast.walk` (without
    expression contexts and operators)."""
    queue = deque([root])
    while queue:
        node = queue.popleft()
        queue.extend(ast_children(node))
        yield node
