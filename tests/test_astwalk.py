"""`scorelint.model.astwalk` meets what `ast.walk` and `ast.iter_child_nodes` meet (less
expression contexts and operators), on every kind of node, real code, the fixtures and
every rule example."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from scorelint.engine.registry import all_rules
from scorelint.model import astwalk

ROOT = Path(__file__).resolve().parent.parent


def _files(*patterns: str) -> Iterator[tuple[str, str]]:
    for pattern in patterns:
        for path in sorted(ROOT.glob(pattern)):
            yield str(path), path.read_bytes().decode("utf-8", errors="replace")


def _examples() -> Iterator[tuple[str, str]]:
    for rule in all_rules():
        for i, example in enumerate((*rule.flagged, *rule.clean)):
            yield f"{rule.code} {i}", example.code
            if getattr(example, "fixed", None) is not None:
                yield f"{rule.code} fixed {i}", example.fixed


_AST_LEAVES = (ast.expr_context, ast.operator, ast.cmpop, ast.unaryop, ast.boolop)


def _ast_children_as_cpython(node: ast.AST) -> list[ast.AST]:
    return [c for c in ast.iter_child_nodes(node) if not isinstance(c, _AST_LEAVES)]


def _check_ast(texts: Iterator[tuple[str, str]]) -> set[type]:
    met: set[type] = set()
    for name, text in texts:
        tree = ast.parse(text)
        expected = list(ast.walk(tree))
        walked = list(astwalk.ast_walk(tree))
        # The same nodes (the order of a node's children may differ: optional fields last).
        assert {id(n) for n in walked} == {id(n) for n in expected
                                           if not isinstance(n, _AST_LEAVES)}, name
        for node in walked:
            met.add(type(node))
            assert sorted(map(id, astwalk.ast_children(node))) == \
                sorted(map(id, _ast_children_as_cpython(node))), (name, ast.dump(node)[:200])
    return met


def test_every_ast_node_class_has_a_reader_from_its_signature() -> None:
    """Each class's reader comes from its ASDL signature; a class whose signature this
    Python prints differently would fall back to testing every field (slower, still right)."""
    # `Num`, `Str`... are deprecated aliases of `Constant` that parsing never makes.
    classes = [c for c in _ast_classes() if c._fields
               and not (issubclass(c, ast.Constant) and c is not ast.Constant)]
    assert [c.__name__ for c in classes if astwalk._fields_by_kind(c) is None] == []


def _ast_classes() -> set[type]:
    found, todo = set(), [ast.AST]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub.__module__ == "ast" and sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def test_ast_children_are_cpython_s_without_contexts_and_operators() -> None:
    met = _check_ast(iter([("dict unpacking", "d = {**a, 'k': 1, **b}\n"),
                           ("optional parts", "def f(*, a, b=1, **kw) -> int:\n    return a\n"
                                              "try:\n    pass\nexcept E as e:\n    pass\n"
                                              "with a as b, c:\n    pass\n")]))
    assert {ast.Dict, ast.arguments, ast.ExceptHandler, ast.withitem} <= met


def test_ast_children_on_real_code_fixtures_and_rule_examples() -> None:
    met = _check_ast(_files("scorelint/**/*.py", "rules/**/*.py", "fixtures/**/*.py"))
    _check_ast(_examples())
    assert len(met) > 50  # most kinds of node


def test_a_class_whose_signature_cannot_be_read_is_walked_field_by_field(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Another Python may print a signature differently: its classes then test every
    field, and meet the same children."""
    monkeypatch.setattr(astwalk, "_fields_by_kind", lambda cls: None)
    monkeypatch.setattr(astwalk, "_AST_READERS", {})
    _check_ast(_files("scorelint/engine/*.py"))
    _check_ast(iter([("dict unpacking", "d = {**a, 'k': 1, **b}\n")]))
