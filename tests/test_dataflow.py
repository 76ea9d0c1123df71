"""The data-flow layer on its own: which definitions reach a read of a name."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from scorelint.model.dataflow import ASSIGN, AUGMENT, ELEMENT, PARAMETER, DataFlow
from scorelint.model.semantic import Semantic


def _flow(code: str) -> tuple[DataFlow, cst.Module]:
    module = cst.parse_module(textwrap.dedent(code))
    return DataFlow(Semantic(module)), module


def _reads(module: cst.Module) -> list[cst.Name]:
    """The names passed to `use(...)`, in source order: the reads a test asks about."""
    found: list[cst.Name] = []

    class Finder(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            if isinstance(node.func, cst.Name) and node.func.value == "use":
                found.extend(a.value for a in node.args if isinstance(a.value, cst.Name))

    module.visit(Finder())
    return found


def _reaching(code: str) -> list[list[str]]:
    """For each `use(x)`: the code each reaching definition binds (its value, or its kind)."""
    flow, module = _flow(code)
    out = []
    for name in _reads(module):
        defs = flow.definitions(name)
        assert defs is not None
        out.append([module.code_for_node(d.value) if d.value is not None else d.kind
                    for d in defs])
    return out


def test_a_later_rebinding_does_not_hide_the_earlier_value() -> None:
    assert _reaching("""
        def f(z, z2):
            h = softmax(z)
            use(h)
            h = softmax(z2)
            use(h)
    """) == [["softmax(z)"], ["softmax(z2)"]]


def test_reassignment_from_itself_reads_the_previous_value() -> None:
    flow, module = _flow("""
        def f(z):
            e = exp(z)
            e = e / use(e).sum()
            use(e)
    """)
    first, second = _reads(module)
    assert [module.code_for_node(d.value) for d in flow.definitions(first)] == ["exp(z)"]
    assert [module.code_for_node(d.value) for d in flow.definitions(second)] == ["e / use(e).sum()"]


def test_both_branches_reach_after_an_if() -> None:
    assert _reaching("""
        def f(z, c):
            if c:
                z = z - z.max()
            use(z)
    """) == [["parameter", "z - z.max()"]]


def test_else_branch_and_elif() -> None:
    assert _reaching("""
        def f(c, d):
            if c:
                x = 1
            elif d:
                x = 2
            else:
                x = 3
            use(x)
    """) == [["1", "2", "3"]]


def test_return_ends_a_path() -> None:
    assert _reaching("""
        def f(x, c):
            if c:
                x = g(x)
                return x
            use(x)
    """) == [["parameter"]]


def test_loop_carries_values_around_the_back_edge() -> None:
    assert _reaching("""
        def f(xs):
            acc = 1.0
            for q in xs:
                use(acc)
                acc *= q
            use(acc)
    """) == [["1.0", "augment"], ["1.0", "augment"]]


def test_augmented_assignment_remembers_what_it_updates() -> None:
    flow, module = _flow("""
        def f(x):
            x -= x.max()
            use(x)
    """)
    (definition,) = flow.definitions(_reads(module)[0])
    assert definition.kind == AUGMENT
    assert [d.kind for d in definition.previous] == [PARAMETER]


def test_break_and_while_else() -> None:
    assert _reaching("""
        def f(xs):
            y = 0
            while cond():
                y = 1
                if done():
                    y = 2
                    break
            else:
                y = 3
            use(y)
    """) == [["2", "3"]]


def test_try_handlers_see_every_state_of_the_body() -> None:
    assert _reaching("""
        def f():
            p = a()
            try:
                p = b()
                p = c()
            except ValueError as err:
                use(p)
                raise
            use(p)
    """) == [["a()", "b()", "c()"], ["c()"]]


def test_with_tuple_unpacking_and_walrus() -> None:
    assert _reaching("""
        def f():
            a, b = x(), y()
            c, d = pair()
            if (w := g()) > 0:
                pass
            with open(path) as fh:
                pass
            use(a); use(b); use(c); use(w); use(fh)
    """) == [["x()"], ["y()"], ["unpack"], ["g()"], ["other"]]


def test_comprehension_variables_are_elements_of_their_iterable() -> None:
    flow, module = _flow("""
        def f(xs):
            es = [math.exp(s) for s in xs]
            total = sum(es)
            return [use(e) / total for e in es]
    """)
    (definition,) = flow.definitions(_reads(module)[0])
    assert definition.kind == ELEMENT
    assert module.code_for_node(definition.element_of) == "es"


def test_globals_reach_a_function_through_every_module_binding() -> None:
    assert _reaching("""
        SCALE = 2.0
        def f():
            use(SCALE)
        SCALE = 3.0
    """) == [["2.0", "3.0"]]


def test_a_global_declaration_makes_the_name_unknown() -> None:
    flow, module = _flow("""
        x = 1
        def f():
            global x
            x = 2
            use(x)
    """)
    assert flow.definitions(_reads(module)[0]) is None


def test_closure_reads_every_binding_of_the_enclosing_function() -> None:
    assert _reaching("""
        def f(x):
            y = a(x)
            def g():
                return use(y)
            y = b(x)
            return g
    """) == [["a(x)", "b(x)"]]


def test_class_body_and_method_scopes_are_separate() -> None:
    assert _reaching("""
        class C:
            t = 1.0
            def m(self, t):
                use(t)
            use(t)
    """) == [["parameter"], ["1.0"]]


def test_reaching_at_a_later_statement() -> None:
    flow, module = _flow("""
        def f(p):
            seq = np.prod(p, -1)
            p = p[:, :1]
            return np.log(seq)
    """)
    function = module.body[0]
    assign = function.body.body[0].body[0]
    ret = function.body.body[2].body[0]
    p_read = assign.value.args[0].value
    there = flow.reaching_at("p", ret.value)
    assert set(flow.definitions(p_read)) != there  # `p` was rebound in between
    assert {d.kind for d in there} == {ASSIGN}


@pytest.mark.parametrize("code", [
    "def f():\n    match x:\n        case [a, *rest]:\n            use(a)\n",
    "def f():\n    del x\n    use(x)\n",
    "def f():\n    for i, (a, b) in enumerate(xs):\n        use(a)\n",
    "lambda q: use(q)\n",
])
def test_odd_statements_do_not_break_the_analysis(code: str) -> None:
    flow, module = _flow(code)
    for name in _reads(module):
        flow.definitions(name)
