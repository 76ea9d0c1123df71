"""SL101 logits-divided-by-sum."""

from __future__ import annotations

import libcst as cst

from scorelint.base.findings import Applicability, FixAvailability
from scorelint.engine.narrowing import DIVIDED_BY_ITSELF
from scorelint.engine.rule import Clean, Flagged, Rule
from scorelint.model import facts, patterns
from scorelint.model import vocabulary as vocab
from scorelint.model.proposal import FixSpec


class LogitsDividedBySum(Rule):
    """
    ## What it does
    Finds raw scores (logits) turned into "probabilities" by dividing them by
    their sum: `logits / logits.sum(-1, keepdims=True)`.

    ## Why is this bad?
    A language model's next-token distribution is the softmax of its logits,
    `Pr(y_i = k | x, y_<i) = exp(u_k) / sum_j exp(u_j)`. Logits are real
    numbers of any sign; dividing by their sum gives numbers that need not lie
    in [0, 1], flip sign with the sum, and blow up when the sum is near zero.
    For `u = [2.0, 1.0, -2.9]` the sum is 0.1 and `u / sum(u)` is
    `[20, 10, -29]`; the softmax is `[0.727, 0.268, 0.005]`. For
    `u = [3.0, 1.0, 1.0]` the quotient says 0.6 where the softmax says 0.787,
    so rankings, calibration and `log Pr(y|x)` are all wrong.

    ## Example
    ```python
    probs = logits / logits.sum(axis=-1, keepdims=True)
    ```

    ## Use instead
    ```python
    probs = scipy.special.softmax(logits, axis=-1)
    ```

    ## Fix safety
    Unsafe: the fix changes the values computed, because the original was
    wrong. It keeps the axis the sum reduced over. Where the sum reduced every
    element and the framework's softmax cannot (torch, tensorflow), no fix is
    offered. In numpy files without scipy the fix inlines the max-shifted
    softmax, and only when the logits are a plain name or attribute.

    ## Known limitations
    Scores are recognised by name (logit, score, energy), by `.logits`, and by
    coming from a model call, a linear layer or `@`; a score held in a name
    like `out` is missed. Renormalizing values that are non-negative by
    construction (counts, `exp`, `softmax`, `abs`, `** 2`) or named as
    probabilities or weights is correct and left alone.
    """

    code = "SL101"
    name = "logits-divided-by-sum"
    message = "`{expr}` divides logits by their sum; that is not a probability distribution"
    fix_title = "Replace with a softmax over the same axis"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE
    triggers = (("sum", "reduce_sum"), vocab.DIVISION_TOKENS)
    # Reported at a division by a sum of what it divides.
    anchors = ("/", "/=", *vocab.call_names("divide"))
    anchor_arguments = {token: DIVIDED_BY_ITSELF for token in anchors if token != "/="}

    flagged = (
        Flagged(
            """
            import numpy as np
            probs = logits / logits.sum(axis=-1, keepdims=True)
            """,
            """
            import numpy as np
            probs = np.exp(logits - np.max(logits, axis=-1, keepdims=True)) / np.sum(np.exp(logits - np.max(logits, axis=-1, keepdims=True)), axis=-1, keepdims=True)
            """,
        ),
        Flagged(
            """
            import torch
            def f(model, ids):
                out = model(ids)
                return out.logits / out.logits.sum(dim=-1, keepdim=True)
            """,
            """
            import torch
            def f(model, ids):
                out = model(ids)
                return torch.softmax(out.logits, dim=-1)
            """,
        ),
        Flagged(
            """
            import jax.numpy as jnp
            def f(scores):
                return scores / jnp.sum(scores, axis=1, keepdims=True)
            """,
            """
            import jax.numpy as jnp
            import jax.nn
            def f(scores):
                return jax.nn.softmax(scores, axis=1)
            """,
        ),
        Flagged(
            """
            import numpy as xp
            import scipy.special
            def f(h, W):
                z = h @ W
                s = xp.sum(z, axis=-1, keepdims=True)
                return z / s
            """,
            """
            import numpy as xp
            import scipy.special
            def f(h, W):
                z = h @ W
                s = xp.sum(z, axis=-1, keepdims=True)
                return scipy.special.softmax(z, axis=-1)
            """,
        ),
        Flagged(
            """
            import torch
            def f(energies):
                energies /= energies.sum(-1, keepdim=True)
                return energies
            """,
            """
            import torch
            def f(energies):
                energies = torch.softmax(energies, dim=-1)
                return energies
            """,
        ),
        Flagged(
            """
            import numpy as np
            def f(scores):
                return np.divide(scores, np.sum(scores))
            """,
            """
            import numpy as np
            def f(scores):
                return np.exp(scores - np.max(scores)) / np.sum(np.exp(scores - np.max(scores)))
            """,
        ),
        Flagged(
            """
            def f(scores):
                return [s / sum(scores) for s in scores]
            """
        ),
        Flagged(
            """
            import torch
            def f(h, w):
                scores = h @ w
                return scores / scores.sum(-1, keepdim=True)
            """,
            """
            import torch
            def f(h, w):
                scores = h @ w
                return torch.softmax(scores, dim=-1)
            """,
        ),
    )
    clean = (
        Clean(
            """
            import numpy as np
            probs = probs / probs.sum(-1, keepdims=True)
            """
        ),
        Clean(
            """
            import numpy as np
            counts = np.bincount(ids)
            freq = counts / counts.sum()
            """
        ),
        Clean(
            """
            import numpy as np
            e = np.exp(logits - logits.max())
            p = e / e.sum()
            """
        ),
        Clean(
            """
            import torch
            w = torch.relu(logits)
            w = w / w.sum(-1, keepdim=True)
            """
        ),
        Clean(
            """
            import numpy as np
            x = np.abs(scores)
            y = x / x.sum()
            """
        ),
        Clean(
            """
            import numpy as np
            share = logits / total.sum()
            """
        ),
        Clean(
            """
            import numpy as np
            sq = logits ** 2
            probs = sq / sq.sum()
            """
        ),
        Clean(
            """
            import math
            import torch
            def binomial_kernel(n):
                k = torch.tensor([math.comb(n, i) for i in range(n + 1)], dtype=torch.float32)
                scores = k[:, None] @ k[None, :]
                return scores / scores.sum()
            """,
        ),
        Clean(
            """
            import math
            import torch
            def binomial_kernel(n):
                k = torch.tensor([math.comb(n, i) for i in range(n + 1)])
                scores = torch.outer(k, k)
                return scores / scores.sum()
            """,
        ),
        Clean(
            """
            import numpy as np
            from scipy.special import comb
            def binomial_kernel(n):
                k = comb(n, np.arange(n + 1))
                scores = np.outer(k, k)
                return scores / np.sum(scores)
            """,
        ),
        Clean(
            """
            def shares(items):
                scores = [len(x) for x in items]
                total = sum(scores)
                return [s / total for s in scores] if total > 0 else [0.0 for _ in scores]
            """,
        ),
        Clean(
            """
            def shares(scores):
                total = sum(scores)
                return [s / sum(scores) for s in scores] if total > 0 else []
            """,
        ),
    )

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        self._check(node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._check(node)

    def visit_Call(self, node: cst.Call) -> None:
        self._check(node)

    def _check(self, node: cst.CSTNode) -> None:
        ctx = self.ctx
        found = patterns.divided_by_sum(ctx, node)
        if found is None:
            return
        numerator, denominator, total = found
        if not ctx.same(numerator, total.operand) or not facts.is_score_like(ctx, numerator):
            return
        if facts.is_guarded_division(ctx, node, denominator):
            return  # `if total > 0:` treats the values as non-negative weights
        self.report(node, fix=self._fix(node, numerator, total))

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._check_comprehension(node)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._check_comprehension(node)

    def _check_comprehension(self, node: cst.ListComp | cst.GeneratorExp) -> None:
        """`[s / sum(scores) for s in scores]`: the same bug on a Python list."""
        ctx, loop = self.ctx, node.for_in
        division = ctx.division(node.elt)
        if division is None or not isinstance(loop.target, cst.Name):
            return
        numerator, denominator = division
        total = ctx.op(denominator)
        if (total is not None and total.kind == "sum" and total.operand is not None
                and isinstance(numerator, cst.Name) and numerator.value == loop.target.value
                and ctx.same(loop.iter, total.operand) and facts.is_score_like(ctx, loop.iter)
                and not facts.is_guarded_division(ctx, node, denominator)):
            self.report(node.elt)

    def _fix(self, node: cst.CSTNode, scores: cst.BaseExpression, total) -> FixSpec | None:
        ctx = self.ctx
        known, axis = ctx.axis(total)
        if not known or not total.plain or not ctx.copyable(node, scores, total.axis):
            return None
        spelled = ctx.spelling.softmax(ctx.dialect(total), ctx.code(scores), axis)
        if spelled is None:
            return None
        code, imports = spelled
        if isinstance(node, cst.AugAssign):
            code = f"{ctx.code(node.target)} = {code}"
        return ctx.replacement(node, code, self.applicability, imports)
