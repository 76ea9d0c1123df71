"""The semantic model on its own: one test per scoping rule it must get right."""

from __future__ import annotations

import textwrap

import libcst as cst

from scorelint.model import semantic
from scorelint.model.semantic import Semantic


def _model(code: str) -> tuple[Semantic, cst.Module]:
    module = cst.parse_module(textwrap.dedent(code))
    return Semantic(module), module


def _uses(module: cst.Module) -> list[cst.BaseExpression]:
    """What is passed to `use(...)`, in source order: the nodes a test asks about."""
    found: list[cst.BaseExpression] = []

    class Finder(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            if isinstance(node.func, cst.Name) and node.func.value == "use":
                found.extend(a.value for a in node.args)

    module.visit(Finder())
    return found


def _bound_in(code: str) -> list[list[tuple[str, str]]]:
    """For each `use(x)`: the bindings `x` may refer to there, as (scope kind, what binds:
    `name` for a target, `param` for a parameter, else the node's type)."""
    model, module = _model(code)
    out = []
    for node in _uses(module):
        assert isinstance(node, cst.Name)
        scope = model.scope(node)
        assert scope is not None
        out.append([(b.scope.kind, "builtin" if b.node is None else
                     "name" if isinstance(b.node, cst.Name) else
                     "param" if isinstance(b.node, cst.Param) else type(b.node).__name__)
                    for b in scope.lookup(node.value)])
    return out


def _qualified(code: str) -> list[set[str]]:
    model, module = _model(code)
    return [model.qualified_names(node) for node in _uses(module)]


# -- imports and qualified names ---------------------------------------------------------

def test_an_import_alias_gives_the_module_name() -> None:
    assert _qualified("""
        import numpy as np
        import torch.nn.functional as F
        use(np.exp, F.softmax, np)
    """) == [{"numpy.exp"}, {"torch.nn.functional.softmax"}, {"numpy"}]


def test_a_dotted_import_binds_its_first_name_and_the_whole() -> None:
    assert _qualified("""
        import os.path
        use(os.path.join, os)
    """) == [{"os.path.join"}, {"os"}]


def test_from_imports_relative_and_aliased() -> None:
    assert _qualified("""
        from numpy import exp as e, log
        from . import helpers
        from ..pkg import thing
        use(e, log, helpers.f, thing)
    """) == [{"numpy.exp"}, {"numpy.log"}, {".helpers.f"}, {"..pkg.thing"}]


def test_a_star_import_binds_nothing_we_can_name() -> None:
    assert _qualified("""
        from numpy import *
        use(exp, len)
    """) == [set(), {"builtins.len"}]


def test_a_local_shadowing_an_import_is_local() -> None:
    assert _qualified("""
        import numpy as np
        def f(np):
            use(np.exp)
        def g():
            use(np.exp)
    """) == [set(), {"numpy.exp"}]


def test_a_read_sees_the_bindings_made_before_it() -> None:
    # The first read sees only the local `def`; the second also the import after it.
    assert _qualified("""
        def exp(x): ...
        use(exp)
        from numpy import exp
        use(exp)
    """) == [set(), {"numpy.exp"}]


def test_builtins_and_names_bound_nowhere() -> None:
    assert _qualified("""
        use(len, sum, undefined_name)
    """) == [{"builtins.len"}, {"builtins.sum"}, set()]


# -- scopes: what each binding construct binds, and where --------------------------------

def test_class_bodies_are_not_visible_from_their_functions() -> None:
    assert _bound_in("""
        x = 1
        class C:
            x = 2
            use(x)
            def m(self):
                use(x)
            ys = [use(x) for _ in range(3)]
    """) == [[("class", "name")], [("module", "name")], [("module", "name")]]


def test_a_comprehensions_first_iterable_is_evaluated_outside() -> None:
    model, module = _model("""
        class C:
            xs = [1]
            ys = [y for y in use(xs) for z in use(y)]
    """)
    first, second = _uses(module)
    assert model.scope(first).kind == semantic.CLASS  # type: ignore[union-attr]
    assert model.scope(second).kind == semantic.COMPREHENSION  # type: ignore[union-attr]
    assert model.home(second).kind == semantic.CLASS  # type: ignore[union-attr]


def test_defaults_annotations_and_decorators_are_evaluated_outside() -> None:
    model, module = _model("""
        def f(a=use(d), b: use(T) = 1) -> use(R):
            use(a)
        @use(deco)
        def g(): ...
        h = lambda k=use(k0): use(k)
    """)
    kinds = [model.scope(n).kind for n in _uses(module)]  # type: ignore[union-attr]
    assert kinds == ["module", "module", "module", "function", "module", "module", "function"]


def test_parameters_bind_in_the_function() -> None:
    assert _bound_in("""
        def f(a, /, b, *args, c, **kw):
            use(a); use(b); use(args); use(c); use(kw)
    """) == [[("function", "param")]] * 5


def test_global_and_nonlocal_bind_elsewhere() -> None:
    assert _bound_in("""
        def outer():
            v = 1
            def inner():
                nonlocal v
                v = 2
                use(v)
            use(v)
        def setter():
            global g
            g = 3
        use(g)
    """) == [[("function", "name"), ("function", "name")]] * 2 + [[("module", "name")]]


def test_with_for_except_and_del() -> None:
    model, module = _model("""
        def f(xs):
            with open(p) as fh:
                use(fh)
            for i, (j, k) in xs:
                use(k)
            try:
                pass
            except E as err:
                use(err)
            del fh
    """)
    uses = _uses(module)
    for node in uses:
        assert [b.scope.kind for b in model.scope(node).lookup(node.value)] == ["function"]  # type: ignore[union-attr, attr-defined]
    # `del fh` needs a binding: it reads it, as `use(fh)` does
    assert sorted(type(r).__name__ for r in model.reads(uses[0])) == ["Name", "Name"]  # type: ignore[arg-type]
    assert uses[0] in model.reads(uses[0])  # type: ignore[arg-type]


def test_a_walrus_in_a_comprehension_binds_in_the_enclosing_function() -> None:
    assert _bound_in("""
        def f(xs):
            ys = [(last := x) for x in xs]
            use(last)
    """) == [[("function", "name")]]


def test_a_walrus_binds_in_the_function_around_nested_comprehensions() -> None:
    model, module = _model("""
        def f(rows):
            total = [[(m := v) for v in row] for row in rows]
            use(m)
    """)
    (m,) = _uses(module)
    (binding,) = model.scope(m).lookup("m")  # type: ignore[union-attr, attr-defined]
    assert binding.scope.kind == semantic.FUNCTION
    assert model.reads(m) == {m}  # type: ignore[arg-type]


def test_match_captures_bind() -> None:
    assert _bound_in("""
        def f(command):
            match command:
                case [first, *rest]:
                    use(first); use(rest)
                case {"k": value, **others}:
                    use(value); use(others)
                case Point(x=0) as p:
                    use(p)
    """) == [[("function", "name")]] * 5


def test_reads_of_a_binding_are_the_later_ones() -> None:
    model, module = _model("""
        acc = 1.0
        for p in ps:
            acc *= p
        use(acc)
        def later():
            return acc
    """)
    (acc,) = _uses(module)
    assert sorted(module.code_for_node(r) for r in model.reads(acc)) == ["acc", "acc"]  # type: ignore[arg-type]


def test_names_in_use_are_every_bound_and_read_name() -> None:
    model, _ = _model("""
        import numpy as np
        import os.path
        def f(a):
            b = np.exp(a)
            return b.attr_is_not_a_name
    """)
    assert model.names_in_use() == {"np", "os", "os.path", "f", "a", "b"}


def test_string_annotations_are_not_read() -> None:
    model, _ = _model("""
        def f(x: "Tensor") -> "Tensor":
            return x
    """)
    assert model.names_in_use() == {"f", "x"}


def test_every_expression_has_a_scope_and_the_module_its_own() -> None:
    model, module = _model("""
        def f(x):
            return [y * 2 for y in x]
    """)
    func = module.body[0]
    assert model.scope(module).kind == semantic.MODULE  # type: ignore[union-attr]
    assert model.scope(func).kind == semantic.MODULE  # type: ignore[union-attr]
    ret = func.body.body[0].body[0]  # type: ignore[attr-defined]
    assert model.scope(ret).node is func  # type: ignore[union-attr]
    assert model.owner_node(model.home(ret.value.elt)) is func  # type: ignore[arg-type, union-attr]


def test_children_skip_formatting_and_keep_source_order() -> None:
    module = cst.parse_module("y = (a if b else c)\nf(x, k=v)\n")
    ifexp = module.body[0].body[0].value  # type: ignore[attr-defined]
    assert [n.value for n in semantic.children(ifexp)] == ["a", "b", "c"]  # type: ignore[attr-defined]
    call = module.body[1].body[0].value  # type: ignore[attr-defined]
    assert all(not isinstance(n, cst.Comma) for n in semantic.children(call))
