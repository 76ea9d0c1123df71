"""Narrowing: which rules can match a file, and what of it LibCST sees.

One stage, three steps, each cheap and each a superset of what the next keeps, so
narrowing never hides a finding (`tests/test_narrowing.py` checks it on every rule
example and fixture):

1. **the text gate** (`text_tokens`, `candidates`): the rules' trigger names that
   occur call-shaped in the text (`exp(`, also through `as` aliases) and the
   operators present; a rule is a candidate only if every one of its trigger
   groups has a token. A file with no candidate is not parsed at all.
2. **the statements** (`statement_tokens`, `keep_statements`): on CPython's `ast`,
   the top-level statements whose tokens meet a candidate's triggers, with the
   module's functions and classes they call, imports and short statements.
3. **the shapes** (`mask`): on the `ast` of the kept statements, the functions and
   methods where a rule can fire and those its values flow through (see the
   section below); everything else is blanked in place.

`narrow` runs steps 2 and 3. The text LibCST parses keeps every row, column and
offset of the original, so findings and fixes are placed on it unchanged.
`Recorder` counts what reaches each stage, for `benchmarks/speed.py`.
"""

from __future__ import annotations

import ast
import bisect
import functools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from itertools import repeat
from typing import TYPE_CHECKING

from scorelint.base import limits
from scorelint.engine.recovery import blank
from scorelint.model.astwalk import ast_children, ast_walk

if TYPE_CHECKING:
    from scorelint.engine.rule import Rule



# --- step 1: the text gate -------------------------------------------------------

OPERATORS = ("/=", "*=", "**", "/", "*", "@", "-", "+")

BINOPS = {ast.Div: "/", ast.Mult: "*", ast.MatMult: "@", ast.Sub: "-", ast.Add: "+",
           ast.Pow: "**"}
# What `Rule.anchors` calls an ordering comparison (`a < b`, `a >= b`): never a trigger.
COMPARED = "<"
_ORDERS = (ast.Lt, ast.Gt, ast.LtE, ast.GtE)
# Sites whose cone is their whole statement's (what they are applied to is spread over
# it): a call of one of the module's own functions with two or more positional
# arguments, and an index holding an index of the same place (`lp[b, t, ids[b, t]]`).
HELPER_CALL = "helper(a, b)"
DOUBLE_INDEX = "x[i, y[i]]"
# A call given `labels=`: a site of every statement of its function (SL401 judges a model
# given hand-shifted labels when the function also computes log-probs, elsewhere).
LABELS_KEYWORD = "labels="


@functools.lru_cache(maxsize=256)
def _call_pattern(name: str) -> re.Pattern[str]:
    """`name` called (`name (`, also `(name)(`, a `\\` line break or a comment before the
    `(` inside brackets: calls CPython sees): a pattern that starts with a literal, which
    the regex engine finds at the speed of a substring search (a leading `\\b` or an
    alternation would make it try every position)."""
    return re.compile(rf"{re.escape(name)}(?:[\s)\\]|#[^\r\n]*)*\(")


@functools.lru_cache(maxsize=256)
def _alias_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(name)}\s+as\s+([A-Za-z_]\w*)")


@functools.lru_cache(maxsize=32)
def _trigger_names(rules: tuple[type[Rule], ...]) -> frozenset[str]:
    return frozenset(t for rule in rules for group in rule.triggers for t in group
                     if t.isidentifier())


def trigger_names(rules: Iterable[type[Rule]]) -> frozenset[str]:
    return _trigger_names(tuple(rules))


def _word_start(text: str, start: int) -> bool:
    """No identifier character right before `start` (the `\\b` the patterns leave out)."""
    return start == 0 or not (text[start - 1].isalnum() or text[start - 1] == "_")


def _called(text: str, name: str) -> bool:
    return any(_word_start(text, m.start()) for m in _call_pattern(name).finditer(text))


def text_tokens(text: str, rules: Iterable[type[Rule]]) -> set[str]:
    """The rules' trigger names that occur call-shaped (`exp(`), also through `as` aliases,
    plus the operator symbols present.

    A substring search per name first (most files hold none of most names), then a
    literal-prefixed pattern only for the names present: about the cost of a byte scan.
    The pipeline's first gate and the engine ask about the same text: it is scanned once."""
    return set(_scan(text, trigger_names(rules)))


@functools.lru_cache(maxsize=32)
def _nested(names: frozenset[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each name with the others inside it (`log` in `log_softmax`), shortest first."""
    ordered = sorted(names, key=lambda name: (len(name), name))
    return tuple((name, tuple(inner for inner in ordered if inner != name and inner in name))
                 for name in ordered)


@functools.lru_cache(maxsize=4)
def _scan(text: str, names: frozenset[str]) -> frozenset[str]:
    # A substring search per name scans the whole text: a name holding one the text
    # lacks (`log_softmax` without `log`) is not searched for (half the searches).
    present: set[str] = set()
    for name, inner in _nested(names):
        if present.issuperset(inner) and name in text:
            present.add(name)
    tokens = {name for name in present if _called(text, name)}
    if " as " in text:
        for original in present:
            if original in tokens:
                continue
            for m in _alias_pattern(original).finditer(text):
                if _word_start(text, m.start()) and _called(text, m.group(1)):
                    tokens.add(original)
                    break
    tokens.update(op for op in OPERATORS if op in text)
    return frozenset(tokens)


# Receivers of a class's own methods: `self.log(metrics)` in a class defining `log` calls
# that method (whose tokens its body holds), never an operation (`vocabulary.method_op`).
_OWN_RECEIVERS = frozenset({"self", "cls"})


def _walk_tokens(root: ast.AST, tokens: set[str], aliases: dict[str, str]) -> None:
    methods = frozenset(s.name for s in root.body if isinstance(s, _FUNCTIONS)) \
        if isinstance(root, ast.ClassDef) else frozenset()
    for node in ast_walk(root):
        kind = type(node)
        if kind is ast.Call:
            func = node.func
            if isinstance(func, ast.Name):
                tokens.add(func.id)
            elif isinstance(func, ast.Attribute) and not (
                    func.attr in methods and isinstance(func.value, ast.Name)
                    and func.value.id in _OWN_RECEIVERS):
                tokens.add(func.attr)
        elif kind is ast.BinOp:
            symbol = BINOPS.get(type(node.op))
            if symbol:
                tokens.add(symbol)
        elif kind is ast.AugAssign:
            symbol = BINOPS.get(type(node.op))
            if symbol:
                tokens.add(symbol + "=")
        elif kind is ast.ImportFrom:
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name


def statement_tokens(tree: ast.Module, aliases: dict[str, str] | None = None) -> list[set[str]]:
    """Tokens of each top-level statement, with from-import aliases mapped back; the
    aliases found (`from m import a as b`: b -> a) are added to `aliases` if given."""
    aliases = {} if aliases is None else aliases
    per_statement = []
    for stmt in tree.body:
        tokens: set[str] = set()
        _walk_tokens(stmt, tokens, aliases)
        per_statement.append(tokens)
    for tokens in per_statement:
        tokens.update(aliases[t] for t in list(tokens) if t in aliases)
    return per_statement


def is_compound(stmt: ast.stmt) -> bool:
    """Statements with a body of their own (def, class, if, for, ...)."""
    return hasattr(stmt, "body")


def candidates(rules: Iterable[type[Rule]], tokens: set[str]) -> list[type[Rule]]:
    """The rules whose every trigger group has a token present."""
    return [
        rule for rule in rules
        if all(any(token in tokens for token in group) for group in rule.triggers)
    ]



def partly(rule: type[Rule], tokens: set[str], lendable: frozenset[str] | None = None) -> bool:
    """Does `tokens` meet some of the rule's trigger groups, but not all (and, given
    `lendable`, could those tokens meet each of the others)?"""
    met = [any(token in tokens for token in group) for group in rule.triggers]
    if not any(met) or all(met):
        return False
    return lendable is None or all(ok or not lendable.isdisjoint(group)
                                   for ok, group in zip(met, rule.triggers))


# --- step 2: the statements -----------------------------------------------------

# A module-level statement longer than this is a data table unless it holds a trigger.
_SHORT_STATEMENT = 20


def keep_statements(tree: ast.Module, per_statement: list[set[str]],
                    rules: Sequence[type[Rule]]) -> set[int]:
    """Top-level statements a rule could match in, or that bind names a match may read:
    imports and short simple statements always, a long one (a data table) only when
    it holds a trigger token, and each compound one whose tokens, with the simple
    statements' and those of the module's functions and classes it calls, meet
    some rule's triggers, together with those functions and classes (a helper
    returning a softmax, a model class ending in one: the summaries follow values
    into them)."""
    from scorelint.model import vocabulary as vocab  # here: the text gate stays light

    names = trigger_names(rules)
    simple = [i for i, stmt in enumerate(tree.body) if not is_compound(stmt)]
    shared = set().union(*(per_statement[i] for i in simple))
    keep = set()
    for i in simple:
        stmt = tree.body[i]
        short = (stmt.end_lineno or stmt.lineno) - stmt.lineno < _SHORT_STATEMENT
        if short or isinstance(stmt, (ast.Import, ast.ImportFrom)) or per_statement[i] & names:
            keep.add(i)
    # A function or class of this module that a statement calls lends it the tokens of
    # what it makes, for the rules that follow such values (a helper returning a softmax
    # for SL203): then the callee is kept too, for the module summaries.
    definers = {stmt.name: i for i, stmt in enumerate(tree.body)
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    followers = [(rule, vocab.made_by(*rule.follows)) for rule in rules if rule.follows]
    for i, stmt in enumerate(tree.body):
        if not is_compound(stmt):
            continue
        own = per_statement[i] | shared
        if candidates(rules, own) or _binds_imports(stmt):
            keep.add(i)
        if not followers:
            continue
        callees = _called_definers(i, per_statement, definers)
        for rule, made in followers:
            # A callee handed such a value (`total(token_logps)`) may fire on it: kept with
            # its caller when the two meet the rule's triggers together.
            handed = {j for j in callees if candidates([rule], own | per_statement[j])
                      and own & made and not candidates([rule], per_statement[j] | shared)}
            if handed:
                keep.add(i)
                keep.update(handed)
            # A callee that makes the value (`exp` for a softmax written out) stands
            # for the operation itself in the caller's triggers.
            lenders = _lenders(callees, per_statement, definers, made)
            if lenders and candidates(
                    [rule], own | made | set(vocab.call_names(*rule.follows))):
                keep.add(i)
                keep.update(lenders)
    return keep


def _lenders(callees: set[int], per_statement: list[set[str]], definers: dict[str, int],
             made: frozenset[str]) -> set[int]:
    """The callees that make such a value, and those that call one of them (a helper
    returning another helper's softmax): the functions a value travels through."""
    lenders = {j for j in callees if per_statement[j] & made}
    grew = bool(lenders)
    while grew:
        grew = False
        for j in callees - lenders:
            if any(definers.get(t) in lenders for t in per_statement[j]):
                lenders.add(j)
                grew = True
    return lenders


def _called_definers(i: int, per_statement: list[set[str]], definers: dict[str, int],
                     depth: int = 3) -> set[int]:
    """The top-level functions and classes statement `i` calls, and those they call."""
    reached: set[int] = set()
    frontier = {i}
    for _ in range(depth):
        found = {definers[t] for j in frontier for t in per_statement[j] if t in definers}
        frontier = found - reached - {i}
        if not frontier:
            break
        reached |= frontier
    return reached


def _binds_imports(stmt: ast.stmt) -> bool:
    """A top-level `try`/`if`/`with` that imports (`try: import torch except ImportError:`):
    its names are module names, so it stays for the qualified names of the rest."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return False
    return any(isinstance(node, (ast.Import, ast.ImportFrom)) for node in ast_walk(stmt))


def top_statements(stmt: ast.stmt) -> Iterable[ast.stmt]:
    """A top-level statement, and those inside a top-level `if` / `try` (an import
    guarded by `try: ... except ImportError:`)."""
    if isinstance(stmt, (ast.If, ast.Try)):
        for part in (stmt.body, stmt.orelse, getattr(stmt, "finalbody", [])):
            for sub in part:
                yield from top_statements(sub)
        for handler in getattr(stmt, "handlers", ()):
            for sub in handler.body:
                yield from top_statements(sub)
    else:
        yield stmt


def lend(tree: ast.Module, per_statement: list[set[str]],
         lent: Mapping[str, frozenset[str]]) -> None:
    """Add to each top-level import's tokens (`statement_tokens`) what the
    names it binds may make, as the engine lends a same-module helper's tokens."""
    if not lent:
        return
    for i, stmt in enumerate(tree.body):
        for node in top_statements(stmt):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    local = alias.asname or alias.name
                    # `from x import *` may bind any of them (a superset: the funnel's way).
                    per_statement[i] = per_statement[i] | (  # a new set: theirs are shared
                        lent.get(local, frozenset()) if local != "*" else mapping_union(lent))


def mapping_union(lent: Mapping[str, frozenset[str]]) -> frozenset[str]:
    return frozenset().union(*lent.values()) if lent else frozenset()


@dataclass(frozen=True)
class Statements:
    """Step 2's reading of a module: each top-level statement's tokens, the from-import
    aliases (`statement_tokens`), and every token present."""

    tokens: list[set[str]]
    aliases: dict[str, str]
    present: set[str]

    @classmethod
    def of(cls, tree: ast.Module) -> Statements:
        aliases: dict[str, str] = {}
        tokens = statement_tokens(tree, aliases)
        return cls(tokens, aliases, set().union(*tokens))


@dataclass(frozen=True)
class Narrowed:
    """What goes on to LibCST: the rules that can still match; the file with what no
    rule needs blanked in place (`text`: every offset is the file's); and what LibCST
    parses (`parsed`: `text` without the lines narrowing blanked)."""

    rules: list[type[Rule]]
    text: str
    parsed: str


def narrow(text: str, tree: ast.Module, rules: Sequence[type[Rule]],
           lent: Mapping[str, frozenset[str]] | None = None,
           functions: bool = True, statements: Statements | None = None) -> Narrowed | None:
    """Steps 2 and 3 for a file that passed the text gate with `rules`; None when no rule
    can match. `lent` maps a name imported from the project to the tokens of what it
    makes (`scorelint.engine.project`). `functions=False` keeps whole top-level
    statements (step 3 off: the tests compare both ways). `statements`: step 2's reading
    of `tree`, when the caller has made it."""
    statements = statements or Statements.of(tree)
    per_statement, aliases = list(statements.tokens), statements.aliases
    lend(tree, per_statement, lent or {})
    rules = candidates(rules, set().union(*per_statement))
    if not rules:
        return None
    kept = keep_statements(tree, per_statement, rules)
    firing: set[type[Rule]] = set()
    masked = mask(text, tree, kept, rules, aliases, lent, functions=functions, firing=firing)
    if masked == NONE_CAN_FIRE:
        return None
    if functions:  # a rule that can fire in no statement would only walk the others
        rules = [rule for rule in rules if rule in firing]
    if masked is None:
        return Narrowed(rules, text, text)
    return Narrowed(rules, masked, squeezed(text, masked))


def squeezed(text: str, masked: str) -> str:
    """`masked` without the lines its blanking emptied (a line of the file's own that is
    blank, as in a string, stays). LibCST spent a third of its parse on those lines; what
    it reports on the rest is mapped back onto `masked`, whose offsets are the file's, by
    `scorelint.base.source.Alignment`: the two differ only by whitespace."""
    return "".join(line for line, was in zip(_LINE.findall(masked), _LINE.findall(text))
                   if not line.isspace() or was.isspace())



# --- step 3: the shapes ---------------------------------------------------------
#
# Only the functions and methods where a rule can fire, and those its values flow
# through, go on to LibCST.
#
# Step 2 keeps whole top-level statements (`keep_statements`); in ML
# code one of them is often a 2,000-line trainer class that holds a `sum` in one
# method and a `/` in another. A finding, though, rests on one statement and the
# values that flow into it: `log(p)` is SL203's only if `p` comes from a softmax. So,
# on CPython's `ast` of the kept statements:
#
# - each binding (a local, a module name, a member `self.x`, a function's or method's
#   `return`) is a *key*, with the trigger tokens (`exp`, `/`, ...) of the value bound
#   to it and the keys that value reads; a list grown by `append` or a tensor changed
#   in place counts as bound again;
# - a statement's *cone* is its own tokens and those of every key it reads, followed
#   through other keys, calls of the module's functions and methods (their returns)
#   and of its classes (their `forward` / `__call__` / `call`), flow-insensitively;
# - a rule can fire in a statement only if its cone meets every trigger group of the
#   rule (the triggers are each rule's necessary tokens, `Rule.triggers`), and, for a
#   rule that declares where it reports (`Rule.anchors`), only at such a site (a call,
#   an operator, a comparison) whose own operands' cone does, with the arguments the
#   rule needs there (`Rule.anchor_arguments`: their spelling, or where they were made,
#   followed back through the function's bindings);
# - a function or method is kept when one of its statements passes, or when it binds
#   a key such a statement's cone reaches (the summaries follow values there, and a
#   fact such as "`self.eps` is 1e-8" needs every binding); the rest is dropped.
#
# The text LibCST parses is the file with everything dropped blanked: each character
# but line endings becomes a space (as `scorelint.engine.recovery` blanks a syntax error),
# and a dropped method's `def` line starts with `pass` so its class keeps a body. Rows,
# columns and offsets stay where they were, so the engine places findings and fixes
# on the original text unchanged.

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
# What `mask` says of a file no rule can fire anywhere in (a text is never empty there).
NONE_CAN_FIRE = ""
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (*_FUNCTIONS, ast.ClassDef, ast.Lambda)
# Calls that grow a list: `scores.append(s)` binds `scores` again (`patterns._appended`).
_MUTATORS = frozenset({"append", "extend", "insert"})
_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")
_OPERATORS = frozenset(OPERATORS)
# Calls outside the vocabulary that the rules and facts look through to their arguments
# (`scorelint.model.patterns`: rankers, `zip`, `list`, `torch.tensor`, `where`...).
_SEEN_THROUGH_NAMES = frozenset({
    "zip", "enumerate", "list", "tuple", "reversed", "len", "range", "map", "filter",
    "sum", "abs", "round", "float", "int", "iter", "next", "dict", "set",
    "as_tensor", "Tensor", "tensor", "from_numpy", "convert_to_tensor", "constant",
    "where", "cat", "concat", "concatenate", "stack", "hstack", "vstack", "split", "chunk",
    "index", "partial", "reduce", "getattr", "masked_fill", "masked_select", "repeat", "tile",
})

Key = tuple  # ("L", unit, name) | ("G", name) | ("M", attr) | ("R", class or None, name)
# An expression walked once: its value's tokens and reads, what it divides by and calls.
_Walked = tuple[set[str], set[Key], set[str | Key], set[str | Key]]


def mask(text: str, tree: ast.Module, kept: set[int], rules: Sequence[type[Rule]],
         aliases: dict[str, str], lent: Mapping[str, frozenset[str]] | None = None,
         functions: bool = True, firing: set[type[Rule]] | None = None) -> str | None:
    """The text with the top-level statements not in `kept`, and (with `functions`) the
    functions and methods no rule needs, blanked; None when nothing would be blanked;
    `NONE_CAN_FIRE` when no statement is one a rule can fire in. `aliases` maps
    `from m import a as b`'s `b` to `a` (`statement_tokens` finds them);
    `lent`, an imported name to the tokens of what it makes (`scorelint.engine.project`).
    With `functions`, the rules that can fire in some statement are added to `firing`."""
    lines = _LINE.findall(text)
    dropped: list[tuple[int, int, int | None]] = []  # first row, last row, `pass` row
    if not functions:
        dropped = [(_first_row(stmt), _last_row(stmt), None)
                   for i, stmt in enumerate(tree.body) if i not in kept]
        return _blanked(lines, dropped) if dropped else None
    flow = _Flow(tree, kept, rules, aliases, lent or {}, text, lines)
    whole, sliced = flow.needed(rules)
    if firing is not None:
        firing.update(flow.firing)
    if not whole and not sliced:
        return NONE_CAN_FIRE
    needed = whole | set(sliced)
    for unit, statements in sliced.items():
        node = flow.units[unit].node
        if isinstance(node, _FUNCTIONS):
            dropped.extend(_unneeded(node.body, statements, lines))
    for i, stmt in enumerate(tree.body):
        if i not in kept:
            dropped.append((_first_row(stmt), _last_row(stmt), None))
            continue
        units = flow.units_of.get(i)
        if units is None:
            continue  # module-level code: always kept
        if not needed & set(units):
            dropped.append((_first_row(stmt), _last_row(stmt), None))
        elif isinstance(stmt, ast.ClassDef):
            # The methods no rule needs; the class's own statements stay. A class left
            # with none of its statements keeps one `pass`, where its first method was.
            methods = [flow.units[unit].node for unit in units[1:] if unit not in needed]
            alone = len(methods) == len(stmt.body)
            dropped.extend((_first_row(method), _last_row(method),
                            method.lineno if alone and method is methods[0] else None)
                           for method in methods)
    return _blanked(lines, dropped) if dropped else None


def _blanked(lines: list[str], dropped: list[tuple[int, int, int | None]]) -> str:
    """`lines` with each (first row, last row, `pass` row) range blanked in place."""
    for first, last, stand_in in dropped:
        original = lines[stand_in - 1] if stand_in is not None else ""
        lines[first - 1:last] = _LINE.findall(blank("".join(lines[first - 1:last])))
        if stand_in is not None:  # the `def` line (`def f(`: longer than `pass`) keeps a body
            indent = original[:len(original) - len(original.lstrip(" \t\f"))]
            line = lines[stand_in - 1]
            lines[stand_in - 1] = indent + "pass" + line[len(indent) + 4:]
    return "".join(lines)


# Statements a function keeps even when only some of its bindings are needed: they
# decide which bindings reach where (a `return`), or bind names the kept code reads.
_ALWAYS = (ast.Return, ast.Raise, ast.Break, ast.Continue, ast.Global, ast.Nonlocal,
           ast.Import, ast.ImportFrom, *_FUNCTIONS, ast.ClassDef)


def _unneeded(body: list[ast.stmt], kept: set[int],
              lines: list[str]) -> list[tuple[int, int, int | None]]:
    """The statements of `body` to blank: those not in `kept` (by `id`), holding none,
    and alone on their lines; the first of them with `pass` in its place when nothing
    else of `body` stays (a body needs a statement, and one is enough)."""
    found: list[tuple[int, int, int | None]] = []
    blanked, stand_in = 0, 0  # statements of `body` itself blanked; where the first is
    for stmt in body:
        if id(stmt) in kept or isinstance(stmt, _ALWAYS):
            continue
        if any(id(sub) in kept or isinstance(sub, _ALWAYS)
               for sub in ast_walk(stmt) if isinstance(sub, ast.stmt) and sub is not stmt):
            for field in _BODIES:
                parts = getattr(stmt, field, ())
                if parts and isinstance(parts[0], (ast.ExceptHandler, ast.match_case)):
                    for part in parts:
                        found.extend(_unneeded(part.body, kept, lines))
                else:
                    found.extend(_unneeded(parts, kept, lines))
        elif _alone(stmt, lines):
            stand_in = stand_in if blanked else len(found)
            found.append((stmt.lineno, _last_row(stmt), None if blanked else stmt.lineno))
            blanked += 1
    if blanked and blanked < len(body):  # a statement of the body stays: no `pass` needed
        found[stand_in] = (*found[stand_in][:2], None)
    return found


def _alone(stmt: ast.stmt, lines: list[str]) -> bool:
    """Does `stmt` have its lines to itself (no `a = 1; b = 2`), with room for `pass`?"""
    first, last = lines[stmt.lineno - 1], lines[_last_row(stmt) - 1]
    if stmt.end_col_offset is None:
        return False
    # CPython's columns count UTF-8 bytes.
    start = len(first.encode("utf-8")[:stmt.col_offset].decode("utf-8", "ignore"))
    rest = last.encode("utf-8")[stmt.end_col_offset:].decode("utf-8", "ignore").strip()
    return (not first[:start].strip() and len(first.rstrip("\r\n")) >= start + 4
            and (not rest or rest.startswith("#")))


def _first_row(stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", ())
    return min([stmt.lineno, *(d.lineno for d in decorators)])


def _last_row(stmt: ast.stmt) -> int:
    return stmt.end_lineno or stmt.lineno


class _Unit:
    """A piece of the module that is kept or dropped whole: a top-level function, a
    method, a class's own statements, or the module-level code."""

    def __init__(self, node: ast.AST | None, cls: str | None, self_name: str | None) -> None:
        self.node = node
        self.cls = cls  # the class a method or a class body belongs to
        self.self_name = self_name  # what a method calls its instance
        self.declared: set[str] = set()  # `global` / `nonlocal` names
        # Each statement's own tokens and the keys it reads: where a finding may sit.
        self.statements: list[_Statement] = []
        self.sites: set[str] = set()  # sites of every statement (`LABELS_KEYWORD`)
        self.around: _Around | None = None  # made when a test first reads it
        self.values: dict[str, list[ast.expr]] = {}  # `name = value`, `_Flow._bind_value`


class _Statement:
    """One statement's own tokens and reads (with the keys they reach, its cone), what
    each of its divisions divides by, what each of its calls calls (a module bound
    to `self.sm`): call names, or keys whose values to look at; its sites; and each call
    with what it calls, for a test of what a module an anchor made is called on."""

    __slots__ = ("tokens", "reads", "divisors", "callees", "sites", "calls")

    def __init__(self, tokens: set[str], reads: set[Key], divisors: set[str | Key],
                 callees: set[str | Key], sites: list[_Site],
                 calls: tuple[tuple[set[str | Key], ast.Call], ...]) -> None:
        self.tokens, self.reads, self.divisors, self.callees = tokens, reads, divisors, callees
        self.sites, self.calls = sites, calls


class _Site:
    """An operation some rule reports at (`Rule.anchors`: `log(...)`, `a / b`, `x += y`):
    its token, and the tokens and reads of what it is applied to, itself included (the
    operands, a method's object, the whole statement for an augmented assignment); a
    call's or an operator's node, for what its own operands say (`Rule.anchor_arguments`)."""

    __slots__ = ("token", "tokens", "reads", "node")

    def __init__(self, token: str, tokens: set[str], reads: set[Key],
                 node: ast.Call | ast.BinOp | None = None) -> None:
        self.token, self.tokens, self.reads, self.node = token, tokens, reads, node


# What a site call's own arguments must show for a rule to report there
# (`Rule.anchor_arguments`). Each test is a superset: told from the arguments' spelling
# alone, without knowing the framework (`F.softmax(x, 1)` and `x.softmax(1)` look alike).
NO_AXIS = "no axis"  # no `dim` / `axis` given (or `None`): the framework guesses one
AXIS_ZERO = "axis 0"  # the literal axis 0 given
ONE_SIDE = "1 on a side"  # an operator with the literal 1 (or 1.0) on a side: `1 - x`
# A fill of the literal 1 (or 1.0), the last of two or three positional arguments:
# `lp.masked_fill(pad, 1.0)`, `where(keep, lp, 1)`.
FILLS_ONE = "fills 1"


# Tests that also follow the operands back through the function's and the module's
# bindings (`_Around`); each also judges the call of a module an anchor made
# (`self.loss_fct(logits, labels)`), which is not a site of its own. Each is a superset
# of what the rule's own code follows:
# - a gather's index or a token loss's target may be the very ids a model read to make
#   the scores gathered (SL401 compares the two bases `patterns.trace_positions` ends at);
TARGETS_FED = "targets fed"
# - a token loss given a target that may be token ids (not labels), in a function that
#   may read a pad id or on ids a tokenizer may have padded (SL402's `_check_loss`);
PAD_IN_SCOPE = "pad in scope"
# - a division by a sum of the value divided, after following names (SL101's
#   `ctx.same(numerator, total.operand)`: `x / x.sum()`, `s / sum(xs) for s in xs`);
DIVIDED_BY_ITSELF = "divided by its sum"
# - a log of `1 - x` or `1 + x`, after following names and epsilon guards (SL207's
#   `one_minus` / `one_plus` of `facts.without_epsilon`).
ONE_APART = "log of 1 - x"
_TARGETS = ("target", "index", "indices")  # the keywords a loss's or a gather's targets go by


def _hidden(call: ast.Call) -> bool:
    """Does a `*args` / `**kwargs` hide which arguments `call` passes?"""
    return any(isinstance(a, ast.Starred) for a in call.args) \
        or any(k.arg is None for k in call.keywords)


def _named_axes(call: ast.Call) -> list[ast.expr]:
    return [k.value for k in call.keywords if k.arg in ("dim", "axis")]


def _no_axis(call: ast.Call) -> bool:
    if _hidden(call):
        return True
    if any(not _is_constant(value, None) for value in _named_axes(call)):
        return False
    # `nn.Softmax()` passes its dim first; a function its operand first, then the axis.
    given = call.args if (_callee_name(call.func) or "")[:1].isupper() else call.args[1:]
    return all(_is_constant(value, None) for value in given)


def _callee_name(func: ast.expr) -> str | None:
    """The last name of a callee: `exp` for `np.exp(...)`, `f` for `f(...)`."""
    return func.id if isinstance(func, ast.Name) else \
        func.attr if isinstance(func, ast.Attribute) else None


def _axis_zero(call: ast.Call) -> bool:
    return _hidden(call) or any(_is_constant(value, 0) for value in (*call.args, *_named_axes(call)))


def _one_side(node: ast.BinOp) -> bool:
    return _is_one(node.left) or _is_one(node.right)


def _fills_one(call: ast.Call) -> bool:
    given = _positional(call)
    last = given[-1] if len(given) in (2, 3) else None
    return isinstance(last, ast.Constant) and type(last.value) in (int, float) and last.value == 1


def _is_constant(node: ast.expr, value: object) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is type(value) and node.value == value


def _positional(call: ast.Call) -> list[ast.expr]:
    return [a for a in call.args if not isinstance(a, ast.Starred)]


def _keywords(call: ast.Call, *names: str) -> list[ast.expr]:
    return [k.value for k in call.keywords if k.arg in names]


def _targets_fed(call: ast.Call | ast.BinOp, around: _Around) -> bool:
    """Can what `call` gathers at (or scores a loss against) stand on the same base as
    the input of a model that made what it gathers from? SL401's `_verdict` needs
    `ctx.same(fed.base, ids.base)`: the same code, so the same names. Each side is
    followed as the rule follows it, but through every binding of a name and every
    operand a call may have, and any value met on the way may be the base; a literal
    is never the ids a model read."""
    if not isinstance(call, ast.Call) or _hidden(call):
        return True
    # Where a gather (`x.gather(dim, index)`, `gather(x, dim, index)`,
    # `take_along_axis(x, index)`) or a loss (`loss(input, target)`) takes each.
    positional = _positional(call)
    scores = [*positional[:1], *(k.value for k in call.keywords if k.arg not in _TARGETS)]
    if isinstance(call.func, ast.Attribute):
        scores.append(call.func.value)
    targets = [*_keywords(call, *_TARGETS), *positional[1:2],
               *(positional[-1:] if len(positional) > 2 else [])]
    if not scores or not targets:
        return False
    from scorelint.model import patterns  # loaded with the flow

    fed: set[frozenset[str]] = set()
    for met in around.followed(scores):
        if isinstance(met, ast.Call):  # any call met may be the model (`patterns.model_call`)
            given = _keywords(met, *patterns.INPUT_KEYWORDS) + _positional(met)[:1]
            fed.update(_names(value) for value in around.followed(given))
    fed.discard(frozenset())
    return any(_names(value) in fed for value in around.followed(targets))


def _names(node: ast.AST) -> frozenset[str]:
    return frozenset(n.id for n in ast_walk(node) if type(n) is ast.Name)


def _pad_in_scope(call: ast.Call | ast.BinOp, around: _Around) -> bool:
    """SL402's `_check_loss` reports a token loss only given a target that may be token
    ids (`roles.ids_role`: not labels, which a collator masks with `-100`) that a
    tokenizer padded (`tok(texts, padding=True)["input_ids"]`), or in a function that
    reads a pad id (`patterns.PAD_NAME`: the unit's text holds every name it reads)."""
    from scorelint.model import patterns  # loaded with the flow

    if not isinstance(call, ast.Call) or _hidden(call):
        return True
    targets = [*_keywords(call, "target"), *_positional(call)[1:2]]
    if not targets:
        return False  # the constructor of a module, or not a token loss
    met = around.followed(targets)
    if not _may_be_ids(met, around):
        return False
    return bool(patterns.PAD_NAME.search(around.unit_text())) or any(
        isinstance(value, ast.Call) and _keywords(value, "padding") for value in met)


def _reads_logits(node: ast.AST) -> bool:
    """`x.logits` or `x["logits"]`."""
    return isinstance(node, ast.Attribute) and node.attr == "logits" or isinstance(
        node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value == "logits"


# `roles._ids_source`: a tokenizer's methods that make ids.
_ENCODERS = frozenset({"encode", "convert_tokens_to_ids", "apply_chat_template"})


def _may_be_ids(met: list[ast.AST], around: _Around) -> bool:
    """Can `roles.ids_role` read one of the values `met` as token ids: a batch's ids key,
    a tokenizer's `input_ids` or encoding, a value a call in the function is given as
    `input_ids=` or as its first argument, or a name or attribute hinting at ids (not
    at labels)?"""
    from scorelint.model import roles  # loaded with the flow

    given = around.given()
    for value in met:
        if isinstance(value, ast.Subscript) and isinstance(value.slice, ast.Constant) \
                and isinstance(value.slice.value, str) and roles.IDS_KEY.search(value.slice.value) \
                and not roles.LABELS_KEY.search(value.slice.value):
            return True
        named = value.id if isinstance(value, ast.Name) else \
            value.attr if isinstance(value, ast.Attribute) else None
        if named is not None and (named == "input_ids" or roles.IDS_HINT.search(named)
                                  and "label" not in named.lower()):
            return True
        if isinstance(value, ast.Call) and around.call_name(value) in _ENCODERS:
            return True
        if _names(value) in given:
            return True
    return False


def _divided_by_itself(node: ast.Call | ast.BinOp, around: _Around) -> bool:
    """Can `node` divide by a sum (a call the vocabulary names a sum, through names) of
    what it divides? SL101 compares the two by code after following names: so here by
    the names they read."""
    if isinstance(node, ast.BinOp):
        numerators, denominators = [node.left], [node.right]
    else:
        if _hidden(node):
            return True
        given = [k.value for k in node.keywords]
        numerators = _positional(node)[:1] + given + (
            [node.func.value] if isinstance(node.func, ast.Attribute) else [])
        denominators = _positional(node)[:2] + given
    summed = [operand for total in around.resolved(denominators)
              if isinstance(total, ast.Call) and around.call_name(total) in around.sums
              for operand in around.operands(total)]
    divided = {_names(value) for value in around.resolved(numerators)}
    divided.discard(frozenset())
    return any(_names(value) in divided for value in around.resolved(summed))


def _one_apart(node: ast.Call | ast.BinOp, around: _Around) -> bool:
    """Can the log `node` takes be of `1 - x` or `1 + x`, under epsilon guards (`+ eps`,
    a clamp, a maximum) and names?"""
    if not isinstance(node, ast.Call) or _hidden(node):
        return True
    work: list[ast.AST] = [*node.args, *(k.value for k in node.keywords)]
    if isinstance(node.func, ast.Attribute):
        work.append(node.func.value)
    seen: set[int] = set()
    while work:
        value = work.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, ast.Name):
            work.extend(around.values(value.id))
        elif isinstance(value, ast.BinOp):
            if isinstance(value.op, ast.Sub) and _is_one(value.left) or isinstance(
                    value.op, ast.Add) and (_is_one(value.left) or _is_one(value.right)):
                return True
            if isinstance(value.op, ast.Add):  # `p + eps`
                work.extend((value.left, value.right))
        elif isinstance(value, ast.Call):  # `p.clamp(min=eps)`, `maximum(p, eps)`
            work.extend(around.operands(value, every=True))
    return False


def _is_one(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value == 1


ARGUMENT_TESTS = {NO_AXIS: _no_axis, AXIS_ZERO: _axis_zero, ONE_SIDE: _one_side,
                  FILLS_ONE: _fills_one}
AROUND_TESTS = {TARGETS_FED: _targets_fed, PAD_IN_SCOPE: _pad_in_scope,
                DIVIDED_BY_ITSELF: _divided_by_itself, ONE_APART: _one_apart}


class _Around:
    """What a test may read around a site in a unit: the values names are bound to
    (`name = value`) in the unit and at module level, and the text of the unit and of
    the module."""

    def __init__(self, flow: _Flow, unit: _Unit) -> None:
        self.text, self.sums = flow.text, flow.sum_names
        self._flow, self._unit = flow, unit
        self._given: set[frozenset[str]] | None = None

    def given(self) -> set[frozenset[str]]:
        """The names of each value (or what a name in it may be bound to) that a call of a
        model in the unit is given first, or as `input_ids=` / `decoder_input_ids=`. A
        model's call, as `roles._model_calls` tells one: given a language model's keyword
        or `**kwargs`, or with its `logits` read (`model(x).logits`, `out = model(x)` then
        `out["logits"]`)."""
        if self._given is None:
            from scorelint.model import roles  # loaded with the flow

            nodes = list(ast_walk(self._unit.node)) if self._unit.node is not None else []
            read = {id(value) for value in self.resolved(
                [node.value for node in nodes if _reads_logits(node)])}  # type: ignore[attr-defined]
            passed: list[ast.expr] = []
            for node in nodes:
                if isinstance(node, ast.Call) and (id(node) in read or any(
                        k.arg is None or k.arg in roles.LM_KEYWORDS for k in node.keywords)):
                    passed.extend(_positional(node)[:1])
                    passed.extend(_keywords(node, "input_ids", "decoder_input_ids"))
            self._given = {_names(value) for value in self.resolved(passed)} - {frozenset()}
        return self._given

    def unit_text(self) -> str:
        node = self._unit.node
        if node is None:
            return self.text
        return "".join(self._flow.lines[_first_row(node) - 1:_last_row(node)])

    def values(self, name: str) -> list[ast.expr]:
        """What `name` may be bound to here: in the unit (with the functions nested in it)
        or at module level."""
        module = self._flow.units[0].values
        found = self._unit.values.get(name, [])
        return found + module.get(name, []) if self._unit is not self._flow.units[0] else found

    def followed(self, values: list[ast.expr]) -> list[ast.AST]:
        """Each value met following `values` back as `patterns.trace_positions` does, through
        every binding of a name, and every operand a call may take (its object, its first
        argument, its operand keywords); a subscript's value, the owner of `.logits` and of
        `.input_ids`, a division's dividend. Every value met counts: the rule's trace may
        stop at any of them."""
        met: list[ast.AST] = []
        seen: set[int] = set()
        work: list[ast.AST] = list(values)
        while work:
            node = work.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            met.append(node)
            kind = type(node)
            if kind is ast.Name:
                work.extend(self.values(node.id))
            elif kind is ast.Subscript:
                work.append(node.value)
            elif kind is ast.Attribute:
                if node.attr in _FOLLOWED_ATTRIBUTES:
                    work.append(node.value)
            elif kind is ast.BinOp:
                if isinstance(node.op, ast.Div):
                    work.append(node.left)
            elif kind is ast.Call:
                work.extend(self.operands(node))
        return met

    def resolved(self, values: list[ast.expr]) -> list[ast.AST]:
        """`values`, and what each name among them may be bound to, in turn (`ctx.resolve`)."""
        met: list[ast.AST] = []
        seen: set[int] = set()
        work: list[ast.AST] = list(values)
        while work:
            node = work.pop()
            if id(node) not in seen:
                seen.add(id(node))
                met.append(node)
                if isinstance(node, ast.Name):
                    work.extend(self.values(node.id))
        return met

    def call_name(self, call: ast.Call) -> str | None:
        """The name `call` calls, through `from m import a as b` aliases."""
        name = _callee_name(call.func)
        return self._flow.aliases.get(name, name) if name is not None else None

    def operands(self, call: ast.Call, every: bool = False) -> list[ast.expr]:
        """What `call` may be an operation on: its object, its first argument, its operand
        keywords (`vocabulary.read_call`); with `every`, all its arguments."""
        found = [call.func.value] if isinstance(call.func, ast.Attribute) else []
        if every:
            return [*found, *_positional(call), *(k.value for k in call.keywords)]
        return [*found, *_positional(call)[:1], *_keywords(call, *self._flow.operand_keywords)]


# `out.logits` stands where `out` does; `enc.input_ids` was made by `enc`'s tokenizer call.
_FOLLOWED_ATTRIBUTES = frozenset({"logits", "input_ids"})


class _Flow:
    """The keys of one module's kept code, what each is bound from, and who binds it."""

    def __init__(self, tree: ast.Module, kept: set[int], rules: Sequence[type[Rule]],
                 aliases: dict[str, str], lent: Mapping[str, frozenset[str]], text: str,
                 lines: list[str]) -> None:
        self.text, self.lines = text, lines
        self.interesting = trigger_names(rules) | set(OPERATORS) \
            | {token for rule in rules for token in rule.anchors}
        # The operations a finding is reported at: each is recorded with its operands.
        self.site_names = frozenset(token for rule in rules for token in rule.anchors)
        # Identifiers a rule needs at its site (`Rule.named`), each a token when met.
        self.named = {pattern.pattern: pattern for rule in rules for pattern in rule.named}
        self.interesting |= set(self.named)
        self._named_in: dict[str, frozenset[str]] = {}
        # Here, not at import: the text gate (step 1) runs without LibCST or the model.
        from scorelint.model import patterns
        from scorelint.model import vocabulary as vocab

        self.seen_through = (self.interesting | vocab.known_names() | _SEEN_THROUGH_NAMES
                             | patterns.RANKERS)
        self.forward_names = vocab.FORWARD_NAMES
        self.operand_keywords = vocab.ArgSpec().operand_kw  # how a function takes its operand
        self.sum_names = frozenset(vocab.call_names("sum"))
        self.aliases = aliases
        self.units: list[_Unit] = [_Unit(None, None, None)]  # 0: module-level code
        self.units_of: dict[int, list[int]] = {}  # top-level index -> its units
        self.tokens: dict[Key, set[str]] = {}
        self.reads: dict[Key, set[Key]] = {}
        self.owners: dict[Key, set[int]] = {}
        self.returns: dict[str, set[Key]] = {}  # a function or method name -> its return keys
        self.classes: dict[str, set[str]] = {}  # a class -> its method names
        # Where each statement of a function stands, for reads to see only the bindings
        # before them (or anywhere in a loop around them, or anywhere from a closure).
        self._position = 0
        self._loop: list[int] = []  # the first position of each loop the walk is in
        self._loop_end: dict[int, int] = {}
        self._nested = 0  # inside a nested function or lambda
        self._selves: list[str] = []  # what the methods of a class in a function call `self`
        self._classes_in_function = 0
        self._bound_at: dict[tuple[int, str], list[int]] = {}
        self._reads_to_place: list[Key] = []
        self.tops: dict[Key, set[str | Key]] = {}  # what a binding's value is at its top
        self._divisors: set[str | Key] = set()  # of the statement being walked
        self._callees: set[str | Key] = set()
        self._sites: list[_Site] = []
        self._calls: list[tuple[set[str | Key], ast.Call]] = []  # of the statement being walked
        self._whole_sites: set[str] = set()  # of the statement being walked
        self._divide_names = frozenset(vocab.call_names("divide"))
        # Which statement binds each key, and what each statement reads (by `id`): to keep
        # only the statements of a function that its bindings needed elsewhere rest on.
        self._current: ast.AST | None = None
        self.binders: dict[Key, set[tuple[int, int]]] = {}
        self.statement_reads: dict[int, set[Key]] = {}
        # A function's parameters are bound by the calls of it in the module: the values a
        # caller passes (per-token log-probs handed to a helper) flow into them.
        self.params: dict[str, list[tuple[list[str], list[Key]]]] = {}
        # (function, position, keyword, called as a method, tokens, reads, unit, statement)
        self._passed: list[tuple[str, int | None, str | None, bool, set[str], set[Key], int,
                                 ast.AST | None]] = []
        body = [(i, stmt) for i, stmt in enumerate(tree.body) if i in kept]
        for i, stmt in body:
            if isinstance(stmt, _FUNCTIONS):
                self.units_of[i] = [self._unit(stmt, None, None)]
                self.returns.setdefault(stmt.name, set()).add(("R", None, stmt.name))
            elif isinstance(stmt, ast.ClassDef):
                units = [self._unit(stmt, stmt.name, None)]
                methods = self.classes.setdefault(stmt.name, set())
                for sub in stmt.body:
                    if isinstance(sub, _FUNCTIONS):
                        units.append(self._unit(sub, stmt.name, _self_name(sub)))
                        methods.add(sub.name)
                        self.returns.setdefault(sub.name, set()).add(("R", stmt.name, sub.name))
                self.units_of[i] = units
        for i, stmt in body:
            units = self.units_of.get(i)
            if units is None:
                self._statements([stmt], 0, None)
            elif isinstance(stmt, _FUNCTIONS):
                self._bind(("G", stmt.name), set(), {("R", None, stmt.name)}, units[0])
                self._function(stmt, units[0], ("R", None, stmt.name))
            else:
                self._class(stmt, units)
        for name, tokens in lent.items():  # a name imported from a module of the project
            self._bind(("G", name), set(tokens), set(), 0)
        self._pass_arguments()
        self._place_reads()
        # Cones are bit masks over the tokens that matter: a union of thousands of token
        # sets per statement was most of the judging.
        self.bits = {name: 1 << i for i, name in enumerate(sorted(
            self.interesting | {t for rule in rules for group in rule.triggers for t in group}))}
        self.closed = _closure_masks(self.tokens, self.reads, self.bits)
        self.groups = {rule: tuple(self.mask(group) for group in rule.triggers)
                       + ((self.mask(p.pattern for p in rule.named),) if rule.named else ())
                       for rule in rules}
        self.operators = self.mask(_OPERATORS)
        self.firing: set[type[Rule]] = set()  # filled by `needed`
        self._called_at: dict[int, set[str]] = {}  # `_called`

    # --- building -------------------------------------------------------------------

    def _pass_arguments(self) -> None:
        """Bind each parameter of a called function to the argument passed there, bound by
        the calling statement (`*args` / `**kwargs` reach every parameter)."""
        for name, position, keyword, method, tokens, reads, unit, current in self._passed:
            for names, keys in self.params.get(name, ()):
                offset = 1 if method and names and names[0] in ("self", "cls") else 0
                if keyword is not None:
                    reached = [k for n, k in zip(names, keys) if n == keyword]
                elif position is not None:
                    reached = keys[position + offset:position + offset + 1]
                else:
                    reached = keys
                for key in reached:
                    self.tokens.setdefault(key, set()).update(tokens & self.interesting)
                    self.reads.setdefault(key, set()).update(reads)
                    if current is not None:
                        self.binders.setdefault(key, set()).add((unit, id(current)))

    def _unit(self, node: ast.AST, cls: str | None, self_name: str | None) -> int:
        self.units.append(_Unit(node, cls, self_name))
        return len(self.units) - 1

    def _class(self, cls: ast.ClassDef, units: list[int]) -> None:
        own = units[0]
        self._bind(("G", cls.name), set(),
                   {("R", cls.name, m) for m in self.forward_names if m in self.classes[cls.name]}, own)
        header = [*cls.bases, *(k.value for k in cls.keywords), *cls.decorator_list]
        self._statement(header, own, None)
        methods = iter(units[1:])
        for stmt in cls.body:
            if isinstance(stmt, _FUNCTIONS):
                unit = next(methods)
                self._function(stmt, unit, ("R", cls.name, stmt.name))
            else:  # `eps = 1e-8` in the class body is also `self.eps`
                self._statements([stmt], own, None)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, unit: int,
                  returns: Key) -> None:
        """A function's header (decorators, defaults) and body; `returns` stands for what
        it returns."""
        args = node.args
        given = [*args.defaults, *(d for d in args.kw_defaults if d)]
        decorators = [] if isinstance(node, ast.Lambda) else node.decorator_list
        # Each default is walked once (a default holding a lambda with defaults... would
        # otherwise be walked twice per level: 2^n): the header statement records it, and
        # its parameter is bound to its value.
        each: list[_Walked] = []
        self._statement([*given, *decorators], unit, None, each=each)
        walked = {id(default): found for default, found in zip(given, each)}
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
        names: list[str] = []
        keys: list[Key] = []
        if not isinstance(node, ast.Lambda):
            self.params.setdefault(node.name, []).append((names, keys))
        for arg, default in zip([*positional, *args.kwonlyargs],
                                [*defaults, *args.defaults, *args.kw_defaults]):
            found: tuple[set[str], set[Key]] = (set(), set())
            if default is not None:
                value_tokens, value_reads, divisors, callees = walked[id(default)]
                # What it divides by and calls counts in the statement around it too.
                self._divisors |= divisors
                self._callees |= callees
                found = (value_tokens, value_reads)
            key = self._bound(arg.arg, unit)
            self._bind(key, *found, unit)
            names.append(arg.arg)
            keys.append(key)
        for arg in (args.vararg, args.kwarg):
            if arg is not None:
                self._bind(self._bound(arg.arg, unit), set(), set(), unit)
        if isinstance(node, ast.Lambda):
            self._bind(returns, *self._value([node.body], unit), unit)
        else:
            self._statements(node.body, unit, returns)

    def _statements(self, body: Iterable[ast.AST], unit: int, returns: Key | None) -> None:
        for stmt in body:
            if isinstance(stmt, _FUNCTIONS):
                inner = ("R", None, stmt.name)
                self.returns.setdefault(stmt.name, set()).add(inner)
                self._bind(self._bound(stmt.name, unit), set(), {inner}, unit)
                self._nested += 1
                self._function(stmt, unit, inner)
                self._nested -= 1
                continue
            if isinstance(stmt, ast.ClassDef):  # a class inside a function
                self._nested_class(stmt, unit)
                continue
            self._position += 1
            self._current = stmt
            if isinstance(stmt, (ast.Global, ast.Nonlocal)):
                self.units[unit].declared.update(stmt.names)
            looping = isinstance(stmt, (ast.For, ast.AsyncFor, ast.While))
            if looping:
                self._loop.append(self._position)
            own = [value for field, value in ast.iter_fields(stmt) if field not in _BODIES]
            exprs = [e for value in own for e in (value if isinstance(value, list) else [value])
                     if isinstance(e, ast.AST)]
            divides = isinstance(stmt, ast.AugAssign) and isinstance(stmt.op, ast.Div)
            tokens, reads = self._statement(  # `e /= e.sum()` divides by a sum
                exprs, unit, returns, self._top(stmt.value, unit) if divides else None)
            if isinstance(stmt, ast.AugAssign) and exprs:  # `p /= T` reads `p` and has `/=`
                own = self.units[unit].statements[-1]
                own.tokens |= self._symbol(stmt.op, "=") & self.interesting
                own.reads |= {key for key in self._top(stmt.target, unit) if not isinstance(key, str)}
                for symbol in self._symbol(stmt.op, "=") & self.site_names:
                    own.sites.append(_Site(symbol, own.tokens, own.reads))
            if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                if isinstance(stmt, ast.AugAssign):
                    tokens = tokens | self._symbol(stmt.op, "=")
                for target in targets:
                    self._bind_target(target, tokens, reads, unit,
                                      None if isinstance(stmt, ast.AugAssign) or stmt.value is None
                                      else self._tops(target, stmt.value, unit))
                    if not isinstance(stmt, ast.AugAssign):
                        self._bind_value(target, stmt.value, unit)
            elif isinstance(stmt, (ast.For, ast.AsyncFor)):
                self._bind_target(stmt.target, *self._value([stmt.iter], unit), unit)
            elif isinstance(stmt, (ast.With, ast.AsyncWith)):
                for item in stmt.items:
                    if item.optional_vars is not None:
                        self._bind_target(item.optional_vars,
                                          *self._value([item.context_expr], unit), unit)
            elif isinstance(stmt, ast.Return) and returns is not None and stmt.value is not None:
                self._bind(returns, tokens, reads, unit)
            for field in _BODIES:
                for sub in getattr(stmt, field, ()):
                    self._statements(getattr(sub, "body", None) if isinstance(
                        sub, (ast.ExceptHandler, ast.match_case)) else [sub], unit, returns)
            if looping:
                self._loop_end[self._loop.pop()] = self._position

    def _nested_class(self, cls: ast.ClassDef, unit: int) -> None:
        """A class defined in a function: its methods' `self.x` are members too, and
        calling it runs its `forward` / `call`."""
        self._bind(self._bound(cls.name, unit), set(),
                   {("R", None, m) for m in self.forward_names}, unit)
        self._statement([*cls.bases, *cls.decorator_list], unit, None)
        self._classes_in_function += 1
        for stmt in cls.body:
            self_name = _self_name(stmt) if isinstance(stmt, _FUNCTIONS) else None
            if self_name is not None:
                self._selves.append(self_name)
            self._statements([stmt], unit, None)
            if self_name is not None:
                self._selves.pop()
        self._classes_in_function -= 1

    def _statement(self, exprs: list[ast.AST], unit: int, returns: Key | None,
                   divisors: set[str | Key] | None = None,
                   each: list[_Walked] | None = None) -> tuple[set[str], set[Key]]:
        """Record one statement (all its tokens and reads) where a finding may sit, and
        return what its value is computed from; with `each`, also what each expression's
        value is computed from, and what it divides by and calls."""
        outer, self._divisors = self._divisors, divisors or set()
        outer_callees, self._callees = self._callees, set()
        outer_sites, self._sites = self._sites, []
        outer_calls, self._calls = self._calls, []
        outer_whole, self._whole_sites = self._whole_sites, set()
        if each is None:
            tokens, reads, value_tokens, value_reads = self._sources(exprs, unit, returns)
        else:
            tokens, reads, value_tokens, value_reads = set(), set(), set(), set()
            statement_divisors, statement_callees = self._divisors, self._callees
            for expr in exprs:
                self._divisors, self._callees = set(), set()
                found = self._sources([expr], unit, returns)
                tokens |= found[0]
                reads |= found[1]
                value_tokens |= found[2]
                value_reads |= found[3]
                each.append((found[2], found[3], self._divisors, self._callees))
                statement_divisors |= self._divisors
                statement_callees |= self._callees
            self._divisors, self._callees = statement_divisors, statement_callees
        if exprs:
            sites = [*self._sites, *(_Site(token, tokens, reads) for token in self._whole_sites)]
            self.units[unit].statements.append(
                _Statement(tokens, reads, self._divisors, self._callees, sites,
                           tuple(self._calls) if self._calls else ()))
            if self._current is not None:
                self.statement_reads.setdefault(id(self._current), set()).update(reads)
        self._divisors, self._callees, self._sites = outer, outer_callees, outer_sites
        self._calls = outer_calls
        self._whole_sites = outer_whole
        return value_tokens, value_reads

    def _value(self, exprs: list[ast.AST], unit: int) -> tuple[set[str], set[Key]]:
        return self._sources(exprs, unit)[2:]

    def _sources(self, exprs: list[ast.AST], unit: int, returns: Key | None = None
                 ) -> tuple[set[str], set[Key], set[str], set[Key]]:
        """The trigger tokens in `exprs` and the keys they read, then the same for the
        value they compute: that leaves out an index (`p[i]`: `i`) and the arguments of
        a call the rules do not look through (`len(xs)`). Bindings made inside an
        expression (a walrus, a comprehension variable, `xs.append(v)`) are recorded."""
        tokens: set[str] = set()
        reads: set[Key] = set()
        value_tokens: set[str] = set()
        value_reads: set[Key] = set()

        # The sites whose operands are being walked: each gets what is found below it. A
        # site is closed by a marker pushed before its operands: `(site, None)`.
        open_sites: list[_Site] = []

        def walk_once(expr: ast.AST, cut: bool) -> tuple[set[str], set[Key]]:
            """`expr` walked on its own, once, and counted here as a child would be; what
            its value is computed from (for a binding made from it, as a walrus). Walking
            it again as a child would cost 2^n on nesting."""
            found = self._sources([expr], unit, returns)
            tokens.update(found[0])
            reads.update(found[1])
            if not cut:
                value_tokens.update(found[2])
                value_reads.update(found[3])
            for site in open_sites:
                site.tokens |= found[0]
                site.reads |= found[1]
            return found[2], found[3]

        def open_site(site: _Site) -> None:
            open_sites.append(site)
            stack.append((site, None))  # type: ignore[arg-type]
            self._sites.append(site)

        stack: list[tuple[ast.AST, bool]] = [(expr, False) for expr in exprs]
        while stack:
            node, cut = stack.pop()
            if cut is None:  # a site's operands are all walked
                open_sites.pop()
                continue
            limits.check_time()
            kind = type(node)
            if kind is ast.Name:  # most nodes: a name or a constant, with nothing below
                if type(node.ctx) is ast.Load:
                    key = self._read(node.id, unit)
                    reads.add(key)
                    if not cut:
                        value_reads.add(key)
                    for site in open_sites:
                        site.reads.add(key)
                    if self.named:
                        named = self._named_tokens(node.id)
                        tokens |= named
                        if not cut:
                            value_tokens |= named
                        for site in open_sites:
                            site.tokens |= named
                continue
            if kind is ast.Constant:
                if self.named and isinstance(node.value, str) and node.value.isidentifier():
                    named = self._named_tokens(node.value)  # `config["temperature"]`
                    tokens |= named
                    value_tokens |= named  # the key a subscript is known by
                    for site in open_sites:
                        site.tokens |= named
                continue
            children = True  # walk the node's children (else a branch below has)
            found_tokens: set[str] = set()
            found_reads: set[Key] = set()
            if isinstance(node, ast.Attribute):
                member = self._member(node, unit)
                if member is not None and isinstance(node.ctx, ast.Load):
                    found_reads.add(member)
                if self.named:
                    found_tokens |= self._named_tokens(node.attr)
            elif isinstance(node, ast.Call):
                name = self._call(node, unit, found_tokens, found_reads)
                if not isinstance(node.func, ast.Name):  # `self.sm(x)`, `nn.Softmax(1)(x)`
                    callee = self._top(node.func, unit)
                elif node.func.id not in self.aliases:
                    callee = {self._read(node.func.id, unit)}  # `sm = nn.Softmax(1)`
                else:
                    callee = set()
                self._callees |= callee
                if callee:
                    self._calls.append((callee, node))
                if name in self._divide_names:
                    for arg in node.args:
                        self._divisors |= self._top(arg, unit)
                opaque = cut or name not in self.seen_through
                # A site (`log(p)`, `p.log()`, `ln(p)` for `log as ln`): what it is applied
                # to is kept apart.
                named = self.aliases.get(name, name) if name is not None else None
                token = named if named in self.site_names else name
                if token in self.site_names and not self._own_method(node.func, unit):
                    open_site(_Site(token, set(), set(), node))
                if LABELS_KEYWORD in self.site_names and any(
                        keyword.arg == "labels" for keyword in node.keywords):
                    self.units[unit].sites.add(LABELS_KEYWORD)
                if HELPER_CALL in self.site_names and name in self.returns and sum(
                        not isinstance(arg, ast.Starred) for arg in node.args) >= 2:
                    self._whole_sites.add(HELPER_CALL)
                stack.append((node.func, cut))
                if name in self.returns:
                    # A call of the module's own function or method: each argument, walked
                    # once, flows into its parameter.
                    method = isinstance(node.func, ast.Attribute)
                    for position, arg in enumerate(node.args):
                        place = None if isinstance(arg, ast.Starred) else position
                        self._passed.append((name, place, None, method, *walk_once(arg, opaque),
                                             unit, self._current))
                    for keyword in node.keywords:
                        self._passed.append((name, None, keyword.arg, method,
                                             *walk_once(keyword.value, opaque), unit,
                                             self._current))
                elif name in _MUTATORS and isinstance(node.func, ast.Attribute) \
                        and isinstance(node.func.value, ast.Name):  # `xs.append(v)`
                    grown: tuple[set[str], set[Key]] = (set(), set())
                    for arg in node.args:
                        found = walk_once(arg, opaque)
                        grown[0].update(found[0])
                        grown[1].update(found[1])
                    self._bind(self._bound(node.func.value.id, unit), *grown, unit)
                    stack.extend((keyword.value, opaque) for keyword in node.keywords)
                else:
                    stack.extend((keyword.value, opaque) for keyword in node.keywords)
                    stack.extend((arg, opaque) for arg in node.args)
            elif isinstance(node, ast.Subscript):
                stack.append((node.value, cut))
                stack.append((node.slice, True))
                index = node.slice
                if DOUBLE_INDEX in self.site_names and isinstance(index, ast.Tuple) \
                        and len(index.elts) >= 2 and isinstance(index.elts[-1], ast.Subscript):
                    self._whole_sites.add(DOUBLE_INDEX)
            elif isinstance(node, ast.BinOp):
                found_tokens |= self._symbol(node.op, "")
                if isinstance(node.op, ast.Div):
                    self._divisors |= self._top(node.right, unit)
                symbol = BINOPS.get(type(node.op))
                if symbol in self.site_names:  # `p / T`: a site, with both operands
                    open_site(_Site(symbol, set(), set(), node))
            elif isinstance(node, ast.Compare) and COMPARED in self.site_names \
                    and any(isinstance(op, _ORDERS) for op in node.ops):
                open_site(_Site(COMPARED, {COMPARED}, set()))  # `score_a > score_b`
            elif isinstance(node, ast.Lambda):
                inner = ("R", None, "<lambda>")
                self._nested += 1
                self._function(node, unit, inner)
                self._nested -= 1
                found_reads.add(inner)
            elif isinstance(node, ast.NamedExpr):
                self._bind_value(node.target, node.value, unit)
                self._bind_target(node.target, *walk_once(node.value, cut), unit,
                                  self._top(node.value, unit))
                stack.append((node.target, cut))
                children = False
            elif isinstance(node, ast.comprehension):
                self._bind_value(node.target, node.iter, unit)  # what it runs over
                self._bind_target(node.target, *walk_once(node.iter, cut), unit)
                stack.extend((child, cut) for child in (node.target, *node.ifs))
                children = False
            elif isinstance(node, (ast.Yield, ast.YieldFrom)) and returns is not None \
                    and node.value is not None:
                self._bind(returns, *walk_once(node.value, cut), unit)
                children = False
            if children and not isinstance(node, (ast.Call, ast.Subscript, ast.Lambda)):
                stack.extend(zip(ast_children(node), repeat(cut)))
            tokens |= found_tokens
            reads |= found_reads
            if not cut:
                value_tokens |= found_tokens
                value_reads |= found_reads
            for site in open_sites:
                site.tokens |= found_tokens
                site.reads |= found_reads
        return (tokens & self.interesting, reads, value_tokens & self.interesting, value_reads)

    def _named_tokens(self, identifier: str) -> frozenset[str]:
        """The `Rule.named` patterns `identifier` matches, as tokens."""
        found = self._named_in.get(identifier)
        if found is None:
            found = self._named_in[identifier] = frozenset(
                token for token, pattern in self.named.items() if pattern.search(identifier))
        return found

    def _call(self, node: ast.Call, unit: int, tokens: set[str], reads: set[Key]) -> str | None:
        """Record a call's name and the returns it reads; its name."""
        func = node.func
        name = _callee_name(func)
        if name is None:
            return None
        if not isinstance(func, ast.Attribute):
            tokens.add(name)
            tokens.add(self.aliases.get(name, name))
            return name
        owner = self.units[unit].cls
        mine = isinstance(func.value, ast.Name) and func.value.id == self.units[unit].self_name \
            and owner is not None and name in self.classes.get(owner, ())
        if not self._own_method(func, unit):  # an own method's return is read instead
            tokens.add(name)
            tokens.add(self.aliases.get(name, name))
        reads.update({("R", owner, name)} if mine else self.returns.get(name, ()))
        return name

    def _own_method(self, func: ast.expr, unit: int) -> bool:
        """Is `func` `self.m` / `cls.m` for a method `m` of the class around `unit`?"""
        owner = self.units[unit].cls
        return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
            and func.value.id in _OWN_RECEIVERS and func.value.id == self.units[unit].self_name \
            and owner is not None and func.attr in self.classes.get(owner, ())

    def _bind_target(self, target: ast.AST, tokens: set[str], reads: set[Key], unit: int,
                     top: set[str | Key] | dict[int, set[str | Key]] | None = None) -> None:
        """Bind each name in `target`; `top` is what the value is at its top (per element
        of an unpacked literal tuple: `a, b = x.sum(), y`)."""
        if isinstance(target, (ast.Tuple, ast.List)):
            for i, element in enumerate(target.elts):
                self._bind_target(element, tokens, reads, unit,
                                  top.get(i) if isinstance(top, dict) else None)
        elif isinstance(target, ast.Starred):
            self._bind_target(target.value, tokens, reads, unit)
        else:
            key = self._root(target, unit)
            if key is not None:
                self._bind(key, tokens, reads, unit)
                if isinstance(top, set) and (isinstance(target, ast.Name) or key[0] == "M"):
                    self.tops.setdefault(key, set()).update(top)
            if isinstance(target, ast.Name) and self.units[unit].node is not None \
                    and isinstance(self.units[unit].node, ast.ClassDef):
                self._bind(("M", target.id), tokens, reads, unit)  # a class attribute

    def _top(self, value: ast.AST, unit: int) -> set[str | Key]:
        """What `value` is at its top, as the rules' `ctx.op` sees it through names bound
        to it: the name of the call, or the key of the name it reads."""
        if isinstance(value, ast.Call):
            name = _callee_name(value.func)
            return {name, self.aliases.get(name, name)} if name else set()
        if isinstance(value, ast.Name):
            return {self._read(value.id, unit)}
        if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Attribute) \
                and value.value.attr == "shape":
            return {"shape"}  # `x.shape[-1]`: an axis's length
        member = self._member(value, unit) if isinstance(value, ast.Attribute) else None
        return {member} if member is not None else set()

    def _bind_value(self, target: ast.AST, value: ast.expr | None, unit: int) -> None:
        """Record `name = value` for the tests that follow values (`_Around`): in the unit,
        or the module's for a module-level or `global` name."""
        if isinstance(target, ast.Name) and value is not None:
            where = 0 if target.id in self.units[unit].declared else unit
            self.units[where].values.setdefault(target.id, []).append(value)

    def _tops(self, target: ast.AST, value: ast.AST,
              unit: int) -> set[str | Key] | dict[int, set[str | Key]]:
        if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)):
            return {i: self._top(element, unit) for i, element in enumerate(value.elts)}
        return self._top(value, unit)

    def _calls_at_top(self, found: set[str | Key], depth: int = 8) -> set[str]:
        """The call names `found` stands for, following keys to their bindings' tops."""
        names: set[str] = set()
        seen: set[Key] = set()
        frontier = list(found)
        for _ in range(depth):
            following: list[str | Key] = []
            for item in frontier:
                if isinstance(item, str):
                    names.add(item)
                elif item not in seen:
                    seen.add(item)
                    if item[0] == "N":  # a read: the bindings that reach it
                        following.extend(self.reads.get(item, ()))
                    else:
                        following.extend(self.tops.get(item, ()))
            frontier = following
        return names

    def _bind(self, key: Key, tokens: set[str], reads: set[Key], unit: int) -> None:
        self.tokens.setdefault(key, set()).update(tokens)
        self.reads.setdefault(key, set()).update(reads)
        self.owners.setdefault(key, set()).add(unit)
        if self._current is not None:
            self.binders.setdefault(key, set()).add((unit, id(self._current)))

    # --- names ----------------------------------------------------------------------

    def _bound(self, name: str, unit: int) -> Key:
        """The key of a binding of `name` here: in a function or class body, one per
        statement; at module level (or `global`), the module name's."""
        if unit == 0 or name in self.units[unit].declared:
            return ("G", name)
        self._bound_at.setdefault((unit, name), []).append(self._position)
        return ("B", unit, name, self._position)

    def _read(self, name: str, unit: int) -> Key:
        """The key of a read of `name` here: in a function or class body, a key standing
        for the bindings that may reach it (placed by `_place_reads` once all are known)."""
        if unit == 0 or name in self.units[unit].declared:
            return ("G", name)
        nested = self._nested > 0 or not isinstance(self.units[unit].node, _FUNCTIONS)
        key = ("N", unit, name, self._position, self._loop[0] if self._loop else -1, nested)
        self._reads_to_place.append(key)
        return key

    def _place_reads(self) -> None:
        """A read sees the bindings before it, those in a loop around it (the next turn),
        and, from a nested function or lambda, every binding (it may run at any time); a
        name the function never binds is the module's."""
        # Reads between the same two bindings see the same set: built once, shared
        # (nothing adds to a read's set after this).
        seen: dict[tuple[object, ...], frozenset[Key]] = {}
        ordered: dict[tuple[int, str], list[int]] = {}
        for key in self._reads_to_place:
            _, unit, name, position, loop, nested = key
            bound = self._bound_at.get((unit, name))
            if not bound:
                self.reads[key] = {("G", name)}
                continue
            at = ordered.get((unit, name))
            if at is None:
                at = ordered[(unit, name)] = sorted(bound)
            if nested:
                shape: tuple[object, ...] = (unit, name)
            else:
                end = self._loop_end.get(loop, -1)
                shape = (unit, name, bisect.bisect_right(at, position),
                         bisect.bisect_left(at, loop), bisect.bisect_right(at, end))
            found = seen.get(shape)
            if found is None:
                positions = at if nested else at[:shape[2]] + at[shape[3]:shape[4]]
                found = seen[shape] = frozenset(("B", unit, name, p) for p in positions)
            self.reads[key] = found  # type: ignore[assignment]

    def _member(self, node: ast.Attribute, unit: int) -> Key | None:
        """`self.x` in a method: the member `x`, whichever method binds it."""
        if isinstance(node.value, ast.Name) and (
                node.value.id == self.units[unit].self_name or node.value.id in self._selves):
            return ("M", node.attr)
        return None

    def _root(self, target: ast.AST, unit: int) -> Key | None:
        """The key a store binds, as the summaries read stores: a name, a member
        `self.x = v`; inside a class `other.x = v` also makes the member `x` unknown.
        `x[i] = v` binds nothing the rules follow."""
        if isinstance(target, ast.Name):
            return self._bound(target.id, unit)
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and (
                self.units[unit].cls is not None or self._classes_in_function):
            return ("M", target.attr)
        return None

    @staticmethod
    def _symbol(op: ast.operator, suffix: str) -> set[str]:
        symbol = BINOPS.get(type(op))
        return {symbol + suffix} if symbol else set()

    # --- judging --------------------------------------------------------------------

    def needed(self, rules: Sequence[type[Rule]]) -> tuple[set[int], dict[int, set[int]]]:
        """The units holding a statement some rule can fire in (kept whole), and for each
        unit kept only because it binds a key such a statement reads (directly or through
        other keys), the statements to keep: those bindings and, inside the unit, the
        bindings they read in turn. Both empty: no rule can fire anywhere. The rules that
        can fire somewhere are added to `firing`."""
        whole: set[int] = set()
        frontier: list[Key] = []
        firing = self.firing
        for index, unit in enumerate(self.units):
            limits.check_time()
            for statement in unit.statements:
                cone = self.cone(statement.tokens, statement.reads)
                fires = False
                for rule in rules:  # each rule until it fires once; any rule for the unit
                    if (not fires or rule not in firing) \
                            and self._fires(rule, statement, cone, unit):
                        firing.add(rule)
                        fires = True
                if fires:
                    whole.add(index)
                    frontier.extend(statement.reads)
        # What a kept statement reads is kept (a fact such as "`self.eps` is 1e-8" needs
        # every binding of it): a read stands for its bindings, and a binding made by a
        # trigger operation (`probs` returning a softmax) has its operands' facts read there
        # (their range). Further out, only what carries a trigger name on to it. Two passes,
        # so what is kept does not depend on the order keys are met in.
        direct = set(frontier)
        while frontier:
            key = frontier.pop()
            if key[0] == "N" or self.tokens.get(key):
                for read in self.reads.get(key, ()):
                    if read not in direct:
                        direct.add(read)
                        frontier.append(read)
        seen: set[Key] = set()
        frontier = list(direct)
        while frontier:
            key = frontier.pop()
            if key in seen:
                continue
            seen.add(key)
            frontier.extend(read for read in self.reads.get(key, ())
                            if read in direct or self.closed.get(read, 0) & ~self.operators)
        return whole, self._slices(whole, seen)

    def _slices(self, whole: set[int], seen: set[Key]) -> dict[int, set[int]]:
        """For each unit binding a key in `seen` but not kept whole, the statements (by
        `id`) binding those keys, and within the unit what they read, until closed."""
        kept: dict[int, set[int]] = {}
        work = [(unit, statement) for key in seen for unit, statement in self.binders.get(key, ())
                if unit not in whole]
        while work:
            unit, statement = work.pop()
            if statement in kept.setdefault(unit, set()):
                continue
            kept[unit].add(statement)
            for read in self.statement_reads.get(statement, ()):
                keys = self.reads.get(read, ()) if read[0] == "N" else (read,)
                work.extend((u, s) for key in keys for u, s in self.binders.get(key, ())
                            if u == unit)
        return kept

    def mask(self, tokens: Iterable[str]) -> int:
        found = 0
        for token in tokens:
            found |= self.bits.get(token, 0)
        return found

    def cone(self, tokens: Iterable[str], reads: Iterable[Key]) -> int:
        """`tokens` with those of every key `reads` reaches, as a mask."""
        found = self.mask(tokens)
        closed = self.closed
        for key in reads:
            found |= closed.get(key, 0)
        return found

    def _fires(self, rule: type[Rule], statement: _Statement, cone: int, unit: _Unit) -> bool:
        """Can `rule` fire in `statement`? Its cone meets every trigger group, it holds
        what the rule reports at (`Rule.anchors`), and it divides by what the rule needs
        there (`Rule.divisor`)."""
        if not all(cone & group for group in self.groups[rule]):
            return False
        anchored = bool(rule.anchors) and (
            self._anchored(rule, statement, unit) or not unit.sites.isdisjoint(rule.anchors))
        divided = bool(rule.divisor) and bool(statement.divisors) and not self._calls_at_top(
            statement.divisors).isdisjoint(rule.divisor)
        if rule.anchors and rule.divisor:  # reported at either
            return anchored or divided
        return (anchored or not rule.anchors) and (divided or not rule.divisor)

    def _anchored(self, rule: type[Rule], statement: _Statement, unit: _Unit) -> bool:
        """Does `statement` hold a site of the rule (`log(...)`, `a / b`) whose own cone,
        what it is applied to, meets every trigger group? A module it calls that is made
        by an anchor (`self.loss_fn = nn.CrossEntropyLoss()`) counts with the statement's
        whole cone: its call is not told apart from the others, except by a test of what
        it is called on (`AROUND_TESTS`)."""
        tops = self._calls_at_top(statement.callees)
        if not tops.isdisjoint(rule.anchors) and self._module_called(
                rule, statement, unit, tops.intersection(rule.anchors)):
            return True
        for site in statement.sites:
            if site.token not in rule.anchors:
                continue
            test = rule.anchor_arguments.get(site.token)
            if test is not None and site.node is not None \
                    and not self._passes(test, site.node, unit):
                continue
            cone = self.cone(site.tokens, site.reads)
            if all(cone & group for group in self.groups[rule]):
                return True
        return False

    def _module_called(self, rule: type[Rule], statement: _Statement, unit: _Unit,
                       made: set[str]) -> bool:
        """Is a module made by one of the anchors `made` called here on what the rule's
        test for it asks (when it has one that reads a call, `AROUND_TESTS`)?"""
        if any(rule.anchor_arguments.get(token) not in AROUND_TESTS for token in made):
            return True
        calls = [(call, met) for callee, call in statement.calls
                 if (met := self._called(callee, call) & made)]
        if not calls:
            return True  # made through a call not recorded here (a default's): kept
        return any(self._passes(rule.anchor_arguments[token], call, unit)
                   for call, met in calls for token in met)

    def _called(self, callee: set[str | Key], call: ast.Call) -> set[str]:
        """`_calls_at_top(callee)`, once per call (each rule with such a test asks)."""
        found = self._called_at.get(id(call))
        if found is None:
            found = self._called_at[id(call)] = self._calls_at_top(callee)
        return found

    def _passes(self, test: str, node: ast.Call | ast.BinOp, unit: _Unit) -> bool:
        """Does a site's own node show what the rule needs there (`Rule.anchor_arguments`)?"""
        if test in ARGUMENT_TESTS:
            return ARGUMENT_TESTS[test](node)
        if unit.around is None:
            unit.around = _Around(self, unit)
        return AROUND_TESTS[test](node, unit.around)


def _self_name(method: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The name a method calls its instance by (`self`), None for a static method."""
    if any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in method.decorator_list):
        return None
    params = [*method.args.posonlyargs, *method.args.args]
    return params[0].arg if params else None


def _closure_masks(tokens: dict[Key, set[str]], reads: dict[Key, set[Key]],
                   bits: dict[str, int]) -> dict[Key, int]:
    """Each key's tokens with those of every key it reads, directly or not (Tarjan's
    strongly connected components, so a loop of bindings costs one pass). Token sets
    are unioned as bit masks: a class's members read each other, and set unions over
    thousands of keys were most of narrowing's time. `bits` gives each token its bit; a
    token without one is left out."""
    own: dict[Key, int] = {}
    for key, names in tokens.items():
        mask = 0
        for name in names:
            mask |= bits.get(name, 0)
        own[key] = mask
    closed: dict[Key, int] = {}
    index: dict[Key, int] = {}
    low: dict[Key, int] = {}
    stack: list[Key] = []
    on_stack: set[Key] = set()
    for root in list(reads):
        if root in index:
            continue
        work: list[tuple[Key, Iterator[Key]]] = [(root, iter(reads.get(root, ())))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            key, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(reads.get(child, ()))))
                elif child in on_stack:
                    low[key] = min(low[key], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[key])
            if low[key] != index[key]:
                continue
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == key:
                    break
            found = 0
            for member in component:  # reads inside the component are not closed yet: 0
                found |= own.get(member, 0)
                for read in reads.get(member, ()):
                    found |= closed.get(read, 0)
            for member in component:
                closed[member] = found
    return closed


# --- counting, for benchmarks/speed.py ------------------------------------------

@dataclass
class Recorder:
    """Files and lines that reached each stage, in the order stages were first seen."""

    stages: dict[str, tuple[int, int]] = dataclass_field(default_factory=dict)

    def add(self, stage: str, lines: int) -> None:
        files, total = self.stages.get(stage, (0, 0))
        self.stages[stage] = (files + 1, total + lines)


RECORDER: Recorder | None = None


def reached(stage: str, text: str) -> None:
    """Record that a file (or the part of it kept) with `text` reached `stage`."""
    if RECORDER is not None:
        RECORDER.add(stage, text.count("\n") + (not text.endswith("\n") and bool(text)))


def reached_code(stage: str, text: str) -> None:
    """As `reached`, counting only the lines that are not blank (what was kept of a file)."""
    if RECORDER is not None:
        RECORDER.add(stage, sum(1 for line in text.splitlines() if line.strip()))
