"""SL404 logits-as-log-probs."""

from __future__ import annotations

import libcst as cst

from scorelint.engine.rule import Clean, Flagged, Rule
from scorelint.model import roles

_REDUCTIONS = frozenset({"sum", "fsum", "mean"})


class LogitsAsLogProbs(Rule):
    """
    ## What it does
    Finds raw logits gathered at a sequence's token ids and summed (or
    averaged) into a sequence score with no `log_softmax` on the way:
    `out.logits.gather(-1, ids[..., None]).sum(-1)`,
    `np.take_along_axis(logits, ids[:, None], -1).sum()`, a `total +=
    jnp.take(logits[t], ids[t + 1])` loop. The logits must be seen to be logits: the
    `.logits` / `["logits"]` of a model's output, or a model's output that the
    same function also feeds to a softmax, a log_softmax or a cross-entropy.

    ## Why is this bad?
    `log Pr(y|x) = sum_i log Pr(y_i | x, y_<i)`, and
    `log Pr(y_i | ...) = z_i[y_i] - logsumexp(z_i)`: each position has its own
    normalizer `logsumexp(z_i)`. Summing `z_i[y_i]` drops it, and it differs
    from position to position and from reply to reply, so the sum measures
    how large the logits happen to be, not how likely the tokens are. A reply
    whose one token has logit `12.0` in a flat row (`logsumexp = 17.0`,
    probability `0.007`) outscores a reply whose two tokens have logits `4.0`
    in peaked rows (probability `0.95` each): `12.0 > 8.0`, while the
    log-probabilities say `-5.0 < -0.10`. Argmax over one position's logits
    is fine (one shared normalizer); a sum across positions is not.

    ## Example
    ```python
    logits = model(ids).logits[:, :-1]
    score = logits.gather(-1, ids[:, 1:, None]).squeeze(-1).sum(-1)
    ```

    ## Use instead
    ```python
    lp = model(ids).logits[:, :-1].log_softmax(-1)
    score = lp.gather(-1, ids[:, 1:, None]).squeeze(-1).sum(-1)
    ```
    `scorelint.reference.sequence_logprob(logits, ids, shift=True, mask=m)`
    is the reference.

    ## Fix safety
    No fix: the `log_softmax` belongs where the logits are made, over the
    vocabulary axis, which may be in another statement or function.

    ## Known limitations
    Logits known only by a name (`def score(logits, ids)`) are not reported:
    the caller may pass log-probs under that name. A loop that indexes the
    logits (`total += logits[t, ids[t + 1]]`) with no gather or `take` call in
    the function is not screened in. A sum of logits subtracted
    by their `logsumexp` is log-probs by hand and is left alone.
    """

    code = "SL404"
    name = "logits-as-log-probs"
    message = "`{expr}` sums raw logits gathered at the tokens as if they were log-probs"
    triggers = (("sum", "fsum", "mean", "+", "+="),
                ("gather", "take_along_axis", "take_along_dim", "take"))
    anchors = ("sum", "fsum", "mean", "+=")
    follows = ("select",)  # a helper returning gathered logits is read where it is summed

    flagged = (
        Flagged(
            """
            import torch
            def score(model, ids):
                logits = model(ids).logits[:, :-1]
                return logits.gather(-1, ids[:, 1:, None]).squeeze(-1).sum(-1)
            """,
        ),
        Flagged(
            """
            import numpy as np
            def score(session, ids):
                logits = session.run(ids)["logits"]
                tok = np.take_along_axis(logits[:-1], ids[1:, None], axis=-1)[:, 0]
                return tok.sum()
            """,
        ),
        Flagged(
            """
            import jax.numpy as jnp
            def score(apply_fn, params, ids):
                logits = apply_fn(params, ids[None]).logits[0]
                total = 0.0
                for t in range(len(ids) - 1):
                    total += jnp.take(logits[t], ids[t + 1])
                return total
            """,
        ),
        Flagged(
            """
            import mlx.core as mx
            def score(model, prompt, reply):
                logits = model(mx.concatenate([prompt, reply])[None])[0]
                next_probs = mx.softmax(logits[-1], axis=-1)
                tok = mx.take_along_axis(logits[len(prompt) - 1:-1], reply[:, None], axis=-1)
                return tok.sum(), next_probs
            """,
        ),
        Flagged(
            """
            import torch
            def mean_score(model, batch):
                out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
                m = batch["attention_mask"][:, 1:]
                tok = torch.gather(out.logits[:, :-1], 2, batch["input_ids"][:, 1:, None]).squeeze(2)
                return (tok * m).sum(-1) / m.sum(-1)
            """,
        ),
    )
    clean = (
        Clean(
            """
            import torch
            def score(model, ids):
                lp = model(ids).logits[:, :-1].log_softmax(-1)
                return lp.gather(-1, ids[:, 1:, None]).squeeze(-1).sum(-1)
            """
        ),
        Clean(
            """
            import numpy as np
            from scipy.special import log_softmax
            def score(session, ids):
                lp = log_softmax(session.run(ids)["logits"][:-1], axis=-1)
                tok = np.take_along_axis(lp, ids[1:, None], axis=-1)[:, 0]
                return tok.sum()
            """
        ),
        Clean(
            """
            import jax
            import jax.numpy as jnp
            def score(apply_fn, params, ids):
                lp = jax.nn.log_softmax(apply_fn(params, ids[None]).logits[0], axis=-1)
                total = 0.0
                for t in range(len(ids) - 1):
                    total += jnp.take(lp[t], ids[t + 1])
                return total
            """
        ),
        Clean(
            """
            import mlx.core as mx
            import mlx.nn as nn
            def score(model, prompt, reply):
                logits = model(mx.concatenate([prompt, reply])[None])[0]
                lp = nn.log_softmax(logits[len(prompt) - 1:-1], axis=-1)
                return mx.take_along_axis(lp, reply[:, None], axis=-1).sum()
            """
        ),
        Clean(
            """
            import torch
            def score(model, ids):
                logits = model(ids).logits[:, :-1]
                tok = logits.gather(-1, ids[:, 1:, None]).squeeze(-1) - logits.logsumexp(-1)
                return tok.sum(-1)
            """
        ),
        Clean(
            """
            import torch
            def choose(model, prompt_ids, choice_ids):
                last = model(prompt_ids).logits[:, -1]
                return last.gather(-1, choice_ids).argmax(-1)
            """
        ),
        Clean(
            """
            def score(logits, ids):
                return logits.gather(-1, ids[:, 1:, None]).sum()
            """
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        op = self.ctx.op(node, follow=False)
        if op is None or op.kind not in _REDUCTIONS or op.operand is None:
            return
        score = roles.sequence_score(self.ctx, node)
        if score is not None and score.node is node:
            self._check(node, score.tokens)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        """`total += logits[t, ids[t + 1]]` in a loop over positions."""
        if not isinstance(node.operator, cst.AddAssign) or not any(
                isinstance(a, (cst.For, cst.While)) for a in self.ctx.flow.ancestors(node)):
            return
        tokens = roles.token_scores(self.ctx, node.value, per_token=True)
        if tokens is not None:
            self._check(node, tokens)

    def _check(self, node: cst.CSTNode, tokens: roles.TokenScores) -> None:
        logits = tokens.logits
        if tokens.kind != roles.TOKEN_LOGITS or logits is None:
            return
        if not logits.evidence and not roles.consumed_as_logits(self.ctx, logits):
            return  # a name, or a model that may return log-probs
        self.report(node, f"`{self.ctx.short(node)}` sums raw logits gathered at the tokens as "
                          "log-probs; take `log_softmax` over the vocabulary first")
