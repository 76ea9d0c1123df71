"""SL105 softmax-over-wrong-axis."""

from __future__ import annotations

import libcst as cst

from scorelint.engine.narrowing import AXIS_ZERO
from scorelint.engine.rule import Clean, Flagged, Rule
from scorelint.model import patterns, walk
from scorelint.model import vocabulary as vocab
from scorelint.model.context import FileContext
from scorelint.model.dataflow import ASSIGN

_KINDS = ("softmax", "log_softmax")


class SoftmaxOverWrongAxis(Rule):
    """
    ## What it does
    Finds a softmax that normalizes the wrong axis: a softmax and a
    log-softmax of the same logits over different explicit axes in one
    function (`softmax(x, dim=1)` beside `log_softmax(x, dim=2)`), and a
    softmax over axis 0 of a batched model output (`.logits`) whose rows are
    then read one example at a time (`probs[i]`, `for row in probs`).

    ## Why is this bad?
    `softmax(u)_k = exp(u_k) / sum_j exp(u_j)` is a distribution over the
    classes of one example only when `j` runs over the class axis. An entropy
    `-(p * log_p).sum(-1)` with `p` over axis 1 and `log_p` over axis 2 of a
    (batch, time, vocab) tensor mixes two different distributions and can be
    negative. Over axis 0 of a batch, each column sums to 1 across examples:
    for logits `[[2., 0.], [0., 2.]]`, `softmax(x, 0)[0]` is `[0.881, 0.119]`
    by coincidence, but for `[[2., 0.], [4., 2.]]` it is `[0.119, 0.119]`
    where the first example's distribution is `[0.881, 0.119]`.

    ## Example
    ```python
    probs = F.softmax(out.logits, dim=0)
    best = probs[0].argmax()
    ```

    ## Use instead
    ```python
    probs = F.softmax(out.logits, dim=-1)
    best = probs[0].argmax()
    ```

    ## Fix safety
    No fix: which axis holds the classes must be read from the model.

    ## Known limitations
    Axes are compared when both are integer literals of the same sign
    (`1` and `-1` may be the same axis of a 2-D tensor). The batch rule needs
    the value to be a model output's `.logits` (or `["logits"]`).
    """

    code = "SL105"
    name = "softmax-over-wrong-axis"
    message = "`{expr}` normalizes over the wrong axis"
    triggers = (vocab.call_names("softmax", "log_softmax"),)
    anchors = vocab.call_names("softmax", "log_softmax")
    # A log-softmax beside a softmax over another axis; a softmax over the batch axis 0.
    anchor_arguments = {name: AXIS_ZERO for name in vocab.call_names("softmax")}

    flagged = (
        Flagged(
            """
            import torch.nn.functional as F
            def entropy(logits):
                p = F.softmax(logits, dim=1)
                logp = F.log_softmax(logits, dim=2)
                return -(p * logp).sum(-1)
            """,
        ),
        Flagged(
            """
            import torch
            def kl(logits, ref):
                return (logits.softmax(-1) * (logits.log_softmax(-2) - ref)).sum(-1)
            """,
        ),
        Flagged(
            """
            from scipy.special import softmax, log_softmax
            def entropy(x):
                return -(softmax(x, axis=0) * log_softmax(x, axis=1)).sum(axis=1)
            """,
        ),
        Flagged(
            """
            import torch.nn.functional as F
            def classify(model, batch):
                out = model(**batch)
                probs = F.softmax(out.logits, dim=0)
                return [probs[i].argmax().item() for i in range(len(probs))]
            """,
        ),
        Flagged(
            """
            import torch
            def first(model, ids):
                probs = torch.softmax(model(ids).logits, 0)
                return probs[0]
            """,
        ),
        Flagged(
            """
            import torch
            def rows(model, ids):
                probs = model(input_ids=ids).logits.softmax(dim=0)
                for row in probs:
                    print(row.max())
            """,
        ),
        Flagged(
            """
            import jax
            def entropy(logits):
                p = jax.nn.softmax(logits, axis=0)
                return -(p * jax.nn.log_softmax(logits, axis=1)).sum(1)
            """,
        ),
        Flagged(
            """
            import numpy as np
            from scipy.special import softmax
            def label(model, x):
                out = model(x)
                p = softmax(out["logits"], axis=0)
                return np.argmax(p[0])
            """,
        ),
    )
    clean = (
        Clean(
            """
            import torch.nn.functional as F
            def entropy(logits):
                p = F.softmax(logits, dim=-1)
                return -(p * F.log_softmax(logits, dim=-1)).sum(-1)
            """
        ),
        Clean(
            """
            import torch.nn.functional as F
            def entropy(logits):
                p = F.softmax(logits, dim=1)
                return -(p * F.log_softmax(logits, dim=-1)).sum(-1)
            """
        ),
        Clean(
            """
            import torch.nn.functional as F
            def distill(student, teacher):
                return F.kl_div(F.log_softmax(student, dim=-1), F.softmax(teacher, dim=1))
            """
        ),
        Clean(
            """
            import torch
            def first(model, ids):
                probs = torch.softmax(model(ids).logits, -1)
                return probs[0]
            """
        ),
        Clean(
            """
            import torch
            def attention(scores):
                weights = torch.softmax(scores, 0)
                return weights[0]
            """
        ),
        Clean(
            """
            import torch
            def pooled(model, ids):
                w = torch.softmax(model(ids).logits, dim=0)
                return (w * model(ids).logits).sum(0)
            """
        ),
        Clean(
            """
            import torch.nn.functional as F
            def two(a, b):
                return F.softmax(a, dim=0), F.log_softmax(b, dim=1)
            """
        ),
        Clean(
            """
            from scipy.special import softmax, log_softmax
            def entropy(x):
                return -(softmax(x, axis=1) * log_softmax(x, axis=1)).sum(axis=1)
            """
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        op = self.ctx.op(node, follow=False)
        if op is None or op.kind not in _KINDS or op.operand is None or op.opaque:
            return
        axis = _literal_axis(self.ctx, op)
        if axis is None:
            return
        if op.kind == "log_softmax":
            other = self._mismatched(node, op, axis)
            if other is not None:
                self.report(node, f"`{self.ctx.short(node)}` normalizes over axis {axis} but "
                                  f"`{self.ctx.short(other, 40)}` over another: two different "
                                  "distributions of the same logits")
        elif op.kind == "softmax" and axis == 0 and _batched_output(self.ctx, op.operand) \
                and _read_by_row(self.ctx, node):
            self.report(node, f"`{self.ctx.short(node)}` normalizes a batched model output over "
                              "the batch axis, then reads it one example at a time")

    def _mismatched(self, node: cst.Call, op: vocab.Op, axis: int) -> cst.Call | None:
        home = self.ctx.flow.home(node)
        if home is None:
            return None
        stack: list[cst.CSTNode] = [home]
        while stack:
            current = stack.pop()
            stack.extend(walk.children(current))
            if not isinstance(current, cst.Call) or current is node:
                continue
            other = self.ctx.op(current, follow=False)
            if other is None or other.kind != "softmax" or other.operand is None or other.opaque:
                continue
            theirs = _literal_axis(self.ctx, other)
            if theirs is not None and theirs != axis and (theirs < 0) == (axis < 0) \
                    and self.ctx.same(other.operand, op.operand):
                return current
        return None


def _literal_axis(ctx: FileContext, op: vocab.Op) -> int | None:
    if op.axis is None:
        return -1 if op.default_axis == vocab.LAST else None
    return patterns._integer(op.axis)


def _batched_output(ctx: FileContext, node: cst.BaseExpression) -> bool:
    """A model output's logits: `out.logits`, `model(x).logits`, `out["logits"]`."""
    for _ in range(6):
        if isinstance(node, cst.Attribute) and node.attr.value == "logits":
            return True
        if isinstance(node, cst.Subscript) and len(node.slice) == 1 \
                and isinstance(node.slice[0].slice, cst.Index) \
                and isinstance(node.slice[0].slice.value, cst.SimpleString):
            return node.slice[0].slice.value.evaluated_value == "logits"
        value = ctx.value(node) if isinstance(node, cst.Name) else None
        if value is None:
            return False
        node = value
    return False


def _read_by_row(ctx: FileContext, node: cst.Call) -> bool:
    """Is the softmax's result read one row at a time: `p[i]`, `p[0]`, `for row in p`?"""
    reads: list[cst.CSTNode] = [node]
    parent = next(iter(ctx.flow.ancestors(node)), None)
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1 \
            and isinstance(parent.targets[0].target, cst.Name):
        definition = next((d for d in ctx.flow.every(parent.targets[0].target) or ()
                           if d.statement is parent and d.kind == ASSIGN), None)
        reads = list(ctx.flow.reads_of(definition, parent)) if definition is not None else []
    for read in reads:
        up = next(iter(ctx.flow.ancestors(read)), None)
        if isinstance(up, cst.Subscript) and up.value is read \
                and isinstance(up.slice[0].slice, cst.Index):
            return True
        if isinstance(up, cst.For) and up.iter is read:
            return True
    return False
