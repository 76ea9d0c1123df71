"""The fix-safety policy, applied once by the engine to every rule's fixes.

A rule decides whether its fix computes the same value; what no rule should
have to remember is decided here, on the text: a safe fix that would delete a
comment inside the span it replaces is made unsafe (as Ruff does), so plain
`--fix` never loses one. A comment the replacement carries along is kept, and
so does not count.
"""

from __future__ import annotations

import io
import tokenize
from collections.abc import Iterable

from scorelint.base.findings import Applicability, Edit


def comments(code: str) -> list[str]:
    """The comments in a span of Python source (an expression or statements).

    The span is read inside brackets, so its indentation and line breaks do not
    matter; if it does not tokenize, every `#` counts (erring towards unsafe).
    """
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(f"(\n{code}\n)\n").readline))
    except (tokenize.TokenError, SyntaxError):
        return [code[code.index("#"):]] if "#" in code else []
    return [tok.string for tok in tokens if tok.type == tokenize.COMMENT]


def drops_comment(replaced: str, content: str) -> bool:
    """Would replacing `replaced` with `content` delete a comment?"""
    return "#" in replaced and any(c not in content for c in comments(replaced))


def applicability(declared: Applicability, text: str, edits: Iterable[Edit]) -> Applicability:
    """The fix's applicability once the policy is applied to its edits on `text`."""
    if declared is Applicability.SAFE and any(
        drops_comment(text[e.start:e.end], e.content) for e in edits
    ):
        return Applicability.UNSAFE
    return declared
