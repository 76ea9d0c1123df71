"""SL302 nll-on-probabilities."""

from __future__ import annotations

import libcst as cst

from scorelint.base.findings import Applicability, FixAvailability
from scorelint.engine.rule import Clean, Flagged, Rule
from scorelint.model import patterns
from scorelint.model import vocabulary as vocab
from scorelint.model.proposal import FixSpec, InsertLine, Replace
from scorelint.model.vocabulary import NLL, Loss, Op


class NllOnProbabilities(Rule):
    """
    ## What it does
    Finds `F.nll_loss` or `nn.NLLLoss` (inline, or bound once as `criterion`
    or `self.criterion`) fed the output of a softmax instead of a
    log-softmax.

    ## Why is this bad?
    `nll_loss(a, y)` is `-a_y`: it assumes `a = log softmax(u)`, so that the
    loss is the negative log-likelihood `-log Pr(y)`. Fed probabilities it
    computes `-Pr(y)`, a loss bounded in [-1, 0] whose gradient does not grow
    as the model grows confidently wrong; the reported value is not a
    log-likelihood, so perplexities and comparisons built on it are
    meaningless. For `u = [10., 0., -10.]` and target class 2 the loss is
    `-2.06e-09` where the negative log-likelihood is `20.000`.

    ## Example
    ```python
    loss = F.nll_loss(F.softmax(logits, dim=1), targets)
    ```

    ## Use instead
    ```python
    loss = F.nll_loss(F.log_softmax(logits, dim=1), targets)
    ```

    ## Fix safety
    Unsafe: the loss and its gradients change (to the right ones). The fix
    keeps the softmax call's spelling and arguments and calls `log_softmax`
    instead; an epsilon guard (`+ 1e-9`, `.clamp(min=eps)`) around the
    softmax is dropped, since `log_softmax` needs none. An `nn.Softmax`
    module becomes `torch.log_softmax` over its `dim`, and is left without a
    fix when it has none.

    ## Known limitations
    A softmax applied in another function, a loss module received as an
    argument or bound more than once, and probabilities that come from a
    model's output directly are not seen. `nll_loss(torch.log(p), y)` is
    correct here (SL203 finds the `log(softmax)` in it).
    """

    code = "SL302"
    name = "nll-on-probabilities"
    message = "`{expr}` gets probabilities, not log-probabilities; it minimizes `-p`, not `-log p`"
    fix_title = "Use `log_softmax` in place of `softmax`"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE
    triggers = (vocab.loss_names(NLL), tuple(sorted(vocab.made_by("softmax"))))
    follows = ("softmax",)
    anchors = vocab.loss_names(NLL)  # reported at the loss, of a softmax
    across_modules = True

    flagged = (
        Flagged(
            """
            import torch.nn.functional as F
            loss = F.nll_loss(F.softmax(x, dim=1), y)
            """,
            """
            import torch.nn.functional as F
            loss = F.nll_loss(F.log_softmax(x, dim=1), y)
            """,
        ),
        Flagged(
            """
            import torch
            from torch import nn
            def f(out, y):
                probs = torch.softmax(out, -1)
                return nn.NLLLoss()(probs, y)
            """,
            """
            import torch
            from torch import nn
            def f(out, y):
                probs = torch.softmax(out, -1)
                return nn.NLLLoss()(torch.log_softmax(out, -1), y)
            """,
        ),
        Flagged(
            """
            from torch import nn
            class M(nn.Module):
                def __init__(self):
                    self.criterion = nn.NLLLoss(ignore_index=-100)
                def loss(self, h, y):
                    return self.criterion(h.softmax(-1), y)
            """,
            """
            from torch import nn
            class M(nn.Module):
                def __init__(self):
                    self.criterion = nn.NLLLoss(ignore_index=-100)
                def loss(self, h, y):
                    return self.criterion(h.log_softmax(-1), y)
            """,
        ),
        Flagged(
            """
            from torch.nn.functional import nll_loss, softmax
            loss = nll_loss(softmax(z, 1), t)
            """,
            """
            from torch.nn.functional import nll_loss, softmax
            import torch.nn.functional
            loss = nll_loss(torch.nn.functional.log_softmax(z, 1), t)
            """,
        ),
        Flagged(
            """
            import torch.nn.functional as F
            loss = F.nll_loss(F.softmax(x, 1).clamp(min=1e-8), y)
            """,
            """
            import torch.nn.functional as F
            loss = F.nll_loss(F.log_softmax(x, 1), y)
            """,
        ),
        Flagged(
            """
            import torch
            import torch.nn.functional as F
            from torch import nn
            class M(nn.Module):
                def __init__(self):
                    self.sm = nn.Softmax(dim=1)
                def loss(self, h, y):
                    return F.nll_loss(self.sm(h), y)
            """,
            """
            import torch
            import torch.nn.functional as F
            from torch import nn
            class M(nn.Module):
                def __init__(self):
                    self.sm = nn.Softmax(dim=1)
                def loss(self, h, y):
                    return F.nll_loss(torch.log_softmax(h, dim=1), y)
            """,
        ),
        Flagged(
            """
            import torch.nn.functional as F
            def f(model, x, y):
                p = F.softmax(model(x), 1)
                return F.nll_loss(p, y)
            """
        ),
    )
    clean = (
        Clean(
            """
            import torch.nn.functional as F
            loss = F.nll_loss(F.log_softmax(x, 1), y)
            """
        ),
        Clean(
            """
            import torch
            import torch.nn.functional as F
            def f(x, y):
                p = F.softmax(x, 1)
                return F.nll_loss(torch.log(p + 1e-9), y)
            """
        ),
        Clean(
            """
            import torch.nn.functional as F
            loss = F.poisson_nll_loss(F.softmax(x, 1), y)
            """
        ),
        Clean(
            """
            from torch import nn
            loss = nn.GaussianNLLLoss()(mu, y, var)
            """
        ),
        Clean(
            """
            from torch import nn
            class M(nn.Module):
                def __init__(self):
                    self.logp = nn.LogSoftmax(dim=1)
                def loss(self, h, y):
                    return nn.NLLLoss()(self.logp(h), y)
            """
        ),
        Clean(
            """
            import torch
            import torch.nn.functional as F
            logp = torch.log_softmax(out, -1)
            loss = F.nll_loss(logp, y)
            """
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        loss = self.ctx.loss(node)
        if loss is None or loss.kind != NLL:
            return
        op = patterns.softmax_fed(self.ctx, loss)
        if op is None:
            found = patterns.fed_origin(self.ctx, loss, "softmax")
            if found is not None:
                self.report(node, trace=found.steps)
            return
        message = None
        if op.module is not None and not self.ctx.axis(op)[0]:
            message = (f"`{self.ctx.short(node)}` gets probabilities, not log-probabilities;"
                       " no fix, as its `nn.Softmax` has no `dim`")
        self.report(node, message, self._fix(loss, op))

    def _fix(self, loss: Loss, op: Op) -> FixSpec | None:
        ctx = self.ctx
        assert loss.prediction is not None and op.operand is not None
        if not ctx.contains(loss.prediction, op.call) and not ctx.repeatable(op.call, loss.prediction):
            return None  # the softmax's input is computed elsewhere (`model(x)`)
        imports: tuple[InsertLine, ...] = ()
        if op.module is not None:  # `self.sm(h)` with `self.sm = nn.Softmax(dim=1)`
            known, axis = ctx.axis(op)
            operand = ctx.render(op.operand, loss.prediction)
            spelled = ctx.spelling.call("log_softmax", "torch", operand, axis=axis) \
                if known and axis is not None else None
            if spelled is None:
                return None
            code, imports = spelled
        else:
            code, imports = self._log_softmax(op, loss.prediction)
        return FixSpec(f"Replace with `{patterns.one_line(code)}`", self.applicability,
                       (Replace(loss.prediction, code), *imports))

    def _log_softmax(self, op: Op, at: cst.CSTNode) -> tuple[str, tuple[InsertLine, ...]]:
        """The softmax call, spelled the same way, calling `log_softmax`."""
        ctx, func = self.ctx, op.call.func
        if isinstance(func, cst.Attribute):
            call = op.call.with_changes(func=func.with_changes(attr=cst.Name("log_softmax")))
            return ctx.render(call, at), ()
        assert op.qualname is not None
        callee, imports = ctx.spelling.callee(op.qualname.rsplit(".", 1)[0] + ".log_softmax")
        return ctx.render(op.call.with_changes(func=cst.parse_expression(callee)), at), imports
