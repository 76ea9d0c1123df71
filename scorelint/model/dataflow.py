"""Which definitions of a name reach a use: flow-sensitive, per function, computed lazily.

A rule asks about the value a name holds where it is read. Python code binds
names many times (`e = exp(z); e = e / e.sum()`, `x -= x.max()`, a branch
that shifts and one that does not), so "the value" is the set of definitions
that can reach that read along some path: branches join, loops run to a
fixpoint, `break`/`continue`/`return`/`raise` end a path, `try` handlers may
start from any point of the `try` body. A rule fires when *any* reaching
definition is bad and stays quiet only when *all* are safe.

Each function body (and the module body, and each class body) is analysed
once, the first time a rule asks about a name in it. Names that a function
reads but does not bind (globals, closures) reach it through every
definition in the scope that binds them: the function may run at any time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import libcst as cst

from scorelint.base import limits
from scorelint.model import walk
from scorelint.model.semantic import COMPREHENSION, Scope, Semantic

# What kind of statement made a definition.
ASSIGN = "assign"  # `x = v`, `x: T = v`, `x := v`: `value` is `v`
AUGMENT = "augment"  # `x += v`: `previous` are the definitions it updates
ELEMENT = "element"  # `for x in xs`, `[... for x in xs]`: `element_of` is `xs`
UNPACK = "unpack"  # `a, b = f()`: one part of a value we cannot split
PARAMETER = "parameter"
IMPORT = "import"
BUILTIN = "builtin"
DEFINE = "define"  # `def x`, `class x`: `statement` is the definition
OTHER = "other"  # `with ... as x`, `except E as x`, a match capture, `del x`


@dataclass(frozen=True, eq=False)
class Definition:
    """One place that binds a name, and what it binds it to as far as the code shows."""

    name: str
    kind: str
    target: cst.CSTNode  # the bound `Name` (or `Param`, import alias, def)
    statement: cst.CSTNode  # the statement or expression that binds it
    value: cst.BaseExpression | None = None
    previous: tuple[Definition, ...] = ()  # AUGMENT: what `x` held before `x += v`
    element_of: cst.BaseExpression | None = None  # ELEMENT: the iterable
    loop: cst.CSTNode | None = None  # the innermost loop the binding runs in

    def __repr__(self) -> str:
        return f"Definition({self.name!r}, {self.kind})"


State = dict[str, frozenset[Definition]]
_EMPTY: frozenset[Definition] = frozenset()
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


def _join(states: Iterable[State | None]) -> State | None:
    """The state after paths meet: a name may hold what it holds on any of them."""
    live = [s for s in states if s is not None]
    if not live:
        return None
    if len(live) == 1:
        return dict(live[0])
    joined: State = {}
    for state in live:
        for name, defs in state.items():
            joined[name] = joined.get(name, _EMPTY) | defs
    return joined


@dataclass
class _Loop:
    node: cst.CSTNode
    breaks: list[State] = field(default_factory=list)
    continues: list[State] = field(default_factory=list)


class ScopeFlow:
    """Reaching definitions for every name read in one function, class or module body.

    `uses` maps each `Name` read in the body (comprehensions included, nested
    functions and lambdas not) to the definitions that reach it; `before`
    maps each statement to the state on entry to it; `all` lists every
    definition the body makes, by name.
    """

    def __init__(self, owner: cst.CSTNode) -> None:
        self.owner = owner
        self.uses: dict[cst.Name, frozenset[Definition]] = {}
        self.before: dict[cst.CSTNode, State] = {}
        self.all: dict[str, list[Definition]] = {}
        self.declared_outside: set[str] = set()  # `global x` / `nonlocal x`
        self._loops: list[_Loop] = []
        self._handlers: list[list[State]] = []  # states seen inside each enclosing `try`
        state: State = {}
        if isinstance(owner, (cst.FunctionDef, cst.Lambda)):
            for param in _params(owner.params):
                self._bind(state, param.name.value, PARAMETER, param, param)
        if isinstance(owner, cst.Lambda):
            self._expr(owner.body, state)
            return
        body = owner.body
        if isinstance(owner, cst.Module):
            self._block(body, state)
        else:
            self._suite(body, state)  # type: ignore[arg-type]

    # -- bookkeeping --------------------------------------------------------
    def _bind(self, state: State, name: str, kind: str, target: cst.CSTNode,
              statement: cst.CSTNode, **details: object) -> Definition:
        loop = self._loops[-1].node if self._loops else None
        definition = Definition(name, kind, target, statement, loop=loop, **details)  # type: ignore[arg-type]
        known = self.all.setdefault(name, [])
        if not any(_same_definition(d, definition) for d in known):
            known.append(definition)
        else:  # a loop walked twice binds the same target again: keep one object
            definition = next(d for d in known if _same_definition(d, definition))
        state[name] = frozenset((definition,))
        return definition

    def _use(self, state: State, name: cst.Name) -> None:
        defs = state.get(name.value, _EMPTY)
        seen = self.uses.get(name)
        self.uses[name] = defs if seen is None else seen | defs

    # -- statements -----------------------------------------------------------
    def _block(self, body: Iterable[cst.CSTNode], state: State | None) -> State | None:
        for stmt in body:
            if state is None:
                return None  # unreachable after return / raise / break / continue
            state = self._statement(stmt, state)
        return state

    def _suite(self, suite: cst.BaseSuite, state: State | None) -> State | None:
        if isinstance(suite, cst.SimpleStatementSuite):
            return self._block(suite.body, state)
        return self._block(suite.body, state)  # type: ignore[attr-defined]

    def _statement(self, stmt: cst.CSTNode, state: State) -> State | None:
        limits.check_time()  # the file's time budget (`scorelint.base.limits`)
        if self._handlers:
            self._handlers[-1].append(dict(state))
        self.before[stmt] = dict(state)
        if isinstance(stmt, cst.SimpleStatementLine):
            return self._block(stmt.body, state)
        method = getattr(self, f"_s_{type(stmt).__name__}", None)
        if method is not None:
            return method(stmt, state)
        self._expr_children(stmt, state)
        return state

    def _s_Assign(self, stmt: cst.Assign, state: State) -> State:
        self._expr(stmt.value, state)
        for target in stmt.targets:
            self._assign(target.target, stmt, stmt.value, state)
        return state

    def _s_AnnAssign(self, stmt: cst.AnnAssign, state: State) -> State:
        if stmt.value is not None:
            self._expr(stmt.value, state)
            self._assign(stmt.target, stmt, stmt.value, state)
        return state

    def _s_AugAssign(self, stmt: cst.AugAssign, state: State) -> State:
        self._expr(stmt.value, state)
        target = stmt.target
        if isinstance(target, cst.Name):
            self._use(state, target)
            previous = tuple(state.get(target.value, _EMPTY))
            self._bind(state, target.value, AUGMENT, target, stmt, previous=previous)
        else:
            self._expr(target, state)
        return state

    def _s_Expr(self, stmt: cst.Expr, state: State) -> State:
        self._expr(stmt.value, state)
        return state

    def _s_Return(self, stmt: cst.Return, state: State) -> None:
        if stmt.value is not None:
            self._expr(stmt.value, state)
        return None

    def _s_Raise(self, stmt: cst.Raise, state: State) -> None:
        self._expr_children(stmt, state)
        return None

    def _s_Break(self, stmt: cst.Break, state: State) -> None:
        if self._loops:
            self._loops[-1].breaks.append(dict(state))
        return None

    def _s_Continue(self, stmt: cst.Continue, state: State) -> None:
        if self._loops:
            self._loops[-1].continues.append(dict(state))
        return None

    def _s_Global(self, stmt: cst.Global, state: State) -> State:
        self.declared_outside.update(n.name.value for n in stmt.names)
        return state

    _s_Nonlocal = _s_Global  # type: ignore[assignment]

    def _s_Del(self, stmt: cst.Del, state: State) -> State:
        for name in _names_in_target(stmt.target):
            state[name.value] = _EMPTY
        return state

    def _s_Import(self, stmt: cst.Import | cst.ImportFrom, state: State) -> State:
        names = stmt.names
        if isinstance(names, cst.ImportStar):
            return state
        for alias in names:
            bound = alias.asname.name if alias.asname is not None else alias.name
            if isinstance(bound, cst.Name):
                self._bind(state, bound.value, IMPORT, alias, stmt)
            elif isinstance(bound, cst.Attribute):  # `import a.b` binds `a`
                root: cst.BaseExpression = bound
                while isinstance(root, cst.Attribute):
                    root = root.value
                if isinstance(root, cst.Name):
                    self._bind(state, root.value, IMPORT, alias, stmt)
        return state

    _s_ImportFrom = _s_Import  # type: ignore[assignment]

    def _s_FunctionDef(self, stmt: cst.FunctionDef, state: State) -> State:
        for decorator in stmt.decorators:
            self._expr(decorator.decorator, state)
        for param in _params(stmt.params):
            if param.default is not None:
                self._expr(param.default, state)
        self._bind(state, stmt.name.value, DEFINE, stmt.name, stmt)
        return state

    def _s_ClassDef(self, stmt: cst.ClassDef, state: State) -> State:
        for decorator in stmt.decorators:
            self._expr(decorator.decorator, state)
        for arg in (*stmt.bases, *stmt.keywords):
            self._expr(arg.value, state)
        self._bind(state, stmt.name.value, DEFINE, stmt.name, stmt)
        return state

    def _s_If(self, stmt: cst.If, state: State) -> State | None:
        self._expr(stmt.test, state)
        taken = self._suite(stmt.body, dict(state))
        if stmt.orelse is None:
            other: State | None = state
        elif isinstance(stmt.orelse, cst.If):
            other = self._statement(stmt.orelse, dict(state))
        else:
            other = self._suite(stmt.orelse.body, dict(state))
        return _join((taken, other))

    def _s_While(self, stmt: cst.While, state: State) -> State | None:
        return self._loop(stmt, state, lambda s: self._expr(stmt.test, s))

    def _s_For(self, stmt: cst.For, state: State) -> State | None:
        self._expr(stmt.iter, state)

        def bind_target(s: State) -> None:
            for name in _names_in_target(stmt.target):
                self._bind(s, name.value, ELEMENT, name, stmt, element_of=stmt.iter)
            if not isinstance(stmt.target, cst.Name):
                self._expr(stmt.target, s, store=True)

        return self._loop(stmt, state, bind_target)

    def _loop(self, stmt: cst.For | cst.While, state: State, head: object) -> State | None:
        """Walk the body until the state at the loop's head stops growing."""
        entry = state
        loop = _Loop(stmt)
        for _ in range(8):  # reaching definitions settle in a few rounds
            loop = _Loop(stmt)
            at_head = dict(entry)
            self._loops.append(loop)
            head(at_head)  # type: ignore[operator]
            after_head = dict(at_head)
            end = self._suite(stmt.body, at_head)
            self._loops.pop()
            again = _join((entry, end, *loop.continues))
            if again == entry:
                break
            entry = again  # type: ignore[assignment]
        # The loop exits when its test fails (or the iterable runs out), or at a `break`.
        exit_state = _join((entry,)) if isinstance(stmt, cst.For) else _join((after_head,))
        if stmt.orelse is not None:
            exit_state = self._suite(stmt.orelse.body, exit_state)
        return _join((exit_state, *loop.breaks))

    def _s_Try(self, stmt: cst.Try | cst.TryStar, state: State) -> State | None:
        self._handlers.append([dict(state)])
        end = self._suite(stmt.body, state)
        seen = self._handlers.pop()
        if end is not None:
            seen.append(end)
        entry = _join(seen)
        outs: list[State | None] = []
        if stmt.orelse is not None:
            end = self._suite(stmt.orelse.body, end)
        outs.append(end)
        for handler in stmt.handlers:
            at = dict(entry) if entry is not None else {}
            if handler.type is not None:
                self._expr(handler.type, at)
            if handler.name is not None and isinstance(handler.name.name, cst.Name):
                self._bind(at, handler.name.name.value, OTHER, handler.name.name, handler)
            outs.append(self._suite(handler.body, at))
        if stmt.finalbody is not None:
            joined = _join(outs)
            return self._suite(stmt.finalbody.body, joined if joined is not None else dict(state))
        return _join(outs)

    _s_TryStar = _s_Try  # type: ignore[assignment]

    def _s_With(self, stmt: cst.With, state: State) -> State | None:
        for item in stmt.items:
            self._expr(item.item, state)
            if item.asname is not None:
                for name in _names_in_target(item.asname.name):
                    self._bind(state, name.value, OTHER, name, stmt)
        return self._suite(stmt.body, state)

    def _s_Match(self, stmt: cst.CSTNode, state: State) -> State | None:
        self._expr(stmt.subject, state)  # type: ignore[attr-defined]
        outs: list[State | None] = [state]
        for case in stmt.cases:  # type: ignore[attr-defined]
            at = dict(state)
            for name in _captures(case.pattern):
                self._bind(at, name.value, OTHER, name, case)
            if case.guard is not None:
                self._expr(case.guard, at)
            outs.append(self._suite(case.body, at))
        return _join(outs)

    # -- bindings -------------------------------------------------------------
    def _assign(self, target: cst.BaseExpression, stmt: cst.CSTNode,
                value: cst.BaseExpression | None, state: State) -> None:
        if isinstance(target, cst.Name):
            self._bind(state, target.value, ASSIGN, target, stmt, value=value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            parts = _unpacked(target, value)
            for element, part in zip(target.elements, parts):
                inner = element.value
                if isinstance(element, cst.StarredElement):
                    for name in _names_in_target(inner):
                        self._bind(state, name.value, UNPACK, name, stmt)
                elif part is not None:
                    self._assign(inner, stmt, part, state)
                else:
                    for name in _names_in_target(inner):
                        self._bind(state, name.value, UNPACK, name, stmt)
                    if not isinstance(inner, cst.Name):
                        self._expr(inner, state, store=True)
        else:  # `a.b = v`, `a[i] = v`: reads `a` (and `i`)
            self._expr(target, state, store=True)

    # -- expressions ----------------------------------------------------------
    def _expr(self, node: cst.CSTNode, state: State, store: bool = False) -> None:
        """Record the reads in `node`, in evaluation order as far as bindings care."""
        # Exact classes, not isinstance: LibCST's nodes are ABCs, and an isinstance on one
        # is a Python-level call (this loop meets every node of every function).
        stack: list[cst.CSTNode] = [node]
        while stack:
            current = stack.pop()
            kind = type(current)
            if kind is cst.Name:
                self._use(state, current)
                continue
            if kind is cst.Attribute:
                stack.append(current.value)  # `a.b` reads `a`, not `b`
                continue
            if kind is cst.NamedExpr:
                self._expr(current.value, state)
                if isinstance(current.target, cst.Name):
                    self._bind(state, current.target.value, ASSIGN, current.target, current,
                               value=current.value)
                continue
            if kind in _COMPREHENSIONS:
                self._comprehension(current, state)
                continue
            if kind is cst.Lambda:
                for param in _params(current.params):
                    if param.default is not None:
                        self._expr(param.default, state)
                continue  # its body is its own scope
            if kind is cst.FunctionDef or kind is cst.ClassDef:
                continue
            if kind is cst.Arg and current.keyword is not None:
                stack.append(current.value)  # `f(x=v)`: the keyword is not a read
                continue
            stack.extend(reversed(walk.children(current)))

    def _expr_children(self, node: cst.CSTNode, state: State) -> None:
        for child in walk.children(node):
            if isinstance(child, cst.BaseExpression):
                self._expr(child, state)

    def _comprehension(self, node: cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp,
                       state: State) -> None:
        inner = dict(state)  # its targets are its own; a walrus inside still binds outside
        comp: cst.CompFor | None = node.for_in
        while comp is not None:
            self._expr(comp.iter, inner)
            for name in _names_in_target(comp.target):
                self._bind(inner, name.value, ELEMENT, name, comp, element_of=comp.iter)
            for condition in comp.ifs:
                self._expr(condition.test, inner)
            comp = comp.inner_for_in
        if isinstance(node, cst.DictComp):
            self._expr(node.key, inner)
            self._expr(node.value, inner)
        else:
            self._expr(node.elt, inner)
        for name, defs in inner.items():  # walrus bindings leak out, as Python's do
            if any(d.kind == ASSIGN and isinstance(d.statement, cst.NamedExpr) for d in defs):
                state[name] = defs


def _same_definition(a: Definition, b: Definition) -> bool:
    return a.target is b.target and a.statement is b.statement and a.kind == b.kind


def _params(params: cst.Parameters) -> Iterator[cst.Param]:
    yield from params.posonly_params
    yield from params.params
    if isinstance(params.star_arg, cst.Param):
        yield params.star_arg
    yield from params.kwonly_params
    if params.star_kwarg is not None:
        yield params.star_kwarg


def _names_in_target(target: cst.BaseExpression) -> list[cst.Name]:
    """The names a target binds: `x`, `a, (b, *c)`; not `a.b` or `a[i]`."""
    if isinstance(target, cst.Name):
        return [target]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for e in target.elements for n in _names_in_target(e.value)]
    if isinstance(target, cst.StarredElement):
        return _names_in_target(target.value)
    return []


def _unpacked(target: cst.Tuple | cst.List,
              value: cst.BaseExpression | None) -> list[cst.BaseExpression | None]:
    """`a, b = x, y`: each target's own value, when the right side is a literal of the
    same length with no starred parts; else nothing is known of each part."""
    count = len(target.elements)
    if isinstance(value, (cst.Tuple, cst.List)) and len(value.elements) == count and not any(
            isinstance(e, cst.StarredElement) for e in (*value.elements, *target.elements)):
        return [e.value for e in value.elements]
    return [None] * count


def _captures(pattern: cst.CSTNode) -> list[cst.Name]:
    found: list[cst.Name] = []
    stack = [pattern]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.MatchAs) and node.name is not None:
            found.append(node.name)
        elif isinstance(node, cst.MatchStar) and node.name is not None:
            found.append(node.name)
        elif isinstance(node, cst.MatchMapping) and node.rest is not None:
            found.append(node.rest)
        stack.extend(walk.children(node))
    return found


class DataFlow:
    """Reaching definitions across one file, answered from the file's semantic model
    and a `ScopeFlow` per function, computed the first time a name in it is asked about."""

    def __init__(self, model: Semantic) -> None:
        self.model = model
        self.module = model.module  # the body the global scope stands for
        self._flows: dict[cst.CSTNode, ScopeFlow] = {}
        # Per function, class or module: each node's parent, by the node's `id` (a node
        # hashes by identity, but through a Python-level `__hash__`), and every node under it.
        self._walks: dict[cst.CSTNode, tuple[dict[int, cst.CSTNode], list[cst.CSTNode]]] = {}

    def flow(self, owner: cst.CSTNode) -> ScopeFlow:
        found = self._flows.get(owner)
        if found is None:
            found = self._flows[owner] = ScopeFlow(owner)
        return found

    def _home(self, node: cst.CSTNode) -> Scope | None:
        """The function, class or module scope `node` is evaluated in (comprehensions are
        analysed with the function around them)."""
        return self.model.home(node)

    def home(self, node: cst.CSTNode) -> cst.CSTNode | None:
        """The function, class or module whose body evaluates `node`."""
        scope = self._home(node)
        return None if scope is None else self._owner(scope)

    def _owner(self, scope: Scope) -> cst.CSTNode:
        return self.model.owner_node(scope)

    def definitions(self, name: cst.Name) -> tuple[Definition, ...] | None:
        """The definitions of `name` that may reach this read of it, or None when the
        code cannot say (a `global` declaration, a name we have no scope for)."""
        found_flow = self._local_flow(name)
        if found_flow is None:
            return None
        scope, flow = found_flow
        if name.value in flow.all or (name in flow.uses and flow.uses[name]):
            found = flow.uses.get(name)
            if found is not None:
                return _in_order(flow, name.value, found)
        return self._outside(scope, name)

    def _local_flow(self, name: cst.Name) -> tuple[Scope, ScopeFlow] | None:
        """The scope `name` is read in and its analysis; None when the code cannot say
        (no scope for it, or a `global` / `nonlocal` declaration)."""
        scope = self._home(name)
        if scope is None:
            return None
        flow = self.flow(self._owner(scope))
        if name.value in flow.declared_outside:
            return None
        return scope, flow

    def _outside(self, scope: Scope, name: cst.Name) -> tuple[Definition, ...] | None:
        """A name bound in an enclosing scope (a global, a closure) may hold any value that
        scope ever gives it; a builtin is a builtin."""
        found: list[Definition] = []
        for binding in scope.lookup(name.value):
            if binding.is_builtin:
                found.append(Definition(name.value, BUILTIN, name, name))
            else:
                owner = binding.scope
                while owner.kind == COMPREHENSION:
                    owner = owner.parent
                if owner is scope:
                    continue
                flow = self.flow(self._owner(owner))
                if binding.is_import and name.value not in flow.all:
                    found.append(Definition(name.value, IMPORT, binding.node, binding.node))  # type: ignore[arg-type]
                    continue
                for definition in flow.all.get(name.value, ()):
                    if definition not in found:
                        found.append(definition)
        return tuple(found) if found else None

    def every(self, name: cst.Name) -> tuple[Definition, ...] | None:
        """Every definition of `name` in the scope that binds it, wherever it stands."""
        found_flow = self._local_flow(name)
        if found_flow is None:
            return None
        scope, flow = found_flow
        if name.value in flow.all:
            return tuple(flow.all[name.value])
        return self._outside(scope, name)

    def reaching_at(self, name: str, at: cst.CSTNode) -> frozenset[Definition] | None:
        """The definitions of `name` that reach the statement holding `at`."""
        scope = self._home(at)
        if scope is None:
            return None
        owner = self._owner(scope)
        flow = self.flow(owner)
        statement = self._statement_of(owner, flow, at)
        if statement is None:
            return None
        if name not in flow.all:
            return _EMPTY  # not bound in this scope: the same wherever it is read
        return flow.before[statement].get(name, _EMPTY)

    def reads_of(self, definition: Definition, at: cst.CSTNode) -> list[cst.Name]:
        """Every read of a name that `definition` may reach, in the scope holding `at`."""
        home = self.home(at)
        if home is None:
            return []
        return [name for name, defs in self.flow(home).uses.items() if definition in defs]

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        """The nodes around `node`, innermost first, up to its function, class or module."""
        home = self.home(node)
        if home is None:
            return
        parents = self._walked(home)[0]
        current = parents.get(id(node))
        while current is not None:
            yield current
            current = parents.get(id(current))

    def nodes_under(self, owner: cst.CSTNode) -> list[cst.CSTNode]:
        """Every node under `owner` (a function, class or module), from the walk `ancestors`
        shares, instead of another walk of LibCST's `children`."""
        return self._walked(owner)[1]

    def _walked(self, owner: cst.CSTNode) -> tuple[dict[int, cst.CSTNode], list[cst.CSTNode]]:
        found = self._walks.get(owner)
        if found is None:
            parents: dict[int, cst.CSTNode] = {}
            nodes: list[cst.CSTNode] = []
            stack = [owner]
            while stack:
                current = stack.pop()
                for child in walk.children(current):
                    parents[id(child)] = current
                    nodes.append(child)
                    stack.append(child)
            found = self._walks[owner] = (parents, nodes)
        return found

    def _statement_of(self, owner: cst.CSTNode, flow: ScopeFlow,
                      node: cst.CSTNode) -> cst.CSTNode | None:
        parents = self._walked(owner)[0]
        current: cst.CSTNode | None = node
        while current is not None and current not in flow.before:
            current = parents.get(id(current))
        return current


def _in_order(flow: ScopeFlow, name: str, found: frozenset[Definition]) -> tuple[Definition, ...]:
    """`found` in source order (the order the analysis met them), so results are stable."""
    return tuple(d for d in flow.all.get(name, ()) if d in found)
