"""A read-only walk over CPython's `ast`, without `ast.iter_child_nodes`' generators.

`ast.iter_child_nodes` goes through `ast.iter_fields` (a generator) and a type test per
field; narrowing walks every statement of every candidate file with it. Here each node
class gets a reader made once from its ASDL signature (`ast.Call.__doc__` is
`Call(expr func, expr* args, keyword* keywords)`): node fields by one C-level
`attrgetter`, lists flattened, absent optional ones dropped; fields that only hold names,
constants, expression contexts or operators are not read at all (no reader of the tree
looks for those as children: `BinOp.op` is read where the `BinOp` is met).

No LibCST here: narrowing's first steps run before LibCST is imported, or without it.
The LibCST twin is `scorelint.model.walk`.
"""

from __future__ import annotations

import ast
import operator
import re
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

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
