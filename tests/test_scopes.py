"""`scorelint.model.semantic` answers every question scorelint asks of scopes as LibCST's
`ScopeProvider` does: on every fixture, every rule example and every data file, for
every node, the same scope; for every name and attribute, the same qualified names
(imports and builtins), the same bindings, the same reads; the same names in use.

LibCST's provider stays here only, as the reference. Where `semantic` follows
Python instead of LibCST on purpose (a walrus inside a comprehension, `match`
captures, string annotations: see its docstring), those files or nodes are left out
here and tests/test_semantic.py pins the behaviour.
"""

from __future__ import annotations

import ast
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import (
    BuiltinAssignment,
    ClassScope,
    ComprehensionScope,
    FunctionScope,
    GlobalScope,
    MetadataWrapper,
    QualifiedNameSource,
    ScopeProvider,
)
from libcst.metadata.scope_provider import AnnotationScope

from scorelint.engine.registry import all_rules
from scorelint.model import semantic

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted([*(ROOT / "fixtures").rglob("*.py"), *(ROOT / "tests" / "data").rglob("*.py")])
# The deep edge cases take LibCST's provider seconds.
_DEEP = ("deeply_nested", "long_line")
FILE_CASES = [pytest.param(p, marks=pytest.mark.slow) if p.name.startswith(_DEEP) else p
              for p in FILES]
_KINDS = {GlobalScope: semantic.MODULE, ClassScope: semantic.CLASS,
          FunctionScope: semantic.FUNCTION, ComprehensionScope: semantic.COMPREHENSION,
          AnnotationScope: semantic.ANNOTATION}


def _python_not_libcst(text: str) -> bool:
    """Code where `semantic` follows Python and LibCST does not (see the docstring)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, RecursionError):
        return False
    comprehensions = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
    for node in ast.walk(tree):
        if isinstance(node, ast.Match):
            return True
        if isinstance(node, comprehensions) and any(
                isinstance(n, ast.NamedExpr) for n in ast.walk(node)):
            return True
    return False


def _key(scope: object) -> tuple[str, int]:
    """A scope as (kind, id of its node): comparable between the two models."""
    if isinstance(scope, semantic.Scope):
        return scope.kind, id(scope.node)
    return _KINDS[type(scope)], id(getattr(scope, "node", None))


def _binding(b: object) -> tuple[object, ...]:
    if isinstance(b, semantic.Binding):
        return ("builtin", b.name) if b.is_builtin else (_key(b.scope), b.name, id(b.node))
    if isinstance(b, BuiltinAssignment):
        return ("builtin", b.name)
    return (_key(b.scope), b.name, id(b.node))  # type: ignore[attr-defined]


def _compare(text: str) -> int:
    """Assert both models agree on `text`; the number of nodes compared."""
    module = cst.parse_module(text)
    theirs = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)
    ours = semantic.Semantic(module)
    in_tree, stack = set(), [module]  # not the nodes LibCST parses out of string annotations
    while stack:
        current = stack.pop()
        in_tree.add(current)
        stack.extend(current.children)
    compared = 0
    their_scopes = set()
    for node, scope in theirs.items():
        if scope is None or isinstance(node, semantic._FORMAT) or node not in in_tree:
            continue
        mine = ours.scope(node)
        if mine is None:
            # Not placed: nodes only formatting leads to, an import's own names.
            assert isinstance(node, (cst.Name, cst.Attribute, cst.ImportAlias, cst.AsName)), node
            continue
        compared += 1
        their_scopes.add(scope)
        assert _key(mine) == _key(scope), (type(node).__name__, getattr(node, "value", None))
        if isinstance(node, (cst.Name, cst.Attribute)):
            expected = {q.name for q in scope.get_qualified_names_for(node)
                        if q.source in (QualifiedNameSource.IMPORT, QualifiedNameSource.BUILTIN)}
            assert ours.qualified_names(node) == expected, module.code_for_node(node)
        if isinstance(node, cst.Name):
            assert sorted(map(_binding, mine.lookup(node.value)), key=repr) == \
                sorted(map(_binding, scope[node.value]), key=repr), node.value
            their_reads = {a.node for b in scope[node.value] for a in b.references
                           if not isinstance(a.node, cst.BaseString)}
            assert ours.reads(node) == their_reads, node.value
    names: set[str] = set()
    for scope in their_scopes:
        names.update(a.name for a in scope.assignments)
        names.update(a.node.value for a in scope.accesses if isinstance(a.node, cst.Name))
    assert ours.names_in_use() == names
    return compared


@pytest.mark.parametrize("path", FILE_CASES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_same_answers_as_scope_provider_on_files(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        MetadataWrapper(cst.parse_module(text), unsafe_skip_copy=True).resolve(ScopeProvider)
    except (cst.ParserSyntaxError, RecursionError):
        pytest.skip("LibCST cannot parse it, or scope it in this stack")
    if _python_not_libcst(text):
        pytest.skip("Python's scoping, not LibCST's: tests/test_semantic.py")
    assert _compare(text) > 0 or not text.strip()


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_the_same_answers_as_scope_provider_on_rule_examples(rule: object) -> None:
    examples = [e.code for e in (*rule.flagged, *rule.clean)]  # type: ignore[attr-defined]
    assert sum(_compare(code) for code in examples if not _python_not_libcst(code)) > 50


def test_few_files_need_pythons_scoping() -> None:
    """The equivalence above leaves out only a few files."""
    left_out = [p for p in FILES if _python_not_libcst(p.read_text(encoding="utf-8", errors="replace"))]
    assert len(left_out) <= 3, left_out
