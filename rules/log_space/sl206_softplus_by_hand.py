"""SL206 softplus-by-hand."""

from __future__ import annotations

import libcst as cst

from scorelint.base.findings import Applicability, FixAvailability
from scorelint.engine.rule import Clean, Flagged, Rule
from scorelint.model import patterns, values


class SoftplusByHand(Rule):
    """
    ## What it does
    Finds softplus written out: `log(1 + exp(x))`, `log(exp(x) + 1)`,
    `log1p(exp(x))`, `(1 + x.exp()).log()`, also with the `exp` bound to a
    name earlier.

    ## Why is this bad?
    `softplus(x) = log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|))`, which is
    finite and accurate for every `x`. Written out, `exp(x)` overflows above
    ~709.78 (float32: ~88.7): `np.log(1 + np.exp(800.0))` is `inf` where the
    answer is `800.0`. For negative `x` the `1 + ...` rounds the tail away:
    `np.log(1 + np.exp(-40.0))` is `0.0` where the answer is `4.25e-18`
    (`log1p(exp(x))` keeps that half right, but still overflows).

    ## Example
    ```python
    loss = np.log(1 + np.exp(-y * margin))
    ```

    ## Use instead
    ```python
    loss = np.logaddexp(0, -y * margin)
    ```

    ## Fix safety
    Safe: `np.logaddexp(0, x)` (numpy), `F.softplus(x)` (torch),
    `jax.nn.softplus`, `tf.math.softplus`, `keras.ops.softplus`: the same
    value wherever the original is finite. torch's `softplus` returns `x`
    itself above its `threshold=20`, a relative difference below 1e-9 in
    float64 and below rounding in float32.

    ## Known limitations
    `x.exp().add(1)` is read as `1 + exp(x)` only with exactly that one
    argument (`alpha=` scales it).
    Scalar code (`math`) has no softplus and is reported without a fix. The
    stable form `log1p(exp(-abs(x)))`, whose exponent cannot be positive, is
    left alone; so is `exp` of any visibly non-positive argument. An `exp`
    reached through a name whose argument contains a call is reported
    without a fix, since the fix would repeat the call; `log(2 + exp(x))`
    and `log(c + exp(x))` for other constants are not recognised.
    """

    code = "SL206"
    name = "softplus-by-hand"
    message = "`{expr}` overflows to `inf`: {why}"
    fix_title = "Replace with the framework's softplus"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.SAFE
    triggers = (("log", "log1p"), ("exp",))
    anchors = ("log", "log1p")  # reported at the log, of one plus an exp

    flagged = (
        Flagged(
            """
            import numpy as np
            y = np.log(1 + np.exp(x))
            """,
            """
            import numpy as np
            y = np.logaddexp(0, x)
            """,
        ),
        Flagged(
            """
            import torch
            y = torch.log1p(torch.exp(z))
            """,
            """
            import torch
            y = torch.nn.functional.softplus(z)
            """,
        ),
        Flagged(
            """
            import torch.nn.functional as F
            def f(x):
                return (1 + x.exp()).log()
            """,
            """
            import torch.nn.functional as F
            def f(x):
                return F.softplus(x)
            """,
        ),
        Flagged(
            """
            import jax.numpy as jnp
            loss = jnp.log(jnp.exp(-margin) + 1.0)
            """,
            """
            import jax.numpy as jnp
            import jax.nn
            loss = jax.nn.softplus(-margin)
            """,
        ),
        Flagged(
            """
            import tensorflow as tf
            y = tf.math.log(1.0 + tf.exp(logits))
            """,
            """
            import tensorflow as tf
            y = tf.math.softplus(logits)
            """,
        ),
        Flagged(
            """
            import numpy as np
            def f(s, t):
                e = np.exp(s - t)
                return np.log(1 + e)
            """,
            """
            import numpy as np
            def f(s, t):
                e = np.exp(s - t)
                return np.logaddexp(0, s - t)
            """,
        ),
        Flagged(
            """
            import math
            def f(x):
                return math.log(1 + math.exp(x))
            """
        ),
        Flagged(
            """
            import torch
            def f(x):
                return x.exp().add(1).log()
            """,
            """
            import torch
            def f(x):
                return torch.nn.functional.softplus(x)
            """,
        ),
        Flagged(
            """
            import torch
            def wide_draws():
                z = torch.randn(8) * 100
                return torch.log1p(z.exp())
            """,
            """
            import torch
            def wide_draws():
                z = torch.randn(8) * 100
                return torch.nn.functional.softplus(z)
            """,
        ),
        Flagged(
            """
            import torch
            def chain(a, b):
                return (a - b).exp().log1p()
            """,
            """
            import torch
            def chain(a, b):
                return torch.nn.functional.softplus(a - b)
            """,
        ),
    )
    clean = (
        Clean(
            """
            import torch
            def f(x):
                return x.exp().add(2).log()
            """
        ),
        Clean(
            """
            import torch
            def f(x):
                return x.exp().add(1, alpha=2).log()
            """
        ),
        Clean(
            """
            import numpy as np
            y = np.logaddexp(0, x)
            """
        ),
        Clean(
            """
            import numpy as np
            y = np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))
            """
        ),
        Clean(
            """
            import torch.nn.functional as F
            y = F.softplus(x)
            """
        ),
        Clean(
            """
            import numpy as np
            y = np.log(1 + x)
            """
        ),
        Clean(
            """
            import numpy as np
            y = np.log(2 + np.exp(x))
            """
        ),
        Clean(
            """
            import numpy as np
            k = np.log1p(np.exp(-d ** 2))
            """
        ),
        Clean(
            """
            import numpy as np
            y = np.log(np.exp(a) + np.exp(b))
            """
        ),
        Clean(
            """
            import torch
            def stable_tail(x):
                return x.abs().neg().exp().log1p()
            """,
        ),
        Clean(
            """
            import numpy as np
            def stable_tail(x):
                return np.log1p(np.exp(np.negative(np.abs(x))))
            """,
        ),
        Clean(
            """
            import jax.numpy as jnp
            def stable_tail(x):
                return jnp.log(1 + jnp.exp(-jnp.abs(x)))
            """,
        ),
        Clean(
            """
            import tensorflow as tf
            def stable_tail(x):
                return tf.math.log1p(tf.exp(tf.math.negative(tf.abs(x))))
            """,
        ),
        Clean(
            """
            import torch
            def test_small_inputs():
                u = torch.rand(8)
                assert torch.log1p(u.exp()).min() > 0
            """,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        op = ctx.op(node, follow=False)
        if op is None or op.operand is None or not op.plain:
            return
        if op.kind == "log1p":
            exp = patterns.overflowing_exp(ctx, op.operand)
        elif (log := patterns.natural_log(ctx, node)) is not None:
            term = patterns.one_plus(ctx.resolve(log.operand), ctx)  # type: ignore[arg-type]
            exp = patterns.overflowing_exp(ctx, term) if term is not None else None
        else:
            return
        if exp is None:
            return
        fix = None
        if exp.plain and ctx.copyable(node, exp.operand):
            operand = patterns.arg(ctx, exp.operand, node)  # type: ignore[arg-type]
            spelled = ctx.spelling.call("softplus", ctx.dialect(exp, op), operand)
            if spelled is not None:
                code, imports = spelled
                fix = patterns.replacement(ctx, node, code, self.applicability, imports)
        why = values.exp_overflow(ctx, exp.operand, exp).reason  # type: ignore[arg-type]
        self.report(node, self.say(self.message, node, why=why), fix=fix)
