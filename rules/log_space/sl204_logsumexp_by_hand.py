"""SL204 logsumexp-by-hand."""

from __future__ import annotations

import libcst as cst

from scorelint import facts, patterns
from scorelint.findings import Applicability, FixAvailability
from scorelint.proposal import FixSpec
from scorelint.rule import Clean, Flagged, Rule
from scorelint.vocabulary import Op


class LogsumexpByHand(Rule):
    """
    ## What it does
    Finds `log(sum(exp(x)))` written out: `np.log(np.sum(np.exp(x), axis=-1))`,
    `x.exp().sum(-1).log()`, `tf.math.log(tf.reduce_sum(tf.exp(x)))`, the sum
    of an `exp` bound to a name earlier, and the two-term form
    `log(exp(a) + exp(b))`.

    ## Why is this bad?
    `logsumexp(x) = m + log(sum(exp(x - m)))` with `m = max(x)` is the log of
    a softmax normalizer, and every `exp` in the shifted sum is at most 1.
    Unshifted, `exp` overflows above ~709.78 in float64 (~88.7 in float32)
    and underflows below ~-745: `np.log(np.sum(np.exp([1000.0, 1000.0])))` is
    `inf` where the answer is `1000.693...`, and for `[-1000.0, -1000.0]` it
    is `-inf` where the answer is `-999.307...`. Both happen with real
    logits and with sums of token log-probabilities.

    ## Example
    ```python
    log_z = np.log(np.sum(np.exp(logits), axis=-1))
    ```

    ## Use instead
    ```python
    log_z = scipy.special.logsumexp(logits, axis=-1)
    ```

    ## Fix safety
    Safe: the same value, to rounding, wherever the original was finite, over
    the same elements: the axis and `keepdims` are carried over
    (`dim`/`keepdim` for torch, whose `logsumexp` needs a dim, so "every
    element" becomes `x.flatten()` along 0). numpy files that do not import
    scipy get `np.logaddexp.reduce(x, axis=...)` (numpy's own, exact to a few
    ulps) instead of a new scipy dependency. Two terms become `logaddexp(a, b)`.
    A sum with other arguments (`dtype=`, `where=`) or an unknown axis, and
    tensorflow's two-term form (it has no `logaddexp`), are reported without
    a fix.

    ## Known limitations
    Already shifted forms (`m + log(sum(exp(x - m)))`, any `exp(x - c)`) are
    left alone, right or not. Three or more terms (`exp(a) + exp(b) + exp(c)`),
    a weighted sum (`sum(w * exp(x))`), `log(mean(exp(x)))`, and a Python
    sum over a generator (`math.log(sum(math.exp(v) for v in xs))`, reported
    but not fixed) are not rewritten.
    """

    code = "SL204"
    name = "logsumexp-by-hand"
    message = "`{expr}` overflows to `inf` once an input exceeds ~709"
    unknown_axis_message = "`{expr}` overflows to `inf` above ~709; no fix: its axis is unknown"
    scalar_message = "`{expr}` overflows to `inf` above ~709; no fix: Python sums have no logsumexp"
    fix_title = "Replace with the framework's `logsumexp` over the same axis"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.SAFE
    triggers = (("log",), ("exp",))

    flagged = (
        Flagged(
            """
            import numpy as np
            lse = np.log(np.sum(np.exp(x), axis=-1))
            """,
            """
            import numpy as np
            lse = np.logaddexp.reduce(x, axis=-1)
            """,
        ),
        Flagged(
            """
            import numpy as np
            import scipy.special
            z = np.log(np.exp(x).sum(axis=1, keepdims=True))
            """,
            """
            import numpy as np
            import scipy.special
            z = scipy.special.logsumexp(x, axis=1, keepdims=True)
            """,
        ),
        Flagged(
            """
            import torch
            def f(x):
                return x.exp().sum(-1).log()
            """,
            """
            import torch
            def f(x):
                return torch.logsumexp(x, dim=-1)
            """,
        ),
        Flagged(
            """
            import torch
            log_z = torch.log(torch.sum(torch.exp(scores)))
            """,
            """
            import torch
            log_z = torch.logsumexp(scores.flatten(), dim=0)
            """,
        ),
        Flagged(
            """
            import numpy as np
            def f(a, b):
                return np.log(np.exp(a) + np.exp(b))
            """,
            """
            import numpy as np
            def f(a, b):
                return np.logaddexp(a, b)
            """,
        ),
        Flagged(
            """
            import tensorflow as tf
            z = tf.math.log(tf.reduce_sum(tf.exp(u), axis=-1))
            """,
            """
            import tensorflow as tf
            z = tf.math.reduce_logsumexp(u, axis=-1)
            """,
        ),
        Flagged(
            """
            import jax.numpy as jnp
            def f(x):
                e = jnp.exp(x)
                return jnp.log(e.sum(axis=0))
            """,
            """
            import jax.numpy as jnp
            import jax.nn
            def f(x):
                e = jnp.exp(x)
                return jax.nn.logsumexp(x, axis=0)
            """,
        ),
        Flagged(
            """
            import math
            def f(scores):
                return math.log(sum(math.exp(s) for s in scores))
            """
        ),
        Flagged(
            """
            import numpy as np
            z = np.log(np.sum(np.exp(x), axis=-1, dtype=np.float64))
            """
        ),
    )
    clean = (
        Clean(
            """
            import numpy as np
            m = x.max()
            lse = m + np.log(np.sum(np.exp(x - m)))
            """
        ),
        Clean(
            """
            import torch
            lse = x.max() + torch.log(torch.exp(x - x.max()).sum())
            """
        ),
        Clean(
            """
            import scipy.special
            lse = scipy.special.logsumexp(x, axis=-1)
            """
        ),
        Clean(
            """
            import numpy as np
            z = np.log(np.sum(probs, axis=-1))
            """
        ),
        Clean(
            """
            import numpy as np
            y = np.log(1 + np.exp(x))
            """
        ),
        Clean(
            """
            import torch
            z = torch.logsumexp(x, dim=-1)
            """
        ),
        Clean(
            """
            import numpy as np
            y = np.log(np.exp(a) * np.exp(b))
            """
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        log = patterns.natural_log(ctx, node)
        if log is None:
            return
        value = ctx.resolve(log.operand)  # type: ignore[arg-type]
        if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add):
            first, second = ctx.op(value.left), ctx.op(value.right)
            if (first is not None and second is not None
                    and all(t.kind == "exp" and t.operand is not None
                            and not facts.is_shifted(ctx, t.operand) for t in (first, second))):
                self.report(node, fix=self._fix_pair(node, log, first, second))
            return
        total = ctx.op(value, follow=False)
        if total is None or total.kind not in ("sum", "fsum") or total.operand is None:
            return
        element = total.operand
        if isinstance(element, (cst.GeneratorExp, cst.ListComp)):
            element = element.elt  # `sum(exp(v) for v in xs)`
        exp = ctx.op(element)
        if exp is None or exp.kind != "exp" or exp.operand is None \
                or facts.is_shifted(ctx, exp.operand):
            return
        template = (self.scalar_message if total.framework in ("builtin", "math")
                    else self.message if ctx.axis(total)[0] else self.unknown_axis_message)
        fix = self._fix_sum(node, log, total, exp)
        self.report(node, template.format(expr=ctx.short(node)), fix)

    def _fix_sum(self, node: cst.Call, log: Op, total: Op, exp: Op) -> FixSpec | None:
        ctx = self.ctx
        known, axis = ctx.axis(total)
        literal = total.keepdims is None or ctx.code(total.keepdims) in ("True", "False")
        if not known or not literal or not total.plain or not exp.plain:
            return None  # `keepdim=flag` or `dtype=` would not survive the rewrite
        if not ctx.copyable(node, exp.operand, total.axis):
            return None
        operand = patterns.arg(ctx, exp.operand, node)  # type: ignore[arg-type]
        spelled = ctx.spelling.call("logsumexp", ctx.dialect(total, exp, log), operand,
                                    axis=axis, keepdims=total.keeps_dims)
        if spelled is None:
            return None
        code, imports = spelled
        return patterns.replacement(ctx, node, code, self.applicability, imports)

    def _fix_pair(self, node: cst.Call, log: Op, first: Op, second: Op) -> FixSpec | None:
        ctx = self.ctx
        a, b = first.operand, second.operand
        if a is None or b is None or not (first.plain and second.plain):
            return None
        if not ctx.copyable(node, a, b):
            return None
        spelled = ctx.spelling.call("logaddexp", ctx.dialect(first, second, log),
                                    patterns.arg(ctx, a, node), extra=(patterns.arg(ctx, b, node),))
        if spelled is None:
            return None
        code, imports = spelled
        return patterns.replacement(ctx, node, code, self.applicability, imports)
