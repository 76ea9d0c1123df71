"""SL401 unshifted-causal-targets."""

from __future__ import annotations

import libcst as cst

from scorelint.base.findings import Applicability, FixAvailability
from scorelint.engine.narrowing import (
    DOUBLE_INDEX,
    HELPER_CALL,
    LABELS_KEYWORD,
    TARGETS_FED,
)
from scorelint.engine.rule import Clean, Flagged, Rule
from scorelint.model import origins, patterns, roles, walk
from scorelint.model import vocabulary as vocab
from scorelint.model.proposal import FixSpec, Replace

_GATHERS = frozenset({"gather", "take_along_axis", "take_along_dim"})
_REDUCTIONS = frozenset({"sum", "mean", "fsum", "nansum"})


class UnshiftedCausalTargets(Rule):
    """
    ## What it does
    Finds per-token log-probabilities of a causal language model gathered at
    the same positions as the ids the model was called on:
    `log_softmax(model(ids).logits, -1).gather(-1, ids[..., None])`,
    `np.take_along_axis(lp, ids[..., None], -1)`, `lp[t, ids[t]]` in a loop,
    `cross_entropy(logits.view(-1, V), ids.view(-1))`, with neither side
    shifted, or both sliced alike (`logits[:, :-1]` with `ids[:, :-1]`); a
    same-module helper taking `(logits, labels)` that gathers without shifting,
    called with logits and the ids they were computed on; targets shifted but
    their mask not (`ids[:, 1:]` masked by `attention_mask[:, :-1]` or by
    `labels[:, :-1] != -100`); labels shifted by hand and passed as `labels=`
    to a model that shifts them again; targets shifted twice (`labels =
    ids[:, 1:]`, then `logits[:, :-1]` gathered at `labels[:, 1:]`).

    ## Why is this bad?
    A causal LM factorizes `log Pr(y|x) = sum_i log Pr(y_i | x, y_<i)`: the
    logits at position `t` are the distribution of token `t + 1`, computed
    from tokens `0..t`. Gathering them at `ids[t]` asks "how likely is the
    token the model has just read?", which a model that can copy its input
    answers with near certainty. For a bigram toy model over 5 tokens whose
    logits at `t` put 5.0 on the token after `ids[t]` (0 elsewhere), the
    unshifted score of `[0, 1, 2]` is `-15.08` where the true
    `log Pr(1, 2 | 0)` is `-0.053`: every candidate is scored by how well the
    model echoes it, and the ranking of answers is noise.

    ## Example
    ```python
    lp = F.log_softmax(model(ids).logits, dim=-1)
    tok = lp.gather(-1, ids.unsqueeze(-1)).squeeze(-1)
    ```

    ## Use instead
    ```python
    lp = F.log_softmax(model(ids).logits[:, :-1], dim=-1)
    tok = lp.gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1)
    ```
    `scorelint.reference.token_logprobs(logits, ids, shift=True)` is the
    reference.

    ## Fix safety
    Unsafe, and offered only when neither side is sliced and the gather is
    along the last axis: the fix gathers `X[..., :-1, :]` at
    `IDX[..., 1:, :]`. The result has one position fewer (the first token has
    no prediction), so code that indexes it by position must be checked.

    ## Known limitations
    The model call must be visible in the function (or bound once in it), and
    the targets must be the ids it was called on: labels built elsewhere (a
    collator that shifts them), and `torch.roll` shifts are left alone. Slices
    compose (`ids[:, 1:][:, 1:]` is `ids[:, 2:]`); a double shift is reported
    only when one shift is written on a value that already had one, since a
    head that predicts two tokens ahead slices `[:, 2:]` on purpose.
    A model called with `labels=` shifts internally and is not reported, unless
    its labels are the inputs shifted by hand; that call is screened in only
    when its function also computes log-probs or a token loss. A mask whose
    window has another length than the targets' fails loudly at run time and
    is left alone.
    """

    code = "SL401"
    name = "unshifted-causal-targets"
    message = "`{expr}` scores each token with logits that already saw it: targets are not shifted"
    fix_title = "Gather the logits of `[..., :-1]` at the ids of `[..., 1:]`"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE
    # A helper that gathers its arguments' log_softmax is read where it is called.
    follows = ("log_softmax", "select")
    # Reported at a gather or a token loss, a sum of shifted scores (its mask), a model
    # given hand-shifted `labels=`, a helper given logits and ids, `lp[t, ids[t]]`.
    anchors = (*sorted(_GATHERS), *vocab.loss_names(vocab.CROSS_ENTROPY, vocab.NLL),
               *sorted(_REDUCTIONS), LABELS_KEYWORD, HELPER_CALL, DOUBLE_INDEX)
    # A gather or a token loss is reported only at ids its scores' model may have read.
    anchor_arguments = {name: TARGETS_FED
                        for name in (*_GATHERS, *vocab.loss_names(vocab.CROSS_ENTROPY, vocab.NLL))}
    triggers = (("gather", "take_along_axis", "take_along_dim", "cross_entropy",
                 "CrossEntropyLoss", "nll_loss", "log_softmax"),
                ("log_softmax", "softmax", "log", "cross_entropy", "CrossEntropyLoss", "nll_loss"))

    flagged = (
        Flagged(
            """
            import torch.nn.functional as F
            def score(model, ids):
                lp = F.log_softmax(model(ids).logits, dim=-1)
                return lp.gather(-1, ids.unsqueeze(-1)).squeeze(-1).sum(-1)
            """,
            """
            import torch.nn.functional as F
            def score(model, ids):
                lp = F.log_softmax(model(ids).logits, dim=-1)
                return lp[..., :-1, :].gather(-1, ids.unsqueeze(-1)[..., 1:, :]).squeeze(-1).sum(-1)
            """,
        ),
        Flagged(
            """
            import torch
            def score(model, input_ids, attention_mask):
                out = model(input_ids=input_ids, attention_mask=attention_mask)
                logprobs = torch.log_softmax(out.logits, dim=-1)
                return torch.gather(logprobs, 2, input_ids[:, :, None]).squeeze(2)
            """,
        ),
        Flagged(
            """
            import numpy as np
            from scipy.special import log_softmax
            def score(lm, ids):
                lp = log_softmax(lm(ids), axis=-1)
                return np.take_along_axis(lp, ids[..., None], axis=-1)[..., 0].sum(-1)
            """,
            """
            import numpy as np
            from scipy.special import log_softmax
            def score(lm, ids):
                lp = log_softmax(lm(ids), axis=-1)
                return np.take_along_axis(lp[..., :-1, :], ids[..., None][..., 1:, :], axis=-1)[..., 0].sum(-1)
            """,
        ),
        Flagged(
            """
            import torch.nn.functional as F
            def loss(model, ids):
                logits = model(ids).logits
                return F.cross_entropy(logits.view(-1, logits.size(-1)), ids.view(-1))
            """,
        ),
        Flagged(
            """
            import torch.nn.functional as F
            def score(model, ids):
                logits = model(ids).logits[:, :-1]
                lp = logits.log_softmax(-1)
                return lp.gather(-1, ids[:, :-1].unsqueeze(-1))
            """,
        ),
        Flagged(
            """
            import torch
            def score(model, ids):
                lp = torch.log_softmax(model(ids)[0], -1)
                total = 0.0
                for t in range(ids.shape[1]):
                    total += lp[0, t, ids[0, t]]
                return total
            """,
        ),
        Flagged(
            """
            import torch.nn as nn
            def loss(model, batch):
                ids = batch["input_ids"]
                logits = model(input_ids=ids).logits
                loss_fct = nn.CrossEntropyLoss()
                return loss_fct(logits.reshape(-1, logits.shape[-1]), ids.reshape(-1))
            """,
        ),
        Flagged(
            """
            import jax
            import jax.numpy as jnp
            def score(apply_fn, params, ids):
                logits = apply_fn(ids)
                lp = jax.nn.log_softmax(logits, axis=-1)
                return jnp.take_along_axis(lp, ids[..., None], axis=-1).sum()
            """,
            """
            import jax
            import jax.numpy as jnp
            def score(apply_fn, params, ids):
                logits = apply_fn(ids)
                lp = jax.nn.log_softmax(logits, axis=-1)
                return jnp.take_along_axis(lp[..., :-1, :], ids[..., None][..., 1:, :], axis=-1).sum()
            """,
        ),
        Flagged(
            """
            import torch
            def token_logps(logits, labels):
                return torch.log_softmax(logits, -1).gather(-1, labels[..., None]).squeeze(-1)
            def score(model, ids):
                logits = model(ids).logits
                return token_logps(logits, ids).sum(-1)
            """,
        ),
        Flagged(
            """
            import torch
            def score(model, input_ids, attention_mask):
                logits = model(input_ids, attention_mask=attention_mask).logits[:, :-1]
                tok = logits.log_softmax(-1).gather(-1, input_ids[:, 1:, None]).squeeze(-1)
                return (tok * attention_mask[:, :-1]).sum(-1)
            """,
        ),
        Flagged(
            """
            import numpy as np
            from scipy.special import log_softmax
            def score(logits, labels):
                lp = log_softmax(logits[:, :-1], axis=-1)
                tgt = labels[:, 1:]
                keep = labels[:, :-1] != -100
                tok = np.take_along_axis(lp, tgt[..., None], axis=-1)[..., 0]
                return (tok * keep).sum(-1)
            """,
        ),
        Flagged(
            """
            import torch
            def loss_and_logps(model, ids):
                out = model(ids[:, :-1], labels=ids[:, 1:])
                return out.loss, torch.log_softmax(out.logits, -1)
            """,
        ),
        Flagged(
            """
            import mlx.core as mx
            import mlx.nn as nn
            def score(model, ids):
                logits = model(ids)
                lp = nn.log_softmax(logits, axis=-1)
                return mx.take_along_axis(lp, ids[..., None], axis=-1).sum()
            """,
            """
            import mlx.core as mx
            import mlx.nn as nn
            def score(model, ids):
                logits = model(ids)
                lp = nn.log_softmax(logits, axis=-1)
                return mx.take_along_axis(lp[..., :-1, :], ids[..., None][..., 1:, :], axis=-1).sum()
            """,
        ),
        Flagged(
            """
            import torch
            def score(model, input_ids):
                labels = input_ids[:, 1:]
                lp = torch.log_softmax(model(input_ids).logits[:, :-1], -1)
                return lp.gather(-1, labels[:, 1:, None]).squeeze(-1).sum(-1)
            """,
        ),
        Flagged(
            """
            import numpy as np
            from scipy.special import log_softmax
            def score(lm, ids):
                inputs, targets = ids[:, :-1], ids[:, 1:]
                lp = log_softmax(lm(inputs), axis=-1)
                return np.take_along_axis(lp[:, :-1], targets[:, 1:, None], axis=-1)[..., 0].sum(-1)
            """,
        ),
        Flagged(
            """
            import jax
            import jax.numpy as jnp
            def score(model, ids):
                labels = ids[:, 1:]
                lp = jax.nn.log_softmax(model(ids).logits[:, :-1], axis=-1)
                return jnp.take_along_axis(lp, labels[:, 1:, None], axis=-1).sum()
            """,
        ),
        Flagged(
            """
            import mlx.core as mx
            import mlx.nn as nn
            def score(model, ids):
                targets = ids[:, 1:]
                lp = nn.log_softmax(model(ids)[:, :-1], axis=-1)
                return mx.take_along_axis(lp, targets[:, 1:, None], axis=-1).sum()
            """,
        ),
    )
    clean = (
        Clean(
            """
            import torch.nn.functional as F
            def score(model, ids):
                lp = F.log_softmax(model(ids).logits[:, :-1], dim=-1)
                return lp.gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1).sum(-1)
            """
        ),
        Clean(
            """
            import torch
            def score(model, input_ids):
                labels = input_ids[:, 1:]
                lp = torch.log_softmax(model(input_ids).logits[:, :-1], -1)
                return lp.gather(-1, labels[:, :, None]).squeeze(-1).sum(-1)
            """
        ),
        Clean(
            """
            import torch.nn.functional as F
            def loss(model, ids):
                labels = ids.clone()
                out = model(ids, labels=labels)
                logits = out.logits[:, :-1]
                return F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels[:, 1:].reshape(-1))
            """
        ),
        Clean(
            """
            import torch
            def second_head(model, ids):
                lp = torch.log_softmax(model(ids).logits[:, :-2], -1)
                return lp.gather(-1, ids[:, 2:, None]).squeeze(-1)
            """
        ),
        Clean(
            """
            import mlx.core as mx
            import mlx.nn as nn
            def score(model, ids):
                targets = ids[:, 1:]
                lp = nn.log_softmax(model(ids)[:, :-1], axis=-1)
                return mx.take_along_axis(lp, targets[..., None], axis=-1).sum()
            """
        ),
        Clean(
            """
            def loss(model, ids):
                return model(input_ids=ids, labels=ids).loss
            """
        ),
        Clean(
            """
            import torch.nn.functional as F
            def loss(model, ids):
                logits = model(ids).logits
                shift_logits = logits[..., :-1, :].contiguous()
                shift_labels = ids[..., 1:].contiguous()
                return F.cross_entropy(shift_logits.view(-1, shift_logits.size(-1)), shift_labels.view(-1))
            """
        ),
        Clean(
            """
            import torch
            def score(model, ids, k):
                lp = torch.log_softmax(model(ids).logits[:, k:-1], -1)
                return lp.gather(-1, ids[:, k + 1:, None])
            """
        ),
        Clean(
            """
            import torch
            def score(model, ids):
                lp = torch.log_softmax(model(ids)[0], -1)
                total = 0.0
                for t in range(ids.shape[1] - 1):
                    total += lp[0, t, ids[0, t + 1]]
                return total
            """
        ),
        Clean(
            """
            import torch
            def pll(mlm, masked_ids, ids):
                lp = torch.log_softmax(mlm(masked_ids).logits, -1)
                return lp.gather(-1, ids.unsqueeze(-1))
            """
        ),
        Clean(
            """
            import torch
            def score(model, prompt_ids, answer_ids):
                lp = torch.log_softmax(model(prompt_ids).logits[:, -1], -1)
                return lp.gather(-1, answer_ids[:, :1])
            """
        ),
        Clean(
            """
            import torch.nn.functional as F
            def loss(model, ids, labels):
                logits = model(ids).logits
                return F.cross_entropy(logits.view(-1, logits.size(-1)), labels.view(-1))
            """
        ),
        Clean(
            """
            import torch
            def score(model, ids):
                inputs, targets = ids[:, :-1], ids[:, 1:]
                lp = torch.log_softmax(model(ids[:, :-1]).logits, -1)
                return lp.gather(-1, ids[:, 1:, None])
            """
        ),
        Clean(
            """
            import torch
            def token_logps(logits, labels):
                return torch.log_softmax(logits, -1).gather(-1, labels[..., None]).squeeze(-1)
            def score(model, ids):
                logits = model(ids).logits
                return token_logps(logits[:, :-1], ids[:, 1:]).sum(-1)
            """
        ),
        Clean(
            """
            import torch
            def score(model, input_ids, attention_mask):
                logits = model(input_ids, attention_mask=attention_mask).logits[:, :-1]
                tok = logits.log_softmax(-1).gather(-1, input_ids[:, 1:, None]).squeeze(-1)
                return (tok * attention_mask[:, 1:]).sum(-1)
            """
        ),
        Clean(
            """
            import numpy as np
            from scipy.special import log_softmax
            def score(logits, labels):
                lp = log_softmax(logits[:, :-1], axis=-1)
                tgt = labels[:, 1:]
                keep = labels[:, 1:] != -100
                tok = np.take_along_axis(lp, tgt[..., None], axis=-1)[..., 0]
                return (tok * keep).sum(-1)
            """
        ),
        Clean(
            """
            import torch
            def loss_and_logps(model, ids):
                out = model(ids, labels=ids)
                return out.loss, torch.log_softmax(out.logits, -1)
            """
        ),
        Clean(
            """
            import mlx.core as mx
            import mlx.nn as nn
            def score(model, ids):
                logits = model(ids[:, :-1])
                lp = nn.log_softmax(logits, axis=-1)
                return mx.take_along_axis(lp, ids[:, 1:, None], axis=-1).sum()
            """
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        self._check_double_shift(node)
        self._check_helper_call(node)
        if patterns.vocab_name(node) in _REDUCTIONS:
            self._check_mask_alignment(node)
        pair = self._pair(node)
        if pair is None:
            return
        scores, targets, plain_gather = pair
        verdict = self._verdict(scores, targets)
        if verdict is None:
            return
        if verdict == "double":
            self.report(node, f"`{self.ctx.short(node)}` shifts targets that were already "
                              "shifted: each token is scored with the logits two positions "
                              "back; shift once")
            return
        fix = self._fix(node, scores, targets) if plain_gather and verdict == "plain" else None
        message = (f"`{self.ctx.short(node)}` scores each token with logits that already saw it; "
                   "gather `logits[:, :-1]` at `ids[:, 1:]`")
        self.report(node, message, fix)

    def visit_Subscript(self, node: cst.Subscript) -> None:
        """`lp[b, t, ids[b, t]]`: the log-prob of the token at the position that read it."""
        if len(node.slice) < 2 or not all(isinstance(e.slice, cst.Index) for e in node.slice):
            return
        last = node.slice[-1].slice.value  # type: ignore[union-attr]
        if not isinstance(last, cst.Subscript) or len(last.slice) != len(node.slice) - 1 \
                or not all(isinstance(e.slice, cst.Index) for e in last.slice):
            return
        code = self.ctx.code
        if [code(e.slice.value) for e in node.slice[:-1]] != [code(e.slice.value) for e in last.slice]:  # type: ignore[union-attr]
            return
        traced = patterns.trace_positions(self.ctx, node.value)
        ids = patterns.trace_positions(self.ctx, last.value)
        if traced is None or ids is None or not traced.normalized or not traced.window.full \
                or not ids.window.full:
            return
        call = patterns.model_call(self.ctx, traced.base)
        fed = self._fed(call)
        if fed is not None and fed.window.full and self.ctx.same(fed.base, ids.base):
            self.report(node, f"`{self.ctx.short(node)}` scores token `t` with the logits at "
                              "`t`, which read it; use the logits at `t - 1`")

    def _check_double_shift(self, node: cst.Call) -> None:
        """`model(ids[:, :-1], labels=ids[:, 1:])`: a model given `labels=` shifts them
        itself, so labels shifted by hand are scored two positions ahead."""
        labels = patterns.keyword(node, "labels")
        fed = patterns.model_input(node) if labels is not None else None
        if fed is None or patterns.model_call(self.ctx, node) is None:
            return
        given, read = patterns.trace_positions(self.ctx, labels), patterns.trace_positions(self.ctx, fed)
        if given is None or read is None or given.window == read.window \
                or roles._span(given.window) is None \
                or roles._span(given.window) != roles._span(read.window) \
                or not roles.same_frame(self.ctx, given.base, read.base):
            return
        self.report(node, f"`{self.ctx.short(node)}` shifts the labels by hand and the model "
                          "shifts them again; pass `labels=` aligned with the inputs")

    def _check_helper_call(self, node: cst.Call) -> None:
        """`logps(out.logits, ids)` of a same-module helper that gathers its first argument's
        log_softmax at its second without shifting: the caller passes the unshifted pair."""
        ctx = self.ctx
        args = [a.value for a in node.args if a.keyword is None and not a.star]
        if len(args) < 2 or not isinstance(node.func, (cst.Name, cst.Attribute)) \
                or ctx.op(node, follow=False) is not None or ctx.loss(node) is not None:
            return
        helper = origins._callee(ctx, node.func)
        if not isinstance(helper, cst.FunctionDef):
            return
        for scores_at, targets_at, inner_logits, inner_ids in _unshifting_pairs(ctx, helper, node):
            if max(scores_at, targets_at) >= len(args):
                continue
            logits = patterns.trace_positions(ctx, args[scores_at])
            ids = patterns.trace_positions(ctx, args[targets_at])
            if logits is None or ids is None:
                continue
            fed = self._fed(patterns.model_call(ctx, logits.base))
            if fed is None or not (ctx.same(fed.base, ids.base)
                                   or roles.same_frame(ctx, fed.base, ids.base)):
                continue
            outer = patterns.compose(logits.window, fed.window)
            scored = patterns.compose(inner_logits, outer) if outer is not None else None
            targeted = patterns.compose(inner_ids, ids.window)
            if scored is not None and scored == targeted:
                self.report(node, f"`{ctx.short(node)}` passes logits and the ids they were "
                                  f"computed on at the same positions to `{helper.name.value}`, "
                                  "which gathers without shifting")
                return

    def _check_mask_alignment(self, node: cst.Call) -> None:
        """Targets shifted (`ids[:, 1:]`) and their mask not (`mask[:, :-1]`)."""
        score = roles.sequence_score(self.ctx, node)
        if score is None or score.node is not node:
            return
        applied = roles.misaligned(self.ctx, score.tokens)
        if applied is None or not applied.mask.evidence:
            return
        self.report(applied.at, f"`{self.ctx.short(applied.at)}` masks the scores of "
                                "shifted targets with a mask that is not shifted like them")

    def _pair(self, node: cst.Call) -> tuple[cst.BaseExpression, cst.BaseExpression, bool] | None:
        """(scores, target ids, is a plain last-axis gather) of a gather or a token loss."""
        loss = self.ctx.loss(node)
        if loss is not None:
            if loss.kind not in (vocab.CROSS_ENTROPY, vocab.NLL) or loss.framework != "torch" \
                    or loss.prediction is None:
                return None
            target = patterns.keyword(node, "target") or next(
                (a.value for i, a in enumerate(a for a in node.args if a.keyword is None) if i == 1), None)
            return (loss.prediction, target, False) if target is not None else None
        return _gather_pair(self.ctx, node)

    def _fed(self, call: cst.Call | None, double: bool = False) -> patterns.Traced | None:
        """Where the ids a model read stand. A model given `labels=` or decoder ids is left
        alone, except for a double shift (its logits still stand on its input ids)."""
        if call is None or not double \
                and patterns.keyword(call, "labels", "decoder_input_ids") is not None:
            return None
        fed = patterns.model_input(call)
        return patterns.trace_positions(self.ctx, fed) if fed is not None else None

    def _verdict(self, scores: cst.BaseExpression, targets: cst.BaseExpression) -> str | None:
        """"plain" (no slices), "same" (equal slices), "double" (targets shifted by one that
        were already shifted by one: two ahead of the logits), or None (shifted, or unclear)."""
        logits = patterns.trace_positions(self.ctx, scores)
        ids = patterns.trace_positions(self.ctx, targets)
        if logits is None or ids is None:
            return None
        fed = self._fed(patterns.model_call(self.ctx, logits.base), double=True)
        if fed is None or not self.ctx.same(fed.base, ids.base):
            return None
        window = patterns.compose(logits.window, fed.window)
        if window is None:
            return None
        if window.lower.base == ids.window.lower.base == "" \
                and ids.window.lower.offset - window.lower.offset == 2 \
                and _shifts(self.ctx, targets) == [1, 1]:
            # `labels = ids[:, 1:]`, then `labels[:, 1:]`: one shift written on a value
            # that already had one (a head predicting two ahead slices `[:, 2:]` at once).
            return "double"
        if window != ids.window or self._fed(patterns.model_call(self.ctx, logits.base)) is None:
            return None
        return "plain" if window.full and logits.window.full else "same"

    def _fix(self, node: cst.Call, scores: cst.BaseExpression,
             targets: cst.BaseExpression) -> FixSpec | None:
        ctx = self.ctx
        if not (ctx.contains(node, scores) and ctx.contains(node, targets)):
            return None
        return FixSpec(self.fix_title, self.applicability, (
            Replace(scores, f"{ctx.render(scores, node)}[..., :-1, :]"),
            Replace(targets, f"{ctx.render(targets, node)}[..., 1:, :]")))


def _gather_pair(ctx, node: cst.Call) -> tuple[cst.BaseExpression, cst.BaseExpression, bool] | None:
    """(scores, index, is a plain last-axis gather) of `gather` / `take_along_axis` / ..."""
    name = patterns.vocab_name(node)
    if name not in _GATHERS:
        return None
    positional = [a.value for a in node.args if a.keyword is None and not a.star]
    if name == "gather" and isinstance(node.func, cst.Attribute) \
            and not patterns._is_module(ctx, node.func.value):  # `x.gather(dim, index)`
        index = patterns.keyword(node, "index") or (positional[1] if len(positional) > 1 else None)
        axis = patterns.keyword(node, "dim") or (positional[0] if positional else None)
        scores = node.func.value
    else:
        scores = positional[0] if positional else None
        index = patterns.keyword(node, "index", "indices") or (
            positional[-1] if name == "gather" and len(positional) > 2 else
            positional[1] if len(positional) > 1 else None)
        axis = patterns.keyword(node, "axis", "dim") or (
            positional[1] if name == "gather" and len(positional) > 2 else
            positional[2] if len(positional) > 2 else None)
    if scores is None or index is None:
        return None
    plain = axis is not None and ctx.code(axis) == "-1"
    return scores, index, plain


def _shifts(ctx, node: cst.BaseExpression) -> list[int] | None:
    """The start offsets of the time slices taken on the way back to where `node` was made
    (`labels = ids[:, 1:]`, then `labels[..., 1:]`: [1, 1]); None when one is unclear."""
    found: list[int] = []
    for _ in range(16):
        if isinstance(node, cst.Name):
            value = ctx.value(node)
            if value is None:
                break
            node = value
        elif isinstance(node, cst.Subscript) and roles._key(node) is None:
            step = patterns.time_window(ctx, node)
            if step is None or not step.full and step.lower.base != "":
                return None
            if not step.full:
                found.append(step.lower.offset)
            node = node.value
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                and node.func.attr.value in patterns._ID_CASTS | {"view", "reshape"}:
            node = node.func.value
        else:
            break
    return found




def _unshifting_pairs(ctx, helper: cst.FunctionDef, call: cst.Call
                      ) -> list[tuple[int, int, patterns.Window, patterns.Window]]:
    """(scores argument, targets argument, their windows inside `helper`) of each gather of a
    log_softmax of one parameter at another in `helper`, counted as `call` passes them."""
    params = [p.name.value for p in (*helper.params.posonly_params, *helper.params.params)]
    if isinstance(call.func, cst.Attribute) and params and params[0] in ("self", "cls"):
        params = params[1:]  # a method: `self.logps(logits, ids)` passes the rest
    cache: dict = ctx.__dict__.setdefault("_sl401_pairs", {})  # per file context and helper
    key = (id(helper), tuple(params))
    if key not in cache:
        cache[key] = _gathers_of_parameters(ctx, helper, params)
    return cache[key]


def _gathers_of_parameters(ctx, helper: cst.FunctionDef, params: list[str]
                           ) -> list[tuple[int, int, patterns.Window, patterns.Window]]:
    found = []
    stack: list[cst.CSTNode] = [helper.body]
    while stack:
        current = stack.pop()
        stack.extend(walk.children(current))
        if not isinstance(current, cst.Call) or patterns.vocab_name(current) not in _GATHERS:
            continue
        pair = _gather_pair(ctx, current)
        if pair is None:
            continue
        scores, targets = (patterns.trace_positions(ctx, v) for v in pair[:2])
        if scores is None or targets is None or not scores.normalized:
            continue
        names = [b.value if isinstance(b, cst.Name) and roles.is_parameter(ctx, b) else None
                 for b in (scores.base, targets.base)]
        if None in names or names[0] == names[1] or not set(names) <= set(params):
            continue
        found.append((params.index(names[0]), params.index(names[1]),  # type: ignore[arg-type]
                      scores.window, targets.window))
    return found
