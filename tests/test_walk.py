"""scorelint.model.walk meets the same nodes, in the same order, as LibCST's own traversal.

The engine's rule pass (`scorelint.engine.linter.visit`, on walk's field tables), the
data flow and the facts walk trees with `walk.children` instead of `node.visit` and
`node.children` (which rebuild every node they pass). A rule sees what it would have seen under LibCST only if
the two agree exactly: every `on_visit` / `on_leave` event on the same node
object, in the same order, children skipped where `on_visit` says so, and the
same children list for every node. Checked here on every fixture file, every
rule example, the edge-case files, a file holding every kind of LibCST node,
and scorelint's own sources (real code).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from pathlib import Path

import libcst as cst
import pytest

from scorelint.base import limits
from scorelint.engine import linter as engine
from scorelint.engine.registry import all_rules
from scorelint.model import walk

ROOT = Path(__file__).resolve().parent.parent

# Every kind of node LibCST has (the newest syntax too: LibCST parses it whatever
# Python runs the tests), in the shapes whose field order is easiest to get wrong:
# decorators before `def`, `lpar` before a value, optional parts present and absent.
ALL_SYNTAX = '''\
#!/usr/bin/env python
# a comment
"""Docstring."""  # trailing comment
from __future__ import annotations
import os.path as osp, sys
from . import (a as b, c,)
from ..pkg.mod import *
lazy import heavy.module as hm
lazy from heavy import thing
x: int = (1)
y = z = 2.5j + 0x1F - 3.0e-2 * 4 / 5 // 6 % 7 ** 8 @ m << 1 >> 2 & 3 | 4 ^ 5
x += 1; x -= 1; x *= 2; x /= 2; x //= 2; x %= 2; x **= 2; x @= m
x <<= 1; x >>= 1; x &= 1; x |= 1; x ^= 1
s = "a" 'b' f"c{d!r:>{w}}" f'{e=}'
tmpl = t"t{u!s:{v}}"
raw = rb"raw" b'more'
t = (not a) and b or (-c) + (+d) + (~e)
cmp = a < b <= c > d >= e == f != g in h not in i is j is not k
sub = q[1:2:3, ::, 4, ...]
lam = lambda a, /, b=1, *args, c, d=2, **kw: (a, b)
lam2 = lambda *, k: k
gen = (i for i in range(3) if i if not i)
lst = [i async for i in aiter() if i]
st = {i for i in s}
dc = {k: v for k, v in d.items()}
sdc = {**m for m in ms}
lit = [1, *rest], {1, 2}, {"a": 1, **more}, (), (1,)
cond = a if b else c
walrus = [(n := 10), n]
call = f(a, *b, c=1, **d)(x)[0].attr
broken = f(
    a,  # a comment inside brackets
    b,
)
del a, b[0], c.d
assert x, "message"
global g
nonlocal_holder = None
type Alias[T: int = str, *Ts = (), **P = []] = list[T]

@decorator
@other.decorator(1)
async def func[T: (int, str), *Ts, **P](pos, /, a: int = 1, *args: T, kw, **kwargs) -> T:
    nonlocal nl
    await thing()
    async with a as b, c:
        pass
    async for i in items:
        yield i
        yield from others
        break
    else:
        continue
    return


class Cls[T](Base, metaclass=Meta):
    """Docstring."""
    attr: int

    def method(self, *, key=None):
        while True:
            if a:
                raise ValueError("x") from err
            elif b:
                pass
            else:
                return
        with (open(p) as f, open(q) as g):
            pass


try:
    pass
except (ValueError, TypeError) as err:
    pass
except Exception:
    pass
else:
    pass
finally:
    pass

try:
    pass
except* ValueError as group:
    pass

match command.split():
    case [action, *rest] if action:
        pass
    case ["go", ("north" | "south") as direction]:
        pass
    case {"x": 1, "y": _, **others}:
        pass
    case Point(x=0, y=0) | Point(1, 2):
        pass
    case (1, 2) | None | True | -1 | 1 + 2j | a.b:
        pass
    case _:
        pass

if x: pass

# Parentheses around every kind of expression, statements ending in `;`, blank lines
# and comments where a block, a decorator or the module ends.
par = ((name), (a.b), (f()), (a + b), (a and b), (a < b), ("s" "t"), ({}), ([]), ({1}))
par = (([i for i in x]), ({i for i in x}), ({k: v for k in d}), ({**e for e in es}))
par = ((...), (1.5), (1j), (f"x"), (t"x"), (a if b else c), (lambda: 0), (x[0]), ("s"))
par = [*a, b], (*c, d), {**e, "f": 1}, x[*ts], t"{x=}", [i for i in x for j in i]
pass; x = 1; x += 1; x: int = 1; del x; assert x; import m; from m import n
lazy import m; lazy from . import (n); type A = int; global g; print(x);
raise; return x; from m import n; global g, h
b = (
    1,

    # a blank line and a comment inside brackets
)


@decorator

class Decorated:

    @first
    # a comment between decorators
    @second

    def f(self):
        nonlocal a, b; nonlocal c
        return (yield)

    async def g(self):
        return (await (x))
        # a comment at the end of a block


while x:

    break; continue;

else:
    pass

for i in x:
    pass
    # the block's footer
# the module's
with a:

    pass

try:
    pass

except ValueError:
    pass

try:
    pass

except* TypeError:
    pass

else:
    pass

finally:
    pass

match x:

    case {"a": 1, **rest,}:
        pass
    case [*_, last,] | ((a) as b):
        pass
    case (Point(x=1)) | ([1]) | ({"a": 1}):
        pass
    # the match's footer

# the module's footer
'''


# LibCST's validation of a chain of a thousand unary operators is quadratic: 5 s to
# parse it, 20 s for its `.children`. Deep nesting is covered by the nested lists (and
# `scorelint.engine.linter.visit` takes one frame per level where LibCST's visit takes three or more).
TOO_SLOW_FOR_LIBCST = {"deeply_nested_unary.py"}


class Recorder(cst.CSTVisitor):
    """Records every event as (event, id of the node), and skips the children of the
    nodes `skip` names (to check that `on_visit` returning False is honoured)."""

    def __init__(self, skip: Callable[[int, cst.CSTNode], bool] | None = None) -> None:
        super().__init__()
        self.events: list[tuple[str, int]] = []
        self.skip = skip

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.events.append(("visit", id(node)))
        return not (self.skip and self.skip(len(self.events), node))

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.events.append(("leave", id(original_node)))


def _skips() -> list[Callable[[int, cst.CSTNode], bool] | None]:
    """Enter everything; skip every function and call; skip every seventh node."""
    return [
        None,
        lambda _, node: isinstance(node, (cst.FunctionDef, cst.Call, cst.Match)),
        lambda count, _: count % 7 == 0,
    ]


def _agree(module: cst.Module) -> set[tuple[type, str | None]]:
    """Asserts that `walk` and LibCST agree on `module`; returns what it met: (class,
    None) for each node class, (class, field) for each field that held a node."""
    for skip in _skips():
        ours, theirs = Recorder(skip), Recorder(skip)
        engine.visit(module, ours)
        module.visit(theirs)
        assert ours.events == theirs.events
    met: set[tuple[type, str | None]] = set()
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        met.add((type(node), None))
        met.update((type(node), name) for name in walk.FIELDS[type(node)]
                   if walk.KINDS[type(value := getattr(node, name))] == walk.NODE
                   or (walk.KINDS[type(value)] == walk.SEQUENCE and len(value)))
        expected = node.children
        found = walk.children(node)
        assert [id(n) for n in found] == [id(n) for n in expected], type(node).__name__
        stack.extend(expected)
    return met


def _check_texts(texts: Iterator[tuple[str, str]]) -> set[tuple[type, str | None]]:
    met: set[tuple[type, str | None]] = set()
    checked = 0
    for name, text in texts:
        try:
            module = limits.on_deep_stack(cst.parse_module, text)
        except (cst.ParserSyntaxError, RecursionError):
            continue  # an edge case LibCST rejects has no tree to walk
        try:
            met |= limits.on_deep_stack(_agree, module)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None
        checked += 1
    assert checked, "nothing was checked"
    return met


def _files(*patterns: str) -> Iterator[tuple[str, str]]:
    for pattern in patterns:
        for path in sorted(ROOT.glob(pattern)):
            if path.name in TOO_SLOW_FOR_LIBCST:
                continue
            yield str(path), path.read_bytes().decode("utf-8", errors="replace")


def _examples() -> Iterator[tuple[str, str]]:
    for rule in all_rules():
        for i, example in enumerate(rule.flagged):
            yield f"{rule.code} flagged {i}", example.code
            if example.fixed is not None:
                yield f"{rule.code} fixed {i}", example.fixed
        for i, example in enumerate(rule.clean):
            yield f"{rule.code} clean {i}", example.code


def _concrete_node_classes() -> set[type]:
    return {c for c in vars(cst).values() if inspect.isclass(c)
            and issubclass(c, cst.CSTNode) and not inspect.isabstract(c)}


def test_every_kind_of_node_is_walked_as_libcst_walks_it() -> None:
    met = _check_texts(iter([("ALL_SYNTAX", ALL_SYNTAX)]))
    # The proof covers every node class LibCST has, and every field its traversal enters
    # holding something, so no class or field is left to an unchecked order.
    classes = _concrete_node_classes()
    assert {c.__name__ for c in classes} - {c.__name__ for c, _ in met} == set()
    fields = {(c, name) for c in classes for name in walk.FIELDS[c]}
    # Python's grammar has no parenthesised `*x`: those two fields are always empty.
    never = {(cst.StarredElement, "lpar"), (cst.StarredElement, "rpar")}
    assert {(c.__name__, name) for c, name in fields - met - never} == set()


def test_fixtures_and_edge_cases_walk_as_libcst() -> None:
    met = _check_texts(_files("fixtures/**/*.py", "tests/data/**/*.py"))
    assert {(cst.FunctionDef, "decorators"), (cst.Call, "args"), (cst.BinaryOperation, "lpar")} <= met


def test_rule_examples_walk_as_libcst() -> None:
    """Every flagged, fixed and clean example of every rule."""
    met = _check_texts(_examples())
    assert {(cst.Call, "args"), (cst.Attribute, "value"), (cst.Subscript, "slice")} <= met


@pytest.mark.slow
def test_real_code_walks_as_libcst() -> None:
    """scorelint's own sources and rules: real code, about 30 k lines."""
    _check_texts(_files("scorelint/**/*.py", "rules/**/*.py"))


def test_nodes_built_by_hand_walk_as_libcst() -> None:
    """Fixes build nodes with lists instead of tuples, defaults left as
    `MaybeSentinel.DEFAULT` or None, `import *`: the walk reads them as LibCST does."""
    call = cst.Call(func=cst.Name("f"), args=[cst.Arg(cst.Name("x")), cst.Arg(cst.Integer("1"))])
    star = cst.ImportFrom(module=cst.Name("m"), names=cst.ImportStar())
    names = cst.ImportFrom(module=None, relative=[cst.Dot()],
                           names=[cst.ImportAlias(cst.Name("a"))])
    module = cst.Module(body=[
        cst.SimpleStatementLine([cst.Expr(call.with_changes(lpar=[cst.LeftParen()],
                                                            rpar=[cst.RightParen()]))]),
        cst.SimpleStatementLine([star, names]),
    ])
    _agree(module)


class Spy(cst.BatchableCSTVisitor):
    """A rule stand-in that records its calls (`tests/test_trivia.py` extends it)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, int]] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(("visit_Call", id(node)))

    def leave_Call(self, original_node: cst.Call) -> None:
        self.calls.append(("leave_Call", id(original_node)))

    def visit_Name(self, node: cst.Name) -> None:
        self.calls.append(("visit_Name", id(node)))


def test_rule_pass_sees_what_libcst_visit_gives_it() -> None:
    """The engine's batched dispatcher under `scorelint.engine.linter.visit` calls each rule's visit_X /
    leave_X on the same nodes, in the same order, as under LibCST's visit."""
    module = cst.parse_module(ALL_SYNTAX)
    ours, theirs = Spy(), Spy()
    engine.visit(module, engine._Batched([ours], [], []))
    module.visit(engine._Batched([theirs], [], []))
    assert ours.calls == theirs.calls
    assert len(ours.calls) > 100
