"""SL103 softmax-axis-unspecified."""

from __future__ import annotations

import libcst as cst

from scorelint.base.findings import Applicability, FixAvailability
from scorelint.engine.narrowing import NO_AXIS
from scorelint.engine.rule import Clean, Flagged, Rule
from scorelint.model import facts
from scorelint.model import vocabulary as vocab
from scorelint.model.proposal import FixSpec, Replace
from scorelint.model.spelling import with_keyword


class SoftmaxAxisUnspecified(Rule):
    """
    ## What it does
    Finds a softmax or log-softmax that does not say which axis holds the
    classes: `F.softmax(x)`, `F.log_softmax(x, dim=None)`, `nn.Softmax()`,
    and `scipy.special.softmax(x)` / `log_softmax(x)` on a batch.

    ## Why is this bad?
    `softmax(u)_k = exp(u_k) / sum_j exp(u_j)` must sum over the classes of
    one example and nothing else. Without `dim`, torch guesses (and warns that
    the guess is deprecated): dim 0 for 0-, 1- and 3-D input, dim 1 otherwise.
    On a (batch, time, vocab) tensor it normalizes across the batch: for
    `x = [[[1., 2.]], [[3., 4.]]]`, `F.softmax(x)` is
    `[[[0.119, 0.119]], [[0.881, 0.881]]]`, and no row sums to 1; the right
    answer is `[[[0.269, 0.731]], [[0.269, 0.731]]]`. scipy's softmax without
    `axis` normalizes over every element: `softmax([[1., 2.], [3., 4.]])` is
    `[[0.032, 0.087], [0.237, 0.644]]` where each row should be
    `[0.269, 0.731]`.

    ## Example
    ```python
    probs = F.softmax(logits)
    ```

    ## Use instead
    ```python
    probs = F.softmax(logits, dim=-1)
    ```

    ## Fix safety
    Unsafe: the fix passes `dim=-1` (torch) or `axis=-1` (scipy), assuming
    the classes are on the last axis. That equals torch's guess for 2-D
    input but not for 3-D or 4-D (channels first) input, and scipy's
    flattening for 1-D input only; check the axis the fix chose.

    ## Known limitations
    Inputs that are visibly 1-D (a flat literal list, `x[0]`, `x[i]`,
    `.ravel()`, `np.arange(n)`) are left alone, even where `x[0]` of a 3-D
    array is 2-D. A `**kwargs` may carry the axis, so such calls are left
    alone. `x.softmax()` without a dim raises in torch and is not reported.
    jax and tensorflow default to the last axis and are correct.
    """

    code = "SL103"
    name = "softmax-axis-unspecified"
    message = "`{expr}` has no axis, so it does not normalize over each example's classes"
    fix_title = "Pass the class axis explicitly: `dim=-1` (torch) or `axis=-1` (scipy)"
    fix_availability = FixAvailability.ALWAYS
    applicability = Applicability.UNSAFE
    triggers = (vocab.call_names("softmax", "log_softmax"),)
    anchors = vocab.call_names("softmax", "log_softmax")
    anchor_arguments = {name: NO_AXIS for name in anchors}

    flagged = (
        Flagged(
            """
            import torch.nn.functional as F
            probs = F.softmax(logits)
            """,
            """
            import torch.nn.functional as F
            probs = F.softmax(logits, dim=-1)
            """,
        ),
        Flagged(
            """
            from scipy.special import softmax
            p = softmax(batch_scores)
            """,
            """
            from scipy.special import softmax
            p = softmax(batch_scores, axis=-1)
            """,
        ),
        Flagged(
            """
            from torch import nn
            head = nn.Sequential(nn.Linear(16, 4), nn.Softmax())
            """,
            """
            from torch import nn
            head = nn.Sequential(nn.Linear(16, 4), nn.Softmax(dim=-1))
            """,
        ),
        Flagged(
            """
            import torch.nn.functional as F
            lp = F.log_softmax(out.logits, dim=None)
            """,
            """
            import torch.nn.functional as F
            lp = F.log_softmax(out.logits, dim=-1)
            """,
        ),
        Flagged(
            """
            import scipy.special as sp
            lp = sp.log_softmax(x - x.max(-1, keepdims=True))
            """,
            """
            import scipy.special as sp
            lp = sp.log_softmax(x - x.max(-1, keepdims=True), axis=-1)
            """,
        ),
        Flagged(
            """
            import torch
            from torch.nn import functional
            y = functional.softmax(h @ W, dtype=torch.float32)
            """,
            """
            import torch
            from torch.nn import functional
            y = functional.softmax(h @ W, dim=-1, dtype=torch.float32)
            """,
        ),
    )
    clean = (
        Clean(
            """
            import torch.nn.functional as F
            probs = F.softmax(logits, dim=-1)
            """
        ),
        Clean(
            """
            import scipy.special
            p = scipy.special.softmax([1.0, 2.0, 3.0])
            """
        ),
        Clean(
            """
            from scipy.special import softmax
            p = softmax(scores[0])
            """
        ),
        Clean(
            """
            import jax
            p = jax.nn.softmax(logits)
            """
        ),
        Clean(
            """
            import tensorflow as tf
            p = tf.nn.softmax(logits)
            """
        ),
        Clean(
            """
            import scipy.special
            p = scipy.special.softmax(x, axis=None)
            """
        ),
        Clean(
            """
            import torch.nn.functional as F
            def f(x, **kw):
                return F.softmax(x, **kw)
            """
        ),
        Clean(
            """
            from torch import nn
            sm = nn.Softmax(dim=1)
            """
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        op = ctx.op(node, follow=False)
        if op is None:
            self._check_module(node)
            return
        if op.kind not in ("softmax", "log_softmax") or op.axis is not None or op.opaque or op.is_method \
                or op.module is not None or op.operand is None:
            return
        if op.framework == "torch" and op.default_axis == vocab.IMPLICIT:
            keyword, explicit = "dim", op.keyword("dim") or op.positional(1)
        elif op.framework == "scipy" and op.keyword("axis") is None:
            keyword, explicit = "axis", None  # `axis=None` is scipy's way to ask for every element
        else:
            return
        if facts.is_one_dimensional(ctx, op.operand):
            return
        self._report(node, keyword, explicit)

    def _check_module(self, node: cst.Call) -> None:
        """`nn.Softmax()`: the module guesses its dim at every call."""
        ctx = self.ctx
        if not isinstance(node.func, cst.Name) and vocab.terminal_name(node.func) not in vocab.call_names("softmax", "log_softmax"):
            return
        qualname = next((q for q in sorted(ctx.qualified_names(node.func)) if q in vocab.MODULE_OPS), None)
        if qualname is None or any(a.star for a in node.args):
            return
        kind, framework, spec = vocab.MODULE_OPS[qualname]
        if kind not in ("softmax", "log_softmax") or spec.default_axis != vocab.IMPLICIT:
            return
        explicit = next((a.value for a in node.args if a.keyword is None or a.keyword.value == "dim"), None)
        if explicit is None or (isinstance(explicit, cst.Name) and explicit.value == "None"):
            self._report(node, "dim", explicit)

    def _report(self, node: cst.Call, keyword: str, explicit: cst.BaseExpression | None) -> None:
        ctx = self.ctx
        if keyword == "dim":
            message = f"`{ctx.short(node)}` has no `dim`: torch guesses 0 for 1-D and 3-D input, else 1"
        else:
            message = f"`{ctx.short(node)}` has no `axis`: it normalizes over every element of a batch"
        if isinstance(explicit, cst.Name) and explicit.value == "None":
            fix = FixSpec("Replace `None` with `-1` (the last axis)", self.applicability,
                          (Replace(explicit, "-1"),))
        else:
            fix = ctx.replacement(node, ctx.render(with_keyword(node, keyword, "-1"), node),
                                  self.applicability)
        self.report(node, message, fix)
