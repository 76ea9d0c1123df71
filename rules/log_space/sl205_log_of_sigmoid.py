"""SL205 log-of-sigmoid."""

from __future__ import annotations

import libcst as cst

from scorelint.base.findings import Applicability, FixAvailability
from scorelint.engine.rule import Clean, Flagged, Rule
from scorelint.model import facts, patterns, values
from scorelint.model import vocabulary as vocab
from scorelint.model.spelling import negate
from scorelint.model.vocabulary import Op


class LogOfSigmoid(Rule):
    """
    ## What it does
    Finds the log of a sigmoid and of its complement: `log(sigmoid(x))`,
    `x.sigmoid().log()`, `np.log(expit(x))`, a hand-written
    `log(1 / (1 + exp(-x)))` or `log(exp(x) / (1 + exp(x)))`,
    `log(1 - sigmoid(x))`, `log1p(-sigmoid(x))`,
    also through names bound earlier and with an epsilon
    (`log(sigmoid(x) + 1e-7)`).

    ## Why is this bad?
    `log sigmoid(x) = -softplus(-x) = -log(1 + exp(-x))`, and
    `log(1 - sigmoid(x)) = log sigmoid(-x)`: both are finite for every `x`.
    The sigmoid saturates first: in float64 `sigmoid(-800.0)` underflows to 0
    and `1 - sigmoid(40.0)` rounds to 0, so `np.log(expit(-800.0))` and
    `np.log(1 - expit(40.0))` are `-inf` where the answers are `-800.0` and
    `-40.0` (float32 saturates near |x| = 17). In a binary log-likelihood one
    confident mistake turns the whole loss into `inf`.

    ## Example
    ```python
    log_p, log_q = torch.log(torch.sigmoid(x)), torch.log(1 - torch.sigmoid(x))
    ```

    ## Use instead
    ```python
    log_p, log_q = F.logsigmoid(x), F.logsigmoid(-x)
    ```

    ## Fix safety
    Safe: `F.logsigmoid` (torch), `scipy.special.log_expit` (numpy with
    scipy), `jax.nn.log_sigmoid`, `tf.math.log_sigmoid`,
    `keras.ops.log_sigmoid`, of `x` or of `-x` for the complement: the same
    value to rounding wherever the original is finite. numpy files without
    scipy get `-np.logaddexp(0, -x)`, the same function in numpy. With an
    epsilon the fix is unsafe: it removes the floor at `log(eps)`.

    ## Known limitations
    `logsigmoid(1 - x)` (a misread `log(1 - sigmoid(x))`) is reported with an
    unsafe fix to `logsigmoid(-x)`: it changes the value, on the guess that
    the complement was meant. An epsilon is a tiny literal or a name that holds
    one or reads as one (`eps`, `self.gamma = 1e-8`); an unknown setting
    (`p + delta`) is not taken as one, and the log is left alone.
    Scalar code (`math`) has no log-sigmoid and is reported without a fix.
    A sigmoid whose argument's range (`scorelint.model.values`) keeps it from
    rounding to 0 (or, under `1 - sigmoid`, to 1) in its dtype is left alone:
    `log(sigmoid(torch.rand(n)))` is finite. Other spellings of the sigmoid (`0.5 * (1 + tanh(x / 2))`) and
    `log2` / `log10` of it are not recognised. A sigmoid reached through a
    name whose argument contains a call (`sigmoid(model(x))`) is reported
    without a fix, since the fix would repeat the call.
    """

    code = "SL205"
    name = "log-of-sigmoid"
    message = "`{expr}` is `-inf` where the sigmoid saturates: {why}"
    fix_title = "Replace with the framework's log-sigmoid"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.SAFE
    triggers = (("log", "log1p", "logsigmoid", "log_sigmoid", "log_expit"),
                ("sigmoid", "expit", "exp", "logsigmoid", "log_sigmoid", "log_expit"))
    # Reported at the log (of a sigmoid, or of one minus it) or at a log-sigmoid of `1 - x`.
    anchors = ("log", "log1p", *vocab.call_names("log_sigmoid"))
    guarded_message = "`{expr}` floors the log-sigmoid at `log(eps)`; log-sigmoid is exact"
    complement_message = "`{expr}` is not `log(1 - sigmoid(x))`; that is `log_sigmoid(-x)`"

    flagged = (
        Flagged(
            """
            import torch
            y = torch.log(torch.sigmoid(x))
            """,
            """
            import torch
            y = torch.nn.functional.logsigmoid(x)
            """,
        ),
        Flagged(
            """
            import torch.nn.functional as F
            def f(z):
                return F.sigmoid(z).log()
            """,
            """
            import torch.nn.functional as F
            def f(z):
                return F.logsigmoid(z)
            """,
        ),
        Flagged(
            """
            import numpy as np
            from scipy.special import expit
            lq = np.log(1 - expit(x))
            """,
            """
            import numpy as np
            from scipy.special import expit
            import scipy.special
            lq = scipy.special.log_expit(-x)
            """,
        ),
        Flagged(
            """
            import numpy as np
            def f(z):
                p = 1 / (1 + np.exp(-z))
                return np.log(p)
            """,
            """
            import numpy as np
            def f(z):
                p = 1 / (1 + np.exp(-z))
                return -np.logaddexp(0, -z)
            """,
        ),
        Flagged(
            """
            import jax
            import jax.numpy as jnp
            y = jnp.log(1 - jax.nn.sigmoid(a + b))
            """,
            """
            import jax
            import jax.numpy as jnp
            y = jax.nn.log_sigmoid(-(a + b))
            """,
        ),
        Flagged(
            """
            import tensorflow as tf
            y = tf.math.log(tf.sigmoid(x) + 1e-7)
            """,
            """
            import tensorflow as tf
            y = tf.math.log_sigmoid(x)
            """,
        ),
        Flagged(
            """
            import torch
            y = torch.log1p(-torch.sigmoid(-x))
            """,
            """
            import torch
            y = torch.nn.functional.logsigmoid(x)
            """,
        ),
        Flagged(
            """
            import math
            def f(x):
                return math.log(1 / (1 + math.exp(-x)))
            """
        ),
        Flagged(
            """
            import torch.nn.functional as F
            y = F.logsigmoid(1 - x)
            """,
            """
            import torch.nn.functional as F
            y = F.logsigmoid(-x)
            """,
        ),
        Flagged(
            """
            import jax
            y = jax.nn.log_sigmoid(1 - (a + b))
            """,
            """
            import jax
            y = jax.nn.log_sigmoid(-(a + b))
            """,
        ),
        Flagged(
            """
            import torch
            def wide_draws():
                x = torch.rand(4) * 30
                return torch.log(1 - torch.sigmoid(x))
            """,
            """
            import torch
            def wide_draws():
                x = torch.rand(4) * 30
                return torch.nn.functional.logsigmoid(-x)
            """,
        ),
        Flagged(
            """
            import torch
            def scaled_draws():
                return torch.randn(5).mul(100).sigmoid().log()
            """,
            """
            import torch
            def scaled_draws():
                return torch.nn.functional.logsigmoid(torch.randn(5).mul(100))
            """,
        ),
    )
    clean = (
        Clean(
            """
            import torch.nn.functional as F
            y = F.logsigmoid(-x)
            """
        ),
        Clean(
            """
            import torch.nn.functional as F
            y = F.logsigmoid(2 - x)
            """
        ),
        Clean(
            """
            import torch.nn.functional as F
            y = F.logsigmoid(x)
            """
        ),
        Clean(
            """
            import scipy.special
            y = scipy.special.log_expit(-x)
            """
        ),
        Clean(
            """
            import jax
            y = jax.nn.log_sigmoid(x)
            """
        ),
        Clean(
            """
            import torch
            y = torch.sigmoid(x).log1p()
            """
        ),
        Clean(
            """
            import numpy as np
            y = np.log(1 / (1 + n))
            """
        ),
        Clean(
            """
            import numpy as np
            def sigmoid(v):
                return v
            y = np.log(sigmoid(x))
            """
        ),
        Clean(
            """
            import torch
            y = torch.log(torch.softmax(x, dim=-1))
            """
        ),
        Clean(
            """
            import torch
            def test_shape():
                x = torch.rand(3)
                assert torch.log(torch.sigmoid(x)).shape == (3,)
            """,
        ),
        Clean(
            """
            import torch
            def test_complement():
                y = torch.log(1 - torch.sigmoid(torch.randn(3)))
                assert y.max() < 0
            """,
        ),
        Clean(
            """
            import numpy as np
            from scipy.special import expit
            def draws():
                x = np.random.rand(4) * 30
                return np.log(1 - expit(x))
            """,
        ),
        Clean(
            """
            import torch
            def method_chain():
                return torch.rand(5).sigmoid().log()
            """,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        log = ctx.op(node, follow=False)
        if log is not None and log.kind == "log_sigmoid" and log.operand is not None:
            self._complement(node, log)
            return
        if log is not None and log.kind == "log1p" and log.operand is not None and log.plain:
            value = ctx.resolve(log.operand)  # `log1p(-sigmoid(x))` is `log(1 - sigmoid(x))`
            if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus):
                sigmoid = facts.sigmoid_of(ctx, value.expression)
                if sigmoid is not None:
                    self._found(node, log, sigmoid, complement=True, guarded=False)
            return
        log = patterns.natural_log(ctx, node)
        if log is None:
            return
        inner = facts.without_epsilon(ctx, log.operand)  # type: ignore[arg-type]
        guarded = inner is not log.operand
        sigmoid = facts.sigmoid_of(ctx, inner)
        if sigmoid is not None:
            self._found(node, log, sigmoid, complement=False, guarded=guarded)
            return
        rest = patterns.one_minus(ctx.resolve(inner))
        sigmoid = facts.sigmoid_of(ctx, rest) if rest is not None else None
        if sigmoid is not None:
            self._found(node, log, sigmoid, complement=True, guarded=guarded)

    def _found(self, node: cst.Call, log: Op, sigmoid: facts.Sigmoid, complement: bool,
               guarded: bool) -> None:
        ctx = self.ctx
        template = self.guarded_message if guarded else self.message
        saturates = values.sigmoid_saturates(ctx, sigmoid.argument, toward_one=complement,
                                             negated=sigmoid.negated, op=sigmoid.op)
        if not guarded and not saturates.fails:
            return  # the range keeps the sigmoid away from 0 (or 1): the log is finite
        fix = None
        if ctx.copyable(node, sigmoid.argument):
            argument = patterns.arg(ctx, sigmoid.argument, node)
            if sigmoid.negated != complement:
                argument = negate(argument)
            spelled = ctx.spelling.call("log_sigmoid", ctx.dialect(sigmoid.op, log), argument)
            if spelled is not None:
                code, imports = spelled
                applicability = Applicability.UNSAFE if guarded else Applicability.SAFE
                fix = patterns.replacement(ctx, node, code, applicability, imports)
        self.report(node, self.say(template, node, why=saturates.reason), fix)

    def _complement(self, node: cst.Call, log: Op) -> None:
        """`logsigmoid(1 - x)`: `log(1 - sigmoid(x))` misread; unsafe fix to `logsigmoid(-x)`."""
        ctx = self.ctx
        rest = patterns.one_minus(log.operand) if log.operand is not None else None
        if rest is None:
            return
        fix = None
        if log.plain and len(log.call.args) == 1 and log.call.args[0].value is log.operand:
            code = ctx.code(log.call.with_changes(
                args=[log.call.args[0].with_changes(value=cst.parse_expression(
                    negate(patterns.arg(ctx, rest, node))))]))
            fix = patterns.replacement(ctx, node, code, Applicability.UNSAFE)
        self.report(node, self.say(self.complement_message, node), fix)
