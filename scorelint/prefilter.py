"""The two cheap stages before LibCST: a regex over the text, then CPython's `ast`.

Each rule declares trigger groups (see `Rule.triggers`); a rule is a
candidate for a file only if every group has a token in it. Both stages
over-approximate the rules, so they never hide a finding.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scorelint.rule import Rule

OPERATORS = ("/=", "*=", "**", "/", "*", "@", "-", "+")

BINOPS = {ast.Div: "/", ast.Mult: "*", ast.MatMult: "@", ast.Sub: "-", ast.Add: "+",
           ast.Pow: "**"}


@functools.lru_cache(maxsize=256)
def _call_pattern(name: str) -> re.Pattern[str]:
    """`name` called (`name (`): a pattern that starts with a literal, which the regex
    engine finds at the speed of a substring search (a leading `\\b` or an alternation
    would make it try every position)."""
    return re.compile(rf"{re.escape(name)}\s*\(")


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


@functools.lru_cache(maxsize=4)
def _scan(text: str, names: frozenset[str]) -> frozenset[str]:
    present = [name for name in names if name in text]
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


def _walk_tokens(root: ast.AST, tokens: set[str], aliases: dict[str, str]) -> None:
    for node in ast.walk(root):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                tokens.add(func.id)
            elif isinstance(func, ast.Attribute):
                tokens.add(func.attr)
        elif isinstance(node, ast.BinOp):
            symbol = BINOPS.get(type(node.op))
            if symbol:
                tokens.add(symbol)
        elif isinstance(node, ast.AugAssign):
            symbol = BINOPS.get(type(node.op))
            if symbol:
                tokens.add(symbol + "=")
        elif isinstance(node, ast.ImportFrom):
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
