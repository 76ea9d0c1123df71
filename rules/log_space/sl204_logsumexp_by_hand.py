"""SL204 logsumexp-by-hand."""

from __future__ import annotations

import re

import libcst as cst

from scorelint.base.findings import Applicability, FixAvailability
from scorelint.engine.rule import Clean, Flagged, Rule
from scorelint.model import facts, patterns
from scorelint.model.proposal import FixSpec, InsertLine
from scorelint.model.spelling import paren
from scorelint.model.vocabulary import Op

# The logsumexps that take weights: `logsumexp(x, b=w) = log(sum(w * exp(x)))`.
_TAKES_B = frozenset({"scipy.special.logsumexp", "jax.nn.logsumexp"})


class LogsumexpByHand(Rule):
    """
    ## What it does
    Finds `log(sum(exp(x)))` written out: `np.log(np.sum(np.exp(x), axis=-1))`,
    `x.exp().sum(-1).log()`, `tf.math.log(tf.reduce_sum(tf.exp(x)))`, the sum
    of an `exp` bound to a name earlier, the two-term form
    `log(exp(a) + exp(b))`, the mean `log(mean(exp(x)))` (which is
    `logsumexp(x) - log(n)`), a weighted sum `log(sum(w * exp(x)))`, and all
    of these with an epsilon inside or outside the sum
    (`log(sum(exp(x)) + 1e-8)`).

    ## Why is this bad?
    `logsumexp(x) = m + log(sum(exp(x - m)))` with `m = max(x)` is the log of
    a softmax normalizer, and every `exp` in the shifted sum is at most 1.
    Unshifted, `exp` overflows above ~709.78 in float64 (~88.7 in float32
    and bfloat16, ~11.1 in float16) and underflows below ~-745 (~-103 in
    float32): `np.log(np.sum(np.exp([1000.0, 1000.0])))` is
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
    `log(mean(exp(x)))` becomes `logsumexp(x, axis) - log(n)` with `n` the
    reduced size (`x.shape[axis]`, `x.size`). A weighted sum
    `log(sum(w * exp(x)))` becomes `logsumexp(x, b=w, axis)` (scipy, jax),
    safe when `w` is non-negative by construction and unsafe otherwise; other
    frameworks get `logsumexp(x + log(w), axis)` only when `w` is positive by
    construction (an `exp`, a softmax, a sigmoid), since `log` of a zero or
    negative weight is `-inf` or `nan`. With an epsilon
    (`log(sum(exp(x)) + eps)`, `log(sum(exp(x) + eps))`) the fix is unsafe:
    it drops the epsilon, so results near `log(eps)` change. A sum with other
    arguments (`dtype=`, `where=`) or an unknown axis, and tensorflow's
    two-term form (it has no `logaddexp`), are reported without a fix.

    ## Known limitations
    Already shifted forms (`m + log(sum(exp(x - m)))`, any `exp(x - c)`) are
    left alone, right or not. Three or more terms (`exp(a) + exp(b) + exp(c)`)
    are not recognised. `log(mean(exp(x)))` is fixed only for numpy and jax
    with a literal integer axis (or none) and an operand that can be written
    twice; torch, tensorflow, a tuple of axes or `mean(exp(model(x)))` are
    reported without a fix. A weighted sum with weights of unknown sign is
    reported without a fix outside scipy and jax. A Python sum over a
    generator (`math.log(sum(math.exp(v) for v in xs))`) is reported but not
    fixed. An `exp` bound on each branch of an `if` (`alpha = exp(a + b)` /
    `alpha = exp(b)`) and the hand-written `log1p(sum(e) - e)` with
    `e = exp(x)` are reported without a fix. An offset of 1e-3 or more (`log(sum(exp(x)) + 0.5)`) is a
    deliberate value, not an epsilon, and is left alone.
    """

    code = "SL204"
    name = "logsumexp-by-hand"
    message = "`{expr}` overflows to `inf` once an input exceeds {limit}"
    unknown_axis_message = "`{expr}` overflows to `inf` above {limit}; no fix: its axis is unknown"
    guarded_message = "`{expr}` overflows to `inf` above {limit}; the fix drops the epsilon"
    scalar_message = "`{expr}` overflows to `inf` above {limit}; no fix: Python sums have no logsumexp"
    branches_message = ("`{expr}` sums an `exp` made on each branch; it overflows to `inf` "
                        "once an input exceeds {limit}")
    rest_message = ("`{expr}` is `log(1 + sum(exp) - exp)` by hand: `exp` overflows above "
                    "{limit} and `inf - inf` is `nan`")
    fix_title = "Replace with the framework's `logsumexp` over the same axis"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.SAFE
    triggers = (("log", "log1p"), ("exp",))
    anchors = ("log", "log1p")  # reported at the log, of a sum of exps

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
            import numpy as np
            def f(x):
                return np.log(np.mean(np.exp(x), axis=-1))
            """,
            """
            import numpy as np
            def f(x):
                return np.logaddexp.reduce(x, axis=-1) - np.log(x.shape[-1])
            """,
        ),
        Flagged(
            """
            import numpy as np
            import scipy.special
            z = np.log(np.sum(w * np.exp(x), axis=-1))
            """,
            """
            import numpy as np
            import scipy.special
            z = scipy.special.logsumexp(x, b=w, axis=-1)
            """,
        ),
        Flagged(
            """
            import torch
            def f(x):
                return torch.log(torch.sum(torch.exp(x), dim=-1) + 1e-8)
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
            def f(x, w):
                return torch.log((w * torch.exp(x)).sum(-1))
            """
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
        Flagged(
            """
            import torch
            def forward_step(start, emit, first):
                if first:
                    alpha = torch.exp(start + emit)
                else:
                    alpha = torch.exp(emit)
                return torch.log(alpha.sum(-1))
            """,
        ),
        Flagged(
            """
            import torch
            def log_rest(a, m):
                joint = (a + m).exp()
                return torch.log1p(joint.sum(1, keepdim=True) - joint)
            """,
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
        Clean(
            """
            import numpy as np
            m = np.max(x, axis=-1, keepdims=True)
            lse = m + np.log(np.sum(w * np.exp(x - m), axis=-1, keepdims=True))
            """
        ),
        Clean(
            """
            import numpy as np
            z = np.log(np.sum(np.exp(x), axis=-1) + 0.5)
            """
        ),
        Clean(
            """
            import torch
            def forward_step(start, emit, first):
                if first:
                    alpha = torch.exp(start + emit - (start + emit).amax(-1, keepdim=True))
                else:
                    alpha = torch.exp(emit - emit.amax(-1, keepdim=True))
                return torch.log(alpha.sum(-1))
            """,
        ),
        Clean(
            """
            import torch
            def log_rest(a):
                joint = torch.rand_like(a).exp()
                return torch.log1p(joint.sum(1, keepdim=True) - joint)
            """,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        log = patterns.natural_log(ctx, node)
        if log is None:
            self._log1p_of_rest(node)
            return
        value = ctx.resolve(facts.without_epsilon(ctx, log.operand))  # type: ignore[arg-type]
        guarded = value is not ctx.resolve(log.operand)  # type: ignore[arg-type]
        if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add):
            first, second = ctx.op(value.left), ctx.op(value.right)
            if (first is not None and second is not None
                    and all(t.kind == "exp" and t.operand is not None
                            and not facts.is_shifted(ctx, t.operand) for t in (first, second))):
                self.report(node, fix=self._fix_pair(node, log, first, second, guarded))
            return
        total = ctx.op(value, follow=False)
        if total is None or total.kind not in ("sum", "fsum", "mean") or total.operand is None:
            return
        element = total.operand
        if isinstance(element, (cst.GeneratorExp, cst.ListComp)):
            element = element.elt  # `sum(exp(v) for v in xs)`
        unguarded = facts.without_epsilon(ctx, element)  # `sum(exp(x) + eps)`
        guarded = guarded or unguarded is not element
        exp, weight = patterns.weighted_exp(ctx, unguarded)
        if exp is None and self._exp_on_every_path(unguarded):
            self.report(node, self.say(self.branches_message, node))
            return
        if exp is None or facts.is_shifted(ctx, exp.operand):  # type: ignore[arg-type]
            return
        template = (self.scalar_message if total.framework in ("builtin", "math")
                    else self.unknown_axis_message if not ctx.axis(total)[0]
                    else self.guarded_message if guarded else self.message)
        fix = self._fix_sum(node, log, total, exp, weight, guarded)
        self.report(node, self.say(template, node), fix)

    def _exp_on_every_path(self, node: cst.BaseExpression) -> bool:
        """`alpha = exp(start + emit)` in one branch, `alpha = exp(emit)` in the other: an
        `exp` on every path that reaches `node`, one of them able to overflow."""
        ctx = self.ctx
        found = ctx.values(node)
        if not found or len(found) < 2:
            return False
        exps = [ctx.op(value) for value in found]
        return all(e is not None and e.kind == "exp" and e.operand is not None for e in exps) \
            and any(not facts.is_shifted(ctx, e.operand) for e in exps)  # type: ignore[union-attr,arg-type]

    def _log1p_of_rest(self, node: cst.Call) -> None:
        """`log1p(sum(e) - e)` with `e = exp(x)`: `log(1 + sum of the other exps)` by hand;
        once an `exp` overflows it is `log1p(inf - inf) = nan`."""
        ctx = self.ctx
        op = ctx.op(node, follow=False)
        if op is None or op.kind != "log1p" or op.operand is None:
            return
        rest = ctx.resolve(op.operand)
        if not isinstance(rest, cst.BinaryOperation) or not isinstance(rest.operator, cst.Subtract):
            return
        total, exp = ctx.op(rest.left), ctx.op(rest.right)
        if total is None or total.kind != "sum" or total.operand is None or exp is None \
                or exp.kind != "exp" or exp.operand is None or not ctx.same(total.operand, rest.right):
            return
        if not facts.is_shifted(ctx, exp.operand):
            self.report(node, self.say(self.rest_message, node))

    def _fix_sum(self, node: cst.Call, log: Op, total: Op, exp: Op,
                 weight: cst.BaseExpression | None, guarded: bool) -> FixSpec | None:
        ctx = self.ctx
        known, axis = ctx.axis(total)
        literal = total.keepdims is None or ctx.code(total.keepdims) in ("True", "False")
        if not known or not literal or not total.plain or not exp.plain:
            return None  # `keepdim=flag` or `dtype=` would not survive the rewrite
        if not ctx.copyable(node, exp.operand, total.axis, weight):
            return None
        dialect = ctx.dialect(total, exp, log)
        operand = patterns.arg(ctx, exp.operand, node)  # type: ignore[arg-type]
        safe = not guarded  # the fix drops an epsilon: values near log(eps) change
        extra: tuple[str, ...] = ()
        weight_imports: tuple[InsertLine, ...] = ()
        if weight is not None:  # `sum(w * exp(x))`: `logsumexp(x, b=w)` or `logsumexp(x + log(w))`
            spell = ctx.spelling.spell("logsumexp", dialect)
            if spell is not None and spell.qualname in _TAKES_B:
                extra = (f"b={patterns.arg(ctx, weight, node)}",)
                safe = safe and facts.is_nonnegative(ctx, weight)
            elif facts.is_positive(ctx, weight):
                logged = ctx.spelling.call("log", dialect, patterns.arg(ctx, weight, node))
                if logged is None:
                    return None
                operand, weight_imports = f"{operand} + {logged[0]}", logged[1]
            else:
                return None  # log(w) of a zero or negative weight is -inf or nan: report only
        spelled = ctx.spelling.call("logsumexp", dialect, operand, axis=axis,
                                    keepdims=total.keeps_dims, extra=extra)
        if spelled is None:
            return None
        code, imports = spelled
        imports = (*weight_imports, *imports)
        if total.kind == "mean":  # log(mean(exp(x))) = logsumexp(x) - log(n)
            size = self._log_size(node, exp, axis, dialect)
            if size is None:
                return None
            code, imports = f"{code} - {size[0]}", (*imports, *size[1])
        applicability = Applicability.SAFE if safe else Applicability.UNSAFE
        return patterns.replacement(ctx, node, code, applicability, imports)

    def _log_size(self, node: cst.Call, exp: Op, axis: str | None,
                  dialect: str) -> tuple[str, tuple[InsertLine, ...]] | None:
        """`np.log(x.shape[-1])` (or `np.log(x.size)`): the log of the count a mean divides by,
        where it can be written plainly: numpy and jax arrays, a literal integer axis, and
        an operand that can be written twice."""
        ctx, operand = self.ctx, exp.operand
        if dialect not in ("numpy", "jax") or operand is None or not ctx.portable(operand, node):
            return None
        if axis is not None and not re.fullmatch(r"-?\d+", axis):
            return None  # a tuple of axes or a variable: the count is a product we do not write
        receiver = paren(patterns.arg(ctx, operand, node))
        count = f"{receiver}.size" if axis is None else f"{receiver}.shape[{axis}]"
        return ctx.spelling.call("log", dialect, count)

    def _fix_pair(self, node: cst.Call, log: Op, first: Op, second: Op,
                  guarded: bool) -> FixSpec | None:
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
        applicability = Applicability.UNSAFE if guarded else self.applicability
        return patterns.replacement(ctx, node, code, applicability, imports)
