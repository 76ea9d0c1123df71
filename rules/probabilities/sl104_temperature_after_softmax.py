"""SL104 temperature-after-softmax."""

from __future__ import annotations

import libcst as cst

from scorelint.base.findings import Applicability, FixAvailability
from scorelint.engine.rule import Clean, Flagged, Rule
from scorelint.model import facts
from scorelint.model import vocabulary as vocab
from scorelint.model.context import FileContext
from scorelint.model.proposal import FixSpec
from scorelint.model.spelling import paren


class TemperatureAfterSoftmax(Rule):
    """
    ## What it does
    Finds a temperature applied to the output of a softmax instead of to its
    input: `softmax(x) / T`, `softmax(x) * (1 / T)`, `softmax(x) ** (1 / T)`
    that is never renormalized, and `log_softmax(x) / T`.

    ## Why is this bad?
    Sampling at temperature `T` draws from `softmax(u / T)_k =
    exp(u_k / T) / sum_j exp(u_j / T)`, which sharpens (`T < 1`) or flattens
    (`T > 1`) the distribution. Dividing the probabilities instead scales
    every entry by the same factor: the result no longer sums to 1, and a
    sampler that renormalizes (`torch.multinomial`) draws exactly as at
    `T = 1`, so the temperature does nothing. For `u = [2., 1., 0.]` and
    `T = 0.5`, `softmax(u) / T` is `[1.330, 0.489, 0.180]` (sum 2), where
    `softmax(u / T)` is `[0.867, 0.117, 0.016]`. `log_softmax(u) / T` is
    `[-0.815, -2.815, -4.815]`, whose exponentials sum to 0.51, not 1; the
    tempered log-probabilities are `[-0.143, -2.143, -4.143]`.
    `softmax(u) ** (1 / T)` is proportional to `softmax(u / T)` but sums to
    0.51 here until it is divided by its sum.

    ## Example
    ```python
    probs = F.softmax(logits, dim=-1) / temperature
    ```

    ## Use instead
    ```python
    probs = F.softmax(logits / temperature, dim=-1)
    ```

    ## Fix safety
    Unsafe: the fix changes the values, because the original was wrong. It
    keeps the softmax call with all its arguments (the same axis, dtype and
    spelling) and divides its input by the temperature (or multiplies by an
    inverse temperature). Where the softmax was bound to a name earlier and
    its input cannot be repeated here (a model call), no fix is offered.

    ## Known limitations
    A temperature is recognised by name (`T`, `tau`, `temp`, `temperature`,
    `inv_temp`), so `softmax(x) / 0.7` is missed. A name bound twice
    (`p = softmax(x)` then `p = p / T`) is not followed. A sharpened
    `p ** (1 / T)` counts as renormalized when it is divided by its own sum
    or passed to `torch.multinomial` or a `Categorical`, which renormalize.
    """

    code = "SL104"
    name = "temperature-after-softmax"
    message = "`{expr}` applies the temperature after the softmax; it no longer sums to 1"
    fix_title = "Divide the logits by the temperature inside the softmax"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE
    triggers = (vocab.call_names("softmax", "log_softmax"), ("/", "/=", "*", "*=", "**"))
    anchors = ("/", "/=", "*", "*=", "**")
    named = (facts.TEMPERATURE_NAME, facts.INVERSE_TEMPERATURE_NAME)  # what scales, by name

    flagged = (
        Flagged(
            """
            from scipy.special import softmax
            p = softmax(logits, axis=-1) / T
            """,
            """
            from scipy.special import softmax
            p = softmax(logits / T, axis=-1)
            """,
        ),
        Flagged(
            """
            import torch
            import torch.nn.functional as F
            def sample(logits, temperature):
                probs = F.softmax(logits, dim=-1)
                return torch.multinomial(probs / temperature, 1)
            """,
            """
            import torch
            import torch.nn.functional as F
            def sample(logits, temperature):
                probs = F.softmax(logits, dim=-1)
                return torch.multinomial(F.softmax(logits / temperature, dim=-1), 1)
            """,
        ),
        Flagged(
            """
            import torch
            def f(self, x):
                return x.softmax(-1) / self.tau
            """,
            """
            import torch
            def f(self, x):
                return (x / self.tau).softmax(-1)
            """,
        ),
        Flagged(
            """
            import jax
            def f(logits, T):
                return jax.nn.log_softmax(logits) / T
            """,
            """
            import jax
            def f(logits, T):
                return jax.nn.log_softmax(logits / T)
            """,
        ),
        Flagged(
            """
            import tensorflow as tf
            def f(u, temperature):
                return tf.nn.softmax(u) ** (1.0 / temperature)
            """,
            """
            import tensorflow as tf
            def f(u, temperature):
                return tf.nn.softmax(u / temperature)
            """,
        ),
        Flagged(
            """
            import torch
            def f(z, T):
                probs = torch.softmax(z, dim=1)
                probs /= T
                return probs
            """,
            """
            import torch
            def f(z, T):
                probs = torch.softmax(z, dim=1)
                probs = torch.softmax(z / T, dim=1)
                return probs
            """,
        ),
        Flagged(
            """
            from torch import nn
            class Head(nn.Module):
                def __init__(self):
                    self.sm = nn.Softmax(dim=-1)
                def forward(self, h):
                    return self.sm(h) / self.temperature
            """,
            """
            from torch import nn
            class Head(nn.Module):
                def __init__(self):
                    self.sm = nn.Softmax(dim=-1)
                def forward(self, h):
                    return self.sm(h / self.temperature)
            """,
        ),
        Flagged(
            """
            import torch
            import torch.nn.functional as F
            def f(model, x, T):
                probs = F.softmax(model(x), -1)
                return torch.multinomial(probs / T, 1)
            """
        ),
        Flagged(
            """
            import torch
            import torch.nn.functional as F
            def reversed_order(logits, T, c):
                return torch.argmax(c - F.log_softmax(logits, dim=-1) / T, dim=-1)
            """,
            """
            import torch
            import torch.nn.functional as F
            def reversed_order(logits, T, c):
                return torch.argmax(c - F.log_softmax(logits / T, dim=-1), dim=-1)
            """,
        ),
    )
    clean = (
        Clean(
            """
            import torch.nn.functional as F
            probs = F.softmax(logits / T, dim=-1)
            """
        ),
        Clean(
            """
            from scipy.special import softmax
            def f(x, T):
                q = softmax(x, axis=-1) ** (1 / T)
                return q / q.sum(-1, keepdims=True)
            """
        ),
        Clean(
            """
            import torch
            import torch.nn.functional as F
            i = torch.multinomial(F.softmax(x, -1) ** (1 / T), 1)
            """
        ),
        Clean(
            """
            import torch.nn.functional as F
            def f(models, x):
                avg = 0
                for m in models:
                    avg = avg + F.softmax(m(x), -1) / len(models)
                return avg
            """
        ),
        Clean(
            """
            from scipy.special import softmax
            brier = (softmax(x, axis=-1) ** 2).sum(-1)
            """
        ),
        Clean(
            """
            import torch.nn.functional as F
            kd = F.kl_div(F.log_softmax(s / T, -1), F.softmax(t / T, -1), reduction='batchmean') * T * T
            """
        ),
        Clean(
            """
            import numpy as np
            from scipy.special import softmax
            p = softmax(x, axis=-1)
            p = p / p.sum(-1, keepdims=True)
            """
        ),
        Clean(
            """
            import torch
            import torch.nn.functional as F
            def gumbel_max(logits, T):
                logp = F.log_softmax(logits, dim=-1) / T
                g = -torch.log(-torch.log(torch.rand_like(logp)))
                return (logp + g).argmax(-1)
            """,
        ),
        Clean(
            """
            import torch
            import torch.nn.functional as F
            def gumbel_max(logits, T, g):
                return torch.argmax(F.log_softmax(logits, dim=-1) / T + g, dim=-1)
            """,
        ),
        Clean(
            """
            import jax
            import jax.numpy as jnp
            def gumbel_max(key, logits, T):
                g = jax.random.gumbel(key, logits.shape)
                return jnp.argmax(jax.nn.log_softmax(logits) / T + g, axis=-1)
            """,
        ),
        Clean(
            """
            import torch
            import torch.nn.functional as F
            def tempered(logits, T):
                return torch.softmax(F.log_softmax(logits, dim=-1) / T, dim=-1)
            """,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._powers: list[tuple[cst.BinaryOperation, vocab.Op, str]] = []
        # Values divided by their own sum, and values handed to a sampler that renormalizes.
        self._sums: list[tuple[cst.BaseExpression, cst.BaseExpression]] = []
        self._sampled: list[cst.BaseExpression] = []

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        ctx, operator = self.ctx, node.operator
        if isinstance(operator, cst.Divide):
            self._note_sum(node.left, node.right)
            if facts.is_temperature(ctx, node.right):
                self._check(node, node.left, f"/ {paren(ctx.code(node.right))}")
        elif isinstance(operator, cst.Multiply):
            for probs, factor in ((node.left, node.right), (node.right, node.left)):
                scale = self._inverse(factor)
                if scale is not None and self._check(node, probs, scale):
                    return
        elif isinstance(operator, cst.Power):
            scale, softmax = self._inverse(node.right), self._softmax(node.left)
            if scale is not None and softmax is not None and softmax.kind == "softmax":
                self._powers.append((node, softmax, scale))  # unless renormalized later

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        """`probs = softmax(x)` then `probs /= T`."""
        ctx = self.ctx
        if isinstance(node.operator, cst.DivideAssign):
            self._note_sum(node.target, node.value)
            scale = f"/ {paren(ctx.code(node.value))}" if facts.is_temperature(ctx, node.value) else None
        elif isinstance(node.operator, cst.MultiplyAssign):
            scale = self._inverse(node.value)
        else:
            return
        found = ctx.bindings(node.target) if isinstance(node.target, cst.Name) else None
        values = [b.value for b in found or () if b.value is not None]
        softmax = self._softmax(values[0]) if len(values) == 1 else None
        if scale is not None and softmax is not None:
            self._report(node, node.target, softmax, scale)

    def visit_Call(self, node: cst.Call) -> None:
        # `torch.multinomial(w, n)`, `w.multinomial(n)`, `Categorical(probs=w)` renormalize `w`.
        name = vocab.terminal_name(node.func)
        if name == "multinomial" or name in ("Categorical", "OneHotCategorical"):
            if isinstance(node.func, cst.Attribute):
                self._sampled.append(node.func.value)
            self._sampled.extend(a.value for a in node.args
                                 if a.keyword is None or a.keyword.value in ("input", "probs"))

    def leave_Module(self, original_node: cst.Module) -> None:
        for node, softmax, scale in self._powers:
            if any(self._holds(n, node) and self._holds(d, node) for n, d in self._sums):
                continue
            if not any(self._holds(s, node) for s in self._sampled):
                message = (f"`{self.ctx.short(node)}` sharpens probabilities without renormalizing;"
                           " they no longer sum to 1")
                self.report(node, message, self._fix(node, node.left, softmax, scale))

    def _note_sum(self, numerator: cst.BaseExpression, denominator: cst.BaseExpression) -> None:
        total = self.ctx.op(denominator)
        if total is not None and total.kind == "sum" and total.operand is not None:
            self._sums.append((numerator, total.operand))

    def _holds(self, node: cst.BaseExpression, value: cst.BaseExpression) -> bool:
        """Is `node` the expression `value`, or a name bound to it?"""
        if node is value or self.ctx.resolve(node) is value:
            return True
        found = self.ctx.bindings(node) if isinstance(node, cst.Name) else None
        return any(b.value is value for b in found or ())

    def _softmax(self, node: cst.BaseExpression) -> vocab.Op | None:
        op = self.ctx.op(node)
        return op if op is not None and op.kind in ("softmax", "log_softmax") and op.operand is not None else None

    def _inverse(self, factor: cst.BaseExpression) -> str | None:
        """How to scale the logits for a factor `1 / T` or an inverse temperature, else None."""
        ctx = self.ctx
        value = ctx.resolve(factor)
        if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Divide) \
                and isinstance(value.left, (cst.Integer, cst.Float)) \
                and float(value.left.value) == 1.0 and facts.is_temperature(ctx, value.right):
            return f"/ {paren(ctx.code(value.right))}" if value is factor else f"* {ctx.code(factor)}"
        return f"* {paren(ctx.code(factor))}" if facts.is_inverse_temperature(ctx, factor) else None

    def _check(self, node: cst.BinaryOperation, probs: cst.BaseExpression, scale: str) -> bool:
        softmax = self._softmax(probs)
        if softmax is not None:
            self._report(node, probs, softmax, scale)
        return softmax is not None

    def _report(self, node: cst.BinaryOperation | cst.AugAssign, probs: cst.BaseExpression,
                softmax: vocab.Op, scale: str) -> None:
        if softmax.kind == "log_softmax" and facts.only_shift_invariant_uses(self.ctx, node):
            return  # `argmax(lp / T)`, `softmax(lp / T)`: a shift- and order-blind consumer
        what = "log-probabilities" if softmax.kind == "log_softmax" else "probabilities"
        message = (f"`{self.ctx.short(node)}` rescales {what} after the softmax;"
                   f" they no longer {'normalize' if softmax.kind == 'log_softmax' else 'sum to 1'}")
        self.report(node, message, self._fix(node, probs, softmax, scale))

    def _fix(self, node: cst.CSTNode, probs: cst.BaseExpression, softmax: vocab.Op,
             scale: str) -> FixSpec | None:
        """The same softmax call, its input scaled: `F.softmax(x / T, dim=-1)`."""
        ctx, operand = self.ctx, softmax.operand
        assert operand is not None
        if not ctx.contains(probs, softmax.call) and not ctx.repeatable(softmax.call, probs):
            return None  # the input is computed elsewhere (`model(x)`): it cannot be repeated here
        scaled = f"{paren(ctx.code(operand))} {scale}"
        tempered = softmax.call.deep_replace(
            operand, cst.parse_expression(f"({scaled})" if softmax.is_method else scaled))
        code = ctx.render(tempered, node)
        if isinstance(node, cst.AugAssign):
            code = f"{ctx.code(node.target)} = {code}"
        return ctx.replacement(node, code, self.applicability)
