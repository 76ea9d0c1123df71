"""SL403 length-biased-comparison."""

from __future__ import annotations

import libcst as cst

from scorelint.engine.narrowing import COMPARED
from scorelint.engine.rule import Clean, Flagged, Rule
from scorelint.model import patterns, roles
from scorelint.model.context import FileContext

_ORDER = (cst.GreaterThan, cst.LessThan, cst.GreaterThanEqual, cst.LessThanEqual)


class LengthBiasedComparison(Rule):
    """
    ## What it does
    Finds candidates chosen by their raw summed log-probabilities when they can
    differ in length: `max`, `min`, `sorted`, `argmax`, `argsort`, `topk` or a
    running `if score > best` over per-candidate sums (directly, through a
    `key=` lambda or function, in `(score, cand)` tuples, or as a list of a
    helper's returns), or over masked sums of a padded batch.

    ## Why is this bad?
    `log Pr(y|x) = sum_i log Pr(y_i | x, y_<i)` adds one negative term per
    token, so it falls with length whatever the quality: an answer of 2 tokens
    at `log p = -1.0` each scores `-2.0` and beats an answer of 8 tokens at
    `-0.3` each (`-2.4`), though the model prefers every token of the longer
    one. Evaluation harnesses report a length-normalized accuracy beside the
    raw one for this reason; rerankers and best-of-n samplers that rank raw
    sums systematically pick the shortest reply.

    ## Example
    ```python
    best = max(candidates, key=lambda c: logprobs(c).sum())
    ```

    ## Use instead
    ```python
    best = max(candidates, key=lambda c: logprobs(c).sum() / len(c))
    ```
    or `scorelint.reference.length_normalized(total, n, method="mean" | "gnmt")`
    (per token, or the GNMT penalty `((5 + n) / 6) ** alpha`), with `n` the
    token count, or the byte / character length of the answer as
    `reference.text_length` gives it (lm-eval's `acc_norm`).

    ## Fix safety
    No fix: which length to divide by (tokens, bytes, characters, a penalty)
    is a modelling choice the author makes.

    ## Known limitations
    Candidates ranked in one unmasked batch row are not reported (they may
    share one length; SL402 reports the padding). Beam-search cumulative
    scores compared across finished hypotheses of different lengths are not
    followed. A length-normalized sibling computed in the same function (as
    lm-eval computes `acc_norm` beside `acc`) silences the raw comparison.
    """

    code = "SL403"
    name = "length-biased-comparison"
    message = "`{expr}` ranks candidates by summed log-probs, which favours the shortest"
    follows = ("sum", "log_softmax", "log")
    anchors = (*sorted(patterns.RANKERS), COMPARED)  # reported where the scores are ranked
    triggers = (("sum", "fsum", "+", "+="),
                ("log_softmax", "log", "log_sigmoid", "logsigmoid", "cross_entropy", "CrossEntropyLoss"))

    flagged = (
        Flagged(
            """
            import numpy as np
            from scipy.special import log_softmax
            def choose(logits_per_answer, answers):
                scores = []
                for logits, ids in zip(logits_per_answer, answers):
                    lp = log_softmax(logits, axis=-1)
                    scores.append(np.take_along_axis(lp, ids[:, None], axis=-1).sum())
                return int(np.argmax(scores))
            """,
        ),
        Flagged(
            """
            import torch
            def tokens_logprob(model, ids):
                lp = torch.log_softmax(model(ids).logits[:, :-1], -1)
                return lp.gather(-1, ids[:, 1:, None]).sum().item()
            def rerank(model, candidates):
                return max(candidates, key=lambda ids: tokens_logprob(model, ids))
            """,
        ),
        Flagged(
            """
            import torch
            def score(model, ids):
                lp = torch.log_softmax(model(ids).logits[:, :-1], -1)
                return lp.gather(-1, ids[:, 1:, None]).sum()
            def best_of_n(model, samples):
                return sorted(samples, key=lambda s: score(model, s), reverse=True)[0]
            """,
        ),
        Flagged(
            """
            import torch
            def pick(lp, ids, mask):
                tok = lp.log_softmax(-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
                total = (tok * mask[:, 1:]).sum(-1)
                return total.argmax()
            """,
        ),
        Flagged(
            """
            import math
            def best(cands, lps):
                ranked = sorted((sum(math.log(p) for p in lps[c]), c) for c in cands)
                return ranked[-1][1]
            """,
        ),
        Flagged(
            """
            import numpy as np
            def best(cands, logprob_tables):
                best_score, best = -np.inf, None
                for cand, table in zip(cands, logprob_tables):
                    s = 0.0
                    for t, tok in enumerate(cand):
                        s += np.log(table[t, tok])
                    if s > best_score:
                        best_score, best = s, cand
                return best
            """,
        ),
        Flagged(
            """
            import torch
            def top(lp, ids, attention_mask, k):
                tok = torch.log_softmax(lp, -1).gather(-1, ids[..., None]).squeeze(-1)
                seq = (tok * attention_mask).sum(dim=1)
                return torch.topk(seq, k).indices
            """,
        ),
        Flagged(
            """
            import torch
            def score(model, ids):
                lp = torch.log_softmax(model(ids).logits[:, :-1], -1)
                return lp.gather(-1, ids[:, 1:, None]).sum()
            def choose(model, a, b):
                return a if score(model, a) > score(model, b) else b
            """,
        ),
        Flagged(
            """
            import jax
            import jax.numpy as jnp
            def rerank(apply_fn, params, candidates):
                def score(ids):
                    lp = jax.nn.log_softmax(apply_fn(params, ids[None, :-1])[0], axis=-1)
                    return jnp.take_along_axis(lp, ids[1:, None], axis=-1).sum()
                return max(candidates, key=score)
            """,
        ),
        Flagged(
            """
            import mlx.core as mx
            import mlx.nn as nn
            def best(model, prompt, replies):
                totals = []
                for reply in replies:
                    logits = model(mx.concatenate([prompt, reply])[None])[0, len(prompt) - 1:-1]
                    totals.append(-nn.losses.cross_entropy(logits, reply).sum())
                return replies[int(mx.argmax(mx.array(totals)))]
            """,
        ),
    )
    clean = (
        Clean(
            """
            import numpy as np
            from scipy.special import log_softmax
            def choose(logits_per_answer, answers):
                scores = []
                for logits, ids in zip(logits_per_answer, answers):
                    lp = log_softmax(logits, axis=-1)
                    scores.append(np.take_along_axis(lp, ids[:, None], axis=-1).sum() / len(ids))
                return int(np.argmax(scores))
            """
        ),
        Clean(
            """
            import torch
            def score(model, ids, alpha=0.6):
                lp = torch.log_softmax(model(ids).logits[:, :-1], -1)
                n = ids.shape[1] - 1
                return lp.gather(-1, ids[:, 1:, None]).sum() / ((5 + n) / 6) ** alpha
            def rerank(model, candidates):
                return max(candidates, key=lambda ids: score(model, ids))
            """
        ),
        Clean(
            """
            import torch
            def pick(lp, ids, mask):
                tok = lp.log_softmax(-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
                m = mask[:, 1:]
                return ((tok * m).sum(-1) / m.sum(-1)).argmax()
            """
        ),
        Clean(
            """
            import torch
            def choose(model, prompt_ids, choice_ids):
                lp = torch.log_softmax(model(prompt_ids).logits[0, -1], -1)
                return max(choice_ids, key=lambda tok: lp[tok])
            """
        ),
        Clean(
            """
            import numpy as np
            def metrics(lls, completion_len, gold):
                lls = np.array(lls)
                acc = float(np.argmax(lls) == gold)
                acc_norm = float(np.argmax(lls / completion_len) == gold)
                return acc, acc_norm
            """
        ),
        Clean(
            """
            import torch
            def pick(lp, ids):
                tok = lp.log_softmax(-1).gather(-1, ids[..., None]).squeeze(-1)
                return tok.sum(-1).argmax()
            """
        ),
        Clean(
            """
            import numpy as np
            def show(cands, logprobs):
                for c, lp in zip(cands, logprobs):
                    print(c, np.sum(lp))
                return max(cands, key=len)
            """
        ),
        Clean(
            """
            import torch
            def score(model, ids):
                lp = torch.log_softmax(model(ids).logits[:, :-1], -1)
                return lp.gather(-1, ids[:, 1:, None]).mean()
            def rerank(model, candidates):
                return sorted(candidates, key=lambda ids: score(model, ids))
            """
        ),
        Clean(
            """
            import jax
            import jax.numpy as jnp
            def rerank(apply_fn, params, candidates):
                def score(ids):
                    lp = jax.nn.log_softmax(apply_fn(params, ids[None, :-1])[0], axis=-1)
                    return jnp.take_along_axis(lp, ids[1:, None], axis=-1).mean()
                return max(candidates, key=score)
            """
        ),
        Clean(
            """
            import mlx.core as mx
            import mlx.nn as nn
            def best(model, prompt, replies):
                totals = []
                for reply in replies:
                    logits = model(mx.concatenate([prompt, reply])[None])[0, len(prompt) - 1:-1]
                    totals.append(-nn.losses.cross_entropy(logits, reply).sum() / len(reply))
                return replies[int(mx.argmax(mx.array(totals)))]
            """
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        ranked = patterns.ranked_values(ctx, node)
        many = len(ranked) > 1
        for item in ranked:
            summed = raw_sum(ctx, item.value)
            if summed is None or not (item.per_candidate or many or summed.tokens.masked):
                continue
            container = _container(node)
            if container is not None and patterns.normalized_sibling(ctx, node, container):
                return
            self.report(node, f"`{ctx.short(node)}` ranks candidates by summed log-probs, "
                              "which favours the shortest; divide by the length "
                              "(`scorelint.reference.length_normalized`)")
            return

    def visit_Comparison(self, node: cst.Comparison) -> None:
        """`if s > best_score:` in a loop over candidates, or `score(a) > score(b)`."""
        if len(node.comparisons) != 1 or not isinstance(node.comparisons[0].operator, _ORDER):
            return
        left, right = node.left, node.comparisons[0].comparator
        sides = [raw_sum(self.ctx, s) for s in (left, right)]
        if all(sides):
            pass
        elif any(sides) and isinstance(right if sides[0] else left, cst.Name) and any(
                isinstance(a, (cst.For, cst.While)) for a in self.ctx.flow.ancestors(node)):
            pass
        else:
            return
        self.report(node, f"`{self.ctx.short(node)}` compares candidates by summed log-probs, "
                          "which favours the shortest; compare per-token means")


def raw_sum(ctx: FileContext, node: cst.BaseExpression) -> roles.SequenceScore | None:
    """A sequence score that is a raw sum of per-token log-probs: no mean, no division."""
    score = roles.sequence_score(ctx, node)
    if score is None or score.normalized or score.tokens.kind != roles.TOKEN_LOGPROBS:
        return None
    return score


def _container(call: cst.Call) -> cst.BaseExpression | None:
    """The argument holding the ranked values (`lls` in `np.argmax(lls)`)."""
    if isinstance(call.func, cst.Attribute) and not call.args:
        return call.func.value
    return next((a.value for a in call.args if a.keyword is None), None)
