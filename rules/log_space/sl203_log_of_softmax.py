"""SL203 log-of-softmax."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from scorelint.base.findings import Applicability, FixAvailability
from scorelint.engine.rule import Clean, Flagged, Rule
from scorelint.model import facts, origins, patterns, values
from scorelint.model import vocabulary as vocab
from scorelint.model.proposal import FixSpec, InsertLine
from scorelint.model.spelling import paren
from scorelint.model.vocabulary import FUNCTIONS, Op


class LogOfSoftmax(Rule):
    """
    ## What it does
    Finds the log of a softmax: `log(softmax(x, axis))`, `x.softmax(-1).log()`,
    `log(p)` with `p = softmax(x)` earlier, a selection of it
    (`log(p.gather(-1, y))`, `log(p[i, y])`), a softmax made in another
    function of the module (a helper's return, `self.probs`, a model class).
    The epsilon-floored forms (`log(softmax(x) + 1e-9)`) are SL208's.

    ## Why is this bad?
    `log softmax(u)_k = u_k - logsumexp(u)`: an exact difference of two finite
    numbers. Going through the softmax first computes `exp(u_k - max(u))`,
    which underflows to 0 once `u_k` is more than ~745 below the maximum
    (~104 in float32, ~17 in float16), and `log(0)` is `-inf`. For
    `u = [0.0, 800.0]`, `np.log(scipy.special.softmax(u))` is `[-inf, 0.0]`;
    `log_softmax(u)` is `[-800.0, 0.0]`. The `-inf` poisons a sum of token
    log-probabilities and makes `p * log(p)` an entropy of `nan`. An epsilon
    hides the `-inf` by flooring every log-probability at `log(eps)`
    (-20.7 for 1e-9), so confident wrong answers all score the same.

    ## Example
    ```python
    logp = torch.log(F.softmax(logits, dim=-1))
    ```

    ## Use instead
    ```python
    logp = F.log_softmax(logits, dim=-1)
    ```

    ## Fix safety
    Safe: the framework's own `log_softmax` next to the softmax the code
    called (`F.`, `torch.`, `scipy.special.`, `jax.nn.`, `tf.nn.`, keras),
    with the same arguments, so the same axis. It equals the original
    wherever the original is finite, to rounding. When the softmax's dim is
    implicit (`F.softmax(x)`), the fix keeps it implicit and is unsafe: check
    the axis. A softmax made in another statement through a shape-only step
    (`p.view(-1)`), a member or another function is reported without a fix.

    ## Known limitations
    A softmax written out by hand (SL102 turns
    it into a call first), and `torch.gather(p, ...)` / `np.take_along_axis`
    as functions are not followed. When the softmax is reached through a
    name and its arguments include a call (`softmax(model(x))`), the finding
    has no fix, since the fix would repeat the call. Calls across modules are
    never followed. Logits whose range (`scorelint.model.values`) is too narrow
    for any entry of the softmax to round to 0 in their dtype (a test's
    `torch.randn(n)`, `torch.rand(n)`, small literals) are left alone.
    """

    code = "SL203"
    name = "log-of-softmax"
    message = "`{expr}` is `-inf` wherever the softmax underflows to 0"
    fix_title = "Replace with the framework's `log_softmax` over the same axis"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.SAFE
    # `exp`: a softmax written out (`exp(z) / exp(z).sum()`) is followed too.
    triggers = (("log", "log2", "log10"), tuple(sorted(vocab.made_by("softmax"))))
    follows = ("softmax",)
    anchors = ("log", "log2", "log10")  # reported at the log, of a softmax
    across_modules = True
    # SL208 (a subclass) reports the epsilon-floored form instead.
    floored: ClassVar[bool] = False
    implicit_message = "`{expr}` can be `-inf`; the softmax's dim is implicit, check the fix"

    flagged = (
        Flagged(
            """
            import torch
            import torch.nn.functional as F
            def f(logits):
                return torch.log(F.softmax(logits, dim=-1))
            """,
            """
            import torch
            import torch.nn.functional as F
            def f(logits):
                return F.log_softmax(logits, dim=-1)
            """,
        ),
        Flagged(
            """
            import numpy as np
            import scipy.special
            y = np.log(scipy.special.softmax(x, axis=1))
            """,
            """
            import numpy as np
            import scipy.special
            y = scipy.special.log_softmax(x, axis=1)
            """,
        ),
        Flagged(
            """
            import torch
            def f(x):
                return x.softmax(-1).log()
            """,
            """
            import torch
            def f(x):
                return x.log_softmax(-1)
            """,
        ),
        Flagged(
            """
            import jax
            import jax.numpy as jnp
            def f(u):
                return jnp.log(jax.nn.softmax(u))
            """,
            """
            import jax
            import jax.numpy as jnp
            def f(u):
                return jax.nn.log_softmax(u)
            """,
        ),
        Flagged(
            """
            import tensorflow as tf
            lp = tf.math.log(tf.nn.softmax(logits, axis=1))
            """,
            """
            import tensorflow as tf
            lp = tf.nn.log_softmax(logits, axis=1)
            """,
        ),
        Flagged(
            """
            import torch
            import torch.nn.functional as F
            def nll(logits, y):
                p = F.softmax(logits, dim=-1)
                return -torch.log(p.gather(-1, y[:, None]))
            """,
            """
            import torch
            import torch.nn.functional as F
            def nll(logits, y):
                p = F.softmax(logits, dim=-1)
                return -F.log_softmax(logits, dim=-1).gather(-1, y[:, None])
            """,
        ),
        Flagged(
            """
            import torch.nn.functional as F
            import torch
            lp = torch.log(F.softmax(x))
            """,
            """
            import torch.nn.functional as F
            import torch
            lp = F.log_softmax(x)
            """,
        ),
        Flagged(
            """
            import torch
            import torch.nn.functional as F
            def f(model, x):
                p = F.softmax(model(x), dim=-1)
                return torch.log(p)
            """
        ),
        Flagged(
            """
            import math
            import scipy.special
            bits = math.log(scipy.special.softmax(x, axis=-1)[0], 2)
            """,
            """
            import math
            import scipy.special
            bits = scipy.special.log_softmax(x, axis=-1)[0] / math.log(2)
            """,
        ),
        Flagged(
            """
            import torch
            import torch.nn.functional as F
            def f(logits):
                return torch.log2(F.softmax(logits, dim=-1))
            """,
            """
            import torch
            import torch.nn.functional as F
            import math
            def f(logits):
                return F.log_softmax(logits, dim=-1) / math.log(2)
            """,
        ),
        Flagged(
            """
            import torch
            def spread_out():
                x = torch.randn(2, 5) * 10
                return torch.softmax(x, dim=-1).log()
            """,
            """
            import torch
            def spread_out():
                x = torch.randn(2, 5) * 10
                return torch.log_softmax(x, dim=-1)
            """,
        ),
    )
    clean = (
        Clean(
            """
            import torch.nn.functional as F
            lp = F.log_softmax(x, dim=-1)
            """
        ),
        Clean(
            """
            import numpy as np
            import scipy.special
            lp = scipy.special.log_softmax(x, axis=-1)
            """
        ),
        Clean(
            """
            import numpy as np
            lp = np.log(probs)
            """
        ),
        Clean(
            """
            import torch
            import torch.nn.functional as F
            def log(v):
                return v
            y = log(F.softmax(x, dim=-1))
            """
        ),
        Clean(
            """
            import torch.nn.functional as F
            class M:
                def step(self, x):
                    self.log('probs', F.softmax(x, dim=-1))
            """
        ),
        Clean(
            """
            import torch
            lp = torch.log(torch.sigmoid(x))
            """
        ),
        Clean(
            """
            import math
            bits = math.log(n_classes, 2)
            """
        ),
        Clean(
            """
            import torch
            def test_against_log_softmax():
                x = torch.randn(2, 5)
                assert torch.allclose(torch.log(torch.softmax(x, dim=-1)), torch.log_softmax(x, dim=-1))
            """,
        ),
        Clean(
            """
            import numpy as np
            from scipy.special import softmax
            def test_uniform_logits():
                p = np.log(softmax(np.random.rand(3, 4), axis=-1))
                assert p.shape == (3, 4)
            """,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        found_log = patterns.log_base(ctx, node)  # natural, log2, log10, math.log(x, b)
        if found_log is None:
            return
        log = found_log.op
        inner, floors = facts.strip_guards(ctx, log.operand)  # type: ignore[arg-type]
        guarded = bool(floors)
        if guarded is not self.floored:
            return  # the epsilon-floored form is SL208's, off by default
        selections, inner = patterns.selections(ctx, inner)
        softmax = ctx.op(inner)
        if softmax is None or softmax.kind != "softmax" or softmax.operand is None:
            # From the log's own operand, so the trace names every step (unless a floor
            # was taken off on the way: then from under it).
            found = origins.origin(ctx, inner if guarded else log.operand, ("softmax",))  # type: ignore[arg-type]
            if found is not None and found.crossed:  # made elsewhere: report, no fix
                self.report(node, trace=found.steps)
            return
        if not guarded and not values.softmax_underflows(ctx, softmax.operand, softmax).fails:
            return  # logits in a narrow range: no entry of the softmax can round to 0
        known = ctx.axis(softmax)[0]
        template = self.message if known or guarded else self.implicit_message
        fix = self._fix(node, softmax, selections, known and not guarded, found_log.base)
        self.report(node, self.say(template, node), fix)

    def _fix(self, node: cst.Call, softmax: Op, selections: list[cst.BaseExpression],
             safe: bool, base: str | None) -> FixSpec | None:
        ctx, call = self.ctx, softmax.call
        pieces = [a.value for a in call.args] + [softmax.axis]
        pieces += [call.func.value] if softmax.is_method else []  # type: ignore[attr-defined]
        pieces += [p for s in selections for p in patterns.selection_parts(s)]
        if not ctx.copyable(node, *pieces):
            return None  # the fix would repeat a call or a name rebound since
        sibling = f"{(softmax.qualname or '').rpartition('.')[0]}.log_softmax"
        imports: tuple[InsertLine, ...] = ()
        if softmax.module is None and softmax.is_method:
            method = call.func
            assert isinstance(method, cst.Attribute)
            new: cst.BaseExpression = call.with_changes(
                func=method.with_changes(attr=cst.Name("log_softmax")))
        elif softmax.module is None and FUNCTIONS.get(sibling, ("",))[0] == "log_softmax":
            if isinstance(call.func, cst.Attribute):  # `F.softmax`, a local `special.softmax`
                func: cst.BaseExpression = call.func.with_changes(attr=cst.Name("log_softmax"))
            else:
                callee, imports = ctx.spelling.callee(sibling)
                func = cst.parse_expression(callee)
            new = call.with_changes(func=func)
        else:  # a module, `nn.Softmax(dim=1)(x)`: spell the function anew
            known, axis = ctx.axis(softmax)
            operand = patterns.arg(ctx, softmax.operand, node)  # type: ignore[arg-type]
            spelled = ctx.spelling.call("log_softmax", ctx.dialect(softmax), operand,
                                        axis=axis) if known else None
            if spelled is None:
                return None
            code, imports = spelled
            new = cst.parse_expression(paren(code) if selections else code)
        applicability = Applicability.SAFE if safe else Applicability.UNSAFE
        # `log2(softmax(x))` is `log_softmax(x) / log(2)`: the same value, kept in its base.
        code, more = patterns.in_base(ctx, ctx.render(patterns.selected(selections, new), node), base)
        return patterns.replacement(ctx, node, code, applicability, (*imports, *more))
