"""The two cheap stages before LibCST: a regex over the text, then CPython's `ast`.

Each rule declares trigger groups (see `Rule.triggers`); a rule is a
candidate for a file only if every group has a token in it. Both stages
over-approximate the rules, so they never hide a finding.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scorelint.rule import Rule

_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
_ALIAS = re.compile(r"\b([A-Za-z_]\w*)\s+as\s+([A-Za-z_]\w*)")
OPERATORS = ("/=", "*=", "**", "/", "*", "@", "-", "+")

_BINOPS = {ast.Div: "/", ast.Mult: "*", ast.MatMult: "@", ast.Sub: "-", ast.Add: "+",
           ast.Pow: "**"}


def text_tokens(text: str) -> set[str]:
    """Names that occur call-shaped (`exp(`), through `as` aliases, plus operator symbols."""
    tokens = set(_CALL.findall(text))
    for original, alias in _ALIAS.findall(text):
        if alias in tokens:
            tokens.add(original)
    tokens.update(op for op in OPERATORS if op in text)
    return tokens


def ast_tokens(tree: ast.AST) -> set[str]:
    """The same tokens read from a parsed tree: only real calls and operators count."""
    aliases: dict[str, str] = {}
    tokens: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                tokens.add(func.id)
            elif isinstance(func, ast.Attribute):
                tokens.add(func.attr)
        elif isinstance(node, ast.BinOp):
            symbol = _BINOPS.get(type(node.op))
            if symbol:
                tokens.add(symbol)
        elif isinstance(node, ast.AugAssign):
            symbol = _BINOPS.get(type(node.op))
            if symbol:
                tokens.add(symbol + "=")
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
    tokens.update(aliases[t] for t in list(tokens) if t in aliases)
    return tokens


def candidates(rules: Iterable[type[Rule]], tokens: set[str]) -> list[type[Rule]]:
    """The rules whose every trigger group has a token present."""
    return [
        rule for rule in rules
        if all(any(token in tokens for token in group) for group in rule.triggers)
    ]
