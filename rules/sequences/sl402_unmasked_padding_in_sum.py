"""SL402 unmasked-padding-in-sum."""

from __future__ import annotations

import libcst as cst

from scorelint.base.findings import Applicability, FixAvailability
from scorelint.engine.narrowing import FILLS_ONE, PAD_IN_SCOPE
from scorelint.engine.rule import Clean, Flagged, Rule
from scorelint.model import patterns, roles
from scorelint.model import vocabulary as vocab
from scorelint.model.proposal import FixSpec, Replace
from scorelint.model.spelling import paren

_SUM_TOKENS = vocab.call_names("sum")


class UnmaskedPaddingInSum(Rule):
    """
    ## What it does
    Finds padding counted in a sequence score: per-token log-probs summed in a
    function that holds an attention / padding mask and never applies it (or
    applies it to one side of a chosen/rejected pair only); a mask applied
    inverted (`masked_fill(labels != -100, 0)`, `where(ids == pad, lp, 0)`);
    a masked mean over the padded width (`(lp * m).mean(-1)`) or a masked sum
    divided by the padded length (`shape[-1]`, `size(1)`) instead of the
    mask's count; `masked_fill(m, 1.0)` / `where(m, lp, 1)` on log-probs; a
    token cross-entropy on raw ids without an `ignore_index` other than torch's
    `-100` while the ids are padded (a pad id is in scope, or a tokenizer padded
    them) and never replaced. Per-token log-probs are followed through a scalar
    factor (`-self.beta * kl`) and into a helper's parameter when every call of
    the helper in the module passes them.

    ## Why is this bad?
    `log Pr(y|x) = sum_i log Pr(y_i | x, y_<i)` runs over the real tokens of
    `y` only. In a padded batch, position `i` past the end holds a pad id, and
    an unmasked sum adds `log Pr(pad | ...)` for every such position: a
    negative number that depends on how much padding the batch needed, not on
    the candidate. Scoring answers `[7, 3]` and `[7, 3, 5, 1]` together pads
    the first to length 4 and adds two terms of about `log(1/V)`
    (`-10.8` for `V = 50,000`), so it loses to the longer answer it beats when
    scored alone. The neutral element of a log-space sum is `0`, not `1`:
    `masked_fill(pad, 1.0)` adds `+1` per pad token. Dividing a masked sum by
    `T` instead of `mask.sum(-1)` shrinks short sequences' means toward 0.

    ## Example
    ```python
    tok = lp.gather(-1, ids[:, 1:, None]).squeeze(-1)
    score = tok.sum(-1)            # attention_mask is in scope, unused
    mean = (tok * m).sum(-1) / tok.shape[-1]
    ```

    ## Use instead
    ```python
    m = attention_mask[:, 1:]
    score = (tok * m).sum(-1)
    mean = (tok * m).sum(-1) / m.sum(-1)
    ```
    `scorelint.reference.token_logprobs(logits, ids, mask=attention_mask)` is
    the reference: padded positions come out as 0.0.

    ## Fix safety
    Unsafe: `masked_fill(m, 1.0)` becomes `masked_fill(m, 0.0)`, and a masked
    mean's padded length becomes the mask's count over the summed axis. An
    unmasked sum is reported without a fix: the mask must be shifted like the
    targets (`mask[:, 1:]`), which only the author can say.

    ## Known limitations
    A mask counts as in scope when the code shows it is one: a comparison of
    token ids with a pad id or `-100`, positions compared with lengths
    (`arange(T) < lengths[:, None]`), the `attention_mask=` of a model call,
    a mask key of a batch, a tokenizer called with `padding=`. A parameter
    merely named `mask` that the function never uses is not enough. A mask
    applied to the ids before the model call (which does not remove their
    terms) counts as applied.
    """

    code = "SL402"
    name = "unmasked-padding-in-sum"
    message = "`{expr}` sums log-probs of padding tokens: the score depends on the batch's padding"
    fix_title = "Use the neutral value `0.0` / divide by the mask's count"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE
    follows = ("log_softmax", "log")
    triggers = (("sum", "masked_fill", "where", "cross_entropy", "CrossEntropyLoss", "fsum", "mean"),
                ("log_softmax", "log", "log_sigmoid", "logsigmoid", "cross_entropy", "CrossEntropyLoss",
                 "gather", "take_along_axis", "take_along_dim"))
    # Reported at a fill, a loss, a sum, or a division by a padded length (`x.shape[-1]`).
    anchors = ("masked_fill", "masked_fill_", "where", "cross_entropy", "CrossEntropyLoss",
               "fsum", "mean", *_SUM_TOKENS)
    # A fill is reported only when it fills 1 (`_check_fill`), a loss only near a pad id.
    anchor_arguments = {"masked_fill": FILLS_ONE, "masked_fill_": FILLS_ONE, "where": FILLS_ONE,
                        "cross_entropy": PAD_IN_SCOPE, "CrossEntropyLoss": PAD_IN_SCOPE}
    divisor = ("shape", "size")

    flagged = (
        Flagged(
            """
            import torch
            def score(model, ids, attention_mask):
                lp = torch.log_softmax(model(ids, attention_mask=attention_mask).logits[:, :-1], -1)
                tok = lp.gather(-1, ids[:, 1:, None]).squeeze(-1)
                return tok.sum(-1)
            """,
        ),
        Flagged(
            """
            import numpy as np
            from scipy.special import log_softmax
            def score(logits, batch):
                mask = batch["attention_mask"]
                lp = log_softmax(logits[:, :-1], axis=-1)
                tok = np.take_along_axis(lp, batch["input_ids"][:, 1:, None], axis=-1)[..., 0]
                return tok.sum(axis=1)
            """,
        ),
        Flagged(
            """
            import torch
            def mean_logprob(lp, ids, mask):
                tok = lp.gather(-1, ids[:, 1:, None]).squeeze(-1)
                m = mask[:, 1:]
                return (tok * m).sum(-1) / tok.shape[-1]
            """,
            """
            import torch
            def mean_logprob(lp, ids, mask):
                tok = lp.gather(-1, ids[:, 1:, None]).squeeze(-1)
                m = mask[:, 1:]
                return (tok * m).sum(-1) / m.sum(-1)
            """,
        ),
        Flagged(
            """
            import torch
            def score(logits, ids, pad):
                tok = torch.log_softmax(logits, -1).gather(-1, ids[..., None]).squeeze(-1)
                tok = tok.masked_fill(pad, 1.0)
                return tok.sum(-1)
            """,
            """
            import torch
            def score(logits, ids, pad):
                tok = torch.log_softmax(logits, -1).gather(-1, ids[..., None]).squeeze(-1)
                tok = tok.masked_fill(pad, 0.0)
                return tok.sum(-1)
            """,
        ),
        Flagged(
            """
            import torch
            def score(logits, ids, attention_mask):
                tok = torch.log_softmax(logits, -1).gather(-1, ids[..., None]).squeeze(-1)
                return torch.where(attention_mask.bool(), tok, 1).sum(-1)
            """,
            """
            import torch
            def score(logits, ids, attention_mask):
                tok = torch.log_softmax(logits, -1).gather(-1, ids[..., None]).squeeze(-1)
                return torch.where(attention_mask.bool(), tok, 0.0).sum(-1)
            """,
        ),
        Flagged(
            """
            import torch.nn.functional as F
            def loss(logits, input_ids, tokenizer):
                pad_id = tokenizer.pad_token_id
                labels = input_ids.clone()
                return F.cross_entropy(logits.view(-1, logits.size(-1)), labels.view(-1))
            """,
        ),
        Flagged(
            """
            import torch.nn.functional as F
            def score(model, tokenizer, texts):
                enc = tokenizer(texts, return_tensors="pt", padding=True)
                logits = model(**enc).logits[:, :-1]
                nll = F.cross_entropy(logits.transpose(1, 2), enc.input_ids[:, 1:], reduction="none")
                return -nll.sum(-1)
            """,
        ),
        Flagged(
            """
            import torch
            def mean_logprob(tok, attention_mask):
                return (tok.log_softmax(-1).gather(-1, attention_mask.long()[..., None]) * attention_mask).sum(1) / attention_mask.size(1)
            """,
            """
            import torch
            def mean_logprob(tok, attention_mask):
                return (tok.log_softmax(-1).gather(-1, attention_mask.long()[..., None]) * attention_mask).sum(1) / attention_mask.sum(1)
            """,
        ),
        Flagged(
            """
            import torch
            def pair_logps(model, batch):
                c = model(batch["chosen_input_ids"], attention_mask=batch["chosen_attention_mask"]).logits[:, :-1]
                r = model(batch["rejected_input_ids"], attention_mask=batch["rejected_attention_mask"]).logits[:, :-1]
                c_tok = c.log_softmax(-1).gather(-1, batch["chosen_input_ids"][:, 1:, None]).squeeze(-1)
                r_tok = r.log_softmax(-1).gather(-1, batch["rejected_input_ids"][:, 1:, None]).squeeze(-1)
                chosen = (c_tok * batch["chosen_attention_mask"][:, 1:]).sum(-1)
                rejected = r_tok.sum(-1)
                return chosen - rejected
            """,
        ),
        Flagged(
            """
            import torch
            def score(logits, labels):
                tok = torch.log_softmax(logits, -1).gather(-1, labels.clamp(min=0)[..., None]).squeeze(-1)
                return tok.masked_fill(labels != -100, 0.0).sum(-1)
            """,
        ),
        Flagged(
            """
            import numpy as np
            from scipy.special import log_softmax
            def score(logits, ids, pad_id):
                tok = np.take_along_axis(log_softmax(logits, axis=-1), ids[..., None], axis=-1)[..., 0]
                return np.where(ids == pad_id, tok, 0.0).sum(-1)
            """,
        ),
        Flagged(
            """
            import torch
            def mean_logprob(logits, ids, pad_token_id):
                keep = (ids[:, 1:] != pad_token_id).float()
                tok = torch.log_softmax(logits[:, :-1], -1).gather(-1, ids[:, 1:, None]).squeeze(-1)
                return (tok * keep).mean(-1)
            """,
        ),
        Flagged(
            """
            import jax
            import jax.numpy as jnp
            def score(logits, ids, lengths):
                keep = jnp.arange(ids.shape[1])[None, :] < lengths[:, None]
                tok = jnp.take_along_axis(jax.nn.log_softmax(logits, -1), ids[..., None], -1)[..., 0]
                return tok.sum(-1) / keep.sum(-1)
            """,
        ),
        Flagged(
            """
            import mlx.core as mx
            import mlx.nn as nn
            def score(model, inputs, targets, lengths):
                logits = model(inputs)
                mask = mx.arange(targets.shape[1])[None, :] < lengths[:, None]
                ce = nn.losses.cross_entropy(logits, targets)
                return -ce.sum(axis=1), mask.sum(axis=1)
            """,
        ),
        Flagged(
            """
            import torch
            class Trainer:
                def kl_penalty(self, logits, ref_logits, ids, attention_mask):
                    lp = torch.log_softmax(logits[:, :-1], -1).gather(-1, ids[:, 1:, None]).squeeze(-1)
                    ref = torch.log_softmax(ref_logits[:, :-1], -1).gather(-1, ids[:, 1:, None]).squeeze(-1)
                    kl = lp - ref
                    return (-self.beta * kl).sum(1)
            """,
        ),
        Flagged(
            """
            import numpy as np
            from scipy.special import log_softmax
            def penalty(logits, ids, attention_mask, beta: float):
                lp = np.take_along_axis(log_softmax(logits[:, :-1], axis=-1), ids[:, 1:, None], axis=-1)[..., 0]
                return (beta * lp).sum(-1)
            """,
        ),
        Flagged(
            """
            import torch
            def sequence_logps(token_logps, attention_mask):
                return token_logps.sum(-1)
            def forward(model, batch):
                ids = batch["input_ids"]
                logits = model(ids, attention_mask=batch["attention_mask"]).logits[:, :-1]
                tok = torch.log_softmax(logits, -1).gather(-1, ids[:, 1:, None]).squeeze(-1)
                return sequence_logps(tok, batch["attention_mask"][:, 1:])
            """,
        ),
        Flagged(
            """
            import mlx.core as mx
            import mlx.nn as nn
            def total(token_lp, attention_mask):
                return token_lp.sum(axis=-1)
            def score(model, ids, attention_mask):
                lp = nn.log_softmax(model(ids)[:, :-1], axis=-1)
                return total(mx.take_along_axis(lp, ids[:, 1:, None], axis=-1)[..., 0], attention_mask[:, 1:])
            """,
        ),
        Flagged(
            """
            import torch.nn.functional as F
            def lm_loss(model, tokenizer, texts):
                enc = tokenizer(texts, padding=True, return_tensors="pt")
                logits = model(enc.input_ids).logits
                return F.cross_entropy(logits[:, :-1].flatten(0, 1), enc.input_ids[:, 1:].flatten())
            """,
        ),
        Flagged(
            """
            import torch.nn.functional as F
            IGNORE = -100
            def lm_loss(logits, input_ids, pad_token_id):
                return F.cross_entropy(logits[:, :-1].flatten(0, 1), input_ids[:, 1:].flatten(),
                                       ignore_index=IGNORE)
            """,
        ),
    )
    clean = (
        Clean(
            """
            import torch
            class Trainer:
                def kl_penalty(self, logits, ref_logits, ids, attention_mask):
                    lp = torch.log_softmax(logits[:, :-1], -1).gather(-1, ids[:, 1:, None]).squeeze(-1)
                    ref = torch.log_softmax(ref_logits[:, :-1], -1).gather(-1, ids[:, 1:, None]).squeeze(-1)
                    kl = lp - ref
                    return (-self.beta * kl * attention_mask[:, 1:]).sum(1)
            """
        ),
        Clean(
            """
            import torch
            def kl_sum(logits, ref_logits, ids, attention_mask):
                lp = torch.log_softmax(logits[:, :-1], -1).gather(-1, ids[:, 1:, None]).squeeze(-1)
                ref = torch.log_softmax(ref_logits[:, :-1], -1).gather(-1, ids[:, 1:, None]).squeeze(-1)
                return ((lp - ref) * attention_mask[:, 1:]).sum(1)
            """
        ),
        Clean(
            """
            import numpy as np
            from scipy.special import log_softmax
            def penalty(logits, ids, attention_mask, beta: float):
                lp = np.take_along_axis(log_softmax(logits[:, :-1], axis=-1), ids[:, 1:, None], axis=-1)[..., 0]
                return (beta * lp * attention_mask[:, 1:]).sum(-1)
            """
        ),
        Clean(
            """
            import torch
            def sequence_logps(token_logps, attention_mask):
                return token_logps.sum(-1)
            def forward(model, batch):
                ids = batch["input_ids"]
                m = batch["attention_mask"][:, 1:]
                logits = model(ids, attention_mask=batch["attention_mask"]).logits[:, :-1]
                tok = torch.log_softmax(logits, -1).gather(-1, ids[:, 1:, None]).squeeze(-1)
                return sequence_logps(tok * m, m)
            """
        ),
        Clean(
            """
            import torch
            def sequence_logps(token_logps, attention_mask):
                return token_logps.sum(-1)
            def forward(values, attention_mask):
                return sequence_logps(values, attention_mask)
            """
        ),
        Clean(
            """
            import torch.nn.functional as F
            def lm_loss(model, tokenizer, texts):
                enc = tokenizer(texts, padding=True, return_tensors="pt")
                skip = tokenizer.pad_token_id
                logits = model(enc.input_ids).logits
                return F.cross_entropy(logits[:, :-1].flatten(0, 1), enc.input_ids[:, 1:].flatten(),
                                       ignore_index=skip)
            """
        ),
        Clean(
            """
            import torch.nn.functional as F
            def lm_loss(model, tok, texts):
                ids = tok(texts, padding="longest", return_tensors="pt")["input_ids"]
                labels = ids.clone()
                labels[labels == tok.pad_token_id] = -100
                logits = model(ids).logits
                return F.cross_entropy(logits[:, :-1].flatten(0, 1), labels[:, 1:].flatten(),
                                       ignore_index=-100)
            """
        ),
        Clean(
            """
            import torch
            def score(model, ids, attention_mask):
                lp = torch.log_softmax(model(ids, attention_mask=attention_mask).logits[:, :-1], -1)
                tok = lp.gather(-1, ids[:, 1:, None]).squeeze(-1)
                return (tok * attention_mask[:, 1:]).sum(-1)
            """
        ),
        Clean(
            """
            import torch
            def mean_logprob(lp, ids, mask):
                tok = lp.gather(-1, ids[:, 1:, None]).squeeze(-1)
                m = mask[:, 1:]
                return (tok * m).sum(-1) / m.sum(-1)
            """
        ),
        Clean(
            """
            import torch
            def score(logits, ids, pad):
                tok = torch.log_softmax(logits, -1).gather(-1, ids[..., None]).squeeze(-1)
                return tok.masked_fill(pad, 0.0).sum(-1)
            """
        ),
        Clean(
            """
            import torch.nn.functional as F
            def loss(logits, labels, tokenizer):
                pad_id = tokenizer.pad_token_id
                return F.cross_entropy(logits.view(-1, logits.size(-1)), labels.view(-1), ignore_index=pad_id)
            """
        ),
        Clean(
            """
            import torch.nn.functional as F
            def loss(logits, labels, pad_token_id):
                labels = labels.masked_fill(labels == pad_token_id, -100)
                return F.cross_entropy(logits.view(-1, logits.size(-1)), labels.view(-1))
            """
        ),
        Clean(
            """
            import torch
            def score(model, ids):
                lp = torch.log_softmax(model(ids).logits[:, :-1], -1)
                return lp.gather(-1, ids[:, 1:, None]).squeeze(-1).sum(-1)
            """
        ),
        Clean(
            """
            import torch
            def entropy(logits, attention_mask):
                lp = torch.log_softmax(logits, -1)
                return -(lp.exp() * lp).sum(-1) * attention_mask
            """
        ),
        Clean(
            """
            import torch
            def score(logits, ids, attention_mask):
                tok = torch.log_softmax(logits, -1).gather(-1, ids[..., None]).squeeze(-1)
                return tok[attention_mask.bool()].sum()
            """
        ),
        Clean(
            """
            import torch
            def nll(logits, labels, ignore_index=-100):
                padding_mask = labels.eq(ignore_index)
                nll_loss = -torch.log_softmax(logits, -1).gather(-1, labels.clamp(min=0)[..., None])
                nll_loss.masked_fill_(padding_mask[..., None], 0.0)
                return nll_loss.sum()
            """
        ),
        Clean(
            """
            import torch
            def smoothed(logits, attention_mask, eps):
                lp = torch.log_softmax(logits, -1)
                return -eps * lp.sum(-1).mean()
            """
        ),
        Clean(
            """
            import torch
            def pair_logps(model, batch):
                c = model(batch["chosen_input_ids"], attention_mask=batch["chosen_attention_mask"]).logits[:, :-1]
                r = model(batch["rejected_input_ids"], attention_mask=batch["rejected_attention_mask"]).logits[:, :-1]
                c_tok = c.log_softmax(-1).gather(-1, batch["chosen_input_ids"][:, 1:, None]).squeeze(-1)
                r_tok = r.log_softmax(-1).gather(-1, batch["rejected_input_ids"][:, 1:, None]).squeeze(-1)
                chosen = (c_tok * batch["chosen_attention_mask"][:, 1:]).sum(-1)
                rejected = (r_tok * batch["rejected_attention_mask"][:, 1:]).sum(-1)
                return chosen - rejected
            """
        ),
        Clean(
            """
            import torch
            def score(logits, labels):
                tok = torch.log_softmax(logits, -1).gather(-1, labels.clamp(min=0)[..., None]).squeeze(-1)
                return tok.masked_fill(labels == -100, 0.0).sum(-1)
            """
        ),
        Clean(
            """
            import numpy as np
            from scipy.special import log_softmax
            def score(logits, ids, pad_id):
                tok = np.take_along_axis(log_softmax(logits, axis=-1), ids[..., None], axis=-1)[..., 0]
                return np.where(ids != pad_id, tok, 0.0).sum(-1)
            """
        ),
        Clean(
            """
            import torch
            def mean_logprob(logits, ids, pad_token_id):
                keep = (ids[:, 1:] != pad_token_id).float()
                tok = torch.log_softmax(logits[:, :-1], -1).gather(-1, ids[:, 1:, None]).squeeze(-1)
                return (tok * keep).sum(-1) / keep.sum(-1)
            """
        ),
        Clean(
            """
            import jax
            import jax.numpy as jnp
            def score(logits, ids, lengths):
                keep = jnp.arange(ids.shape[1])[None, :] < lengths[:, None]
                tok = jnp.take_along_axis(jax.nn.log_softmax(logits, -1), ids[..., None], -1)[..., 0]
                return (tok * keep).sum(-1) / keep.sum(-1)
            """
        ),
        Clean(
            """
            import mlx.core as mx
            import mlx.nn as nn
            def score(model, inputs, targets, lengths):
                logits = model(inputs)
                mask = mx.arange(targets.shape[1])[None, :] < lengths[:, None]
                ce = nn.losses.cross_entropy(logits, targets) * mask
                return -ce.sum(axis=1), mask.sum(axis=1)
            """
        ),
        Clean(
            """
            import torch
            def score(model, ids, mask):
                lp = torch.log_softmax(model(ids).logits[:, :-1], -1)
                return lp.gather(-1, ids[:, 1:, None]).squeeze(-1).sum(-1)
            """
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        name = patterns.vocab_name(node)
        if name in ("masked_fill", "masked_fill_", "where"):
            self._check_fill(node, name)
        elif self.ctx.loss(node) is not None:
            self._check_loss(node)
        elif name in _SUM_TOKENS or name == "mean":
            self._check_reduction(node)

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        """`(lp * m).sum(-1) / lp.shape[-1]`: a masked sum divided by the padded length."""
        if not isinstance(node.operator, cst.Divide):
            return
        length = roles.length_role(self.ctx, node.right)
        if length is None or length.unit != "padded":
            return
        score = roles.sequence_score(self.ctx, node)
        if score is None or score.divisor is not node.right or score.length is None \
                or score.length.unit != "padded" or score.reduction != "sum":
            return
        applied = [a for a in score.tokens.applied if not a.inverted and a.how != roles.SELECT]
        if not applied:
            return
        fix = None
        mask, axis = applied[0].expr, _axis(self.ctx, score.node)
        if mask is not None and axis is not None and self.ctx.copyable(node, mask):
            code = f"{paren(self.ctx.render(mask, node))}.sum({axis})"
            fix = FixSpec(f"Divide by `{code}`", self.applicability, (Replace(node.right, code),))
        self.report(node, f"`{self.ctx.short(node)}` divides a masked sum by the padded length; "
                          "divide by the mask's count", fix)

    def _check_reduction(self, node: cst.Call) -> None:
        ctx = self.ctx
        score = roles.sequence_score(ctx, node)
        if score is None or score.node is not node \
                or score.tokens.kind != roles.TOKEN_LOGPROBS:
            return
        tokens = score.tokens
        inverted = next((a for a in tokens.applied if a.inverted and a.mask.evidence), None)
        if inverted is not None:
            self.report(node, f"`{ctx.short(node)}` applies `{ctx.short(inverted.at, 40)}`, which "
                              f"keeps the padding and drops the real tokens ({inverted.mask.why})")
            return
        if tokens.masked:
            op = ctx.op(node, follow=False)
            widths = [a for a in tokens.applied if a.mask.evidence and not a.inverted]
            if score.reduction == "mean" and op is not None and op.axis is not None and widths \
                    and not any(a.how == roles.SELECT for a in tokens.applied):
                self.report(node, f"`{ctx.short(node)}` averages masked log-probs over the padded "
                                  "width; divide the masked sum by the mask's count")
            return
        masks = roles.masks_in_scope(ctx, node)
        if not masks or _mask_used_on(ctx, node) or _masked_in_place(ctx, node, tokens.names):
            return
        other = "; another sum here applies one" if _masked_sibling(ctx, node) else ""
        named = list(dict.fromkeys(m.why for m in masks))[:2]
        verb = "averages" if score.reduction == "mean" else "sums"
        shifted = tokens.target_positions is not None and not tokens.target_positions.window.full
        align = "shifted like the targets" if shifted else "aligned with these log-probs"
        self.report(node, f"`{ctx.short(node)}` {verb} per-token log-probs of padding too while "
                          f"a mask is in scope ({'; '.join(named)}){other}; "
                          f"multiply by the mask {align} first")

    def _check_fill(self, node: cst.Call, name: str) -> None:
        args = [a.value for a in node.args if a.keyword is None and not a.star]
        if name == "where":
            if len(args) != 3 or not _is_one(args[2]) or not _logprobs(self.ctx, args[1]):
                return
            fill = args[2]
        else:
            if len(args) != 2 or not _is_one(args[1]) or not isinstance(node.func, cst.Attribute) \
                    or not _logprobs(self.ctx, node.func.value):
                return
            fill = args[1]
        fix = FixSpec("Fill with `0.0`, the neutral value of a log-space sum", self.applicability,
                      (Replace(fill, "0.0"),))
        self.report(node, f"`{self.ctx.short(node)}` fills log-probs with 1, which adds +1 per "
                          "padding token; the neutral value in log space is 0", fix)

    def _check_loss(self, node: cst.Call) -> None:
        loss = self.ctx.loss(node)
        assert loss is not None
        if loss.kind != vocab.CROSS_ENTROPY or loss.framework != "torch":
            return
        ignore = patterns.keyword(node, "ignore_index") or (
            patterns.keyword(loss.module, "ignore_index") if loss.module is not None else None)
        if ignore is not None and not _is_default_ignore(self.ctx, ignore):
            return  # ignoring a pad id (or a value we cannot read)
        reduction = patterns.keyword(node, "reduction") or (
            patterns.keyword(loss.module, "reduction") if loss.module is not None else None)
        if isinstance(reduction, cst.SimpleString) and reduction.evaluated_value == "none":
            return  # per-token losses: judged where they are summed
        home = self.ctx.flow.home(node)
        # The targets must be the padded token ids themselves (`labels = input_ids.clone()`):
        # labels passed in follow the `-100` convention of the data collator.
        positional = [a.value for a in node.args if a.keyword is None]
        target = patterns.keyword(node, "target") or (positional[1] if len(positional) > 1 else None)
        found = roles.ids_role(self.ctx, target) if target is not None else None
        if home is None or found is None or found.kind != roles.IDS or _writes_ignore(self.ctx, home):
            return
        padded = _padded_by_tokenizer(self.ctx, target)  # type: ignore[arg-type]
        if not padded and not _reads_pad_id(self.ctx, home):
            return
        why = "a tokenizer padded these ids" if padded else "a pad id is in scope"
        given = "only `-100` is ignored" if ignore is not None else "no `ignore_index` is given"
        self.report(node, f"`{self.ctx.short(node)}` counts padding labels in the loss: {why} "
                          f"and {given}")


def _logprobs(ctx, node: cst.BaseExpression) -> bool:
    found = roles.token_scores(ctx, node)
    return found is not None and found.kind == roles.TOKEN_LOGPROBS


def _axis(ctx, node: cst.CSTNode) -> str | None:
    op = ctx.op(node, follow=False) if isinstance(node, cst.Call) else None
    return ctx.code(op.axis) if op is not None and op.axis is not None else None


def _is_one(node: cst.BaseExpression) -> bool:
    return isinstance(node, (cst.Integer, cst.Float)) and float(node.evaluated_value) == 1.0


def _mask_used_on(ctx, node: cst.Call) -> bool:
    """Is a mask applied to the sum's result (`tok.sum(-1) * mask`)?"""
    parents = iter(ctx.flow.ancestors(node))
    parent = next(parents, None)
    return isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, cst.Multiply) \
        and any(roles.mask_role(ctx, side) is not None for side in (parent.left, parent.right))


def _masked_sibling(ctx, node: cst.Call) -> bool:
    """Another reduction of masked log-probs in the same function (the chosen side of a
    chosen/rejected pair when this is the rejected one, or a masked mean beside it)."""
    home = ctx.flow.home(node)
    for current in ctx.flow.nodes_under(home) if home is not None else ():
        if current is node or not isinstance(current, cst.Call) \
                or patterns.vocab_name(current) not in (*_SUM_TOKENS, "mean"):
            continue
        score = roles.sequence_score(ctx, current)
        if score is not None and score.node is current and score.tokens.applied:
            return True
    return False


_IN_PLACE = frozenset({"masked_fill_", "mul_", "masked_scatter_", "zero_", "fill_", "where_"})


def _masked_in_place(ctx, node: cst.Call, names: tuple[str, ...]) -> bool:
    """`lp.masked_fill_(pad, 0.0)`, `lp *= mask`, `lp[pad] = 0` in the function: a name the
    summed values were bound to is masked by a statement of its own."""
    home = ctx.flow.home(node)
    if home is None or not names:
        return False
    for current in ctx.flow.nodes_under(home):
        if isinstance(current, cst.Call) and isinstance(current.func, cst.Attribute) \
                and current.func.attr.value in _IN_PLACE \
                and isinstance(current.func.value, cst.Name) and current.func.value.value in names:
            return True
        if isinstance(current, cst.AugAssign) and isinstance(current.operator, cst.MultiplyAssign) \
                and isinstance(current.target, cst.Name) and current.target.value in names:
            return True
        if isinstance(current, cst.AssignTarget) and isinstance(current.target, cst.Subscript) \
                and isinstance(current.target.value, cst.Name) and current.target.value.value in names:
            return True
    return False


def _reads_pad_id(ctx, home: cst.CSTNode) -> bool:
    for current in ctx.flow.nodes_under(home):
        name = current.value if isinstance(current, cst.Name) else \
            current.attr.value if isinstance(current, cst.Attribute) else None
        if name and patterns.PAD_NAME.search(name):
            return True
    return False


def _writes_ignore(ctx, home: cst.CSTNode) -> bool:
    """Labels rewritten to an ignore value (`-100`, `IGNORE_INDEX`) somewhere in the function:
    the value `-100` written out, or a name bound to it (or to an unknown ignore value)
    passed or assigned; a name merely read in an `ignore_index=` does not write it."""
    nodes = ctx.flow.nodes_under(home)
    read = {id(n.value) for n in nodes if isinstance(n, cst.Arg) and n.keyword is not None
            and n.keyword.value == "ignore_index"}
    for current in nodes:
        if isinstance(current, cst.UnaryOperation) and isinstance(current.expression, cst.Integer) \
                and current.expression.evaluated_value == 100 and id(current) not in read:
            return True
        if isinstance(current, cst.Arg) and id(current.value) in read:
            continue
        values = [current.value] if isinstance(current, cst.Arg) else \
            [current.value] if isinstance(current, cst.Assign) and current.value is not None \
            and any(isinstance(t.target, cst.Subscript) for t in current.targets) else []
        if any(isinstance(v, cst.Name) and "ignore" in v.value.lower() for v in values):
            return True
    return False


def _is_default_ignore(ctx, node: cst.BaseExpression) -> bool:
    """`ignore_index=-100` (torch's default), written out or through a name bound to it."""
    value = ctx.resolve(node)
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus) \
            and isinstance(value.expression, cst.Integer):
        return value.expression.evaluated_value == 100
    return False


def _padded_by_tokenizer(ctx, target: cst.BaseExpression) -> bool:
    """Ids a tokenizer returned padded (`tok(texts, padding=True)["input_ids"]`)."""
    traced = patterns.trace_positions(ctx, target)
    node = traced.base if traced is not None else target
    for _ in range(6):
        if isinstance(node, cst.Attribute) and node.attr.value == "input_ids" \
                or isinstance(node, cst.Subscript) and roles._key(node) == "input_ids":
            node = node.value
        elif isinstance(node, cst.Name) and ctx.value(node) is not None:
            node = ctx.value(node)
        else:
            break
    padding = patterns.keyword(node, "padding") if isinstance(node, cst.Call) else None
    return padding is not None and not (isinstance(padding, cst.Name)
                                        and padding.value in ("False", "None"))
