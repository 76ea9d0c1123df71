"""SL202 probability-space-sequence-score."""

from __future__ import annotations

import libcst as cst

from scorelint.engine.narrowing import COMPARED
from scorelint.engine.rule import Clean, Flagged, Rule
from scorelint.model import origins, patterns, roles
from scorelint.model.context import FileContext
from scorelint.model.dataflow import AUGMENT

_ORDER = (cst.GreaterThan, cst.LessThan, cst.GreaterThanEqual, cst.LessThanEqual)
_PROBABILITY_KINDS = ("softmax", "sigmoid", "exp")


class ProbabilitySpaceSequenceScore(Rule):
    """
    ## What it does
    Finds a sequence score kept in probability space, a product of token
    probabilities (`np.prod(p)`, `math.prod(...)`, `p.cumprod(-1)[:, -1]`,
    `reduce(operator.mul, ps)`, `score *= p[t]` in a loop) or
    `exp(sum(logp))`, that is then compared, ranked, `max`-ed, sorted, rooted
    into a geometric mean (`prod(p) ** (1 / n)`), or logged at the end
    (`log(cumprod(p)[-1])`; `log(prod(p))` is SL201's).

    ## Why is this bad?
    `Pr(y|x) = prod_i Pr(y_i | x, y_<i)` underflows: 200 tokens at
    probability 0.02 each multiply to `1e-340`, below float64's smallest
    subnormal (`4.9e-324`), so it is exactly `0.0`; in float32 the floor is
    `1.4e-45`, about 27 such tokens. Every long candidate then ties at 0.0,
    `max` returns the first one, and `prod(p) ** (1 / n)` is `0.0` where the
    geometric mean is `0.02`. The log-probabilities `sum_i log Pr(y_i | ...)`
    (`-782.4` here) order candidates exactly as the products would, without
    the underflow.

    ## Example
    ```python
    best = max(cands, key=lambda c: np.prod(probs(c)))
    gmean = np.prod(p) ** (1 / len(p))
    ```

    ## Use instead
    ```python
    best = max(cands, key=lambda c: np.sum(np.log(probs(c))))
    gmean = np.exp(np.mean(np.log(p)))   # or compare np.mean(np.log(p)) itself
    ```

    ## Fix safety
    No fix: the comparison has to move to log space where the score is made,
    which may be in another function. `exp` for display (`print`, f-strings,
    logging) is not reported.

    ## Known limitations
    The probabilities must come from a softmax, sigmoid or `exp` the data flow
    can see (through names, selections and same-module helpers); a product of
    probabilities read from a file is not recognized.
    """

    code = "SL202"
    name = "probability-space-sequence-score"
    message = "`{expr}` ranks sequences by a product of probabilities, which underflows to 0.0"
    follows = ("prod", "exp")
    # Reported where the product is ranked, compared, rooted (`** (1 / n)`) or logged.
    anchors = (*sorted(patterns.RANKERS), "log", "**", COMPARED)
    triggers = (("prod", "exp", "*=", "reduce_prod", "cumprod", "reduce"),
                ("softmax", "log_softmax", "log", "sigmoid", "exp", "cross_entropy"))

    flagged = (
        Flagged(
            """
            import numpy as np
            from scipy.special import softmax
            def seq_prob(logits, ids):
                p = softmax(logits, axis=-1)
                return np.prod(p[np.arange(len(ids)), ids])
            def best(cands):
                return max(cands, key=lambda c: seq_prob(*c))
            """,
        ),
        Flagged(
            """
            import torch
            def rank(lp, ids):
                tok = torch.log_softmax(lp, -1).gather(-1, ids[..., None]).squeeze(-1)
                return torch.exp(tok.sum(-1)).argsort(descending=True)
            """,
        ),
        Flagged(
            """
            import numpy as np
            from scipy.special import softmax
            def gmean(logits, ids):
                p = softmax(logits, axis=-1)[np.arange(len(ids)), ids]
                return np.prod(p) ** (1 / len(ids))
            """,
        ),
        Flagged(
            """
            import math
            import numpy as np
            def pick(cands, logits):
                scores = []
                for c in cands:
                    prob = 1.0
                    for t, tok in enumerate(c):
                        prob *= math.exp(logits[t][tok] - np.logaddexp.reduce(logits[t]))
                    scores.append(prob)
                return cands[int(np.argmax(scores))]
            """,
        ),
        Flagged(
            """
            import torch
            def better(lp_a, ids_a, lp_b, ids_b):
                pa = lp_a.softmax(-1).gather(-1, ids_a[:, None]).prod()
                pb = lp_b.softmax(-1).gather(-1, ids_b[:, None]).prod()
                return pa > pb
            """,
        ),
        Flagged(
            """
            import numpy as np
            from scipy.special import log_softmax
            def rank(batch_logits, ids):
                lp = np.take_along_axis(log_softmax(batch_logits, axis=-1), ids[..., None], -1)[..., 0]
                return np.argsort(-np.exp(lp.sum(axis=-1)))
            """,
        ),
        Flagged(
            """
            import torch
            def top(logits, ids, k):
                p = torch.sigmoid(logits).gather(-1, ids[..., None]).squeeze(-1)
                return torch.topk(p.prod(dim=-1), k)
            """,
        ),
        Flagged(
            """
            import math
            import torch
            def choose(model, cands):
                def prob(ids):
                    lp = torch.log_softmax(model(ids).logits[:, :-1], -1)
                    return math.exp(lp.gather(-1, ids[:, 1:, None]).sum().item())
                return sorted(cands, key=prob)[-1]
            """,
        ),
        Flagged(
            """
            import torch
            def best(logits, ids):
                p = torch.softmax(logits, -1).gather(-1, ids[..., None]).squeeze(-1)
                return p.cumprod(-1)[:, -1].argmax()
            """,
        ),
        Flagged(
            """
            import math
            import operator
            from functools import reduce
            def better(table_a, ids_a, table_b, ids_b):
                pa = reduce(operator.mul, [math.exp(table_a[t][i]) for t, i in enumerate(ids_a)])
                pb = reduce(operator.mul, [math.exp(table_b[t][i]) for t, i in enumerate(ids_b)])
                return pa > pb
            """,
        ),
        Flagged(
            """
            import numpy as np
            from scipy.special import softmax
            def seq_logprob(logits, ids):
                p = softmax(logits, axis=-1)[np.arange(len(ids)), ids]
                return np.log(np.cumprod(p)[-1])
            """,
        ),
        Flagged(
            """
            import mlx.core as mx
            def pick(logits_per_reply, replies):
                scores = []
                for logits, ids in zip(logits_per_reply, replies):
                    p = mx.take_along_axis(mx.softmax(logits, axis=-1), ids[:, None], axis=-1)
                    scores.append(mx.prod(p))
                return replies[int(mx.argmax(mx.array(scores)))]
            """,
        ),
        Flagged(
            """
            import jax
            import jax.numpy as jnp
            def best(logits, ids):
                lp = jnp.take_along_axis(jax.nn.log_softmax(logits, axis=-1), ids[..., None], -1)[..., 0]
                return jnp.argmax(jnp.exp(lp.sum(-1)))
            """,
        ),
    )
    clean = (
        Clean(
            """
            import numpy as np
            from scipy.special import log_softmax
            def best(cands):
                return max(cands, key=lambda c: np.sum(log_softmax(c[0], axis=-1)[np.arange(len(c[1])), c[1]]))
            """
        ),
        Clean(
            """
            import torch
            def report(lp, ids):
                tok = torch.log_softmax(lp, -1).gather(-1, ids[..., None]).squeeze(-1)
                print(f"p(seq) = {torch.exp(tok.sum(-1))}")
                return tok.sum(-1).argmax()
            """
        ),
        Clean(
            """
            import numpy as np
            from scipy.special import log_softmax
            def gmean(logits, ids):
                lp = log_softmax(logits, axis=-1)[np.arange(len(ids)), ids]
                return np.exp(np.mean(lp))
            """
        ),
        Clean(
            """
            import numpy as np
            def volume(shape):
                return max(np.prod(shape), 1)
            """
        ),
        Clean(
            """
            import logging
            import math
            import torch
            def log_prob(lp, ids):
                tok = torch.log_softmax(lp, -1).gather(-1, ids[..., None])
                logging.info("prob %.3g", math.exp(tok.sum().item()))
                return tok.sum()
            """
        ),
        Clean(
            """
            import numpy as np
            from scipy.special import softmax
            def confidence(logits):
                p = softmax(logits, axis=-1)
                return np.argmax(p.max(-1))
            """
        ),
        Clean(
            """
            import torch
            def perplexity(lp, ids):
                tok = torch.log_softmax(lp, -1).gather(-1, ids[..., None]).squeeze(-1)
                return torch.exp(-tok.mean(-1))
            """
        ),
        Clean(
            """
            import numpy as np
            def joint(p_a, p_b):
                return np.prod([p_a, p_b]) > 0.5
            """
        ),
        Clean(
            """
            import torch
            def best(logits, ids):
                lp = torch.log_softmax(logits, -1).gather(-1, ids[..., None]).squeeze(-1)
                return lp.cumsum(-1)[:, -1].argmax()
            """
        ),
        Clean(
            """
            import math
            def better(table_a, ids_a, table_b, ids_b):
                la = math.fsum(table_a[t][i] for t, i in enumerate(ids_a))
                lb = math.fsum(table_b[t][i] for t, i in enumerate(ids_b))
                return la > lb
            """
        ),
        Clean(
            """
            import numpy as np
            from scipy.special import log_softmax
            def seq_logprob(logits, ids):
                return np.sum(log_softmax(logits, axis=-1)[np.arange(len(ids)), ids])
            """
        ),
        Clean(
            """
            import mlx.core as mx
            import mlx.nn as nn
            def pick(logits_per_reply, replies):
                scores = []
                for logits, ids in zip(logits_per_reply, replies):
                    lp = mx.take_along_axis(nn.log_softmax(logits, axis=-1), ids[:, None], axis=-1)
                    scores.append(mx.mean(lp))
                return replies[int(mx.argmax(mx.array(scores)))]
            """
        ),
        Clean(
            """
            import numpy as np
            def survival(hazards):
                return np.cumprod(1 - hazards)
            """
        ),
        Clean(
            """
            import jax
            import jax.numpy as jnp
            def best(logits, ids):
                lp = jnp.take_along_axis(jax.nn.log_softmax(logits, axis=-1), ids[..., None], -1)[..., 0]
                return jnp.argmax(lp.sum(-1))
            """
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        for item in patterns.ranked_values(self.ctx, node):
            made = probability_score(self.ctx, item.value)
            if made is not None:
                self._report(node, made, "ranks")
                return
        log = patterns.natural_log(self.ctx, node)
        made = probability_score(self.ctx, log.operand) if log is not None else None  # type: ignore[arg-type]
        if isinstance(made, cst.Call) and patterns.vocab_name(made) == "cumprod":
            self._report(node, made, "logs")  # SL201 reports `log(prod(p))` and `reduce`

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if len(node.comparisons) != 1 or not isinstance(node.comparisons[0].operator, _ORDER):
            return
        for side in (node.left, node.comparisons[0].comparator):
            made = probability_score(self.ctx, side)
            if made is not None:
                self._report(node, made, "compares")
                return

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        """`prod(p) ** (1 / n)`: a geometric mean taken in probability space."""
        if not isinstance(node.operator, cst.Power):
            return
        exponent = node.right
        if isinstance(exponent, cst.BinaryOperation) and isinstance(exponent.operator, cst.Divide) \
                and isinstance(exponent.left, (cst.Integer, cst.Float)) \
                and float(exponent.left.evaluated_value) == 1.0:
            made = probability_score(self.ctx, node.left)
            if made is not None:
                self._report(node, made, "roots")

    def _report(self, node: cst.CSTNode, made: cst.CSTNode, verb: str) -> None:
        what = self.ctx.short(made, 40)
        hint = "take `exp(mean(log p))`" if verb == "roots" else \
            "sum the log-probs instead" if verb == "logs" else "compare the summed log-probs"
        self.report(node, f"`{self.ctx.short(node)}` {verb} `{what}`, a product of probabilities "
                          f"that underflows to 0.0; {hint}")


def probability_score(ctx: FileContext, node: cst.BaseExpression, depth: int = 8) -> cst.CSTNode | None:
    """The product of token probabilities (or `exp` of summed log-probs) `node` holds."""
    if depth <= 0:
        return None
    node = patterns._unwrapped(node)
    if isinstance(node, cst.Name):
        for definition in ctx.definitions(node) or ():
            statement = definition.statement
            if definition.kind == AUGMENT and isinstance(statement, cst.AugAssign) \
                    and isinstance(statement.operator, cst.MultiplyAssign) \
                    and origins.origin(ctx, statement.value, _PROBABILITY_KINDS) is not None:
                return statement
        value = ctx.value(node)
        return probability_score(ctx, value, depth - 1) if value is not None else None
    if isinstance(node, cst.Subscript):
        return probability_score(ctx, node.value, depth - 1)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        return probability_score(ctx, node.expression, depth - 1)  # `argsort(-p)`: best first
    if not isinstance(node, cst.Call):
        return None
    if patterns.vocab_name(node) == "cumprod":  # `p.cumprod(-1)[..., -1]`: the running product
        operand = node.func.value if isinstance(node.func, cst.Attribute) \
            and not patterns._is_module(ctx, node.func.value) else \
            next((a.value for a in node.args if a.keyword is None), None)
        found = origins.origin(ctx, operand, _PROBABILITY_KINDS) if operand is not None else None
        return node if found is not None else None
    op = ctx.op(node, follow=False)
    if op is None:
        for value in origins.helper_returns(ctx, node):
            found = probability_score(ctx, value, depth - 1)
            if found is not None:
                return found
        return None
    if op.operand is None:
        return None
    if op.kind == "prod":
        operand = op.operand.elt if isinstance(op.operand, (cst.ListComp, cst.GeneratorExp)) \
            else op.operand
        found = origins.origin(ctx, operand, _PROBABILITY_KINDS)
        return node if found is not None else None
    if op.kind == "exp":
        score = roles.sequence_score(ctx, op.operand)
        summed = score is not None and not score.normalized \
            and score.tokens.kind == roles.TOKEN_LOGPROBS
        return node if summed else None
    if op.kind == "reduce":  # `functools.reduce(operator.mul, ps)`
        args = [a.value for a in node.args if a.keyword is None and not a.star]
        if len(args) < 2 or not _multiplies(ctx, args[0]):
            return None
        items = args[1].elt if isinstance(args[1], (cst.ListComp, cst.GeneratorExp)) else args[1]
        return node if origins.origin(ctx, items, _PROBABILITY_KINDS) is not None else None
    if op.kind in ("reshape", "copy", "cast"):
        return probability_score(ctx, op.operand, depth - 1)
    return None


def _multiplies(ctx: FileContext, func: cst.BaseExpression) -> bool:
    """`operator.mul`, `mul` imported from it, or `lambda a, b: a * b`."""
    if isinstance(func, cst.Lambda):
        body = func.body
        return isinstance(body, cst.BinaryOperation) and isinstance(body.operator, cst.Multiply)
    return "operator.mul" in ctx.qualified_names(func) if isinstance(func, (cst.Name, cst.Attribute)) \
        else False
