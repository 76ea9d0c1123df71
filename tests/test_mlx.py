"""MLX (`mlx.core as mx`, `mlx.nn`) as a dialect: read as operations, and fixes spelled in MLX."""

from __future__ import annotations

import textwrap

from scorelint.engine import fixes
from scorelint.engine import linter as engine
from scorelint.engine.registry import all_rules
from scorelint.model import vocabulary as vocab


def _codes(code: str) -> list[str]:
    return [f.code for f in engine.lint(textwrap.dedent(code), "m.py", all_rules())]


def _fixed(code: str) -> str:
    result = fixes.fix_text(textwrap.dedent(code), "m.py", all_rules(), unsafe=True)
    assert result.refused is None
    return result.text


def test_mlx_operations_and_their_default_axes() -> None:
    assert vocab.FUNCTIONS["mlx.core.softmax"][0] == "softmax"
    assert vocab.FUNCTIONS["mlx.core.softmax"][2].default_axis == vocab.ALL  # the whole array
    assert vocab.FUNCTIONS["mlx.nn.log_softmax"][2].default_axis == vocab.LAST
    assert vocab.FUNCTIONS["mlx.core.logsumexp"][0] == "logsumexp"
    assert vocab.FUNCTIONS["mlx.core.take_along_axis"][0] == "select"
    assert vocab.LOSS_FUNCTIONS["mlx.nn.losses.cross_entropy"].kind == vocab.CROSS_ENTROPY
    assert "mlx" in vocab.DIALECTS


def test_log_of_softmax_in_mlx_is_fixed_in_mlx() -> None:
    code = """
    import mlx.core as mx
    def score(x):
        return mx.log(mx.softmax(x, axis=-1))
    """
    assert "SL203" in _codes(code)
    fixed = _fixed(code)
    assert "mlx.nn.log_softmax(x, axis=-1)" in fixed and "import mlx.nn" in fixed
    assert "SL203" not in _codes(fixed)


def test_logsumexp_by_hand_in_mlx_is_fixed_with_mx_logsumexp() -> None:
    code = """
    import mlx.core as mx
    def lse(x):
        return mx.log(mx.sum(mx.exp(x), axis=-1))
    """
    assert "SL204" in _codes(code)
    assert "mx.logsumexp(x, axis=-1)" in _fixed(code)


def test_mlx_softmax_fed_to_its_cross_entropy() -> None:
    flagged = """
    import mlx.core as mx
    import mlx.nn as nn
    def loss(logits, y):
        return nn.losses.cross_entropy(mx.softmax(logits, axis=-1), y)
    """
    clean = """
    import mlx.nn as nn
    def loss(logits, y):
        return nn.losses.cross_entropy(logits, y)
    """
    assert "SL301" in _codes(flagged)
    assert "SL301" not in _codes(clean)
