"""What a value is *for* in sequence scoring: token ids and labels, masks, lengths, logits,
per-token log-probs and sequence scores, and where each stands along time.

A role is read from how the value is made, never from its name alone:

- token ids: what a model was called on (`model(ids)`, `input_ids=`), a tokenizer's
  output (`enc["input_ids"]`, `enc.input_ids`, `tokenizer.encode(...)`), a batch key;
  labels: `labels=` of a model call, a `"labels"` key, ids with `-100` written in;
- masks: a comparison of ids with a scalar (`labels != -100`, `ids != pad_id`,
  `ids.ne(pad)`), a length comparison (`arange(T) < lengths[:, None]`), the
  `attention_mask=` of a model call, a mask key of a batch or a tokenizer's output;
  with a polarity: *keep* (1 on real tokens) or *pad* (1 on padding, as `== pad_id`,
  `~mask`, `1 - mask`);
- lengths: a mask's count (`mask.sum(-1)`), an axis's padded size (`x.shape[-1]`,
  `x.size(1)`), `len(...)` of ids, of a string (characters) or of its `.encode()` (bytes);
- logits: the `.logits` / `["logits"]` of a model call, or what a model is called to
  return when a rule asks for it; log-probs: their `log_softmax`;
- per-token log-probs: `log_softmax(logits)` gathered at token ids, `logits.gather(...)
  - logsumexp(logits)`, `-cross_entropy(..., reduction="none")`, a same-module helper
  returning one; per-token *raw logits*: logits gathered with no normalization;
- sequence scores: per-token log-probs reduced along time (`sum`, `mean`, a `+=` loop),
  possibly divided by a length.

A name (`attention_mask`, `labels`, `logits`) is a *hint*: it is recorded as such
(`Role.evidence` False) and no rule fires on it alone. Every role carries where it
stands along time (`Positions`: the value its positions are counted on and the slice
taken of it), so shifts can be compared. Values are followed through names bound once,
casts, reshapes, `self.` members, dict keys, tuple returns and same-module helpers, as
`scorelint.model.origins` follows operations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import libcst as cst

from scorelint.model import origins, patterns, walk
from scorelint.model.context import FileContext
from scorelint.model.dataflow import AUGMENT, PARAMETER, UNPACK

# Role kinds.
IDS = "ids"
LABELS = "labels"
MASK = "mask"
LENGTH = "length"
LOGITS = "logits"
LOGPROBS = "logprobs"  # a log_softmax over the vocabulary, not yet gathered
TOKEN_LOGPROBS = "token_logprobs"
TOKEN_LOGITS = "token_logits"  # raw logits gathered at token ids: not log-probs
TOKEN_VALUES = "token_values"  # gathered at token ids from a value we cannot see (a parameter)
SEQUENCE_SCORE = "sequence_score"

# How a mask is applied to per-token values, and the polarity it needs there.
MULTIPLY, SELECT, WHERE_KEEP, FILL = "multiply", "select", "where", "fill"
_NEEDS_KEEP = {MULTIPLY: True, SELECT: True, WHERE_KEEP: True, FILL: False}

_MAX_DEPTH = 16
# Batch / tokenizer-output keys that hold ids, labels and masks (a key is data, not a name).
# What names token ids and labels (narrowing's `PAD_IN_SCOPE` reads them too).
IDS_KEY = re.compile(r"(^|_)input_ids$|^(chosen|rejected|prompt|completion|response|answer|"
                      r"query|target|decoder_input)_(input_)?ids$|^ids$|^tokens$|^token_ids$")
LABELS_KEY = re.compile(r"(^|_)labels$")
_KEEP_MASK_KEY = re.compile(r"(^|_)(attention|completion|loss|action|response|label|labels|"
                            r"target|answer|chosen|rejected|prompt|decoder_attention)_mask$|"
                            r"^attention_mask$|^mask$")
_PAD_MASK_KEY = re.compile(r"(^|_)(padding|pad|ignore)_mask$")
_MASK_HINT = re.compile(r"(^|_)mask(s|ed)?($|_)|attention_mask", re.IGNORECASE)
IDS_HINT = re.compile(r"input_ids|^ids$|_ids$|^tokens$|token_ids|^labels$|_labels$",
                       re.IGNORECASE)
_LOGITS_HINT = re.compile(r"logits", re.IGNORECASE)
_CASTS = frozenset({"float", "double", "half", "bfloat16", "long", "int", "bool", "byte", "to",
                    "type", "type_as", "astype", "contiguous", "clone", "detach", "cpu", "cuda",
                    "numpy", "squeeze", "unsqueeze", "view", "reshape", "flatten", "expand",
                    "expand_as", "view_as", "item", "tolist"})
_FLIPS = frozenset({"logical_not", "bitwise_not"})
_ARANGES = frozenset({"arange", "range"})
_LOG_KINDS = frozenset({"log_softmax", "log", "log_sigmoid"})
_LOSS_PER_TOKEN_DEFAULT = frozenset({"mlx"})  # mlx.nn.losses default to reduction="none"


@dataclass(frozen=True)
class Positions:
    """Where a per-token value stands along time: the value its positions are counted on
    (a model's input ids, a mask, labels) and the window (`patterns.Window`) taken of it."""

    base: cst.BaseExpression
    window: patterns.Window


@dataclass(frozen=True)
class Role:
    """What a value is for, with the evidence for it.

    `evidence` is True when the operation, call or key that made the value shows the
    role; False when only a name suggests it (a hint: rules do not fire on it alone).
    `made` is the node that shows it and `why` says how, for messages and traces."""

    kind: str
    evidence: bool
    why: str
    made: cst.CSTNode
    positions: Positions | None = None
    # MASK: True when 1 marks a real token, False when it marks padding, None unknown.
    keep: bool | None = None
    # LENGTH: "tokens" (a mask's count), "padded" (an axis's size), "chars", "bytes", "items".
    unit: str | None = None
    # LOGITS: the model call that made them.
    call: cst.Call | None = None


@dataclass(frozen=True)
class Applied:
    """A mask applied to per-token values, and how (`MULTIPLY`, `SELECT`, `WHERE_KEEP`,
    `FILL`: `masked_fill(m, 0)` / `where(m, 0, x)`, which needs a padding mask)."""

    mask: Role
    how: str
    at: cst.CSTNode
    expr: cst.BaseExpression | None = None  # the mask as written where it is applied

    @property
    def inverted(self) -> bool:
        """The mask's polarity is the opposite of what its application needs."""
        return self.mask.keep is not None and self.mask.keep != _NEEDS_KEEP[self.how]


@dataclass(frozen=True)
class TokenScores:
    """Per-token log-probabilities (or raw logits gathered at token ids) behind a value."""

    kind: str  # TOKEN_LOGPROBS, TOKEN_LOGITS or TOKEN_VALUES
    made: cst.CSTNode  # the log_softmax / gather / loss that made them
    logits: Role | None  # the logits they were read from, when seen
    targets: Role | None  # the ids they were gathered at, when seen
    target_positions: Positions | None
    applied: tuple[Applied, ...] = ()
    # Masked by construction: a loss ignoring `-100` labels, an `ignore_index`.
    ignored: bool = False
    # Names the value was bound to on the way (in-place masking is looked up on them).
    names: tuple[str, ...] = ()
    # The time slice taken of the per-token values after they were gathered (`tok[:, n:]`),
    # in their own positions; compose it with `target_positions` and the logits' window.
    after: patterns.Window = patterns.FULL

    @property
    def masked(self) -> bool:
        return self.ignored or any(not a.inverted for a in self.applied)


@dataclass(frozen=True)
class SequenceScore:
    """Per-token scores reduced along time into one score per sequence."""

    node: cst.CSTNode  # the reduction (a sum / mean call, a `+=` statement, a division)
    tokens: TokenScores
    reduction: str  # "sum" or "mean"
    divisor: cst.BaseExpression | None = None  # `total / n`: what it was divided by
    length: Role | None = None  # the role of the divisor, when known

    @property
    def normalized(self) -> bool:
        """Divided by a length, or a mean: no longer a raw sum of log-probs."""
        return self.reduction == "mean" or self.divisor is not None


# -- small readers ---------------------------------------------------------------------

def _key(node: cst.BaseExpression) -> str | None:
    """`"input_ids"` in `batch["input_ids"]`, or the attribute in `enc.input_ids`."""
    if isinstance(node, cst.Subscript) and len(node.slice) == 1 \
            and isinstance(node.slice[0].slice, cst.Index) \
            and isinstance(node.slice[0].slice.value, cst.SimpleString):
        value = node.slice[0].slice.value.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _name(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    key = _key(node)
    return key


def _method(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return node.func.attr.value
    return None


def _number(node: cst.BaseExpression) -> float | None:
    if isinstance(node, (cst.Integer, cst.Float)):
        return float(node.evaluated_value)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = _number(node.expression)
        return -inner if inner is not None else None
    return None


def _is_zero(node: cst.BaseExpression) -> bool:
    """`0`, `0.0`, `torch.zeros_like(x)`, `np.zeros(...)`: the neutral value of a sum."""
    if isinstance(node, cst.Call):
        return patterns.vocab_name(node) in ("zeros_like", "zeros", "new_zeros")
    return _number(node) == 0


def _positional(call: cst.Call) -> list[cst.BaseExpression]:
    return [a.value for a in call.args if a.keyword is None and not a.star]


def _model_calls(ctx: FileContext, at: cst.CSTNode) -> list[cst.Call]:
    """The calls of a language model in the function around `at`: unknown calls taking
    ids, with a language model's keywords (`attention_mask=`, `input_ids=`, `labels=`,
    `**batch`) or with their `logits` read (`model(ids).logits`, `out = model(ids)` ...
    `out["logits"]`). One walk of the function, cached per file context."""
    home = ctx.flow.home(at)
    if home is None:
        return []
    cache: dict = ctx.__dict__.setdefault("_role_model_calls", {})  # per file context
    if home in cache:
        return cache[home]
    calls: list[cst.Call] = []
    outputs: set[int] = set()  # the values whose `logits` are read
    for current in ctx.flow.nodes_under(home):
        kind = type(current)  # exact classes: isinstance on an ABC costs a call per node
        if kind is cst.Call:
            calls.append(current)
        elif kind is cst.Attribute and current.attr.value == "logits" \
                or kind is cst.Subscript and _key(current) == "logits":
            output = current.value
            outputs.update((id(output), id(ctx.resolve(output))))
    found = [call for call in calls
             if (id(call) in outputs or any(
                 a.keyword is not None and a.keyword.value in LM_KEYWORDS or a.star == "**"
                 for a in call.args))
             and patterns.model_input(call) is not None
             and patterns.model_call(ctx, call) is not None]
    cache[home] = found
    return found


LM_KEYWORDS = frozenset({"input_ids", "attention_mask", "labels", "decoder_input_ids",
                          "past_key_values", "use_cache", "position_ids", "inputs_embeds"})


def _same(ctx: FileContext, a: cst.BaseExpression, b: cst.BaseExpression) -> bool:
    """`ctx.same`, answered by identifiers alone when both are names (the common case,
    and rendering code is what costs)."""
    if a is b:
        return True
    if isinstance(a, cst.Name) and isinstance(b, cst.Name):
        return a.value == b.value
    return ctx.same(a, b)


def _uses(ctx: FileContext, node: cst.BaseExpression) -> list[tuple[cst.Call, str]]:
    """The model calls that take `node` (or a name bound to the same value) as a keyword:
    (call, keyword)."""
    found = []
    for call in _model_calls(ctx, node):
        for arg in call.args:
            if arg.keyword is not None and _same(ctx, arg.value, node):
                found.append((call, arg.keyword.value))
    return found


def _positions(ctx: FileContext, node: cst.BaseExpression) -> Positions | None:
    traced = patterns.trace_positions(ctx, node)
    return Positions(traced.base, traced.window) if traced is not None else None


# -- token ids and labels -----------------------------------------------------------------

def ids_role(ctx: FileContext, node: cst.BaseExpression, depth: int = _MAX_DEPTH) -> Role | None:
    """Token ids or labels: what a model or tokenizer shows them to be, else a name hint."""
    positions = _positions(ctx, node)
    base = positions.base if positions is not None else node
    found = _ids_source(ctx, base, depth)
    if found is None:
        return None
    return replace(found, positions=positions)


def _ids_source(ctx: FileContext, node: cst.BaseExpression, depth: int) -> Role | None:
    if depth <= 0:
        return None
    key = _key(node)
    if key is not None:
        if LABELS_KEY.search(key):
            return Role(LABELS, True, f"the `{key}` of a batch", node)
        if IDS_KEY.search(key):
            return Role(IDS, True, f"the `{key}` of a batch", node)
        return None
    if isinstance(node, cst.Attribute) and node.attr.value == "input_ids":
        return Role(IDS, True, "a tokenizer's `input_ids`", node)
    for call, keyword in _uses(ctx, node):
        if keyword == "labels":
            return Role(LABELS, True, "passed as `labels=` to a model", call)
        if keyword in ("input_ids", "decoder_input_ids"):
            return Role(IDS, True, f"passed as `{keyword}=` to a model", call)
    for call in _model_calls(ctx, node):
        first = _positional(call)
        if first and _same(ctx, first[0], node):
            return Role(IDS, True, "the input of a model call", call)
    if isinstance(node, cst.Call):
        method = _method(node)
        if method in ("encode", "convert_tokens_to_ids", "apply_chat_template"):
            return Role(IDS, True, f"made by a tokenizer's `{method}`", node)
        if method in ("masked_fill", "masked_fill_") and len(node.args) == 2 \
                and _number(node.args[1].value) == -100 and isinstance(node.func, cst.Attribute):
            return Role(LABELS, True, "ids with `-100` written in", node)
        if method in ("clone", "copy", "detach", "long", "to", "contiguous") \
                and isinstance(node.func, cst.Attribute):
            return _ids_source(ctx, node.func.value, depth - 1)
    if isinstance(node, cst.Name):
        value = ctx.value(node)
        if value is not None:
            return _ids_source(ctx, value, depth - 1)
        if IDS_HINT.search(node.value):
            kind = LABELS if "label" in node.value.lower() else IDS
            return Role(kind, False, f"named `{node.value}`", node)
    if isinstance(node, cst.Attribute) and IDS_HINT.search(node.attr.value):
        return Role(LABELS if "label" in node.attr.value.lower() else IDS, False,
                    f"named `{node.attr.value}`", node)
    return None


# -- masks ------------------------------------------------------------------------------------

def mask_role(ctx: FileContext, node: cst.BaseExpression, depth: int = _MAX_DEPTH) -> Role | None:
    """A padding / loss mask and its polarity, from the comparison, key or model argument
    that made it; a name alone gives a hint (`evidence` False)."""
    return _mask(ctx, node, depth, patterns.FULL)


def _mask(ctx: FileContext, node: cst.BaseExpression, depth: int,
          window: patterns.Window) -> Role | None:
    if depth <= 0:
        return None
    if isinstance(node, cst.Subscript):
        key = _key(node)
        if key is not None:
            return _keyed_mask(node, key, window)
        step = patterns.time_window(ctx, node)
        composed = patterns.compose(window, step) if step is not None else None
        if composed is None:
            return None
        if any(isinstance(e.slice, cst.Index) and not _is_none(e.slice.value)
               and not isinstance(e.slice.value, (cst.Ellipsis,)) for e in node.slice):
            return None  # `mask[0]`, `mask[:, t]`: not a whole mask along time
        return _mask(ctx, node.value, depth - 1, composed)
    if isinstance(node, cst.Attribute):
        if node.attr.value in ("attention_mask",):
            return Role(MASK, True, "a tokenizer's `attention_mask`", node,
                        Positions(node, window), keep=True)
        found = [_mask(ctx, v, depth - 1, window) for v in origins._member_values(ctx, node)]
        if found and all(f is not None for f in found):
            return found[0]
        if _MASK_HINT.search(node.attr.value):
            return Role(MASK, False, f"named `{node.attr.value}`", node, Positions(node, window),
                        keep=None if "pad" in node.attr.value.lower() else True)
        return None
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.BitInvert, cst.Not)):
        inner = _mask(ctx, node.expression, depth - 1, window)
        return _flipped(inner, node)
    if isinstance(node, cst.BinaryOperation):
        if isinstance(node.operator, cst.Subtract) and _number(node.left) == 1:
            return _flipped(_mask(ctx, node.right, depth - 1, window), node)
        if isinstance(node.operator, (cst.Multiply, cst.BitAnd)):
            left = _mask(ctx, node.left, depth - 1, window)
            right = _mask(ctx, node.right, depth - 1, window)
            if left is not None and right is not None and left.keep and right.keep:
                return left if left.evidence else right  # both real: real
            return None
        return None
    if isinstance(node, cst.Comparison):
        return _compared(ctx, node, window)
    if isinstance(node, cst.Call):
        method = _method(node)
        if method in ("ne", "eq", "not_equal", "equal", "lt", "gt", "le", "ge", "less", "greater") \
                and isinstance(node.func, cst.Attribute) and len(_positional(node)) == 1:
            return _compared_call(ctx, node, node.func.value, _positional(node)[0], method, window)
        name = patterns.vocab_name(node)
        args = _positional(node)
        if name in ("ne", "eq", "not_equal", "equal") and len(args) == 2 and \
                ctx.qualified_names(node.func):
            return _compared_call(ctx, node, args[0], args[1], name, window)
        if name in _FLIPS and args:
            return _flipped(_mask(ctx, args[0], depth - 1, window), node)
        if name in _FLIPS and isinstance(node.func, cst.Attribute):
            return _flipped(_mask(ctx, node.func.value, depth - 1, window), node)
        if method in _CASTS and isinstance(node.func, cst.Attribute):
            return _mask(ctx, node.func.value, depth - 1, window)
        return None
    if isinstance(node, cst.Name):
        values = ctx.values(node)
        if values:  # a value we can read decides
            found = [_mask(ctx, v, depth - 1, window) for v in values]
            if all(f is not None for f in found):
                return found[0]  # type: ignore[return-value]
            return None
        for call, keyword in _uses(ctx, node):
            if keyword in ("attention_mask", "decoder_attention_mask"):
                return Role(MASK, True, f"passed as `{keyword}=` to a model", call,
                            Positions(node, window), keep=True)
        if _conventional_mask(ctx, node):
            # `attention_mask`, `loss_mask`, `completion_mask` as a parameter: the names a
            # model's or a collator's API gives them, read like a batch's keys.
            return Role(MASK, True, f"`{node.value}`", node, Positions(node, window), keep=True)
        if _MASK_HINT.search(node.value):
            return Role(MASK, False, f"named `{node.value}`", node, Positions(node, window),
                        keep=None if "pad" in node.value.lower() else True)
    return None


def _conventional_mask(ctx: FileContext, node: cst.Name) -> bool:
    """A name an API gives masks (`attention_mask`, `completion_mask`, `loss_mask`; not a
    bare `mask`), bound where the code cannot show the value: a parameter, or one part of
    a tuple a helper returns. Such a name is read like a batch's key; a name bound to a
    value we can read is judged by that value instead."""
    if node.value == "mask" or not _KEEP_MASK_KEY.search(node.value):
        return False
    found = ctx.definitions(node) or ()
    return bool(found) and all(d.kind in _UNREADABLE for d in found)


_UNREADABLE = frozenset({PARAMETER, UNPACK})


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _keyed_mask(node: cst.Subscript, key: str, window: patterns.Window) -> Role | None:
    if _KEEP_MASK_KEY.search(key):
        return Role(MASK, True, f"the `{key}` of a batch", node, Positions(node, window), keep=True)
    if _PAD_MASK_KEY.search(key):
        return Role(MASK, True, f"the `{key}` of a batch", node, Positions(node, window), keep=None)
    return None


def _flipped(found: Role | None, at: cst.CSTNode) -> Role | None:
    if found is None:
        return None
    keep = None if found.keep is None else not found.keep
    return replace(found, keep=keep, why=f"the complement of {found.why}", made=at)


_KEEP_OPS = {cst.NotEqual: True, cst.Equal: False}
_METHOD_KEEP = {"ne": True, "not_equal": True, "eq": False, "equal": False}


def _compared(ctx: FileContext, node: cst.Comparison, window: patterns.Window) -> Role | None:
    if len(node.comparisons) != 1:
        return None
    target = node.comparisons[0]
    operator = type(target.operator)
    if operator in _KEEP_OPS:
        return _id_comparison(ctx, node, node.left, target.comparator, _KEEP_OPS[operator], window)
    order = {cst.LessThan: True, cst.LessThanEqual: True, cst.GreaterThan: False,
             cst.GreaterThanEqual: False}.get(operator)
    if order is None:
        return None
    return _length_comparison(ctx, node, node.left, target.comparator, order, window)


def _compared_call(ctx: FileContext, node: cst.Call, left: cst.BaseExpression,
                   right: cst.BaseExpression, method: str, window: patterns.Window) -> Role | None:
    if method in _METHOD_KEEP:
        return _id_comparison(ctx, node, left, right, _METHOD_KEEP[method], window)
    less = method in ("lt", "le", "less")
    return _length_comparison(ctx, node, left, right, less, window)


def _id_comparison(ctx: FileContext, node: cst.CSTNode, left: cst.BaseExpression,
                   right: cst.BaseExpression, keep: bool, window: patterns.Window) -> Role | None:
    """`ids != pad_id`, `labels != -100`, `labels.ne(ignore_index)`: a mask over the ids'
    positions (keep for `!=`, pad for `==`). The ids side must be token ids or labels, or
    the scalar must be -100 or a pad id read from a tokenizer or a config."""
    for ids, scalar in ((left, right), (right, left)):
        value = _number(scalar)
        if value is not None and value not in (-100, 0, -1):
            continue
        ids_found = ids_role(ctx, ids)
        padish = value == -100 or _is_pad_id(ctx, scalar)
        if ids_found is not None and (ids_found.evidence or padish):
            positions = ids_found.positions
            if positions is not None and not window.full:
                composed = patterns.compose(window, positions.window)
                positions = Positions(positions.base, composed) if composed is not None else None
            what = "-100" if value == -100 else ctx.short(scalar, 30)
            return Role(MASK, True, f"a comparison of token ids with `{what}`", node, positions,
                        keep=keep)
    return None


def _is_pad_id(ctx: FileContext, node: cst.BaseExpression) -> bool:
    """A pad id read from a tokenizer or a config (`tokenizer.pad_token_id`), or a name
    bound to one; `ignore_index` of a loss."""
    node = ctx.resolve(node)
    name = _name(node) or ""
    return bool(patterns.PAD_NAME.search(name)) or "ignore_index" in name.lower() \
        or name.upper() == "IGNORE_INDEX"


def _length_comparison(ctx: FileContext, node: cst.CSTNode, left: cst.BaseExpression,
                       right: cst.BaseExpression, less: bool,
                       window: patterns.Window) -> Role | None:
    """`arange(T)[None] < lengths[:, None]` (keep) or `>=` (pad): positions against lengths."""
    for side, other, keep in ((left, right, less), (right, left, not less)):
        value = ctx.resolve(_strip(side))
        if isinstance(value, cst.Call) and patterns.vocab_name(value) in _ARANGES:
            return Role(MASK, True, "positions compared with lengths", node,
                        Positions(node if isinstance(node, cst.BaseExpression) else side, window),
                        keep=keep)
    return None


def _strip(node: cst.BaseExpression) -> cst.BaseExpression:
    """`x[None]`, `x[:, None]`, `x.unsqueeze(0)`, `x.to(d)`: the same values."""
    for _ in range(6):
        if isinstance(node, cst.Subscript) and all(
                isinstance(e.slice, cst.Index) and _is_none(e.slice.value)
                or isinstance(e.slice, cst.Slice) and e.slice.lower is None and e.slice.upper is None
                for e in node.slice):
            node = node.value
        elif _method(node) in ("unsqueeze", "to", "expand", "expand_as", "long", "int", "float",
                               "view", "reshape"):
            node = node.func.value  # type: ignore[union-attr]
        else:
            break
    return node


# -- lengths ------------------------------------------------------------------------------------

def length_role(ctx: FileContext, node: cst.BaseExpression, depth: int = 8) -> Role | None:
    """What a divisor counts: a mask's real tokens, an axis's padded size, a string's
    characters or bytes, the items of a list; None when unknown."""
    if depth <= 0:
        return None
    node = _strip_float(node)
    if isinstance(node, cst.Name):
        value = ctx.value(node)
        return length_role(ctx, value, depth - 1) if value is not None else None
    if isinstance(node, cst.Subscript) and isinstance(node.value, cst.Attribute) \
            and node.value.attr.value == "shape":
        return Role(LENGTH, True, "the size of an axis", node, unit="padded")
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Subtract)):
        left = length_role(ctx, node.left, depth - 1)
        return left  # `n - 1`, `n + eps`: the same count, give or take
    if not isinstance(node, cst.Call):
        return None
    name = patterns.vocab_name(node)
    if name == "size" and isinstance(node.func, cst.Attribute) and len(node.args) == 1:
        return Role(LENGTH, True, "the size of an axis", node, unit="padded")
    if name in ("clamp", "clamp_min", "clip", "maximum", "max") and isinstance(node.func, cst.Attribute):
        return length_role(ctx, node.func.value, depth - 1)  # `mask.sum(-1).clamp(min=1)`
    op = ctx.op(node, follow=False)
    if op is not None and op.kind == "sum" and op.operand is not None:
        found = mask_role(ctx, op.operand)
        if found is not None:
            return Role(LENGTH, found.evidence, f"the count of {found.why}", node, unit="tokens")
        return None
    if op is not None and op.kind == "len" and op.operand is not None or \
            isinstance(node.func, cst.Name) and node.func.value == "len" and node.args:
        counted = node.args[0].value
        if _method(counted) == "encode":
            return Role(LENGTH, True, "the bytes of a text", node, unit="bytes")
        if _method(counted) == "split":
            return Role(LENGTH, True, "the words of a text", node, unit="words")
        found_ids = ids_role(ctx, counted)
        if found_ids is not None:
            return Role(LENGTH, found_ids.evidence, "the number of token ids", node, unit="tokens")
        if text_of(ctx, counted) is not None:
            return Role(LENGTH, True, "the characters of a text", node, unit="chars")
        return Role(LENGTH, True, "`len` of a value", node, unit="items")
    return None


_STR_METHODS = frozenset({"strip", "lstrip", "rstrip", "lower", "upper", "format", "join",
                          "replace", "casefold", "removeprefix", "removesuffix"})
_TOKENIZE = frozenset({"encode", "encode_plus", "tokenize", "batch_encode_plus"})


def text_of(ctx: FileContext, node: cst.BaseExpression, depth: int = 6) -> cst.BaseExpression | None:
    """`node` itself when it is a text: a string literal, an f-string, a `str` method's
    result, a parameter annotated `str`, or a value the function hands to a tokenizer
    (`tok(text)`, `tok.encode(text)`); None when unknown."""
    if depth <= 0:
        return None
    if isinstance(node, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)):
        return node
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        if text_of(ctx, node.left, depth - 1) is not None \
                or text_of(ctx, node.right, depth - 1) is not None:
            return node
        return None
    if _method(node) in _STR_METHODS:
        return node
    if not isinstance(node, cst.Name):
        return None
    value = ctx.value(node)
    if value is not None:
        return node if text_of(ctx, value, depth - 1) is not None else None
    for definition in ctx.definitions(node) or ():
        param = next((p for p in (definition.target, definition.statement)
                      if isinstance(p, cst.Param)), None)
        if definition.kind == PARAMETER and param is not None and param.annotation is not None \
                and ctx.code(param.annotation.annotation) == "str":
            return node
    home = ctx.flow.home(node)
    for current in ctx.flow.nodes_under(home) if home is not None else ():
        if isinstance(current, cst.Call) and tokenized(ctx, current) is not None \
                and _same(ctx, tokenized(ctx, current), node):  # type: ignore[arg-type]
            return node
    return None


def tokenized(ctx: FileContext, call: cst.BaseExpression) -> cst.BaseExpression | None:
    """The text a tokenizer call reads: `tok.encode(t)`, `tokenizer(t, return_tensors=...)`
    (an unknown call whose output's `input_ids` is read, or given a tokenizer's keywords)."""
    if not isinstance(call, cst.Call) or not call.args or call.args[0].keyword is not None:
        return None
    if _method(call) in _TOKENIZE:
        return call.args[0].value
    if ctx.op(call, follow=False) is not None or ctx.loss(call) is not None:
        return None
    if any(a.keyword is not None and a.keyword.value in _TOKENIZER_KEYWORDS for a in call.args):
        return call.args[0].value
    parent = next(iter(ctx.flow.ancestors(call)), None)
    if isinstance(parent, cst.Attribute) and parent.attr.value == "input_ids" \
            or isinstance(parent, cst.Subscript) and _key(parent) == "input_ids":
        return call.args[0].value
    return None


_TOKENIZER_KEYWORDS = frozenset({"return_tensors", "add_special_tokens", "truncation",
                                 "return_attention_mask", "max_length"})


def _strip_float(node: cst.BaseExpression) -> cst.BaseExpression:
    while isinstance(node, cst.Call):
        if isinstance(node.func, cst.Name) and node.func.value in ("float", "int") and node.args:
            node = node.args[0].value
        elif _method(node) in ("float", "item", "to", "type_as", "double", "unsqueeze"):
            node = node.func.value  # type: ignore[union-attr]
        else:
            break
    return node


# -- logits -------------------------------------------------------------------------------------

def logits_role(ctx: FileContext, node: cst.BaseExpression,
                depth: int = _MAX_DEPTH) -> Role | None:
    """The logits a value is, with the model call behind them when it is seen and their
    window along time: `model(ids).logits[:, :-1]`, `out["logits"]`, `logits / T`.
    LOGPROBS when a log_softmax (or a `log` of a softmax) was taken on the way. Evidence:
    the `.logits` / `["logits"]` of a call's output; a call of an unknown model, or a
    name, is a hint."""
    window, normalized = patterns.FULL, False
    while depth:
        depth -= 1
        if isinstance(node, cst.Name):
            value = ctx.value(node)
            if value is None:
                kind = LOGPROBS if normalized else LOGITS
                if _LOGITS_HINT.search(node.value):
                    return Role(kind, False, f"named `{node.value}`", node,
                                Positions(node, window))
                return None
            node = value
            continue
        if isinstance(node, cst.Subscript):
            key = _key(node)
            if key == "logits":
                return _model_logits(ctx, node, node.value, window, normalized)
            if key is not None:
                return None
            step = patterns.time_window(ctx, node)
            composed = patterns.compose(window, step) if step is not None else None
            if composed is None:
                return None
            window = composed
            node = node.value
            continue
        if isinstance(node, cst.Attribute):
            if node.attr.value == "logits":
                return _model_logits(ctx, node, node.value, window, normalized)
            values = origins._member_values(ctx, node)
            if len(values) == 1:
                node = values[0]
                continue
            return None
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
            node = node.left  # a temperature
            continue
        if isinstance(node, cst.Call):
            op = ctx.op(node, follow=False)
            if op is not None and op.operand is not None and op.kind in ("reshape", "copy", "cast"):
                node = op.operand
                continue
            if op is not None and op.operand is not None and op.kind in ("log_softmax",):
                normalized = True
                node = op.operand
                continue
            if op is None and _method(node) in _CASTS and isinstance(node.func, cst.Attribute):
                node = node.func.value
                continue
            if op is None and patterns.model_call(ctx, node) is not None \
                    and patterns.model_input(node) is not None:
                kind = LOGPROBS if normalized else LOGITS
                return Role(kind, False, "the output of a model call", node,
                            Positions(node, window), call=node)
        return None
    return None


def _model_logits(ctx: FileContext, made: cst.BaseExpression, output: cst.BaseExpression,
                  window: patterns.Window, normalized: bool) -> Role:
    call = ctx.trace(output)
    model = call if isinstance(call, cst.Call) and patterns.model_call(ctx, call) is not None \
        else None
    kind = LOGPROBS if normalized else LOGITS
    return Role(kind, True, "the `logits` of a model's output", made, Positions(made, window),
                call=model)


# -- per-token log-probs --------------------------------------------------------------------------

def token_scores(ctx: FileContext, node: cst.BaseExpression, per_token: bool = False,
                 depth: int = _MAX_DEPTH) -> TokenScores | None:
    """The per-token log-probs (or raw logits gathered at ids) `node` holds, with the masks
    applied on the way. `per_token`: `node` is already one token's term (a generator's
    element, a `+=` in a loop)."""
    cache: dict = ctx.__dict__.setdefault("_role_tokens", {})  # per file context
    key = (id(node), per_token, depth)
    if key not in cache:
        cache[key] = _Walk(ctx).run(node, per_token, depth)
    return cache[key]


@dataclass
class _Walk:
    ctx: FileContext
    applied: list[Applied] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    targets: cst.BaseExpression | None = None
    selected: bool = False
    gathered: bool = False  # a gather / take_along_axis call was passed
    after: patterns.Window | None = patterns.FULL  # None: a slice after gathering is unclear

    def run(self, node: cst.BaseExpression, per_token: bool, depth: int) -> TokenScores | None:
        ctx = self.ctx
        self.selected = per_token
        seen: set[int] = set()
        while depth and id(node) not in seen:
            depth -= 1
            seen.add(id(node))
            if self.selected and isinstance(node, (cst.Name, cst.Attribute, cst.Subscript, cst.Call)):
                # Gathered at ids from logits (or from their log_softmax) seen as such.
                found = logits_role(ctx, node)
                if found is not None:
                    kind = TOKEN_LOGPROBS if found.kind == LOGPROBS else TOKEN_LOGITS
                    return self._done(kind, node, found)
            if isinstance(node, cst.Name):
                self.names.append(node.value)
                value = ctx.value(node)
                if value is None:
                    return self._joined(node, depth)
                node = value
            elif isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
                node = node.expression
            elif isinstance(node, cst.BinaryOperation):
                nxt = self._binary(node)
                if nxt is None or isinstance(nxt, TokenScores):
                    return nxt
                node = nxt
            elif isinstance(node, cst.Subscript):
                node = self._subscript(node)
            elif isinstance(node, cst.Attribute):
                values = origins._member_values(ctx, node)
                if len(values) != 1:
                    return None
                node = values[0]
            elif isinstance(node, cst.Call):
                nxt = self._call(node, depth)
                if nxt is None or isinstance(nxt, TokenScores):
                    return nxt
                node = nxt
            else:
                return None
        return None

    def _joined(self, node: cst.Name, depth: int) -> TokenScores | None:
        """A name bound in both arms of an `if`: per-token scores when every value is."""
        values = self.ctx.values(node)
        if not values and not self.gathered and is_parameter(self.ctx, node):
            passed = _from_callers(self.ctx, node, depth)
            if passed is not None:
                return replace(passed, applied=(*self.applied, *passed.applied),
                               names=(*self.names, *passed.names))
        if not values or len(values) == 1:
            return self._done(TOKEN_VALUES, node, None) if self.gathered else None
        found = [_Walk(self.ctx, list(self.applied), list(self.names), self.targets)
                 .run(v, self.selected, depth) for v in values]
        if any(f is None for f in found) or len({f.kind for f in found}) != 1:  # type: ignore[union-attr]
            return None
        first = found[0]
        assert first is not None
        return first if all(f.masked for f in found) else replace(  # type: ignore[union-attr]
            first, applied=tuple(a for a in first.applied if a in self.applied), ignored=False)

    def _done(self, kind: str, made: cst.CSTNode, logits: Role | None,
              ignored: bool = False) -> TokenScores:
        targets = ids_role(self.ctx, self.targets) if self.targets is not None else None
        positions = _positions(self.ctx, self.targets) if self.targets is not None else None
        return TokenScores(kind, made, logits, targets, positions, tuple(self.applied), ignored,
                           tuple(self.names), self.after if self.after is not None else _UNCLEAR)

    def _binary(self, node: cst.BinaryOperation) -> cst.BaseExpression | TokenScores | None:
        ctx = self.ctx
        if isinstance(node.operator, cst.Multiply):
            for side, other in ((node.right, node.left), (node.left, node.right)):
                found = mask_role(ctx, side)
                if found is not None:
                    self.applied.append(Applied(found, MULTIPLY, node, side))
                    return other
            for side, other in ((node.right, node.left), (node.left, node.right)):
                if _number(side) is not None:
                    return other  # `-1 * lp`, `lp * 0.5`: a scale keeps the shape
            for side, other in ((node.right, node.left), (node.left, node.right)):
                # `-self.beta * kl`, `beta * lp`: a scalar read from a name keeps them too,
                # when the other side is per-token scores.
                if _scalar(ctx, side) and token_scores(ctx, other, self.selected) is not None:
                    return other
            return None
        if isinstance(node.operator, cst.Subtract):
            right = ctx.op(node.right)
            if right is not None and right.kind == "logsumexp":
                # `logits.gather(-1, ids) - logits.logsumexp(-1)`: log-probs by hand.
                inner = _Walk(ctx, list(self.applied), list(self.names))
                found = inner.run(node.left, self.selected, _MAX_DEPTH)
                if found is not None and found.kind == TOKEN_LOGITS:
                    return replace(found, kind=TOKEN_LOGPROBS)
                return found
            # `logps - ref_logps`: per-token log-ratios, masked where both sides are, or where
            # a mask was applied to the difference (`(lp - ref) * mask`) on the way here.
            left = _Walk(ctx, [], list(self.names)).run(node.left, self.selected, _MAX_DEPTH)
            right = token_scores(ctx, node.right, self.selected) if left is not None else None
            if left is None or right is None or left.kind != right.kind:
                return None
            both = left.masked and right.masked
            return replace(left, applied=(*self.applied, *(left.applied if both else ())),
                           ignored=both and left.ignored)
        return None

    def _subscript(self, node: cst.Subscript) -> cst.BaseExpression:
        ctx = self.ctx
        if not self.selected and self.after is not None:
            # Sliced along time after gathering (`tok[:, n:]`): walked outside in. A trailing
            # `[..., 0]` drops the gathered axis.
            step = patterns.time_window(ctx, node) if not _drops_last(node) else patterns.FULL
            self.after = patterns.compose(self.after, step) if step is not None else None
        for element in node.slice:
            part = element.slice
            if not isinstance(part, cst.Index):
                continue
            value = part.value
            if isinstance(value, (cst.Integer, cst.Ellipsis, cst.SimpleString, cst.UnaryOperation)) \
                    or _is_none(value):
                continue
            found = mask_role(ctx, value)
            if found is not None:
                self.applied.append(Applied(found, SELECT, node, value))
                continue
            self.selected = True
            if self.targets is None and element is node.slice[-1]:
                inner = value
                if isinstance(inner, cst.Subscript) or ids_role(ctx, inner) is not None:
                    self.targets = inner
        return node.value

    def _call(self, node: cst.Call, depth: int) -> cst.BaseExpression | TokenScores | None:
        ctx = self.ctx
        loss = ctx.loss(node)
        if loss is not None:
            return self._loss(node, loss)
        name = patterns.vocab_name(node)
        args = _positional(node)
        if name in ("masked_fill", "masked_fill_") and isinstance(node.func, cst.Attribute) \
                and len(args) == 2:
            found = mask_role(ctx, args[0])
            if _number(args[1]) == 0 and found is not None:
                self.applied.append(Applied(found, FILL, node, args[0]))
            return node.func.value
        if name == "where" and len(args) == 3:
            found = mask_role(ctx, args[0])
            if _is_zero(args[2]) and found is not None:
                self.applied.append(Applied(found, WHERE_KEEP, node, args[0]))
                return args[1]
            if _is_zero(args[1]) and found is not None:
                self.applied.append(Applied(found, FILL, node, args[0]))
                return args[2]
            return None
        op = ctx.op(node, follow=False)
        if op is None:
            if _method(node) in _CASTS and isinstance(node.func, cst.Attribute):
                return node.func.value
            for value in origins.helper_returns(ctx, node):
                value = _first_of_tuple(value)
                inner = _Walk(ctx, list(self.applied), list(self.names), self.targets)
                found = inner.run(value, self.selected, depth)
                if found is not None:
                    return found
            return None
        if op.operand is None:
            return None
        if op.kind in _LOG_KINDS:
            if not self.selected:
                return None
            source = ctx.op(op.operand)
            if op.kind == "log" and (source is None or source.kind != "softmax"):
                # `log(p)` of a gathered probability: log-probs when p is a softmax.
                return self._done(TOKEN_LOGPROBS, op.call, None)
            logits = logits_role(ctx, source.operand if op.kind == "log" and source is not None
                                 and source.operand is not None else op.operand)
            return self._done(TOKEN_LOGPROBS, op.call, logits)
        if op.kind == "select":
            self.selected = self.gathered = True
            index = _select_index(node, op)
            if index is not None and self.targets is None:
                self.targets = index
            return op.operand
        if op.kind in ("reshape", "copy", "cast"):
            return op.operand
        return None

    def _loss(self, node: cst.Call, loss) -> TokenScores | None:  # type: ignore[no-untyped-def]
        """`cross_entropy(logits, y, reduction="none")`: per-token negative log-probs, with
        the positions of `y` masked when an `ignore_index` or `-100` labels say so."""
        ctx = self.ctx
        reduction = patterns.keyword(node, "reduction")
        if reduction is None and loss.module is not None:
            reduction = patterns.keyword(loss.module, "reduction")
        per_token = (isinstance(reduction, cst.SimpleString) and reduction.evaluated_value == "none"
                     or reduction is None and loss.framework in _LOSS_PER_TOKEN_DEFAULT)
        if not per_token or loss.prediction is None:
            return None
        target = patterns.keyword(node, "target", "targets", "label", "labels")
        if target is None:
            positional = _positional(node)
            target = positional[1] if len(positional) > 1 else None
        self.targets = target
        targets = ids_role(ctx, target) if target is not None else None
        # torch ignores -100 by default: labels (not raw ids) are masked by construction.
        ignored = patterns.keyword(node, "ignore_index") is not None or (
            loss.module is not None and patterns.keyword(loss.module, "ignore_index") is not None
        ) or loss.framework == "torch" and (targets is None or targets.kind == LABELS
                                            or not targets.evidence)
        return self._done(TOKEN_LOGPROBS, node, logits_role(ctx, loss.prediction), ignored)


def _from_callers(ctx: FileContext, param: cst.Name, depth: int) -> TokenScores | None:
    """A parameter holds per-token scores when every call of its function in the module
    passes them there (`sequence_logps(tok, mask)`), masked only when every caller's are.
    Where they stand along time is the callers' business: positions are left out."""
    home = ctx.flow.home(param)
    if not isinstance(home, cst.FunctionDef) or depth <= 0:
        return None
    busy: set = ctx.__dict__.setdefault("_role_callers_busy", set())  # recursion guard
    if id(param) in busy:
        return None
    names = [p.name.value for p in (*home.params.posonly_params, *home.params.params)]
    if param.value not in names:
        return None
    busy.add(id(param))
    try:
        found = []
        for call in _calls_of(ctx, home.name.value):
            positional = names[1:] if isinstance(call.func, cst.Attribute) and names \
                and names[0] in ("self", "cls") else names
            arg = patterns.keyword(call, param.value)
            if arg is None and param.value in positional:
                args = [a for a in call.args if a.keyword is None]
                if any(a.star for a in args):
                    return None
                index = positional.index(param.value)
                arg = args[index].value if index < len(args) else None
            scores = token_scores(ctx, arg, depth=depth - 1) if arg is not None else None
            if scores is None:
                return None  # one caller passes something else: not known
            found.append(scores)
    finally:
        busy.discard(id(param))
    if not found or len({f.kind for f in found}) != 1:
        return None
    first = found[0]
    masked = all(f.masked for f in found)
    return TokenScores(first.kind, param, None, None, None,
                       first.applied if masked else (), masked and first.ignored)


def _calls_of(ctx: FileContext, name: str) -> list[cst.Call]:
    """The calls of the module's function or method `name`: `name(...)`, `self.name(...)`."""
    cache: dict = ctx.__dict__.setdefault("_role_calls", {})  # per file context
    if not cache:
        stack: list[cst.CSTNode] = [ctx.module]
        while stack:
            current = stack.pop()
            stack.extend(walk.children(current))
            if type(current) is cst.Call:  # exact class: isinstance on an ABC costs a call
                func = current.func
                if isinstance(func, cst.Name):
                    cache.setdefault(func.value, []).append(current)
                elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) \
                        and func.value.value in ("self", "cls"):
                    cache.setdefault(func.attr.value, []).append(current)
        cache.setdefault("", [])  # walked
    return cache.get(name, [])


_SCALAR_CALLS = frozenset({"float", "int", "item"})


def _scalar(ctx: FileContext, node: cst.BaseExpression, depth: int = 4) -> bool:
    """A factor that scales every token alike: a number, a name or member that holds no array
    the code makes (a parameter, `self.beta`, a config field), `float(x)`, `x.item()`, and
    products, quotients and negations of those."""
    if depth <= 0:
        return False
    if _number(node) is not None:
        return True
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        return _scalar(ctx, node.expression, depth - 1)
    if isinstance(node, cst.BinaryOperation) and isinstance(
            node.operator, (cst.Multiply, cst.Divide, cst.Add, cst.Subtract, cst.Power)):
        return _scalar(ctx, node.left, depth - 1) and _scalar(ctx, node.right, depth - 1)
    if isinstance(node, cst.Call):
        return (isinstance(node.func, cst.Name) and node.func.value in _SCALAR_CALLS
                or _method(node) == "item")
    if not isinstance(node, (cst.Name, cst.Attribute)) or mask_role(ctx, node) is not None:
        return False
    if isinstance(node, cst.Name):
        values = ctx.values(node) or ()
        if not values:  # a parameter: a scalar when its default or annotation says so
            return any(_scalar_parameter(ctx, d) for d in ctx.definitions(node) or ())
        return all(_scalar(ctx, v, depth - 1) for v in values)
    # A member (`self.beta`, `self.args.kl_coef`): a configuration value unless the class
    # assigns it an array.
    return all(_scalar(ctx, v, depth - 1) for v in origins._member_values(ctx, node))


def _scalar_parameter(ctx: FileContext, definition) -> bool:  # type: ignore[no-untyped-def]
    param = next((p for p in (definition.target, definition.statement)
                  if isinstance(p, cst.Param)), None)
    if definition.kind != PARAMETER or param is None:
        return False
    if param.default is not None and _number(param.default) is not None:
        return True
    return param.annotation is not None \
        and ctx.code(param.annotation.annotation) in ("float", "int")


def _first_of_tuple(value: cst.BaseExpression) -> cst.BaseExpression:
    """A helper returning `(logps, mask)` returns its log-probs first."""
    if isinstance(value, cst.Tuple) and value.elements:
        return value.elements[0].value
    return value


def _drops_last(node: cst.Subscript) -> bool:
    """`x[..., 0]`, `x[:, :, 0]`: the size-1 axis a gather left, dropped."""
    *lead, last = node.slice
    return bool(lead) and isinstance(last.slice, cst.Index) and _number(last.slice.value) == 0 \
        and all(isinstance(e.slice, cst.Index) and isinstance(e.slice.value, cst.Ellipsis)
                or isinstance(e.slice, cst.Slice) and e.slice.lower is None
                and e.slice.upper is None and e.slice.step is None for e in lead)


def _select_index(call: cst.Call, op) -> cst.BaseExpression | None:  # type: ignore[no-untyped-def]
    args = _positional(call)
    index = patterns.keyword(call, "index", "indices")
    if index is not None:
        return index
    if op.is_method:
        return args[1] if len(args) > 1 else args[0] if args else None
    name = patterns.vocab_name(call)
    if name == "gather":
        return args[2] if len(args) > 2 else None
    return args[1] if len(args) > 1 else None


# A window no rule can match: a slice after gathering that could not be read.
_UNCLEAR = patterns.Window(patterns.Bound("?", 0), patterns.Bound("?", 0))


# -- sequence scores --------------------------------------------------------------------------------

_SUMS = ("sum", "fsum")


def sequence_score(ctx: FileContext, node: cst.BaseExpression,
                   depth: int = 8) -> SequenceScore | None:
    """The sequence score `node` holds: per-token scores summed or averaged along time
    (`lp.sum(-1)`, `sum(lp[t, ids[t]] for t ...)`, a `total += lp[...]` loop, a helper's
    return, the first of a returned tuple), and what it was divided by."""
    cache: dict = ctx.__dict__.setdefault("_role_scores", {})  # per file context
    key = (id(node), depth)
    if key not in cache:
        cache[key] = _sequence_score(ctx, node, depth)
    return cache[key]


def _sequence_score(ctx: FileContext, node: cst.BaseExpression,
                    depth: int) -> SequenceScore | None:
    if depth <= 0:
        return None
    node = patterns._unwrapped(node)
    if isinstance(node, cst.Name):
        for definition in ctx.definitions(node) or ():
            statement = definition.statement
            if definition.kind == AUGMENT and isinstance(statement, cst.AugAssign) \
                    and isinstance(statement.operator, cst.AddAssign):
                tokens = token_scores(ctx, statement.value, per_token=definition.loop is not None)
                if tokens is not None:
                    return SequenceScore(statement, tokens, "sum")
        value = ctx.value(node)
        return sequence_score(ctx, value, depth - 1) if value is not None else None
    if isinstance(node, cst.Subscript):
        if _key(node) is not None:
            return None
        return sequence_score(ctx, node.value, depth - 1)
    if isinstance(node, cst.Attribute):
        values = origins._member_values(ctx, node)
        return sequence_score(ctx, values[0], depth - 1) if len(values) == 1 else None
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = node.expression
        loss = ctx.loss(inner) if isinstance(inner, cst.Call) else None
        if loss is not None:
            reduction = patterns.keyword(inner, "reduction")  # type: ignore[arg-type]
            if isinstance(reduction, cst.SimpleString) and reduction.evaluated_value == "sum":
                tokens = TokenScores(TOKEN_LOGPROBS, inner, None, None, None, (), True)
                return SequenceScore(inner, tokens, "sum")
            return None
        return sequence_score(ctx, inner, depth - 1)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
        found = sequence_score(ctx, node.left, depth - 1)
        if found is None:
            return None
        return replace(found, divisor=node.right, length=length_role(ctx, node.right))
    if not isinstance(node, cst.Call):
        return None
    op = ctx.op(node, follow=False)
    if op is not None and op.kind in (*_SUMS, "mean") and op.operand is not None:
        operand, per_token = op.operand, False
        if isinstance(operand, (cst.GeneratorExp, cst.ListComp)):
            operand, per_token = operand.elt, True
        tokens = token_scores(ctx, operand, per_token=per_token)
        if tokens is None:
            return None
        return SequenceScore(node, tokens, "mean" if op.kind == "mean" else "sum")
    if op is not None and op.kind in ("reshape", "copy", "cast") and op.operand is not None:
        return sequence_score(ctx, op.operand, depth - 1)
    if op is None:
        for made in origins.helper_returns(ctx, node):
            found = sequence_score(ctx, _first_of_tuple(made), depth - 1)
            if found is not None:
                return found
    return None


# -- masks in scope, and the one facade ---------------------------------------------------------

def masks_in_scope(ctx: FileContext, at: cst.CSTNode) -> list[Role]:
    """The masks with evidence the function around `at` holds: read from a batch or a
    tokenizer, passed to a model, or built by a comparison."""
    home = ctx.flow.home(at)
    if home is None or isinstance(home, cst.Module):
        return []
    cache: dict = ctx.__dict__.setdefault("_role_masks", {})  # per file context
    if home in cache:
        return cache[home]
    found: list[Role] = []
    for current in ctx.flow.nodes_under(home):
        # Only where a mask can be made: a key, `.attention_mask`, a comparison, a model's
        # `attention_mask=` argument (a name passed there is a mask wherever it is read).
        candidate: cst.BaseExpression | None = None
        if isinstance(current, cst.Subscript) and _key(current) is not None \
                or isinstance(current, cst.Attribute) and current.attr.value == "attention_mask" \
                or isinstance(current, cst.Comparison) \
                or isinstance(current, cst.Call) and _method(current) in ("ne", "eq"):
            candidate = current  # type: ignore[assignment]
        elif isinstance(current, cst.Arg) and current.keyword is not None \
                and current.keyword.value in ("attention_mask", "decoder_attention_mask"):
            candidate = current.value

        elif isinstance(current, cst.Arg) and current.keyword is not None \
                and current.keyword.value == "padding" and not (
                    isinstance(current.value, cst.Name) and current.value.value in ("False", "None")):
            # A tokenizer padding a batch hands back its attention mask with it.
            found.append(Role(MASK, True, "inputs padded by a tokenizer", current, keep=True))
            continue
        if candidate is None or ctx.flow.home(candidate) is not home:
            continue  # not here, or in a nested function
        role = mask_role(ctx, candidate)
        if role is not None and role.evidence:
            found.append(role)
    # Masks under an API's name that the code cannot read (parameters, unpacked tuples).
    for name, definitions in ctx.flow.flow(home).all.items():
        if name != "mask" and _KEEP_MASK_KEY.search(name) \
                and all(d.kind in _UNREADABLE for d in definitions):
            found.append(Role(MASK, True, f"`{name}`", definitions[0].target, keep=True))
    cache[home] = found
    return found


def role(ctx: FileContext, node: cst.BaseExpression) -> Role | None:
    """The role of any value a rule asks about (the value layer's `role` slot): a sequence
    score, per-token scores, logits, a mask, a length or token ids, the first that fits."""
    score = sequence_score(ctx, node)
    if score is not None:
        return Role(SEQUENCE_SCORE, True, f"a {score.reduction} of per-token scores", score.node)
    tokens = token_scores(ctx, node)
    if tokens is not None:
        return Role(tokens.kind, True, "per-token scores", tokens.made, tokens.target_positions)
    for reader in (logits_role, mask_role, length_role, ids_role):
        found = reader(ctx, node)
        if found is not None:
            return found
    return None


_LOGIT_CONSUMERS = frozenset({"softmax", "log_softmax", "logsumexp"})


def consumed_as_logits(ctx: FileContext, found: Role) -> bool:
    """Is the output of a model call (a hint of logits) also fed, in the same function, to
    a softmax, a log_softmax, a logsumexp or a cross-entropy, which take logits?"""
    if found.call is None:
        return False
    home = ctx.flow.home(found.call)
    for current in ctx.flow.nodes_under(home) if home is not None else ():
        if not isinstance(current, cst.Call) or current is found.call:
            continue
        loss = ctx.loss(current)
        op = ctx.op(current, follow=False) if loss is None else None
        fed = loss.prediction if loss is not None and loss.kind == "cross_entropy" else \
            op.operand if op is not None and op.kind in _LOGIT_CONSUMERS else None
        if fed is None:
            continue
        consumed = logits_role(ctx, fed)
        if consumed is not None and consumed.call is found.call:
            return True
    return False


_KEY_SUFFIX = re.compile(r"(input_ids|ids|labels|attention_mask|mask)$")


def same_frame(ctx: FileContext, a: cst.BaseExpression, b: cst.BaseExpression) -> bool:
    """Are positions counted on `a` and on `b` the same positions? The same value; two keys
    of one batch or tokenizer output with the same prefix (`batch["chosen_input_ids"]`,
    `batch["chosen_attention_mask"]`, `batch["chosen_labels"]`: labels are aligned with the
    ids, by the Hugging Face convention); or the ids and the `attention_mask=` of one model
    call."""
    if ctx.same(a, b):
        return True
    a, b = ctx.resolve(a), ctx.resolve(b)
    keys = _key(a), _key(b)
    if all(k is not None for k in keys) and isinstance(a, cst.Subscript) \
            and isinstance(b, cst.Subscript) and ctx.same(a.value, b.value):
        prefixes = [_KEY_SUFFIX.sub("", k) for k in keys]  # type: ignore[arg-type]
        return prefixes[0] == prefixes[1] and all(_KEY_SUFFIX.search(k) for k in keys)  # type: ignore[arg-type]
    if isinstance(a, cst.Attribute) and isinstance(b, cst.Attribute) \
            and {a.attr.value, b.attr.value} <= {"input_ids", "attention_mask", "labels"} \
            and ctx.same(a.value, b.value):
        return True
    for call in _model_calls(ctx, a):
        fed = patterns.model_input(call)
        mask = patterns.keyword(call, "attention_mask")
        if fed is None or mask is None:
            continue
        if ctx.same(fed, a) and ctx.same(mask, b) or ctx.same(fed, b) and ctx.same(mask, a):
            return True
    return False


def misaligned(ctx: FileContext, tokens: TokenScores) -> Applied | None:
    """A mask applied to per-token scores on other positions than their targets: counted
    on the same ids (or their batch's mask) but sliced differently (`mask[:, :-1]` for
    targets `ids[:, 1:]`, an unshifted mask for shifted targets)."""
    target = tokens.target_positions
    if target is None:
        return None
    for applied in tokens.applied:
        where = applied.mask.positions
        if where is None or where.window == target.window \
                or _span(where.window) is None or _span(where.window) != _span(target.window):
            continue  # windows of different lengths fail loudly at run time
        if same_frame(ctx, where.base, target.base):
            return applied
    return None


def _span(window: patterns.Window) -> int | None:
    """How many positions fewer than the full length a window keeps (`[1:]`: 1), when
    both its ends are offsets from the start and the end."""
    lower, upper = window.lower, window.upper
    if lower.base != "" or upper.base != "end":
        return None
    return lower.offset - upper.offset


def is_parameter(ctx: FileContext, node: cst.BaseExpression) -> bool:
    """Is `node` a name whose only definition is a parameter of its function?"""
    if not isinstance(node, cst.Name):
        return False
    found = ctx.definitions(node) or ()
    return len(found) == 1 and found[0].kind == PARAMETER


__all__ = [
    "IDS", "LABELS", "LENGTH", "LOGITS", "LOGPROBS", "MASK", "SEQUENCE_SCORE", "TOKEN_LOGITS",
    "TOKEN_LOGPROBS", "TOKEN_VALUES", "Applied", "Positions", "Role", "SequenceScore",
    "TokenScores", "consumed_as_logits", "ids_role", "is_parameter", "length_role",
    "logits_role", "mask_role", "masks_in_scope", "misaligned", "role", "same_frame",
    "sequence_score", "text_of", "token_scores", "tokenized",
]
