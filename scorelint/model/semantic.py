"""The semantic model of one file: scopes, bindings, reads and imports, in one pass.

Rules and the data flow ask a few questions about names: which scope a node is
evaluated in, which bindings a name may refer to there, what an imported name
stands for (`np.exp` is `numpy.exp` after `import numpy as np`), where a binding
is read, which names a file uses. LibCST's `ScopeProvider` answers them, but it
needs `ExpressionContextProvider` first and both run LibCST's visitor machinery
over every node, whitespace included: about 40% of a whole run. `Semantic`
walks the node fields itself, once, skipping the nodes that only hold
formatting, and answers the same questions; qualified names, the reads of a
binding and the names in use are worked out only when first asked.

The answers are LibCST 1.x's (`tests/test_scopes.py` compares them on every
fixture, rule example and data file), with its rules of order: a read sees the
bindings its scope made before it (else the enclosing scope's), a binding's
reads are the later ones. Python's scoping: a class body is not visible from
the functions and comprehensions in it; a comprehension's first iterable, a
parameter's default and annotation, decorators and a return annotation are
evaluated in the enclosing scope; `global` and `nonlocal` bind elsewhere. Where
LibCST departs from Python we follow Python, on purpose:

- `x := v` inside a comprehension binds `x` in the enclosing function, class or
  module scope (LibCST binds it in the comprehension);
- a `match` capture (`case [x, *rest]:`) binds its name; a class pattern's keyword
  (`case Point(x=0)`) is an attribute, not a read (LibCST reads both);
- names inside string annotations are not read (LibCST parses each string).

`del x` is a read (it needs a binding), as in LibCST. `from m import *` binds
nothing we can name.
"""

from __future__ import annotations

import builtins
import dataclasses
import typing
from collections.abc import Iterator

import libcst as cst
from libcst.helpers import get_full_name_for_node

MODULE, CLASS, FUNCTION, COMPREHENSION, ANNOTATION, BUILTINS = (
    "module", "class", "function", "comprehension", "annotation", "builtins")

# Nodes that only hold formatting: never walked.
_FORMAT = (cst.BaseParenthesizableWhitespace, cst.EmptyLine, cst.TrailingWhitespace,
           cst.Newline, cst.Comment, cst.Semicolon, cst.Comma, cst.Dot, cst.LeftParen,
           cst.RightParen, cst.LeftSquareBracket, cst.RightSquareBracket, cst.LeftCurlyBrace,
           cst.RightCurlyBrace, cst.BaseBinaryOp, cst.BaseBooleanOp, cst.BaseUnaryOp,
           cst.BaseCompOp, cst.BaseAugOp, cst.AssignEqual, cst.Colon, cst.Asynchronous,
           cst.ParamStar, cst.ParamSlash, cst.ImportStar)
# Fields LibCST visits in another order than it declares them (source order).
_ORDER = {
    cst.IfExp: ("body", "test", "orelse"),
    cst.ExceptHandler: ("type", "name", "body"),
    cst.ExceptStarHandler: ("type", "name", "body"),
    cst.Parameters: ("posonly_params", "params", "star_arg", "kwonly_params", "star_kwarg"),
}
# Leaving one of these counts one binding step in the scope (LibCST's `_assignment_count`):
# a read sees the bindings made before it.
_STEPS = (cst.AnnAssign, cst.AsName, cst.Assign, cst.AugAssign, cst.ClassDef, cst.CompFor,
          cst.FunctionDef, cst.Global, cst.Import, cst.ImportFrom, cst.NamedExpr,
          cst.Nonlocal, cst.Parameters, cst.WithItem, cst.TypeVar, cst.TypeAlias,
          cst.TypeVarTuple, cst.ParamSpec)
_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(cls: type) -> tuple[str, ...]:
    """The fields of a node class that may hold a node that is not formatting, in the
    order LibCST visits them (worked out once per class, from its type hints)."""
    found = _FIELDS.get(cls)
    if found is None:
        if cls in _ORDER:
            found = _ORDER[cls]
        else:
            hints = typing.get_type_hints(cls)
            found = tuple(f.name for f in dataclasses.fields(cls)
                          if any(isinstance(t, type) and issubclass(t, cst.CSTNode)
                                 and not issubclass(t, _FORMAT) for t in _leaves(hints[f.name])))
        _FIELDS[cls] = found
    return found


def _leaves(hint: object) -> Iterator[object]:
    args = typing.get_args(hint)
    if not args:
        yield hint
    for arg in args:
        yield from _leaves(arg)


_WALKED: dict[type, bool] = {}  # class of a field's value -> a node that is not formatting


def _walked(cls: type) -> bool:
    found = _WALKED[cls] = issubclass(cls, cst.CSTNode) and not issubclass(cls, _FORMAT)
    return found


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The children of `node` that are not formatting, in source order."""
    fields = _FIELDS.get(type(node))
    if fields is None:
        fields = _fields(type(node))
    out = []
    for name in fields:
        value = getattr(node, name)
        cls = type(value)
        if cls is tuple or cls is list:
            for item in value:
                walked = _WALKED.get(type(item))
                if walked or (walked is None and _walked(type(item))):
                    out.append(item)
        else:
            walked = _WALKED.get(cls)
            if walked or (walked is None and _walked(cls)):
                out.append(value)
    return out


class Binding:
    """A name bound in a scope: by an assignment, a `def`, a parameter, an import (its
    statement is `node`), a loop or `with` target... `index` orders it among the
    scope's bindings; a builtin has index -1 and no node."""

    __slots__ = ("_reads", "index", "is_import", "name", "node", "scope")

    def __init__(self, name: str, scope: Scope, node: cst.CSTNode | None, index: int,
                 is_import: bool = False) -> None:
        self.name, self.scope, self.node, self.index = name, scope, node, index
        self.is_import = is_import
        self._reads: set[Read] = set()

    @property
    def is_builtin(self) -> bool:
        return self.node is None

    def __repr__(self) -> str:
        return f"Binding({self.name!r}, {self.scope.kind})"

    def qualified_names(self, full_name: str) -> set[str]:
        """What `full_name` (this binding's name, maybe with attributes after it) stands
        for through an import or a builtin; empty for a local binding."""
        if self.node is None:
            return {f"builtins.{self.name}"}
        if self.is_import:
            return _imported(self.node, full_name)  # type: ignore[arg-type]
        return set()

    def _add_reads(self, reads: set[Read]) -> None:
        """LibCST's `record_accesses`: the later reads are this binding's; the earlier ones
        in its own scope read what the enclosing scope binds."""
        later = {r for r in reads if r.scope is not self.scope or self.index < r.index}
        self._reads |= later
        earlier = reads - later
        if earlier and self.scope.parent is not self.scope:
            for shadowed in self.scope.parent.lookup(self.name, self.scope.parent):
                shadowed._add_reads(earlier)


class Read:
    """A read of a name. `node` is the `Name`, or the longest attribute chain that names
    a binding (`os.path` in `os.path.join` after `import os.path`)."""

    __slots__ = ("_referents", "index", "name", "node", "scope", "top")

    def __init__(self, node: cst.Name, scope: Scope, index: int, top: cst.Attribute | None) -> None:
        self.node: cst.CSTNode = node
        self.scope, self.index, self.top = scope, index, top
        self.name: str | None = None  # set by `Semantic._place`
        self._referents: set[Binding] | None = None

    def referents(self) -> set[Binding]:
        """The bindings this read may see (LibCST's `Access.referents`)."""
        if self._referents is None:
            assert self.name is not None
            scope, name = self.scope, self.name
            seen = scope.lookup(name, scope)
            found = {b for b in seen if b.scope is not scope or b.index < self.index}
            if not found and seen and scope.parent is not scope:
                found = set(scope.parent.lookup(name, scope))
            self._referents = found
        return self._referents


class Scope:
    """A module, class, function (or lambda), comprehension or annotation scope."""

    __slots__ = (
        "bindings",
        "count",
        "kind",
        "name",
        "node",
        "overwrites",
        "parent",
        "reads",
    )

    def __init__(self, kind: str, node: cst.CSTNode | None, parent: Scope | None,
                 name: str | None = None) -> None:
        self.kind, self.node, self.name = kind, node, name
        self.parent: Scope = parent if parent is not None else self
        self.bindings: dict[str, list[Binding]] = {}
        self.count = 0  # binding steps so far (see `_STEPS`)
        self.overwrites: dict[str, Scope] = {}  # `global x` / `nonlocal x`
        self.reads: list[Read] = []

    def __repr__(self) -> str:
        return f"Scope({self.kind}, {type(self.node).__name__})"

    def _visible_from(self, scope: Scope) -> bool:
        """A class body is seen only by its own annotation scopes (PEP 695)."""
        return self.kind != CLASS or (scope.parent is self and scope.kind == ANNOTATION)

    def _next_visible(self, scope: Scope, first: Scope | None = None) -> Scope:
        parent = first if first is not None else self.parent
        while not parent._visible_from(scope):
            parent = parent.parent
        return parent

    def __contains__(self, name: str) -> bool:
        """Does `name` refer to a binding here (in this scope or one it sees)?"""
        if self.kind == BUILTINS:
            return hasattr(builtins, name)
        if name in self.overwrites:
            return name in self.overwrites[name]
        if self.bindings.get(name):
            return True
        return name in self._next_visible(self)

    def lookup(self, name: str, scope: Scope | None = None) -> list[Binding]:
        """The bindings `name` may refer to when read in `scope` (default: this one): the
        innermost visible scope that binds it, whatever the order."""
        scope = self if scope is None else scope
        if self.kind == BUILTINS:
            found = self.bindings.get(name)
            if found is None and hasattr(builtins, name):
                found = self.bindings[name] = [Binding(name, self, None, -1)]
            return found or []
        if name in self.overwrites:
            return self._next_visible(scope, self.overwrites[name]).lookup(name, scope)
        if name in self.bindings:
            return self.bindings[name]
        return self._next_visible(scope).lookup(name, scope)

    def _target(self, name: str) -> Scope:
        """The scope a binding of `name` here goes to (`global` / `nonlocal` move it)."""
        if name in self.overwrites:
            return self._next_visible(self, self.overwrites[name])._target(name)
        return self

    def bind(self, name: str, node: cst.CSTNode, is_import: bool = False) -> None:
        target = self._target(name)
        target.bindings.setdefault(name, []).append(
            Binding(name, target, node, target.count, is_import))


class Semantic:
    """Every node's scope and every scope's bindings and reads, from one walk of
    `module`; the derived answers are computed on first use."""

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self.builtins = Scope(BUILTINS, None, None)
        self.globals = Scope(MODULE, None, self.builtins)
        self.scopes: list[Scope] = [self.globals]
        self._scope_of: dict[cst.CSTNode, Scope] = {}
        self._read_of: dict[cst.Name, Read] = {}
        self._referenced = False
        _Walker(self).module(module)

    # -- questions ---------------------------------------------------------------------
    def scope(self, node: cst.CSTNode) -> Scope | None:
        """The scope `node` is evaluated in (None for a node the walk does not place: an
        attribute's name, a keyword, formatting, an import's names)."""
        return self._scope_of.get(node)

    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        """What `node` refers to through imports and builtins (`numpy.exp` for `np.exp`
        after `import numpy as np`, `builtins.len`); empty for local names."""
        scope = self._scope_of.get(node)
        if scope is None:
            return set()
        read = self._read_at(node)
        if read is not None:
            return {q for b in read.referents() for q in b.qualified_names(b.name)}
        full_name = get_full_name_for_node(node)
        if full_name is None:
            return set()
        found: list[Binding] = []
        prefix: str | None = full_name
        while prefix:
            if prefix in scope:
                found = scope.lookup(prefix)
                break
            cut = prefix.rfind(".")
            prefix = None if cut == -1 else prefix[:cut]
        for binding in found:
            if binding.node is not None and _binds(node, binding.node):
                return binding.qualified_names(full_name)
        return {q for binding in found for q in binding.qualified_names(full_name)}

    def _read_at(self, node: cst.CSTNode) -> Read | None:
        """The read whose node is `node` (a `Name`, or the attribute chain it was widened to)."""
        base = node
        while isinstance(base, cst.Attribute):
            base = base.value
        read = self._read_of.get(base) if isinstance(base, cst.Name) else None
        if read is None:
            return None
        if read.name is None:
            self._place(read)
        return read if read.node is node else None

    def _place(self, read: Read) -> None:
        """LibCST's rule: a read inside `a.b.c` is of the longest prefix the scope binds."""
        name = read.node.value  # type: ignore[attr-defined]
        if read.top is not None:
            for dotted, node in _dotted_names(read.top):
                if dotted in read.scope:
                    read.node, name = node, dotted
                    break
        read.name = name

    def reads(self, name: cst.Name) -> set[cst.CSTNode]:
        """Every node that reads a binding `name` may refer to where it stands."""
        scope = self._scope_of.get(name)
        if scope is None:
            return set()
        self._reference()
        return {read.node for b in scope.lookup(name.value) for read in b._reads}

    def _reference(self) -> None:
        """Give every binding its reads (LibCST's `infer_accesses`), once per file."""
        if self._referenced:
            return
        self._referenced = True
        groups: dict[tuple[Scope, str], set[Read]] = {}
        for scope in self.scopes:
            for read in scope.reads:
                if read.name is None:
                    self._place(read)
                groups.setdefault((scope, read.name), set()).add(read)  # type: ignore[arg-type]
        for (scope, name), reads in groups.items():
            for binding in scope.lookup(name):
                binding._add_reads(reads)

    def names_in_use(self) -> set[str]:
        """Every name bound or read anywhere in the file (a new import must not take one)."""
        names: set[str] = set()
        for scope in self.scopes:
            names.update(scope.bindings)
            for read in scope.reads:
                if read.name is None:
                    self._place(read)
                if isinstance(read.node, cst.Name):
                    names.add(read.node.value)
        return names

    def home(self, node: cst.CSTNode) -> Scope | None:
        """The function, class or module scope that evaluates `node` (a comprehension is
        part of the scope around it)."""
        scope = self._scope_of.get(node)
        while scope is not None and scope.kind == COMPREHENSION:
            scope = scope.parent
        return scope

    def owner_node(self, scope: Scope) -> cst.CSTNode:
        """The node whose body `scope` is (the module for the module scope)."""
        return scope.node if scope.node is not None else self.module


class _Walker:
    """The one pass: places every node that is not formatting in its scope, records
    bindings and reads in order."""

    def __init__(self, model: Semantic) -> None:
        self.model = model
        self.scope = model.globals
        self.scope_of = model._scope_of
        self.tops: list[cst.Attribute | None] = [None]  # outermost attribute, per call
        # Per node class: its handler and whether leaving it is a binding step.
        self.plans: dict[type, tuple[typing.Callable[[typing.Any], None], bool]] = {}
        self.special = {
            cst.Name: self._name, cst.Attribute: self._attribute, cst.Call: self._call,
            cst.Arg: self._arg, cst.Assign: self._assign, cst.AnnAssign: self._ann_assign,
            cst.AugAssign: self._aug_assign, cst.NamedExpr: self._named_expr,
            cst.AsName: self._as_name, cst.For: self._for, cst.Del: self._del,
            cst.Import: self._import, cst.ImportFrom: self._import,
            cst.FunctionDef: self._function, cst.Lambda: self._lambda,
            cst.ClassDef: self._class, cst.Global: self._global, cst.Nonlocal: self._nonlocal,
            cst.ListComp: self._comprehension, cst.SetComp: self._comprehension,
            cst.GeneratorExp: self._comprehension, cst.DictComp: self._comprehension,
            cst.CompFor: self._comp_for,
            cst.MatchAs: self._match_capture, cst.MatchStar: self._match_capture,
            cst.MatchMapping: self._match_mapping, cst.MatchKeywordElement: self._match_keyword,
            cst.TypeAlias: self._type_alias, cst.TypeVar: self._type_var,
            cst.TypeVarTuple: self._type_var, cst.ParamSpec: self._type_var,
        }

    def module(self, module: cst.Module) -> None:
        for statement in module.body:
            self.visit(statement)
        self.scope_of[module] = self.scope

    # -- the walk ------------------------------------------------------------------------
    def visit(self, node: cst.CSTNode) -> None:
        plan = self.plans.get(type(node))
        if plan is None:
            plan = self.plans[type(node)] = (self.special.get(type(node), self.children),
                                             issubclass(type(node), _STEPS))
        plan[0](node)
        self.scope_of[node] = self.scope
        if plan[1]:
            self.scope.count += 1

    def children(self, node: cst.CSTNode) -> None:
        for child in children(node):
            self.visit(child)

    def target(self, node: cst.CSTNode, store: bool) -> None:
        """A binding target (`store`) or a `del` target: names in it are bound (read for
        `del`); what an attribute or subscript in it reads is read."""
        if isinstance(node, cst.Name):
            if store:
                self.scope.bind(node.value, node)
            else:
                self._name(node)
        elif isinstance(node, (cst.Attribute, cst.Subscript)):
            self.visit(node)
            return
        elif isinstance(node, (cst.Tuple, cst.List, cst.StarredElement, cst.Element)):
            for child in children(node):
                self.target(child, store)
        else:  # anything else LibCST reads with the target's context
            for child in children(node):
                self.target(child, store)
        self.scope_of[node] = self.scope

    # -- names -------------------------------------------------------------------------
    def _name(self, node: cst.Name) -> None:
        read = Read(node, self.scope, self.scope.count, self.tops[-1])
        self.scope.reads.append(read)
        self.model._read_of[node] = read

    def _attribute(self, node: cst.Attribute) -> None:
        if self.tops[-1] is None:
            self.tops[-1] = node
        self.visit(node.value)  # not `attr`: it names no binding
        if self.tops[-1] is node:
            self.tops[-1] = None

    def _call(self, node: cst.Call) -> None:
        self.tops.append(None)
        self.children(node)
        self.tops.pop()

    def _arg(self, node: cst.Arg) -> None:
        self.visit(node.value)  # the keyword is no read

    # -- bindings ------------------------------------------------------------------------
    def _assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self.target(target.target, True)
            self.scope_of[target] = self.scope
        self.visit(node.value)

    def _ann_assign(self, node: cst.AnnAssign) -> None:
        self.target(node.target, True)
        self.visit(node.annotation)
        if node.value is not None:
            self.visit(node.value)

    def _aug_assign(self, node: cst.AugAssign) -> None:
        self.target(node.target, True)
        self.visit(node.value)

    def _named_expr(self, node: cst.NamedExpr) -> None:
        outer = self.scope  # Python: a walrus binds outside any comprehension
        while outer.kind == COMPREHENSION:
            outer = outer.parent
        if outer is self.scope:
            self.target(node.target, True)
            self.visit(node.value)
            return
        inner, self.scope = self.scope, outer
        self.target(node.target, True)
        self.scope = inner
        self.visit(node.value)
        outer.count += 1  # later reads in the enclosing scope see it

    def _as_name(self, node: cst.AsName) -> None:
        self.target(node.name, True)

    def _for(self, node: cst.For) -> None:
        self.target(node.target, True)
        self.scope.count += 1
        self.visit(node.iter)
        self.visit(node.body)
        if node.orelse is not None:
            self.visit(node.orelse)

    def _del(self, node: cst.Del) -> None:
        self.target(node.target, False)

    def _import(self, node: cst.Import | cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            self.scope_of[alias] = self.scope
            named = alias.asname.name if alias.asname is not None else alias.name
            for dotted, _ in _dotted_names(named):  # type: ignore[arg-type]
                self.scope.bind(dotted, node, is_import=True)

    def _global(self, node: cst.Global) -> None:
        if self.scope.kind == MODULE:
            return  # names here are global already
        for item in node.names:
            self.scope.overwrites[item.name.value] = self.model.globals

    def _nonlocal(self, node: cst.Nonlocal) -> None:
        if self.scope.kind == MODULE:
            return  # a syntax error; nothing to move
        for item in node.names:
            self.scope.overwrites[item.name.value] = self.scope.parent

    def _comp_for(self, node: cst.CompFor) -> None:
        """A comprehension's second and later `for` (the first is `_comprehension`'s)."""
        self.target(node.target, True)
        self.visit(node.iter)
        for condition in node.ifs:
            self.visit(condition)
        if node.inner_for_in is not None:
            self.visit(node.inner_for_in)

    def _match_capture(self, node: cst.MatchAs | cst.MatchStar) -> None:
        if isinstance(node, cst.MatchAs) and node.pattern is not None:
            self.visit(node.pattern)
        if node.name is not None:
            self.scope.bind(node.name.value, node.name)
            self.scope_of[node.name] = self.scope

    def _match_mapping(self, node: cst.MatchMapping) -> None:
        for element in node.elements:
            self.visit(element)
        if node.rest is not None:
            self.scope.bind(node.rest.value, node.rest)
            self.scope_of[node.rest] = self.scope

    def _match_keyword(self, node: cst.MatchKeywordElement) -> None:
        self.visit(node.pattern)  # `key` names an attribute

    # -- scopes ------------------------------------------------------------------------
    def _enter(self, kind: str, node: cst.CSTNode, name: str | None = None) -> Scope:
        scope = Scope(kind, node, self.scope, name)
        self.model.scopes.append(scope)
        self.scope = scope
        return scope

    def _parameters(self, params: cst.Parameters) -> None:
        for param in children(params):
            if isinstance(param, cst.Param):
                self.scope.bind(param.name.value, param)
                self.scope_of[param.name] = self.scope
                inner, self.scope = self.scope, self.scope.parent  # evaluated outside
                for part in (param.default, param.annotation):
                    if part is not None:
                        self.visit(part)
                self.scope = inner
                self.scope_of[param] = self.scope
        self.scope_of[params] = self.scope
        self.scope.count += 1

    def _function(self, node: cst.FunctionDef) -> None:
        self.scope.bind(node.name.value, node)
        self.scope_of[node.name] = outer = self.scope
        if node.type_parameters is not None:
            self._enter(ANNOTATION, node)
            self.visit(node.type_parameters)
        self._enter(FUNCTION, node, node.name.value)
        self._parameters(node.params)
        self.visit(node.body)
        self.scope = self.scope.parent
        for decorator in node.decorators:
            self.visit(decorator)
        if node.returns is not None:
            self.visit(node.returns)
        self.scope = outer

    def _lambda(self, node: cst.Lambda) -> None:
        outer = self.scope
        self._enter(FUNCTION, node)
        self._parameters(node.params)
        self.visit(node.body)
        self.scope = outer

    def _class(self, node: cst.ClassDef) -> None:
        self.scope.bind(node.name.value, node)
        self.scope_of[node.name] = outer = self.scope
        for decorator in node.decorators:
            self.visit(decorator)
        if node.type_parameters is not None:
            self._enter(ANNOTATION, node)
            self.visit(node.type_parameters)
        for base in (*node.bases, *node.keywords):
            self.visit(base)
        self._enter(CLASS, node, node.name.value)
        for statement in node.body.body:
            self.visit(statement)
        self.scope = outer

    def _comprehension(self, node: cst.ListComp | cst.SetComp | cst.GeneratorExp
                       | cst.DictComp) -> None:
        first = node.for_in
        self.visit(first.iter)  # evaluated in the enclosing scope
        self.scope_of[first] = outer = self.scope
        self._enter(COMPREHENSION, node)
        self.target(first.target, True)
        self.scope.count += 1
        for condition in first.ifs:
            self.visit(condition)
        if first.inner_for_in is not None:
            self.visit(first.inner_for_in)
        if isinstance(node, cst.DictComp):
            self.visit(node.key)
            self.visit(node.value)
        else:
            self.visit(node.elt)
        self.scope = outer

    def _type_alias(self, node: cst.TypeAlias) -> None:
        self.scope.bind(node.name.value, node)
        outer = self.scope
        self._enter(ANNOTATION, node)
        if node.type_parameters is not None:
            self.visit(node.type_parameters)
        self.visit(node.value)
        self.scope = outer

    def _type_var(self, node: cst.TypeVar | cst.TypeVarTuple | cst.ParamSpec) -> None:
        self.scope.bind(node.name.value, node)
        if isinstance(node, cst.TypeVar) and node.bound is not None:
            self.visit(node.bound)


def _dotted_names(node: cst.CSTNode) -> Iterator[tuple[str, cst.CSTNode]]:
    """`a.b.c` -> (`a.b.c`, node), (`a.b`, ...), (`a`, ...); through a call's callee
    (`a.b(x).c` -> `a.b`, `a`), as LibCST's `_gen_dotted_names`."""
    if isinstance(node, cst.Name):
        yield node.value, node
        return
    if not isinstance(node, cst.Attribute):
        return
    value = node.value
    if isinstance(value, cst.Call):
        yield from _dotted_names(value.func)
    elif isinstance(value, (cst.Attribute, cst.Name)):
        inner = list(_dotted_names(value))
        if inner:
            yield f"{inner[0][0]}.{node.attr.value}", node
            yield from inner


def _binds(node: cst.CSTNode, binder: cst.CSTNode) -> bool:
    """Is `node` the binding node itself, or a name an import statement binds?"""
    if node is binder:
        return True
    if isinstance(binder, (cst.Import, cst.ImportFrom)) and not isinstance(binder.names, cst.ImportStar):
        for alias in binder.names:
            if alias.name is node or (alias.asname is not None and alias.asname.name is node):
                return True
    return False


def _imported(statement: cst.Import | cst.ImportFrom, full_name: str) -> set[str]:
    """What `full_name` stands for through `statement` (LibCST's
    `ImportAssignment.get_qualified_names_for`, its prefix matching included)."""
    module = ""
    if isinstance(statement, cst.ImportFrom):
        if statement.module is not None:
            module = get_full_name_for_node(statement.module) or ""
        if statement.relative:
            module = "." * len(statement.relative) + module
    results: set[str] = set()
    if isinstance(statement.names, cst.ImportStar):
        return results
    for alias in statement.names:
        real = get_full_name_for_node(alias.name)
        if not real:
            continue
        parts = real.split(".")
        for real_name in (".".join(parts[:i]) for i in range(len(parts), 0, -1)):
            as_name = real_name
            if module.endswith("."):
                real_name = f"{module}{real_name}"
            elif module:
                real_name = f"{module}.{real_name}"
            if alias.asname is not None:
                evaluated = alias.evaluated_alias
                if evaluated is not None:
                    as_name = evaluated
            if full_name.startswith(as_name):
                rest = full_name.split(as_name, 1)[1]
                if rest and not rest.startswith("."):
                    continue
                rest = rest.lstrip(".")
                results.add(f"{real_name}.{rest}" if rest else real_name)
                break
    return results
