"""SL405 mismatched-sequence-length."""

from __future__ import annotations

import re

import libcst as cst

from scorelint.engine.rule import Clean, Flagged, Rule
from scorelint.model import patterns, roles, walk

_CONCATS = frozenset({"cat", "concatenate", "concat", "hstack"})
_ARRAYS = frozenset({"array", "tensor", "asarray", "as_tensor", "LongTensor"})
# A unit a docstring or an option declares: `per token`, `normalize="bytes"`, `per_char`.
_UNIT = {"token": "tokens", "byte": "bytes", "char": "characters", "word": "words"}
_DECLARED = re.compile(r"\bper[ _-](token|byte|char|character|word)s?\b|"
                       r"\b(?:number|count) of (token|byte|char|character|word)s\b|"
                       r"\b(token|byte|char|character|word)[ _-]?(?:normali[sz]ed|level|mean)\b",
                       re.IGNORECASE)
_OPTION = re.compile(r"(token|byte|char|word)", re.IGNORECASE)


class MismatchedSequenceLength(Rule):
    """
    ## What it does
    Finds a reply's log-likelihood measured over another span or divided by
    another length than the one that was scored: per-token log-probs of
    `concat(prompt, reply)` sliced at the prompt's length one position off
    (`tok[:, len(prompt):]` of log-probs already shifted by one, which drops
    the reply's first token, or logits from `len(prompt)` gathered at the reply,
    which read each token before scoring it); a summed log-prob divided by the
    words, characters or bytes of a different text than the one tokenized and
    scored; a division in a different unit than the docstring or the option
    guarding it declares (`per token` divided by `len(text)`, `"bytes"` divided
    by the token count).

    ## Why is this bad?
    The score of a reply `y` to a prompt `x` is
    `log Pr(y|x) = sum_i log Pr(y_i | x, y_<i)`, summed over exactly the
    tokens of `y`. After the causal shift, the log-prob of token `t` sits at
    position `t - 1`, so the reply's first term is at `len(x) - 1`; slicing at
    `len(x)` loses it, and it is usually the most informative one (the first
    token of `" Paris"` vs `" London"` decides the answer, the rest follow
    with probability near 1). For a bigram model where reply A starts with a
    likely token and reply B with an unlikely one, the reference scores them
    `-0.025` and `-12.03`; the span cut at `len(x)` scores them `-0.006` and
    `-0.009`, and on random logits it ranks the two the other way round
    (`-4.65` vs `-3.17` where the reference says `-5.84` vs `-6.13`). A
    normalization divides by the
    length of what was scored, in the unit said: dividing a sum over 5 tokens by
    the 31 characters of the prompt, or by characters where tokens were
    promised, changes the ranking of replies of different lengths.

    ## Example
    ```python
    ids = torch.cat([prompt_ids, reply_ids], dim=-1)
    tok = lp[:, :-1].gather(-1, ids[:, 1:, None]).squeeze(-1)
    score = tok[:, prompt_ids.shape[1]:].sum(-1)
    ```

    ## Use instead
    ```python
    score = tok[:, prompt_ids.shape[1] - 1:].sum(-1)
    ```
    `scorelint.reference.sequence_score(logits, ids, mask=reply_mask,
    per="token" | "byte" | "char" | "none")` scores the reply and names its
    normalization once.

    ## Fix safety
    No fix: the span and the unit are the author's to choose; the message says
    which one the code measures.

    ## Known limitations
    The prompt's length must be read from the prompt that is the first part of
    the concatenation the model read (`cat`, `concatenate`, `+` of lists or of
    texts before tokenizing); per-row prompt lengths from a list, and spans
    cut with a mask, are not followed. A unit is read from the function's
    docstring and from the `if` tests around the division, only when they name
    one unit.
    """

    code = "SL405"
    name = "mismatched-sequence-length"
    message = "`{expr}` measures a reply over another span or length than was scored"
    follows = ("log_softmax", "log")
    # Reported at the sum (or mean) of per-token scores, or at its division by a length.
    anchors = ("sum", "fsum", "mean", "/")
    triggers = (("sum", "fsum", "mean", "+=", "cross_entropy", "gather", "take_along_axis"),
                ("log_softmax", "log", "log_sigmoid", "logsigmoid", "cross_entropy",
                 "CrossEntropyLoss"))

    flagged = (
        Flagged(
            """
            import torch
            def reply_logprob(model, prompt_ids, reply_ids):
                ids = torch.cat([prompt_ids, reply_ids], dim=-1)
                lp = torch.log_softmax(model(ids).logits[:, :-1], -1)
                tok = lp.gather(-1, ids[:, 1:, None]).squeeze(-1)
                return tok[:, prompt_ids.shape[1]:].sum(-1)
            """,
        ),
        Flagged(
            """
            import numpy as np
            from scipy.special import log_softmax
            def reply_logprob(lm, prompt, reply):
                ids = np.array(prompt + reply)
                n = len(prompt)
                lp = log_softmax(lm(ids)[n:-1], axis=-1)
                return np.take_along_axis(lp, ids[n + 1:, None], axis=-1).sum()
            """,
        ),
        Flagged(
            """
            import jax
            import jax.numpy as jnp
            def reply_logprob(model, prompt_ids, reply_ids):
                ids = jnp.concatenate([prompt_ids, reply_ids], axis=-1)
                start = prompt_ids.shape[-1]
                lp = jax.nn.log_softmax(model(ids).logits[:, start - 2:-1], axis=-1)
                return jnp.take_along_axis(lp, ids[:, start - 1:, None], axis=-1).sum()
            """,
        ),
        Flagged(
            """
            import mlx.core as mx
            import mlx.nn as nn
            def reply_logprob(model, prompt, reply):
                logits = model(mx.concatenate([prompt, reply])[None])[0, len(prompt):]
                return -nn.losses.cross_entropy(logits, reply).sum()
            """,
        ),
        Flagged(
            """
            import torch
            def reply_logprob(model, tok, prompt, reply):
                ids = tok(prompt + reply, return_tensors="pt").input_ids
                n = len(tok(prompt).input_ids)
                lp = torch.log_softmax(model(ids).logits[0, :-1], -1)
                tok_lp = lp.gather(-1, ids[0, 1:, None]).squeeze(-1)
                return tok_lp[n:].sum()
            """,
        ),
        Flagged(
            """
            import torch
            def mean_logprob(model, tok, context, continuation):
                ids = tok(continuation, return_tensors="pt").input_ids
                lp = torch.log_softmax(model(ids).logits[:, :-1], -1)
                total = lp.gather(-1, ids[:, 1:, None]).sum()
                return total / len(context.split())
            """,
        ),
        Flagged(
            '''
            import numpy as np
            from scipy.special import log_softmax
            def per_token_logprob(lm, tokenizer, text):
                """Mean log-probability per token of `text`."""
                ids = np.array(tokenizer.encode(text))
                lp = log_softmax(lm(ids[:-1]), axis=-1)
                total = np.take_along_axis(lp, ids[1:, None], axis=-1).sum()
                return total / len(text)
            ''',
        ),
        Flagged(
            """
            import torch
            def score(model, tok, text, normalize="bytes"):
                ids = tok(text, return_tensors="pt").input_ids
                lp = torch.log_softmax(model(ids).logits[:, :-1], -1)
                total = lp.gather(-1, ids[:, 1:, None]).sum()
                if normalize == "bytes":
                    return total / (ids.shape[1] - 1)
                return total
            """,
        ),
        Flagged(
            """
            import mlx.core as mx
            import mlx.nn as nn
            def score(model, tokenizer, text, per_token=True):
                ids = mx.array(tokenizer.encode(text))[None]
                logits = model(ids[:, :-1])
                total = -nn.losses.cross_entropy(logits, ids[:, 1:]).sum()
                if per_token:
                    return total / len(text)
                return total
            """,
        ),
    )
    clean = (
        Clean(
            """
            import torch
            def reply_logprob(model, prompt_ids, reply_ids):
                ids = torch.cat([prompt_ids, reply_ids], dim=-1)
                lp = torch.log_softmax(model(ids).logits[:, :-1], -1)
                tok = lp.gather(-1, ids[:, 1:, None]).squeeze(-1)
                return tok[:, prompt_ids.shape[1] - 1:].sum(-1)
            """
        ),
        Clean(
            """
            import numpy as np
            from scipy.special import log_softmax
            def reply_logprob(lm, prompt, reply):
                ids = np.array(prompt + reply)
                n = len(prompt)
                lp = log_softmax(lm(ids)[n - 1:-1], axis=-1)
                return np.take_along_axis(lp, ids[n:, None], axis=-1).sum()
            """
        ),
        Clean(
            """
            import jax
            import jax.numpy as jnp
            def reply_logprob(model, prompt_ids, reply_ids):
                ids = jnp.concatenate([prompt_ids, reply_ids], axis=-1)
                start = prompt_ids.shape[-1]
                lp = jax.nn.log_softmax(model(ids).logits[:, start - 1:-1], axis=-1)
                return jnp.take_along_axis(lp, ids[:, start:, None], axis=-1).sum()
            """
        ),
        Clean(
            """
            import mlx.core as mx
            import mlx.nn as nn
            def reply_logprob(model, prompt, reply):
                logits = model(mx.concatenate([prompt, reply])[None])[0, len(prompt) - 1:-1]
                return -nn.losses.cross_entropy(logits, reply).sum()
            """
        ),
        Clean(
            """
            import torch
            def reply_logprob(model, tok, prompt, reply):
                ids = tok(prompt + reply, return_tensors="pt").input_ids
                n = len(tok(prompt).input_ids)
                lp = torch.log_softmax(model(ids).logits[0, :-1], -1)
                tok_lp = lp.gather(-1, ids[0, 1:, None]).squeeze(-1)
                return tok_lp[n - 1:].sum()
            """
        ),
        Clean(
            """
            import torch
            def mean_logprob(model, tok, context, continuation):
                ids = tok(continuation, return_tensors="pt").input_ids
                lp = torch.log_softmax(model(ids).logits[:, :-1], -1)
                total = lp.gather(-1, ids[:, 1:, None]).sum()
                return total / len(continuation.split())
            """
        ),
        Clean(
            '''
            import numpy as np
            from scipy.special import log_softmax
            def char_normalized_logprob(lm, tokenizer, text):
                """Log-probability of `text` per character (lm-eval's acc_norm)."""
                ids = np.array(tokenizer.encode(text))
                lp = log_softmax(lm(ids[:-1]), axis=-1)
                total = np.take_along_axis(lp, ids[1:, None], axis=-1).sum()
                return total / len(text)
            '''
        ),
        Clean(
            """
            import torch
            def score(model, tok, text, normalize="bytes"):
                ids = tok(text, return_tensors="pt").input_ids
                lp = torch.log_softmax(model(ids).logits[:, :-1], -1)
                total = lp.gather(-1, ids[:, 1:, None]).sum()
                if normalize == "bytes":
                    return total / len(text.encode("utf-8"))
                return total
            """
        ),
        Clean(
            """
            import mlx.core as mx
            import mlx.nn as nn
            def score(model, tokenizer, text, per_token=True):
                ids = mx.array(tokenizer.encode(text))[None]
                logits = model(ids[:, :-1])
                total = -nn.losses.cross_entropy(logits, ids[:, 1:]).sum()
                if per_token:
                    return total / (ids.shape[1] - 1)
                return total
            """
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        op = self.ctx.op(node, follow=False)
        if op is None or op.kind not in ("sum", "fsum", "mean"):
            return
        score = roles.sequence_score(self.ctx, node)
        if score is None or score.node is not node:
            return
        message = _span(self.ctx, score.tokens)
        if message is not None:
            self.report(node, f"`{self.ctx.short(node)}` {message}")

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if not isinstance(node.operator, cst.Divide):
            return
        score = roles.sequence_score(self.ctx, node)
        if score is None or score.divisor is not node.right or score.length is None:
            return
        message = _other_text(self.ctx, score) or _other_unit(self.ctx, node, score)
        if message is not None:
            self.report(node, f"`{self.ctx.short(node)}` {message}")


# -- the span: where the reply starts in what the model read --------------------------------

def _span(ctx, tokens: roles.TokenScores) -> str | None:
    """Per-token scores of `concat(prompt, reply)` cut at the prompt's length one off."""
    logits, targets = tokens.logits, tokens.target_positions
    if logits is None or logits.call is None or logits.positions is None or targets is None:
        return None
    fed_at = patterns.model_input(logits.call)
    fed = patterns.trace_positions(ctx, fed_at) if fed_at is not None else None
    found = _parts(ctx, fed.base) if fed is not None else None
    if fed is None or found is None:
        return None
    parts, text = found
    read = patterns.compose(logits.positions.window, fed.window)
    read = patterns.compose(tokens.after, read) if read is not None else None
    if read is None:
        return None
    if ctx.same(targets.base, fed.base):
        scored = patterns.compose(tokens.after, targets.window)
        if scored is None or not _counts(ctx, scored.lower, parts[0], text) \
                or read.lower != scored.lower.plus(-1):
            return None  # the start is not the prompt's length, or not shifted once (SL401)
        k = scored.lower.offset
        if k == 1:
            return ("scores the reply from its second token: after the causal shift its first "
                    f"token sits at `{scored.lower.base} - 1`")
        if k < 0:
            return f"counts the last {-k} token(s) of the prompt into the reply's score"
        return f"skips the first {k} tokens of the reply" if k > 1 else None
    if len(parts) == 2 and ctx.same(targets.base, parts[1]) and tokens.after.full \
            and targets.window.lower == patterns.Bound("", 0) \
            and _counts(ctx, read.lower, parts[0], text) and read.lower.offset != -1:
        if read.lower.offset == 0:
            return ("scores each reply token with the logits at its own position, which read "
                    f"it; start the logits at `{read.lower.base} - 1`")
        return f"reads the reply's logits {read.lower.offset + 1} position(s) off the reply"
    return None


def _parts(ctx, node: cst.BaseExpression, depth: int = 8
           ) -> tuple[list[cst.BaseExpression], bool] | None:
    """The parts a model's input was concatenated from (`cat([p, r])`, `p + r`, a tokenizer
    called on `p + r`), and whether they are texts tokenized together."""
    text = False
    for _ in range(depth):
        if isinstance(node, cst.Name):
            value = ctx.value(node)
            if value is None:
                return None
            node = value
        elif isinstance(node, cst.Call) and patterns.vocab_name(node) in _CONCATS:
            first = node.args[0].value if node.args else None
            if not isinstance(first, (cst.List, cst.Tuple)) or len(first.elements) < 2:
                return None
            return [e.value for e in first.elements], text
        elif isinstance(node, cst.Call) and patterns.vocab_name(node) in _ARRAYS and node.args:
            node = node.args[0].value
        elif isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            return [node.left, node.right], text
        elif isinstance(node, cst.Subscript) and roles._key(node) == "input_ids" \
                or isinstance(node, cst.Attribute) and node.attr.value == "input_ids":
            node = node.value
        elif isinstance(node, cst.Call) and roles.tokenized(ctx, node) is not None:
            node, text = roles.tokenized(ctx, node), True  # type: ignore[assignment]
        else:
            return None
    return None


def _counts(ctx, bound: patterns.Bound, first: cst.BaseExpression, text: bool) -> bool:
    """Is `bound` (before its offset) the length of `first`: `len(p)`, `p.shape[-1]`,
    `p.size(1)`, or the token count of the text `first` (`len(tok(p).input_ids)`)?"""
    node = bound.node
    for _ in range(6):
        if isinstance(node, cst.Name) and ctx.value(node) is not None:
            node = ctx.value(node)
        else:
            break
    counted = None
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "len" \
            and node.args:
        counted = node.args[0].value
    elif isinstance(node, cst.Call) and patterns.vocab_name(node) == "size" \
            and isinstance(node.func, cst.Attribute):
        counted = node.func.value
    elif isinstance(node, cst.Subscript) and isinstance(node.value, cst.Attribute) \
            and node.value.attr.value == "shape":
        counted = node.value.value
    if counted is None:
        return False
    if not text:
        return ctx.same(counted, first)
    read = _text_tokenized(ctx, counted)
    return read is not None and ctx.same(read, first)


def _text_tokenized(ctx, node: cst.BaseExpression) -> cst.BaseExpression | None:
    """The text whose token ids `node` is (`tok(t).input_ids`, `tok.encode(t)`, an array of
    them); None when unknown."""
    for _ in range(8):
        if isinstance(node, cst.Name):
            value = ctx.value(node)
            if value is None:
                return None
            node = value
        elif isinstance(node, cst.Subscript) and roles._key(node) == "input_ids" \
                or isinstance(node, cst.Attribute) and node.attr.value == "input_ids":
            node = node.value
        elif isinstance(node, cst.Subscript) and patterns.time_window(ctx, node) is not None:
            node = node.value  # `ids[0]`, `ids[:, 1:]`, `ids[None]`: the same text's ids
        elif isinstance(node, cst.Call) and patterns.vocab_name(node) in _ARRAYS and node.args:
            node = node.args[0].value
        elif isinstance(node, cst.Call):
            return roles.tokenized(ctx, node)
        else:
            return None
    return None


# -- the divisor: whose length, in which unit -------------------------------------------------

def _other_text(ctx, score: roles.SequenceScore) -> str | None:
    """A sum over the tokens of one text divided by the words / characters / bytes of
    another."""
    length = score.length
    if length is None or length.unit not in ("chars", "bytes", "words") \
            or not isinstance(length.made, cst.Call) or not length.made.args:
        return None
    counted = length.made.args[0].value
    if roles._method(counted) in ("encode", "split") and isinstance(counted.func, cst.Attribute):  # type: ignore[union-attr]
        counted = counted.func.value  # type: ignore[union-attr]
    targets = score.tokens.target_positions
    if targets is None or targets.window.lower.base != "" or targets.window.lower.offset > 1:
        return None  # a span of the ids: which text it covers is `_span`'s question
    scored = _text_tokenized(ctx, targets.base)
    if scored is None or isinstance(scored, cst.BinaryOperation) or ctx.same(scored, counted) \
            or _derived(ctx, counted, scored):
        return None
    unit = "characters" if length.unit == "chars" else length.unit
    return (f"divides by the {unit} of `{ctx.short(counted, 30)}`, but the tokens of "
            f"`{ctx.short(scored, 30)}` were scored")


def _derived(ctx, node: cst.BaseExpression, source: cst.BaseExpression) -> bool:
    """Is `node` computed from `source` (`source.strip()`, `prefix + source`)?"""
    names = {n.value for n in _names(source)}
    value = ctx.resolve(node)
    return any(n.value in names for n in _names(value))


def _names(node: cst.CSTNode) -> list[cst.Name]:
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            found.append(current)
        stack.extend(walk.children(current))
    return found


def _other_unit(ctx, node: cst.BinaryOperation, score: roles.SequenceScore) -> str | None:
    """A division in another unit than the docstring or the option around it declares."""
    unit = {"tokens": "tokens", "padded": "tokens", "chars": "characters", "bytes": "bytes",
            "words": "words"}.get(score.length.unit or "")  # type: ignore[union-attr]
    if unit is None:
        return None
    for said, where in _declared(ctx, node):
        if said != unit:
            return f"divides by the {unit} where {where} says {said}"
        return None
    return None


def _declared(ctx, node: cst.CSTNode) -> list[tuple[str, str]]:
    """(unit, where) an enclosing `if` test names (nearest first; only a test whose body
    holds `node` and names one unit), then the function's docstring."""
    found = []
    child: cst.CSTNode = node
    for parent in ctx.flow.ancestors(node):
        if isinstance(parent, cst.If) and child is parent.body:
            units = {_UNIT[m.lower()] for m in _OPTION.findall(_test_words(parent.test))}
            if len(units) == 1:
                found.append((units.pop(), f"`{ctx.short(parent.test, 40)}`"))
        if isinstance(parent, cst.FunctionDef):
            doc = parent.get_docstring() or ""
            units = {_UNIT[_unit_word(m)] for m in _DECLARED.finditer(doc)}
            if len(units) == 1:
                found.append((units.pop(), "the docstring"))
            break
        child = parent
    return found


def _unit_word(match: re.Match) -> str:
    word = next(g for g in match.groups() if g).lower()
    return "char" if word.startswith("char") else word


def _test_words(test: cst.BaseExpression) -> str:
    """The words of an option test that declare a unit: string literals compared with `==`
    or `in`, and a bare flag's name (`per_token`); a negated test declares nothing."""
    if isinstance(test, (cst.Name, cst.Attribute)):
        return test.value if isinstance(test, cst.Name) else test.attr.value
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 \
            and isinstance(test.comparisons[0].operator, (cst.Equal, cst.In, cst.Is)):
        side = test.comparisons[0].comparator
        if isinstance(side, cst.SimpleString):
            return str(side.evaluated_value)
        if isinstance(side, (cst.Tuple, cst.List, cst.Set)):
            return " ".join(str(e.value.evaluated_value) for e in side.elements
                            if isinstance(e.value, cst.SimpleString))
    return ""
