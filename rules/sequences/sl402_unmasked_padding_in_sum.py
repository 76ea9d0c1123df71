"""SL402 unmasked-padding-in-sum."""

from __future__ import annotations

import re

import libcst as cst

from scorelint import facts, patterns
from scorelint import vocabulary as vocab
from scorelint.findings import Applicability, FixAvailability
from scorelint.proposal import FixSpec, Replace
from scorelint.rule import Clean, Flagged, Rule

_SUM_TOKENS = vocab.call_names("sum")


class UnmaskedPaddingInSum(Rule):
    """
    ## What it does
    Finds padding counted in a sequence score: per-token log-probs summed in a
    function that holds an attention / padding mask and never applies it; a
    masked sum divided by the padded length (`shape[-1]`, `size(1)`) instead
    of the mask's count; `masked_fill(m, 1.0)` / `where(m, lp, 1)` on
    log-probs; a token cross-entropy without `ignore_index` while a pad id is
    in scope and never replaced.

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
    A mask is recognized by its name (`attention_mask`, `*_mask`, `mask`) or
    as a comparison with a pad id; a mask applied to the ids before the model
    call (which does not remove their terms) counts as applied.
    """

    code = "SL402"
    name = "unmasked-padding-in-sum"
    message = "`{expr}` sums log-probs of padding tokens: the score depends on the batch's padding"
    fix_title = "Use the neutral value `0.0` / divide by the mask's count"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE
    follows = ("log_softmax", "log")
    triggers = (("sum", "masked_fill", "where", "cross_entropy", "CrossEntropyLoss", "fsum"),
                ("log_softmax", "log", "log_sigmoid", "logsigmoid", "cross_entropy", "CrossEntropyLoss",
                 "gather", "take_along_axis", "take_along_dim"))
    # Reported at a fill, a loss, a sum, or a division by a padded length (`x.shape[-1]`).
    anchors = ("masked_fill", "masked_fill_", "where", "cross_entropy", "CrossEntropyLoss",
               "fsum", *_SUM_TOKENS)
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
    )
    clean = (
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
    )

    def visit_Call(self, node: cst.Call) -> None:
        name = patterns.vocab_name(node)
        if name in ("masked_fill", "masked_fill_", "where"):
            self._check_fill(node, name)
        elif self.ctx.loss(node) is not None:
            self._check_loss(node)
        elif name in _SUM_TOKENS:
            self._check_sum(node)

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        """`(lp * m).sum(-1) / lp.shape[-1]`: a masked mean over the padded length."""
        if not isinstance(node.operator, cst.Divide) or not _padded_length(node.right):
            return
        op = self.ctx.op(node.left)
        if op is None or op.kind != "sum" or op.operand is None:
            return
        tokens = patterns.token_logprobs(self.ctx, op.operand, require_log=False)
        if tokens is None or not tokens.masked:
            return
        mask = _mask_factor(self.ctx, op.operand)
        fix = None
        if mask is not None and op.axis is not None and self.ctx.copyable(node, mask):
            code = f"{patterns.paren(self.ctx.render(mask, node))}.sum({self.ctx.code(op.axis)})"
            fix = FixSpec(f"Divide by `{code}`", self.applicability, (Replace(node.right, code),))
        self.report(node, f"`{self.ctx.short(node)}` divides a masked sum by the padded length; "
                          "divide by the mask's count", fix)

    def _check_sum(self, node: cst.Call) -> None:
        summed = patterns.summed_logprob(self.ctx, node)
        if summed is None or summed.node is not node or summed.tokens.masked:
            return
        if not _holds_mask(self.ctx, node) or _mask_used_on(self.ctx, node) \
                or _masked_in_place(self.ctx, node):
            return
        self.report(node, f"`{self.ctx.short(node)}` sums the log-probs of padding tokens; "
                          "multiply by the (shifted) attention mask first")

    def _check_fill(self, node: cst.Call, name: str) -> None:
        args = [a.value for a in node.args if a.keyword is None and not a.star]
        if name == "where":
            if len(args) != 3 or not _is_one(args[2]) or patterns.token_logprobs(self.ctx, args[1]) is None:
                return
            fill = args[2]
        else:
            if len(args) != 2 or not _is_one(args[1]) or not isinstance(node.func, cst.Attribute) \
                    or patterns.token_logprobs(self.ctx, node.func.value) is None:
                return
            fill = args[1]
        fix = FixSpec("Fill with `0.0`, the neutral value of a log-space sum", self.applicability,
                      (Replace(fill, "0.0"),))
        self.report(node, f"`{self.ctx.short(node)}` fills log-probs with 1, which adds +1 per "
                          "padding token; the neutral value in log space is 0", fix)

    def _token_ids_as_labels(self, node: cst.Call, loss: vocab.Loss) -> bool:
        """Are the targets the (padded) token ids themselves (`labels = input_ids.clone()`)?
        Labels passed in (`labels=` of a model) follow the `-100` convention of the data
        collator and a pad id read for `decoder_input_ids` says nothing about them."""
        positional = [a.value for a in node.args if a.keyword is None]
        target = patterns.keyword(node, "target") or (positional[1] if len(positional) > 1 else None)
        traced = patterns.trace_positions(self.ctx, target) if target is not None else None
        name = facts._name_of(traced.base) if traced is not None else None
        return bool(name and _TOKEN_IDS.search(name))

    def _check_loss(self, node: cst.Call) -> None:
        loss = self.ctx.loss(node)
        assert loss is not None
        if loss.kind != vocab.CROSS_ENTROPY or loss.framework != "torch":
            return
        if patterns.keyword(node, "ignore_index") is not None or (
                loss.module is not None and patterns.keyword(loss.module, "ignore_index") is not None):
            return
        reduction = patterns.keyword(node, "reduction") or (
            patterns.keyword(loss.module, "reduction") if loss.module is not None else None)
        if isinstance(reduction, cst.SimpleString) and reduction.evaluated_value == "none":
            return  # per-token losses: judged where they are summed
        home = self.ctx.flow.home(node)
        if home is None or not _reads_pad_id(home) or _writes_ignore(home) \
                or not self._token_ids_as_labels(node, loss):
            return
        self.report(node, f"`{self.ctx.short(node)}` counts padding labels in the loss: a pad id "
                          "is in scope and no `ignore_index` is given")


_TOKEN_IDS = re.compile(r"input_ids|^ids$|_ids$|^tokens$|token_ids", re.IGNORECASE)


def _is_one(node: cst.BaseExpression) -> bool:
    return isinstance(node, (cst.Integer, cst.Float)) and float(node.evaluated_value) == 1.0


def _padded_length(node: cst.BaseExpression) -> bool:
    """`x.shape[-1]`, `x.shape[1]`, `x.size(1)`: an axis's full, padded length."""
    if isinstance(node, cst.Subscript) and isinstance(node.value, cst.Attribute):
        return node.value.attr.value == "shape"
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
        and node.func.attr.value == "size" and len(node.args) == 1


def _mask_factor(ctx, node: cst.BaseExpression) -> cst.BaseExpression | None:
    value = ctx.resolve(node)
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Multiply):
        for side in (value.right, value.left):
            if patterns.is_masklike(ctx, side) or patterns._mask_value(ctx, side):
                return side
    return None


def _function_nodes(home: cst.CSTNode):
    stack = [home]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)


def _holds_mask(ctx, node: cst.CSTNode) -> bool:
    """A padding mask is in hand in the function: a mask value read or bound, a
    comparison with a pad id, or inputs tokenized with `padding=`."""
    home = ctx.flow.home(node)
    if home is None or isinstance(home, cst.Module):
        return False
    for current in _function_nodes(home):
        if isinstance(current, (cst.Name, cst.Attribute, cst.Subscript, cst.Param)):
            target = current.name if isinstance(current, cst.Param) else current
            if patterns.is_masklike(ctx, target) if not isinstance(target, cst.Name) \
                    else patterns.MASK_NAME.search(target.value):
                return True
        if isinstance(current, cst.Arg) and current.keyword is not None \
                and current.keyword.value == "padding" and not (
                    isinstance(current.value, cst.Name) and current.value.value in ("False", "None")):
            return True
    return False


def _mask_used_on(ctx, node: cst.Call) -> bool:
    """Is a mask applied to the sum's result (`tok.sum(-1) * mask`) or passed beside it?"""
    parents = iter(ctx.flow.ancestors(node))
    parent = next(parents, None)
    return isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, cst.Multiply) \
        and any(patterns.is_masklike(ctx, side) for side in (parent.left, parent.right))


_IN_PLACE = frozenset({"masked_fill_", "mul_", "masked_scatter_", "zero_", "fill_", "where_"})


def _masked_in_place(ctx, node: cst.Call) -> bool:
    """`lp.masked_fill_(pad, 0.0)`, `lp *= mask`, `lp[pad] = 0` in the function: the
    summed name is masked by a statement of its own."""
    op = ctx.op(node, follow=False)
    operand = op.operand if op is not None else None
    while isinstance(operand, (cst.Subscript, cst.Attribute)):
        operand = operand.value
    home = ctx.flow.home(node)
    if not isinstance(operand, cst.Name) or home is None:
        return False
    name = operand.value
    for current in _function_nodes(home):
        if isinstance(current, cst.Call) and isinstance(current.func, cst.Attribute) \
                and current.func.attr.value in _IN_PLACE \
                and isinstance(current.func.value, cst.Name) and current.func.value.value == name:
            return True
        if isinstance(current, cst.AugAssign) and isinstance(current.operator, cst.MultiplyAssign) \
                and isinstance(current.target, cst.Name) and current.target.value == name:
            return True
        if isinstance(current, cst.AssignTarget) and isinstance(current.target, cst.Subscript) \
                and isinstance(current.target.value, cst.Name) and current.target.value.value == name:
            return True
    return False


def _reads_pad_id(home: cst.CSTNode) -> bool:
    for current in _function_nodes(home):
        name = current.value if isinstance(current, cst.Name) else \
            current.attr.value if isinstance(current, cst.Attribute) else None
        if name and patterns.PAD_NAME.search(name):
            return True
    return False


def _writes_ignore(home: cst.CSTNode) -> bool:
    """Labels rewritten to an ignore value (`-100`, `IGNORE_INDEX`) somewhere in the function."""
    for current in _function_nodes(home):
        if isinstance(current, cst.UnaryOperation) and isinstance(current.expression, cst.Integer) \
                and current.expression.evaluated_value == 100:
            return True
        if isinstance(current, cst.Name) and "ignore" in current.value.lower():
            return True
    return False
