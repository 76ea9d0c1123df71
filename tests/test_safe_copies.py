"""Safe fixes never change the numbers by copying an expression (issue 10, item 5): every
name a fix copies still has the same reaching definition where the copy lands, no call is
copied, and numpy code stays numpy."""

from __future__ import annotations

import textwrap

import pytest

from scorelint.engine import fixes
from scorelint.engine import linter as engine
from scorelint.engine.registry import all_rules


def _fixed(code: str, unsafe: bool = False) -> str:
    return fixes.fix_text(textwrap.dedent(code), "m.py", all_rules(), unsafe=unsafe).text


@pytest.mark.parametrize("code", [
    # The reproducer: `p` is rebound between the product and its log.
    """
    import numpy as np
    def f(p):
        seq = np.prod(p, -1)
        p = p[:, :1]
        return np.log(seq)
    """,
    # `scores` rebound between the exp and the normalization.
    """
    import numpy as np
    def f(scores):
        weights = np.exp(scores)
        scores = scores * 2
        return weights / weights.sum()
    """,
    # `x = exp(x)`: the exponent's name now holds the exp itself.
    """
    import numpy as np
    def f(x):
        x = np.exp(x)
        return x / x.sum(-1, keepdims=True)
    """,
    # A random draw: copying it would draw twice.
    """
    import numpy as np
    def f(rng):
        e = np.exp(rng.normal(size=5))
        return e / e.sum()
    """,
])
def test_no_safe_fix_copies_a_rebound_name_or_a_call(code: str) -> None:
    source = textwrap.dedent(code)
    findings = engine.lint(source, "m.py", all_rules())
    assert findings, "the bug is still reported"
    assert _fixed(code) == source  # plain --fix changes nothing
    assert _fixed(code, unsafe=True) == source  # and no unsafe fix copies it either


def test_an_unchanged_name_is_still_fixed() -> None:
    code = """
    import numpy as np
    def f(p):
        seq = np.prod(p, -1)
        return np.log(seq)
    """
    assert "np.sum(np.log(p), axis=-1)" in _fixed(code)


def test_numpy_code_stays_numpy() -> None:
    code = """
    from numpy import exp, sum as total
    def f(x):
        return exp(x / 0.7) / total(exp(x / 0.7))
    """
    fixed = _fixed(code)
    assert fixed != textwrap.dedent(code) and "scipy" not in fixed
