"""SL102 softmax-without-max-subtraction."""

from __future__ import annotations

import libcst as cst

from scorelint.base.findings import Applicability, FixAvailability
from scorelint.engine.rule import Clean, Flagged, Rule
from scorelint.model import facts, patterns, values
from scorelint.model import vocabulary as vocab
from scorelint.model.context import FileContext
from scorelint.model.dataflow import ELEMENT
from scorelint.model.proposal import FixSpec


class SoftmaxWithoutMaxSubtraction(Rule):
    """
    ## What it does
    Finds a softmax written by hand, `exp(x) / sum(exp(x))`, whose input is
    not shifted by its maximum first: in any framework, over a Python list
    (`[e / total for e in es]` with `es = [math.exp(s) for s in xs]` and
    `total = sum(es)`), and with a clip on one side only
    (`exp(clip(x, -50, 50)) / sum(exp(x))`).

    ## Why is this bad?
    `exp` overflows float64 above 709.78 (float32 above 88.7, float16 above
    11.1). Logits of a few hundred are common after a large temperature
    inverse or in energy models, and then `exp(x)` is `inf` and the quotient
    `inf / inf` is `nan`. Softmax is invariant to adding a constant to every
    input, so `exp(x - max(x)) / sum(exp(x - max(x)))` is the same function
    with every exponent at most 0. For `x = [1000.0, 999.0]`, the unshifted
    form gives `[nan, nan]`; the right answer is `[0.731, 0.269]`.

    It fails the other way for inputs far below 0, such as log-likelihoods:
    `exp` underflows to 0 below -745.1 in float64 (-103.3 in float32, -87.3
    for normal numbers; -17.3 in float16, -92 in bfloat16), and once every
    input is that low the quotient is `0 / 0 = nan`. For `x = [-800., -801.]`
    the unshifted form gives `[nan, nan]` where the answer is again
    `[0.731, 0.269]`. The message names the dtype the code shows (`.half()`,
    `dtype=torch.float16`, `.astype(np.float32)`), else float32 and float64.

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
    max-shifted form (never a new dependency on scipy), and no fix when the
    exponent holds a call the inlined form would repeat.

    ## Known limitations
    Any subtraction before `exp` is taken as a shift (`exp(x - c)`), also
    scaled (`(x - m) / T`, `r * (x - m)`: a scale is taken as positive unless
    its range shows otherwise), and an exponent whose range keeps `exp` finite
    in its dtype (`-d ** 2`, `-x.pow(2.0) / (2 * s ** 2)`, `torch.rand(n)`,
    a normal draw taken within 10 standard deviations) cannot overflow, so
    these are left alone. A clip on one side only (`exp(clip(x)) / sum(exp(x))`) is
    reported without a fix: the clip changes the values, so no softmax call
    computes the same thing. A softmax over a Python sequence
    (`es = [math.exp(s) for s in xs]; total = sum(es); [e / total for e in es]`,
    the generator and `math.fsum` forms, a `for` loop over `es`) is reported
    without a fix; one built with `map(math.exp, xs)`, with a filtered or
    nested comprehension, or normalized through an index (`es[i] / total`)
    is not seen. The now unused `e = exp(x)` is left in place by the fix.
    """

    code = "SL102"
    name = "softmax-without-max-subtraction"
    message = "`{expr}` overflows to `inf / inf = nan`: {why}"
    underflow_message = "`{expr}` underflows to `0 / 0 = nan` once every input is low: {why}"
    clip_message = ("`{expr}` clips one side only: a clip is not a shift, and the other "
                    "`exp` still overflows above {limit}")
    python_message = ("`{expr}` divides by a sum of `exp`s with no max subtracted; `exp` "
                      "overflows above {limit}")
    fix_title = "Replace with the framework's softmax"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.SAFE
    triggers = (("exp",), ("sum", "reduce_sum", "fsum"), vocab.DIVISION_TOKENS)
    divisor = vocab.call_names("sum", "fsum")

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
            import numpy
            def f(x):
                return exp((x / 0.7) - numpy.max(x / 0.7, axis=1, keepdims=True)) / total(exp((x / 0.7) - numpy.max(x / 0.7, axis=1, keepdims=True)), axis=1, keepdims=True)
            """,
        ),
        Flagged(
            """
            import math
            def f(xs):
                es = [math.exp(s) for s in xs]
                total = sum(es)
                return [e / total for e in es]
            """
        ),
        Flagged(
            """
            import numpy as np
            def f(x):
                return np.exp(np.clip(x, -50, 50)) / np.sum(np.exp(x), axis=-1, keepdims=True)
            """
        ),
        Flagged(
            """
            import torch
            import torch.nn.functional as F
            def lse_pool(x, a):
                r = -F.softplus(a)
                x_max = x.max(dim=-1, keepdim=True)[0]
                e = torch.exp(r * (x - x_max))
                return e / e.sum(dim=-1, keepdim=True)
            """,
            """
            import torch
            import torch.nn.functional as F
            def lse_pool(x, a):
                r = -F.softplus(a)
                x_max = x.max(dim=-1, keepdim=True)[0]
                e = torch.exp(r * (x - x_max))
                return torch.softmax(r * (x - x_max), dim=-1)
            """,
        ),
        Flagged(
            """
            import torch
            def half_inputs():
                x = (torch.rand(8) * 20).half()
                e = torch.exp(x)
                return e / e.sum()
            """,
        ),
        Flagged(
            """
            import torch
            def wide_draws():
                x = torch.randn(16) * 50
                e = x.exp()
                return e / e.sum()
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
        Clean(
            """
            import math
            def f(xs):
                m = max(xs)
                es = [math.exp(s - m) for s in xs]
                total = sum(es)
                return [e / total for e in es]
            """
        ),
        Clean(
            """
            import numpy as np
            def f(x):
                c = np.clip(x, -50, 50)
                return np.exp(c) / np.sum(np.exp(c), axis=-1, keepdims=True)
            """
        ),
        Clean(
            """
            import torch
            def gaussian_window(x, s):
                k = torch.exp(-x.pow(2.0) / (2 * s.pow(2.0)))
                return k / k.sum()
            """,
        ),
        Clean(
            """
            import numpy as np
            def gaussian_window(d, sigma):
                k = np.exp(-np.power(d, 2.0) / (2.0 * sigma ** 2.0))
                return k / np.sum(k)
            """,
        ),
        Clean(
            """
            import torch
            import torch.nn.functional as F
            def lse_pool_softplus(x, r_raw):
                r = F.softplus(r_raw)
                x_max = x.max(dim=-1, keepdim=True)[0]
                e = torch.exp(r * (x - x_max))
                return e / e.sum(dim=-1, keepdim=True)
            """,
        ),
        Clean(
            """
            import numpy as np
            def decaying_weights(n, tau):
                w = np.exp(-np.arange(n) / tau)
                return w / w.sum()
            """,
        ),
        Clean(
            """
            import jax.numpy as jnp
            def decaying_weights(n, tau):
                w = jnp.exp(-jnp.arange(n) / tau)
                return w / jnp.sum(w)
            """,
        ),
        Clean(
            """
            import torch
            def test_matches_softmax():
                x = torch.randn(4, 5)
                e = x.exp()
                assert torch.allclose(e / e.sum(-1, keepdim=True), torch.softmax(x, -1))
            """,
        ),
        Clean(
            """
            import torch
            def small_inputs():
                x = torch.rand(8) * 20
                e = torch.exp(x)
                return e / e.sum()
            """,
        ),
        Clean(
            """
            import torch
            def mixture_weights(k, learn):
                if learn:
                    w = (1.5 * torch.rand(k)).requires_grad_(True)
                else:
                    w = 0.1 * torch.rand(k)
                e = torch.exp(w)
                return e / e.sum()
            """,
        ),
        Clean(
            """
            import math
            def f():
                es = [math.exp(s) for s in (0.1, 0.5, 0.2)]
                total = sum(es)
                return [e / total for e in es]
            """,
        ),
        Clean(
            """
            import tensorflow as tf
            def gaussian_window(d, s):
                k = tf.exp(-tf.pow(d, 2.0) / (2.0 * tf.square(s)))
                return k / tf.reduce_sum(k)
            """,
        ),
        Clean(
            """
            import torch
            def gaussian_window(d, s):
                k = d.pow(2.0).neg().div(2 * s ** 2.0).exp()
                return k / k.sum()
            """,
        ),
        Clean(
            """
            import torch
            def lse_pool(x, r):
                x_max = x.amax(dim=-1, keepdim=True)
                e = torch.exp(r * (x - x_max))
                return e / e.sum(dim=-1, keepdim=True)
            """,
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
        found = patterns.divided_by_sum(ctx, node, ("sum", "fsum"))
        if found is None:
            return
        numerator, _, total = found
        if self._python_softmax(node, numerator, total.operand):
            return
        top, bottom = ctx.op(numerator), ctx.op(total.operand)
        if top is None or top.kind != "exp" or top.operand is None:
            return
        if bottom is None or bottom.kind != "exp" or bottom.operand is None:
            return
        if ctx.same(top.operand, bottom.operand):
            if not facts.is_shifted(ctx, top.operand):
                # Log-likelihoods far below 0 fail the other way: every `exp` is 0, and 0 / 0.
                if facts.in_log_space(ctx, top.operand):
                    verdict = values.exp_underflow(ctx, top.operand, top)
                    template = self.underflow_message
                else:
                    verdict = values.exp_overflow(ctx, top.operand, top)
                    template = self.message
                if verdict.fails:  # quiet where the range proves `exp` finite and nonzero
                    self.report(node, self.say(template, node, why=verdict.reason),
                                self._fix(node, top, total))
            return
        # `exp(clip(x)) / sum(exp(x))`: a clip is not a shift; the unclipped side still overflows.
        top_value, bottom_value = _unclipped(ctx, top.operand), _unclipped(ctx, bottom.operand)
        if (top_value is not top.operand or bottom_value is not bottom.operand) \
                and ctx.same(top_value, bottom_value) and not facts.is_shifted(ctx, top_value):
            self.report(node, self.say(self.clip_message, node))

    def _python_softmax(self, node: cst.CSTNode, numerator: cst.BaseExpression,
                        summed: cst.BaseExpression) -> bool:
        """`[e / total for e in es]` with `es = [math.exp(s) for s in xs]` and `total = sum(es)`
        (or `math.exp(s) / total` over the same `xs`): a softmax over a Python sequence."""
        ctx = self.ctx
        terms = _exp_terms(ctx, summed)
        if terms is None:
            return False
        comprehension, exp = terms
        if facts.is_shifted(ctx, exp.operand):  # type: ignore[arg-type]
            return False
        top = ctx.op(numerator)
        if top is not None and top.kind == "exp" and top.operand is not None:
            # `math.exp(s) / total` with `s` drawn from the same sequence as the sum's terms
            source = _element_source(ctx, top.operand)
            target = comprehension.for_in.target
            matches = (source is not None and ctx.same(source, comprehension.for_in.iter)
                       and isinstance(target, cst.Name) and ctx.same(exp.operand, target)
                       and isinstance(top.operand, cst.Name))  # type: ignore[arg-type]
        else:  # `e / total` with `e` drawn from the sequence the sum added up
            source = _element_source(ctx, numerator)
            matches = source is not None and _exp_terms(ctx, source) == terms
        if matches:
            self.report(node, self.say(self.python_message, node))
        return matches

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


def _unclipped(ctx: FileContext, node: cst.BaseExpression) -> cst.BaseExpression:
    """`x` in `clip(x, lo, hi)` / `x.clamp(max=50)`; `node` itself otherwise."""
    op = ctx.op(node)
    return op.operand if op is not None and op.kind == "clip" and op.operand is not None else node


def _exp_terms(ctx: FileContext, node: cst.BaseExpression
               ) -> tuple[cst.ListComp | cst.GeneratorExp, vocab.Op] | None:
    """`[math.exp(s) for s in xs]` (or a generator), possibly through a name: the
    comprehension and its `exp`, when it has one `for` and no `if`."""
    value = ctx.resolve(node)
    if not isinstance(value, (cst.ListComp, cst.GeneratorExp)):
        return None
    loop = value.for_in
    if loop.inner_for_in is not None or loop.ifs:
        return None
    exp = ctx.op(value.elt)
    if exp is None or exp.kind != "exp" or exp.operand is None:
        return None
    return value, exp


def _element_source(ctx: FileContext, node: cst.BaseExpression) -> cst.BaseExpression | None:
    """The sequence a loop or comprehension variable runs over, when every definition
    reaching `node` draws it from the same one."""
    if not isinstance(node, cst.Name):
        return None
    found = ctx.definitions(node)
    if not found or any(d.kind != ELEMENT or d.element_of is None for d in found):
        return None
    sources = [d.element_of for d in found]
    first = sources[0]
    assert first is not None
    return first if all(ctx.same(first, s) for s in sources[1:]) else None  # type: ignore[arg-type]
