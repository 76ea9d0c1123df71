"""SL207 log-of-one-minus."""

from __future__ import annotations

import libcst as cst

from scorelint.base.findings import Applicability, FixAvailability
from scorelint.engine.narrowing import ONE_APART, ONE_SIDE
from scorelint.engine.rule import Clean, Flagged, Rule
from scorelint.model import facts, patterns, values
from scorelint.model.context import FileContext
from scorelint.model.proposal import InsertLine
from scorelint.model.spelling import negate
from scorelint.model.vocabulary import Op


class LogOfOneMinus(Rule):
    """
    ## What it does
    Finds the log of the complement of a probability written so that small
    values are lost: `log(1 - p)` and `log(1 + p)` where `p` is a
    probability (a softmax, sigmoid or `exp` output, or named p / prob /
    hazard / rate), `log(1 - exp(a))`, and `1 - exp(a)` / `exp(a) - 1` where
    `a` is a log-probability or a rate (`logp`, `-hazard * t`).

    ## Why is this bad?
    `1 - p` keeps only the digits of `p` that survive next to 1: none below
    half the dtype's epsilon (~6e-08 in float32, ~1.1e-16 in float64, ~4.9e-4
    in float16), and half of them already below its square root (~3.5e-4 in
    float32), so `np.log(1 - 1e-20)` is `0.0` where the answer is `-1e-20`;
    `log1p(-p)` computes it exactly. The message quotes the dtype the code
    shows, else float32 with float64 beside it. For `p = exp(a)`
    with `a` near 0 it is worse: `np.log(1 - np.exp(-1e-20))` is `-inf`
    where `log(-expm1(a))` gives `-46.05...`. The same cancellation makes
    `1 - np.exp(-1e-10)` come out as `1.00000008e-10` (8e-8 relative error)
    where `-np.expm1(-1e-10)` is exact.

    ## Example
    ```python
    log_survival = np.log(1 - np.exp(log_hazard))
    ```

    ## Use instead
    ```python
    log_survival = np.log(-np.expm1(log_hazard))
    ```

    ## Fix safety
    Safe: `log1p(-p)`, `log1p(p)`, `log(-expm1(a))`, `-expm1(a)` and
    `expm1(a)` are the same mathematical values, computed without the
    cancellation, in the file's own dialect (`np.`, `torch.`, `jnp.`,
    `tf.math.`, `keras.ops.`, `math.`). `log(-expm1(a))` is the accurate
    branch of log1mexp for `a >= -log(2)`; below that it is as accurate as
    the original (`log1p(-exp(a))` is the better branch there, and
    `scorelint.reference.log1mexp` takes both). With an epsilon
    (`log(1 - p + eps)`) there is no fix: where `p` rounds to 1 (a float32
    sigmoid of 17 or more) the floored log is `log(eps)` and `log1p(-p)`
    would be `-inf`. Computed from the logits it needs no floor: SL205 fixes
    a floored `log(1 - sigmoid(x))` to `logsigmoid(-x)` when `x` is in reach.

    ## Known limitations
    `log(1 - p)` is reported only when `p` is visibly a probability and its
    range (`scorelint.model.values`) does not keep it away from 0 (`1 - 0.5`,
    `1 + np.exp(2 / 4)` lose nothing); a
    `1 - exp(a)` only when `a` reads as a log-probability or rate (a decay
    schedule `1 - exp(-t / tau)` is left alone). `log(1 - sigmoid(x))` is
    SL205's and `log(1 + exp(x))` SL206's. A complement kept in a name
    (`q = 1 - p; log(q)`) is followed when that one assignment reaches the
    log; `q = 1 - exp(a)` is reported on its own line instead.
    """

    code = "SL207"
    name = "log-of-one-minus"
    message = "`{expr}` loses {why}; `log1p` keeps them"
    fix_title = "Replace with `log1p` / `expm1`"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.SAFE
    triggers = (("log", "exp"), ("-", "+"))
    # Reported at the log of `1 - p` / `1 + p`, and at `1 - exp(a)` / `exp(a) - 1`.
    anchors = ("log", "-")
    anchor_arguments = {"-": ONE_SIDE, "log": ONE_APART}
    log1mexp_message = "`{expr}` is `-inf` or inexact for `{arg}` near 0; `log(-expm1({arg}))` is exact"
    expm1_message = "`{expr}` cancels to few digits for `{arg}` near 0; `expm1` keeps them"
    guarded_message = "`{expr}` floors the log at `log(eps)`; from log-space values it needs no floor"

    flagged = (
        Flagged(
            """
            import numpy as np
            y = np.log(1 - p)
            """,
            """
            import numpy as np
            y = np.log1p(-p)
            """,
        ),
        Flagged(
            """
            import torch
            y = torch.log(1 - torch.softmax(x, dim=-1))
            """,
            """
            import torch
            y = torch.log1p(-torch.softmax(x, dim=-1))
            """,
        ),
        Flagged(
            """
            import numpy as np
            ls = np.log(1 - np.exp(log_hazard))
            """,
            """
            import numpy as np
            ls = np.log(-np.expm1(log_hazard))
            """,
        ),
        Flagged(
            """
            import math
            def f(p_fail):
                return math.log(1 + p_fail)
            """,
            """
            import math
            def f(p_fail):
                return math.log1p(p_fail)
            """,
        ),
        Flagged(
            """
            import numpy as np
            surv = 1 - np.exp(-hazard * t)
            """,
            """
            import numpy as np
            surv = -np.expm1(-hazard * t)
            """,
        ),
        Flagged(
            """
            import torch
            odds = torch.exp(logq) - 1
            """,
            """
            import torch
            odds = torch.expm1(logq)
            """,
        ),
        Flagged(
            """
            import jax.numpy as jnp
            y = jnp.log(1.0 - prob + 1e-8)
            """,
        ),
        Flagged(
            """
            import torch
            def f(p):
                return (1 - p).log()
            """,
            """
            import torch
            def f(p):
                return torch.log1p(-p)
            """,
        ),
        Flagged(
            """
            import torch
            def f(z):
                p = torch.softmax(z, -1).double()
                return torch.log(1 - p)
            """,
            """
            import torch
            def f(z):
                p = torch.softmax(z, -1).double()
                return torch.log1p(-p)
            """,
        ),
        Flagged(
            """
            import numpy as np
            def f(n):
                p = np.random.rand(n)
                return np.log(1 - p)
            """,
            """
            import numpy as np
            def f(n):
                p = np.random.rand(n)
                return np.log1p(-p)
            """,
        ),
    )
    clean = (
        Clean(
            """
            import numpy as np
            y = np.log1p(-p)
            """
        ),
        Clean(
            """
            import math
            c = math.log(1 + n_tokens)
            """
        ),
        Clean(
            """
            import numpy as np
            idf = np.log(1 + counts)
            """
        ),
        Clean(
            """
            import numpy as np
            from scipy.special import expit
            y = np.log(1 - expit(x))
            """
        ),
        Clean(
            """
            import math
            warm = 1 - math.exp(-step / 1000)
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
            import numpy as np
            y = np.log(1 - x), np.log(-np.expm1(logp))
            """
        ),
        Clean(
            """
            import numpy as np
            def test_value():
                v = np.log(1 + np.exp(2 / 4))
                assert v > 0
            """,
        ),
        Clean(
            """
            import torch
            def middling(n):
                p = 0.25 + 0.5 * torch.rand(n)
                return torch.log(1 - p)
            """,
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._claimed: set[cst.CSTNode] = set()  # `1 - exp(a)` already reported inside a log

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        log = patterns.natural_log(ctx, node)
        if log is None:
            return
        inner = facts.without_epsilon(ctx, log.operand)  # type: ignore[arg-type]
        guarded = inner is not log.operand
        if not ctx.contains(node, inner) or isinstance(inner, cst.Name):
            self._complement_elsewhere(node, log, inner, guarded)  # `q = 1 - p; log(q)`
            return
        if (p := patterns.one_minus(inner)) is not None:
            self._claimed.add(inner)
            if facts.sigmoid_of(ctx, p) is not None:
                return  # log(1 - sigmoid(x)) is SL205's
            exp = ctx.op(p)
            if exp is not None and exp.kind == "exp" and exp.operand is not None and exp.plain \
                    and ctx.copyable(node, exp.operand):
                self._log1mexp(node, log, exp, guarded)
            elif facts.is_probability(ctx, p) and (loses := values.one_plus_loses(ctx, p, log)).fails:
                log1p = ctx.spelling.call("log1p", ctx.dialect(log), negate(patterns.arg(ctx, p, node)))
                self._report(node, self.message, log1p, guarded, why=loses.reason)
        elif (p := patterns.one_plus(inner)) is not None:
            if patterns.overflowing_exp(ctx, p) is None and facts.is_probability(ctx, p) \
                    and (loses := values.one_plus_loses(ctx, p, log)).fails:
                self._claimed.add(inner)
                log1p = ctx.spelling.call("log1p", ctx.dialect(log), patterns.arg(ctx, p, node))
                self._report(node, self.message, log1p, guarded, why=loses.reason)

    def _complement_elsewhere(self, node: cst.Call, log: Op, inner: cst.BaseExpression,
                              guarded: bool) -> None:
        """`q = 1 - p` ... `log(q)` with `q` bound to that one value: the same loss of digits.
        (`1 - exp(a)` kept in a name is left to the `1 - exp(a)` finding on its own line.)"""
        ctx = self.ctx
        p = patterns.one_minus(ctx.resolve(inner))
        if p is None or facts.sigmoid_of(ctx, p) is not None or not facts.is_probability(ctx, p):
            return
        exp = ctx.op(p)
        if exp is not None and exp.kind == "exp":
            return
        loses = values.one_plus_loses(ctx, p, log)
        if not loses.fails:
            return  # `p` is never small enough to lose digits in `1 - p`
        log1p = None
        if ctx.copyable(node, p):
            log1p = ctx.spelling.call("log1p", ctx.dialect(log), negate(patterns.arg(ctx, p, node)))
        self._report(node, self.message, log1p, guarded, why=loses.reason)

    def _log1mexp(self, node: cst.Call, log: Op, exp: Op, guarded: bool) -> None:
        ctx, dialect = self.ctx, self.ctx.dialect(log)
        operand = patterns.arg(ctx, exp.operand, node)  # type: ignore[arg-type]
        expm1 = ctx.spelling.call("expm1", dialect, operand)
        spelled = None
        if expm1 is not None and not log.is_method:  # keep the log as the code spelled it
            spelled = f"{ctx.code(log.call.func)}(-{expm1[0]})", expm1[1]
        elif expm1 is not None and (logged := ctx.spelling.call("log", dialect, f"-{expm1[0]}")):
            spelled = logged[0], (*expm1[1], *logged[1])
        self._report(node, self.log1mexp_message, spelled, guarded, arg=ctx.short(exp.operand, 20))  # type: ignore[arg-type]

    def _report(self, node: cst.Call, template: str,
                spelled: tuple[str, tuple[InsertLine, ...]] | None, guarded: bool,
                **values: str) -> None:
        fix = None
        # Without its floor, a log of `1 - p` is `-inf` where `p` rounds to 1 and the
        # floored original was finite: an unsafe fix may change numbers, not that.
        if spelled is not None and not guarded:
            fix = patterns.replacement(self.ctx, node, spelled[0], Applicability.SAFE, spelled[1])
        template = self.guarded_message if guarded else template
        self.report(node, self.say(template, node, **values), fix)

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        """`1 - exp(a)` and `exp(a) - 1` where `a` is a log-probability or a rate."""
        if not isinstance(node.operator, cst.Subtract) or node in self._claimed:
            return
        ctx = self.ctx
        negative = facts.is_one(node.left)
        exp = ctx.op(node.right if negative else node.left)
        if exp is None or exp.kind != "exp" or exp.operand is None or not exp.plain:
            return
        if not (negative or facts.is_one(node.right)) or not facts.in_log_space(ctx, exp.operand):
            return
        fix = None
        if ctx.copyable(node, exp.operand):
            spelled = ctx.spelling.call("expm1", ctx.dialect(exp), patterns.arg(ctx, exp.operand, node))
            if spelled is not None:
                code = f"-{spelled[0]}" if negative else spelled[0]
                fix = patterns.replacement(ctx, node, code, self.applicability, spelled[1])
        self.report(node, self.say(self.expm1_message, node, arg=ctx.short(exp.operand, 20)), fix)
