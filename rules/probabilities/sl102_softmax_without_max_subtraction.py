"""SL102 softmax-without-max-subtraction."""

from __future__ import annotations

import libcst as cst

from scorelint import facts
from scorelint import vocabulary as vocab
from scorelint.findings import Applicability, FixAvailability
from scorelint.proposal import FixSpec
from scorelint.rule import Clean, Flagged, Rule


class SoftmaxWithoutMaxSubtraction(Rule):
    """
    ## What it does
    Finds a softmax written by hand, `exp(x) / sum(exp(x))`, whose input is
    not shifted by its maximum first.

    ## Why is this bad?
    `exp` overflows float64 above 709.78 (float32 above 88.7, float16 above
    11.1). Logits of a few hundred are common after a large temperature
    inverse or in energy models, and then `exp(x)` is `inf` and the quotient
    `inf / inf` is `nan`. Softmax is invariant to adding a constant to every
    input, so `exp(x - max(x)) / sum(exp(x - max(x)))` is the same function
    with every exponent at most 0. For `x = [1000.0, 999.0]`, the unshifted
    form gives `[nan, nan]`; the right answer is `[0.731, 0.269]`.

    ## Example
    ```python
    e = np.exp(logits)
    probs = e / e.sum(axis=-1, keepdims=True)
    ```

    ## Use instead
    ```python
    probs = scipy.special.softmax(logits, axis=-1)
    ```

    ## Fix safety
    Safe when the sum keeps its axis (`keepdims=True`) or reduces every
    element: the framework softmax computes the same function, exactly where
    the original is accurate and correctly where it overflowed. When the sum
    drops its axis the original only works for 1-D input, so the fix is
    marked unsafe. Numpy files that do not import scipy get the inlined
    max-shifted form.

    ## Known limitations
    Any subtraction before `exp` is taken as a shift (`exp(x - c)`), and an
    exponent that is visibly non-positive (`-d ** 2`) cannot overflow, so both
    are left alone. A normalization spread over `e /= e.sum()` after
    `e = exp(x)` is not followed, and the now unused `e = exp(x)` is left in
    place by the fix.
    """

    code = "SL102"
    name = "softmax-without-max-subtraction"
    message = "`{expr}` overflows to `inf / inf = nan` for logits above ~709"
    fix_title = "Replace with the framework's softmax"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.SAFE
    triggers = (("exp",), ("sum", "reduce_sum"), vocab.DIVISION_TOKENS)

    flagged = (
        Flagged(
            """
            import numpy as np
            import scipy.special
            p = np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)
            """,
            """
            import numpy as np
            import scipy.special
            p = scipy.special.softmax(x, axis=-1)
            """,
        ),
        Flagged(
            """
            import torch
            def f(logits):
                e = torch.exp(logits)
                return e / e.sum(dim=-1, keepdim=True)
            """,
            """
            import torch
            def f(logits):
                e = torch.exp(logits)
                return torch.softmax(logits, dim=-1)
            """,
        ),
        Flagged(
            """
            import jax.numpy as jnp
            import jax
            def f(x):
                return jnp.exp(x) / jnp.exp(x).sum()
            """,
            """
            import jax.numpy as jnp
            import jax
            def f(x):
                return jax.nn.softmax(x, axis=None)
            """,
        ),
        Flagged(
            """
            import numpy as np
            def softmax(z):
                e = np.exp(z)
                return e / e.sum()
            """,
            """
            import numpy as np
            def softmax(z):
                e = np.exp(z)
                return np.exp(z - np.max(z)) / np.sum(np.exp(z - np.max(z)))
            """,
        ),
        Flagged(
            """
            import tensorflow as tf
            def f(u):
                e = tf.exp(u)
                return e / tf.reduce_sum(e, axis=-1, keepdims=True)
            """,
            """
            import tensorflow as tf
            def f(u):
                e = tf.exp(u)
                return tf.nn.softmax(u, axis=-1)
            """,
        ),
        Flagged(
            """
            from numpy import exp, sum as total
            def f(x):
                return exp(x / 0.7) / total(exp(x / 0.7), axis=1)
            """,
            """
            from numpy import exp, sum as total
            import scipy.special
            def f(x):
                return scipy.special.softmax(x / 0.7, axis=1)
            """,
        ),
    )
    clean = (
        Clean(
            """
            import numpy as np
            e = np.exp(x - x.max(-1, keepdims=True))
            p = e / e.sum(-1, keepdims=True)
            """
        ),
        Clean(
            """
            import numpy as np
            m = np.max(x)
            e = np.exp(x - m)
            p = e / e.sum()
            """
        ),
        Clean(
            """
            import math
            lr = base_lr * math.exp(-step / 1000)
            """
        ),
        Clean(
            """
            import numpy as np
            k = np.exp(-d ** 2 / (2 * s ** 2))
            w = k / k.sum()
            """
        ),
        Clean(
            """
            import numpy as np
            e = np.exp(x)
            y = e / np.sum(np.exp(z))
            """
        ),
        Clean(
            """
            import numpy as np
            p = np.exp(logp - logsumexp(logp))
            """
        ),
        Clean(
            """
            import torch
            p = torch.softmax(x, dim=-1)
            """
        ),
    )

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        self._check(node)

    def visit_Call(self, node: cst.Call) -> None:
        self._check(node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._check(node)  # `e = exp(s)` ... `e /= e.sum()`

    def _check(self, node: cst.CSTNode) -> None:
        ctx = self.ctx
        division = ctx.division(node)
        if division is None:
            return
        numerator, denominator = division
        top, total = ctx.op(numerator), ctx.op(denominator)
        if top is None or top.kind != "exp" or top.operand is None:
            return
        if total is None or total.kind != "sum" or total.operand is None:
            return
        bottom = ctx.op(total.operand)
        if bottom is None or bottom.kind != "exp" or bottom.operand is None:
            return
        if not ctx.same(top.operand, bottom.operand) or facts.is_shifted(ctx, top.operand):
            return
        self.report(node, fix=self._fix(node, top, total))

    def _fix(self, node: cst.CSTNode, exp, total) -> FixSpec | None:
        ctx = self.ctx
        known, axis = ctx.axis(total)
        if not known or not total.plain or not ctx.copyable(node, exp.operand, total.axis):
            return None  # a name in the exponent was rebound since (`x = exp(x)`)
        spelled = ctx.spelling.softmax(ctx.dialect(exp, total), ctx.code(exp.operand), axis)
        if spelled is None:
            return None
        code, imports = spelled
        if isinstance(node, cst.AugAssign):
            code = f"{ctx.code(node.target)} = {code}"
        # Without keepdims the division broadcasts: equal only for 1-D input.
        safe = axis is None or total.keeps_dims
        applicability = Applicability.SAFE if safe else Applicability.UNSAFE
        return ctx.replacement(node, code, applicability, imports)
