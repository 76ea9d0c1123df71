"""Stage 2 at the level of methods: inside a class a rule could match in, only the methods
where it can fire, and those its values flow through, go on to LibCST.

The engine keeps whole top-level statements (`engine._candidate_statements`); in
ML code one of them is often a 2,000-line model or trainer class in which only one
method holds a `softmax`. On CPython's `ast` of each kept class, for each rule
(see `_closure`):

- a *seed* is a method holding one of the rule's trigger names (`log`, `softmax`),
  or lent one by a module function it calls;
- a *hot* value is computed from a call of a trigger name or of a hot method, or
  from a hot member or local; a method returning or binding one is hot, and a
  method reading a hot member or calling a hot method is kept (a finding may sit
  there);
- `forward`/`call`/`__call__` and the methods other statements call are kept, and
  so, one step out, is every method binding a member a kept method reads, or named
  by one (resolving `self.eps` needs every binding of it).

The rule's trigger groups must still be met by the kept methods' tokens with the
other kept statements', else the rule cannot fire in that class.

The text LibCST parses is the file with everything dropped blanked: each character
but line endings becomes a space (as `scorelint.recovery` blanks a syntax error),
and a dropped method's `def` line starts with `pass` so its class keeps a body. Rows,
columns and offsets stay where they were, so the engine places findings and fixes
on the original text unchanged. `tests/test_screens.py` checks that screening
never changes a finding on any rule example or fixture.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from scorelint import prefilter
from scorelint.recovery import blank

if TYPE_CHECKING:
    from scorelint.rule import Rule

# Off: whole top-level statements are analysed, as before (the no-drop test compares).
ENABLED = True
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def mask(text: str, tree: ast.Module, per_statement: list[set[str]], kept: set[int],
         rules: Sequence[type[Rule]]) -> str | None:
    """The text with the top-level statements not in `kept`, and the methods the screens
    drop from kept classes, blanked; None when nothing would be blanked."""
    shared: set[str] = set().union(*(per_statement[i] for i, stmt in enumerate(tree.body)
                                     if not prefilter.is_compound(stmt)))
    module = _Module(tree, per_statement, kept)
    dropped: list[tuple[int, int, int | None]] = []  # first row, last row, `pass` row
    for i, stmt in enumerate(tree.body):
        if i not in kept:
            dropped.append((_first_row(stmt), stmt.end_lineno or stmt.lineno, None))
        elif isinstance(stmt, ast.ClassDef):
            for method in _dropped_methods(i, stmt, shared, module, rules):
                dropped.append((_first_row(method), method.end_lineno or method.lineno,
                                method.lineno))
    if not dropped:
        return None
    lines = _LINE.findall(text)
    for first, last, stand_in in dropped:
        original = lines[stand_in - 1] if stand_in is not None else ""
        lines[first - 1:last] = _LINE.findall(blank("".join(lines[first - 1:last])))
        if stand_in is not None:  # the `def` line (`def f(`: longer than `pass`) keeps a body
            indent = original[:len(original) - len(original.lstrip(" \t\f"))]
            line = lines[stand_in - 1]
            lines[stand_in - 1] = indent + "pass" + line[len(indent) + 4:]
    return "".join(lines)


def _first_row(stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", ())
    return min([stmt.lineno, *(d.lineno for d in decorators)])


def _aliases(tree: ast.Module) -> dict[str, str]:
    """`from m import a as b` at module level (also inside a top-level `try`/`if`)."""
    found = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for node in ast.walk(stmt) if prefilter.is_compound(stmt) else (stmt,):
            if isinstance(node, ast.ImportFrom):
                found.update((a.asname, a.name) for a in node.names if a.asname)
    return found


class _Method:
    """What the screens know of one method: its trigger tokens (with those of the module's
    functions and classes it calls), the attributes it reads (`self.x`, `self.m()`), and
    its data flow in brief: what each local, member and `return` is computed from."""

    def __init__(self, node: ast.FunctionDef | ast.AsyncFunctionDef, module: _Module) -> None:
        self.node = node
        self.tokens: set[str] = set()
        prefilter._walk_tokens(node, self.tokens, dict(module.aliases))
        self.tokens.update(module.aliases[t] for t in list(self.tokens) if t in module.aliases)
        self.tokens |= module.lent(self.tokens)
        self.reads: set[str] = set()
        self.binds: set[str] = set()
        # (locals bound, members bound, what the value reads); a `return` binds "return".
        self.flows: list[tuple[set[str], set[str], _Sources]] = []
        for sub in ast.walk(node):
            if isinstance(sub, ast.Attribute):
                (self.reads if isinstance(sub.ctx, ast.Load) else self.binds).add(sub.attr)
            elif isinstance(sub, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
                targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
                self._flow(targets, sub.value)
            elif isinstance(sub, (ast.For, ast.AsyncFor, ast.comprehension)):
                self._flow([sub.target], sub.iter)
            elif isinstance(sub, ast.withitem) and sub.optional_vars is not None:
                self._flow([sub.optional_vars], sub.context_expr)
            elif isinstance(sub, (ast.Return, ast.Yield, ast.YieldFrom)):
                self._flow([], sub.value, returns=True)

    def _flow(self, targets: list[ast.expr], value: ast.expr | None,
              returns: bool = False) -> None:
        names, members = ({"return"} if returns else set()), set()
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    names.add(sub.id)
                elif isinstance(sub, ast.Attribute) and not isinstance(sub.ctx, ast.Load):
                    members.add(sub.attr)
        self.flows.append((names, members, _Sources(value)))


class _Sources:
    """What an expression is computed from: the calls it makes (by last name), the
    attributes and the names it reads."""

    def __init__(self, value: ast.expr | None) -> None:
        self.calls: set[str] = set()
        self.attributes: set[str] = set()
        self.names: set[str] = set()
        for sub in ast.walk(value) if value is not None else ():
            if isinstance(sub, ast.Call):
                func = sub.func
                self.calls.add(func.id if isinstance(func, ast.Name)
                               else func.attr if isinstance(func, ast.Attribute) else "")
            elif isinstance(sub, ast.Attribute):
                self.attributes.add(sub.attr)
            elif isinstance(sub, ast.Name):
                self.names.add(sub.id)

    def hot(self, makers: set[str], members: set[str], names: set[str]) -> bool:
        return bool(self.calls & makers or self.attributes & members or self.names & names)


class _Module:
    """What the screens need of the module around a class: import aliases, the tokens of
    the top-level functions and classes (lent to a method that calls them), and the
    names the other kept statements call."""

    def __init__(self, tree: ast.Module, per_statement: list[set[str]], kept: set[int]) -> None:
        self.aliases = _aliases(tree)
        self.per_statement = per_statement
        self.definers = {stmt.name: i for i, stmt in enumerate(tree.body)
                         if isinstance(stmt, (*_FUNCTIONS, ast.ClassDef))}
        self.kept = kept

    def lent(self, tokens: set[str], depth: int = 3) -> set[str]:
        """The tokens of the module's functions and classes named in `tokens`, and of
        those they name (the engine's `_called_definers` depth)."""
        found: set[str] = set()
        frontier = {self.definers[t] for t in tokens if t in self.definers}
        seen: set[int] = set()
        for _ in range(depth):
            frontier -= seen
            if not frontier:
                break
            seen |= frontier
            for j in frontier:
                found |= self.per_statement[j]
            frontier = {self.definers[t] for t in found if t in self.definers}
        return found

    def makers(self, names: set[str]) -> set[str]:
        """The module's functions and classes that make (or call what makes) one of `names`."""
        return {name for name, j in self.definers.items()
                if (self.per_statement[j] | self.lent(self.per_statement[j])) & names}

    def called_outside(self, index: int) -> set[str]:
        """Names the other kept top-level statements call (`obj.method()`)."""
        return set().union(*(self.per_statement[j] for j in self.kept if j != index))


# Methods a same-module caller reaches without naming them (`model(x)` runs `forward`).
_IMPLICIT = frozenset({"__call__", "forward", "call"})


def _dropped_methods(index: int, cls: ast.ClassDef, shared: set[str], module: _Module,
                     rules: Sequence[type[Rule]]) -> list[ast.stmt]:
    """The methods of `cls` no rule can fire in, nor needs to follow a value through."""
    methods = [_Method(stmt, module) for stmt in cls.body if isinstance(stmt, _FUNCTIONS)]
    if len(methods) < 2:
        return []
    own: set[str] = set()  # class attributes, nested classes: kept, and their tokens count
    for stmt in cls.body:
        if not isinstance(stmt, _FUNCTIONS):
            prefilter._walk_tokens(stmt, own, dict(module.aliases))
    outside = module.called_outside(index)
    entries = {i for i, m in enumerate(methods)
               if m.node.name in _IMPLICIT or m.node.name in outside}
    keep: set[int] = set()
    for rule in rules:
        names = {t for group in rule.triggers for t in group if t.isidentifier()}
        seeds = {i for i, m in enumerate(methods) if m.tokens & names}
        if not seeds:
            continue
        group = _closure(methods, seeds, entries, names | module.makers(names))
        # Tokens outside the class count: a loss outside may be fed this class's sigmoid.
        tokens = outside.union(shared, own, *(methods[i].tokens for i in group))
        if prefilter.candidates([rule], tokens):
            keep |= group
    return [m.node for i, m in enumerate(methods) if i not in keep]


def _closure(methods: list[_Method], seeds: set[int], entries: set[int],
             makers: set[str]) -> set[int]:
    """What a rule needs of a class, given the methods holding its triggers (`seeds`):

    - the *hot* values: a local, member or return computed from a call of a maker (a
      trigger name, a module function making one), a hot member or method, or a hot
      local (flow-insensitive, until nothing changes);
    - the methods that make a hot member or return, those that read one (a finding may
      sit there), the seeds, the entries (what callers outside the class reach), and
      every method binding a hot member (the summaries need all its bindings).
    """
    names = [m.node.name for m in methods]
    makers = set(makers)
    members: set[str] = set()
    hot: set[int] = set()
    local: list[set[str]] = [set() for _ in methods]
    grew = True
    while grew:
        grew = False
        for i, method in enumerate(methods):
            for bound, bound_members, sources in method.flows:
                if sources.hot(makers, members, local[i]):
                    if bound - local[i]:
                        local[i] |= bound
                        grew = True
                    if bound_members - members:
                        members |= bound_members
                        grew = True
            if i not in hot and ("return" in local[i] or method.binds & members):
                hot.add(i)
                makers.add(names[i])
                grew = True
    readers = {i for i, m in enumerate(methods)
               if m.reads & (members | {names[j] for j in hot})}
    return _producers(methods, seeds | hot | readers | entries)


def _producers(methods: list[_Method], kept: set[int]) -> set[int]:
    """`kept`, and the methods binding a member, or named, where a kept one reads it:
    resolving `self.eps` to its `1e-8` needs every binding of it. One step only: the
    producers' own reads would pull in most of a large class."""
    read = set().union(*(methods[i].reads for i in kept))
    return kept | {i for i, m in enumerate(methods) if m.node.name in read or m.binds & read}
