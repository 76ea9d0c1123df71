"""What can be told about a value from its code: score-like, non-negative, shifted, a size.

Rules share these judgements so that the same look-alike is treated the same
way everywhere. Each one follows names bound once (through the context) and
looks at names, attributes and the operations that produced the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from scorelint.model import origins, values, walk
from scorelint.model import vocabulary as vocab
from scorelint.model.context import FileContext
from scorelint.model.dataflow import ASSIGN, AUGMENT, PARAMETER, Definition
from scorelint.model.vocabulary import Op

SCORE_NAME = values.SCORE_NAME
PROBABILITY_NAME = values.WEIGHT_NAME
SIZE_NAME = re.compile(r"shape|size|dim|len|count|num|^n_|^n$|width|height|batch|total_tokens",
                       re.IGNORECASE)
# Calls whose result is raw scores: a model's forward pass or a linear head.
MODEL_CALL = re.compile(r"model|net|head|linear|classifier|proj|dense|decoder|forward|lm\b",
                        re.IGNORECASE)

# A chance in [0, 1] by name (RULES.md SL207: "named p/prob/hazard/rate").
CHANCE_NAME = re.compile(r"^p$|^ps$|^p_|_p$|prob|hazard|(^|_)rates?($|_)", re.IGNORECASE)
# A log-probability by name: `exp` of it is a probability.
LOG_PROBABILITY_NAME = re.compile(
    r"log_?(p|q|lik|surv|hazard|odds|dens)|^lp$|^lp_|_lp$|nll", re.IGNORECASE)
LOG_KINDS = frozenset({"log", "log_softmax", "log_sigmoid", "logsumexp"})

_PROBABILITY_KINDS = ("softmax", "sigmoid", "exp")


_name_of = values.name_of  # the identifier a value is known by: `logits`, `batch["scores"]`


def _chain(ctx: FileContext, node: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The node and every expression its names were bound to, outermost first, seen
    through selections and shape-only steps (`model(ids)[0]`, `out.logits.view(-1, V)`)."""
    chain = [node]
    for _ in range(8):
        last = chain[-1]
        value = ctx.value(last)
        if value is None and isinstance(last, cst.Subscript):
            value = last.value
        if value is None and isinstance(last, cst.Call):
            op = ctx.op(last, follow=False)
            if op is not None and op.kind in vocab.PRESERVING_KINDS:
                value = op.operand
        if value is None:
            break
        chain.append(value)
    return chain


def is_nonnegative(ctx: FileContext, node: cst.BaseExpression) -> bool:
    """Non-negative by construction (`exp`, `softmax`, `abs`, `x ** 2`, counts, sums,
    products and `@` of such values) on every path that reaches `node`, or named as
    weights where the code shows no lower bound: the value layer's range (`scorelint.model.values`).

    A name read where several assignments reach it counts only when every one of
    them is non-negative (`w = relu(x)`; `w = w + 0.1`; `w / w.sum()`).
    """
    return values.of(ctx, node).range.nonnegative


# Outputs that are positive for every finite input (they may round to 0, which a
# log-space rewrite treats the same way: `log(0) = -inf` adds nothing to a logsumexp).
POSITIVE_KINDS = frozenset({"exp", "softmax", "sigmoid", "softplus"})


def is_positive(ctx: FileContext, node: cst.BaseExpression, depth: int = 6) -> bool:
    """Positive by construction: a positive literal, an `exp`, softmax, sigmoid or
    softplus output, or a product or quotient of such values (through names bound once)."""
    value = ctx.resolve(node)
    if depth <= 0:
        return False
    if isinstance(value, (cst.Integer, cst.Float)):
        return float(value.evaluated_value) > 0
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, (cst.Multiply,
                                                                              cst.Divide)):
        return is_positive(ctx, value.left, depth - 1) and is_positive(ctx, value.right, depth - 1)
    op = ctx.op(value, follow=False)
    return op is not None and op.kind in POSITIVE_KINDS


def is_score_like(ctx: FileContext, node: cst.BaseExpression) -> bool:
    """Raw, unnormalized scores: named logit/score/energy, `.logits`, a model call or `@`.

    A name or a callee's name is only a hint: evidence that the value is non-negative
    (an `exp`, a softmax, a sigmoid, made here or by a same-module helper or model
    class) overrides it."""
    if is_nonnegative(ctx, node) or origins.origin(ctx, node, _PROBABILITY_KINDS) is not None:
        return False
    for step in _chain(ctx, node):
        name = _name_of(step)
        if name and SCORE_NAME.search(name):
            return True
        if isinstance(step, cst.BinaryOperation) and isinstance(step.operator, cst.MatrixMultiply):
            return True
        if isinstance(step, cst.Call):
            op = ctx.op(step, follow=False)
            if op is not None:
                return op.kind == "matmul"
            callee = ctx.code(step.func)
            if MODEL_CALL.search(callee.rsplit(".", 1)[-1]):
                return True
    return False


def is_shifted(ctx: FileContext, node: cst.BaseExpression) -> bool:
    """`x - max(x)`, `x - logsumexp(x)`, `x - m`: already shifted before `exp`, on every
    path: a name is shifted when each definition reaching it is (`z = z - z.amax()`,
    `x -= x.max()`), so a branch that shifts and one that does not still fires.

    Any subtraction of a non-constant counts: we cannot tell a max-shift held
    in a variable from another, and a false alarm here costs more than a miss.
    So does a value whose range keeps `exp` finite (`r * (x - x.max())` with
    `r >= 0`, `-d.pow(2.0)`, `torch.randn(n)`): the value layer's answer.
    """
    return _shifted(ctx, node, 8)


def _shifted(ctx: FileContext, node: cst.BaseExpression, depth: int, whole: bool = True) -> bool:
    """`whole`: `node` is the exponent itself, so a bound keeps `exp` finite; a factor of
    it needs a sign (`randn(n) * 50` is not bounded by 10)."""
    if depth <= 0:
        return False
    if is_nonpositive(ctx, node) if whole else values.of(ctx, node).range.nonpositive:
        return True
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Divide, cst.Multiply)):
        # `(x - m) / T`, `r * (x - m)`: a scale is taken as positive (a temperature, a
        # sharpness) unless its range shows it is not (`-softplus(a) * (x - m)`).
        pairs = [(node.left, node.right)]
        if isinstance(node.operator, cst.Multiply):
            pairs.append((node.right, node.left))
        return any(not values.of(ctx, scale).range.nonpositive
                   and _shifted(ctx, part, depth - 1, whole=False) for part, scale in pairs)
    if isinstance(node, cst.Name):
        found = ctx.definitions(node)
        return bool(found) and all(_shifted_definition(ctx, d, depth - 1, whole) for d in found)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Subtract):
        return not isinstance(ctx.resolve(node.right), (cst.Integer, cst.Float))
    return False


def _shifted_definition(ctx: FileContext, definition: Definition, depth: int,
                        whole: bool = True) -> bool:
    if definition.kind == ASSIGN and definition.value is not None:
        return _shifted(ctx, definition.value, depth, whole)
    stmt = definition.statement
    if definition.kind == AUGMENT and isinstance(stmt, cst.AugAssign):
        if isinstance(stmt.operator, cst.SubtractAssign):  # `x -= x.max()`
            return not isinstance(ctx.resolve(stmt.value), (cst.Integer, cst.Float))
        if isinstance(stmt.operator, (cst.DivideAssign, cst.MultiplyAssign)):  # `x /= T`
            return all(_shifted_definition(ctx, d, depth - 1, whole) for d in definition.previous
                       if d is not definition)
    return False


def is_nonpositive(ctx: FileContext, node: cst.BaseExpression) -> bool:
    """`-x**2`, `-abs(d)`, `-d2 / (2 * s**2)`, `x - max(x)`, `lo - hi`, a cap below the
    overflow: an `exp` of it cannot overflow (the value layer's range)."""
    return values.of(ctx, node).range.nonpositive or is_bounded_above(ctx, node)


def is_bounded_above(ctx: FileContext, node: cst.BaseExpression) -> bool:
    """Bounded so that `exp` of it cannot overflow in its dtype: `minimum(x, 20.0)`,
    `x.clamp(max=50)`, `np.clip(x, None, 30)`, `torch.rand(n)`."""
    return not values.exp_overflow(ctx, node).fails


def is_size(ctx: FileContext, node: cst.BaseExpression) -> bool:
    """An integer size or count: `x.shape`, `n_items`, `[2, 3, 4]`, `range(...)`, `len(...)`."""
    value = ctx.resolve(node)
    for step in (node, value):
        name = _name_of(step)
        if name and SIZE_NAME.search(name):
            return True
        if isinstance(step, (cst.List, cst.Tuple)) and all(
            isinstance(e.value, cst.Integer) for e in step.elements
        ):
            return True
        if isinstance(step, cst.Call) and isinstance(step.func, cst.Name) and step.func.value in (
            "range", "len",
        ):
            return True
    return False


# A temperature (`T`, `tau`, `temperature`, `args.temp`) and its inverse (`inv_temp`).
TEMPERATURE_NAME = re.compile(r"^T$|(?i:temp|(^|_)tau(_|$|\d))")
INVERSE_TEMPERATURE_NAME = re.compile(r"(?i:inv_?temp|inverse_?temp)")
EPSILON_NAME = re.compile(r"(?i:(^|_)(eps|epsilon|tiny)(_|$|\d))")


def is_temperature(ctx: FileContext, node: cst.BaseExpression) -> bool:
    """A sampling or distillation temperature, by name (`T`, `tau`, `self.temperature`)."""
    for step in _chain(ctx, node):
        name = _name_of(step)
        if name and TEMPERATURE_NAME.search(name) and not INVERSE_TEMPERATURE_NAME.search(name):
            return True
    return False


def is_inverse_temperature(ctx: FileContext, node: cst.BaseExpression) -> bool:
    """An inverse temperature by name (`inv_temp`, `self.inverse_temperature`)."""
    return any((name := _name_of(step)) is not None and bool(INVERSE_TEMPERATURE_NAME.search(name))
               for step in _chain(ctx, node))


# An epsilon is tiny: at or above this a constant is a deliberate floor or threshold
# (label smoothing's `eps=0.1`, `p + 0.005`), and dropping it changes the result.
_EPSILON_LIMIT = 1e-3
# Settings named as deliberate limits are never guards, however small their value.
THRESHOLD_NAME = re.compile(r"(?i:thresh|cutoff|margin|floor|limit|min_|_min$|^min$|tol)")


def is_epsilon(ctx: FileContext, node: cst.BaseExpression) -> bool:
    """A small positive guard constant: `1e-9`, `eps`, `self.eps`, `torch.finfo(t).eps`,
    or a name whose value is a tiny literal: `self.gamma` bound to `1e-8` in its class, a
    parameter `delta=1e-8`.

    A value of 1e-3 or more is a deliberate threshold, not an epsilon, whatever its
    name (`eps=0.1` for label smoothing); so is a setting named as a limit
    (`self.threshold`, `min_prob`)."""
    value = ctx.resolve(node)
    number = _tiny_constant(ctx, value)
    if number is not None:
        return 0.0 < number < _EPSILON_LIMIT
    name = _name_of(value)
    return bool(name and EPSILON_NAME.search(name) and not THRESHOLD_NAME.search(name))


def _tiny_constant(ctx: FileContext, node: cst.BaseExpression, depth: int = 4) -> float | None:
    """The number a guard holds: a literal, a name or member bound once to one, or a
    parameter's default (`def f(p, eps=1e-8)`); None when the code does not say."""
    for _ in range(depth):
        if isinstance(node, (cst.Float, cst.Integer)):
            try:
                return float(node.value)
            except ValueError:
                return None
        following = ctx.member(node) if isinstance(node, cst.Attribute) else None
        if following is None and isinstance(node, cst.Name):
            found = ctx.definitions(node)
            if found and len(found) == 1 and found[0].kind == PARAMETER \
                    and isinstance(found[0].target, cst.Param):
                following = found[0].target.default
            elif found and len(found) == 1 and found[0].kind == ASSIGN:
                following = found[0].value
        if following is None:
            return None
        node = following
    return None


def without_epsilon(ctx: FileContext, node: cst.BaseExpression) -> cst.BaseExpression:
    """The value under an epsilon guard: `p` in `p + 1e-9`, `p.clamp(min=eps)`,
    `np.clip(p, eps, 1 - eps)`, `np.maximum(p, eps)`; `node` itself when unguarded."""
    return strip_guards(ctx, node)[0]


def strip_guards(ctx: FileContext, node: cst.BaseExpression
                 ) -> tuple[cst.BaseExpression, tuple[cst.BaseExpression | None, ...]]:
    """`without_epsilon`, and the floor of each guard taken off (None: a clamp whose
    floor the code does not show), outermost first."""
    guards: list[cst.BaseExpression | None] = []
    for _ in range(4):
        found = _guarded(ctx, ctx.resolve(node))
        if found is None:
            break
        node, floor = found
        guards.append(floor)
    return node, tuple(guards)


def _guarded(ctx: FileContext, value: cst.BaseExpression
             ) -> tuple[cst.BaseExpression, cst.BaseExpression | None] | None:
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add):
        if is_epsilon(ctx, value.right):
            return value.left, value.right
        return (value.right, value.left) if is_epsilon(ctx, value.left) else None
    op = ctx.op(value, follow=False) if isinstance(value, cst.Call) else None
    if op is None or op.operand is None:
        return None
    if op.kind == "clip":  # any clamp of a probability is a guard against log(0)
        floor = op.keyword("min", "a_min", "clip_value_min") or (
            op.positional(0) if op.is_method else op.positional(1))
        return op.operand, floor
    if op.kind == "maximum" or (op.kind == "max" and op.framework == "builtin"):  # max(p, eps)
        other = op.positional(0) if op.is_method else op.positional(1)
        if other is None:
            return None
        # A floor is an epsilon or a constant, a setting or a parameter (not a computed value).
        for inner, floor in ((op.operand, other), (other, op.operand)):
            if is_epsilon(ctx, floor) or (isinstance(floor, (cst.Integer, cst.Float, cst.Name,
                                                             cst.Attribute))
                                          and not isinstance(inner, (cst.Integer, cst.Float))):
                return inner, floor
    return None


# Below this a floor only keeps `log` finite; at or above it, it is a deliberate
# threshold (a matching cost's clamp at 0.25, a confidence cut) that a fix must keep.
TINY = 1e-3


def is_tiny_constant(ctx: FileContext, node: cst.BaseExpression | None) -> bool:
    """A floor a fix may drop: a literal below `TINY` (through names), or a dtype's own
    `finfo(...).eps` / `.tiny`. A parameter or a named setting is a choice, never tiny."""
    if node is None:
        return False
    value = ctx.resolve(node)
    if isinstance(value, (cst.Integer, cst.Float)):
        return 0.0 < float(value.evaluated_value) < TINY
    if isinstance(value, cst.Attribute) and value.attr.value in ("eps", "tiny", "smallest_normal"):
        inner = value.value
        return isinstance(inner, cst.Call) and vocab.terminal_name(inner.func) in ("finfo", "finfo")
    return False


def is_one_dimensional(ctx: FileContext, node: cst.BaseExpression) -> bool:
    """Visibly a vector or a scalar: a number, a flat literal list, `x[0]`, `x[i]`,
    `x.ravel()`, `np.arange(n)`, `np.ones(n)`, `np.zeros((n,))`."""
    value = ctx.resolve(node)
    if isinstance(value, cst.UnaryOperation):
        value = value.expression
    if isinstance(value, (cst.Integer, cst.Float)):
        return True
    if isinstance(value, (cst.List, cst.Tuple)):
        return all(isinstance(e, cst.Element) and not isinstance(e.value, (cst.List, cst.Tuple))
                   for e in value.elements)
    if isinstance(value, cst.Subscript) and len(value.slice) == 1:
        index = value.slice[0].slice
        return isinstance(index, cst.Index) and (
            isinstance(index.value, (cst.Integer, cst.Name))
            or isinstance(index.value, cst.UnaryOperation)
            and isinstance(index.value.expression, cst.Integer))
    if not isinstance(value, cst.Call):
        return False
    func = value.func
    name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", None)
    args = [a.value for a in value.args]
    if name in ("ravel", "arange", "linspace") or (name == "flatten" and not args):
        return True
    if name in ("reshape", "view") and len(args) == 1 and ctx.code(args[0]).replace(" ", "") in (
            "-1", "(-1,)"):
        return True
    if name in _SHAPED and args:  # the shape: `n` (torch: the only size) or `(n,)`
        shape = args[0]
        if isinstance(shape, (cst.Tuple, cst.List)):
            return len(shape.elements) == 1
        positional = [a for a in value.args if a.keyword is None]
        return isinstance(shape, cst.Integer) and (name == "full" or len(positional) == 1)
    return name in ("array", "asarray", "tensor") and bool(args) and is_one_dimensional(ctx, args[0])


# Constructors whose first argument is the shape.
_SHAPED = frozenset({"ones", "zeros", "empty", "full", "rand", "randn"})


def is_probability(ctx: FileContext, node: cst.BaseExpression) -> bool:
    """A chance in [0, 1]: a softmax, sigmoid or `exp` output, or named p/prob/hazard/rate.

    Sizes and counts (`n`, `num_tokens`, `len(x)`) never are: `log(1 + n)` is
    a log-count, not the log of a complement.
    """
    if is_size(ctx, node):
        return False
    for step in _chain(ctx, node):
        op = ctx.op(step, follow=False) if isinstance(step, cst.Call) else None
        if op is not None and op.kind in ("softmax", "sigmoid", "exp"):
            return True
        name = _name_of(step)
        if name and CHANCE_NAME.search(name):
            return True
        # `p_a * p_b` (both events) and `p if c else q` are probabilities too.
        if isinstance(step, cst.BinaryOperation) and isinstance(step.operator, cst.Multiply):
            return is_probability(ctx, step.left) and is_probability(ctx, step.right)
        if isinstance(step, cst.IfExp):
            return is_probability(ctx, step.body) and is_probability(ctx, step.orelse)
    return False


def in_log_space(ctx: FileContext, node: cst.BaseExpression) -> bool:
    """Does `node` hold a log-probability or a rate, so that `exp(node)` is a probability?

    True when a name in it reads as one (`logp`, `log_probs[i]`, `-hazard * t`)
    or it is the output of a log-space operation (`log`, `log_softmax`, ...).
    """
    stack: list[cst.CSTNode] = [node, ctx.resolve(node)]
    for _ in range(64):  # an expression, not a program: a bounded look
        if not stack:
            break
        current = stack.pop()
        if isinstance(current, cst.Call):
            op = ctx.op(current, follow=False)
            if op is not None and op.kind in LOG_KINDS:
                return True
        name = _name_of(current) if isinstance(current, (cst.Name, cst.Attribute)) else None
        if name and (LOG_PROBABILITY_NAME.search(name) or CHANCE_NAME.search(name)):
            return True
        stack.extend(c for c in walk.children(current) if isinstance(c, cst.BaseExpression))
    return False


@dataclass(frozen=True)
class Sigmoid:
    """A sigmoid found in code: `sigmoid(argument)`, or `sigmoid(-argument)` when `negated`."""

    argument: cst.BaseExpression
    negated: bool
    op: Op  # the framework's sigmoid, or the `exp` of a hand-written one


def sigmoid_of(ctx: FileContext, node: cst.BaseExpression) -> Sigmoid | None:
    """`node` as a sigmoid: a framework call (`expit(x)`, `x.sigmoid()`), `1 / (1 + exp(-x))`,
    or `exp(x) / (1 + exp(x))` (either order of the sum, the `exp` bound to a name or not)."""
    value = ctx.resolve(node)
    op = ctx.op(value, follow=False)
    if op is not None:
        return Sigmoid(op.operand, False, op) if op.kind == "sigmoid" and op.operand else None
    if not (isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Divide)):
        return None
    total = ctx.resolve(value.right)
    if not (isinstance(total, cst.BinaryOperation) and isinstance(total.operator, cst.Add)):
        return None
    term = total.right if is_one(total.left) else total.left if is_one(total.right) else None
    exp = ctx.op(term) if term is not None else None
    if exp is None or exp.kind != "exp" or exp.operand is None:
        return None
    argument = exp.operand
    if not is_one(value.left):  # exp(x) / (1 + exp(x)) = sigmoid(x)
        top = ctx.op(value.left)
        if top is None or top.kind != "exp" or top.operand is None \
                or not ctx.same(top.operand, argument):
            return None
        if isinstance(argument, cst.UnaryOperation) and isinstance(argument.operator, cst.Minus) \
                and not argument.lpar:
            return Sigmoid(argument.expression, True, exp)  # exp(-x) / (1 + exp(-x))
        return Sigmoid(argument, False, exp)
    if isinstance(argument, cst.UnaryOperation) and isinstance(argument.operator, cst.Minus) \
            and not argument.lpar:
        return Sigmoid(argument.expression, False, exp)  # 1 / (1 + exp(-x)) = sigmoid(x)
    return Sigmoid(argument, True, exp)  # 1 / (1 + exp(x)) = sigmoid(-x)


def is_one(node: cst.BaseExpression) -> bool:
    """The literal `1` or `1.0`."""
    return isinstance(node, (cst.Integer, cst.Float)) and float(node.evaluated_value) == 1.0



# Consumers that see only the order or the shift-free shape of their input: a
# temperature (or any constant shift) applied to log-probabilities before them
# changes nothing they compute (`softmax(log_softmax(u) / T) = softmax(u / T)`).
_SHIFT_INVARIANT_CALLS = frozenset({"argmax", "argsort", "topk", "sort", "softmax",
                                    "log_softmax", "Categorical", "OneHotCategorical",
                                    "RelaxedOneHotCategorical", "categorical"})


_SHAPE_ATTRIBUTES = frozenset({"shape", "size", "dtype", "device", "ndim", "dim"})


def only_shift_invariant_uses(ctx: FileContext, node: cst.BaseExpression, depth: int = 3) -> bool:
    """Is `node`'s value only ever passed to shift-invariant consumers (`argmax`, another
    softmax, `Categorical(logits=...)`), directly or through a name bound to it?"""
    parents = iter(ctx.flow.ancestors(node))
    parent = next(parents, None)
    # `lp / T + g`, `lp - c`: a per-row constant or noise added keeps the consumer blind to
    # the shift (a Gumbel-max sample); `c - lp` reverses the order and is not followed.
    while isinstance(parent, cst.BinaryOperation) and (
            isinstance(parent.operator, cst.Add)
            or isinstance(parent.operator, cst.Subtract) and parent.left is node):
        node, parent = parent, next(parents, None)
    if isinstance(parent, cst.Arg):
        call = next(parents, None)
        callee = vocab.terminal_name(call.func) if isinstance(call, cst.Call) else None
        if callee is not None and (callee.endswith("_like") or callee == "len"):
            return True  # `torch.rand_like(lp)`: only its shape is read
        return (isinstance(call, cst.Call)
                and callee in _SHIFT_INVARIANT_CALLS
                and (parent.keyword is None or parent.keyword.value in ("logits", "input", "x")))
    if isinstance(parent, cst.Attribute) and parent.value is node:
        if parent.attr.value in _SHAPE_ATTRIBUTES:
            return True  # `lp.shape`, `lp.size(0)`: not its values
        call = next(parents, None)
        return isinstance(call, cst.Call) and call.func is parent \
            and parent.attr.value in _SHIFT_INVARIANT_CALLS
    if isinstance(parent, cst.Assign) and depth > 0 and len(parent.targets) == 1 \
            and isinstance(parent.targets[0].target, cst.Name):
        definition = next((d for d in ctx.flow.every(parent.targets[0].target) or ()
                           if d.statement is parent), None)
        reads = ctx.flow.reads_of(definition, parent) if definition is not None else []
        return bool(reads) and all(only_shift_invariant_uses(ctx, r, depth - 1) for r in reads)
    return False


def is_guarded_division(ctx: FileContext, node: cst.CSTNode,
                        denominator: cst.BaseExpression) -> bool:
    """A division that runs only when its denominator is positive or non-zero
    (`if total > 0:`, `x / s if s > 0 else 0`, `np.where(s > 0, x / s, 0)`): its author
    treats the values as non-negative weights, not as logits."""
    for ancestor in ctx.flow.ancestors(node):
        test = ancestor.test if isinstance(ancestor, (cst.If, cst.IfExp, cst.While)) else None
        if isinstance(ancestor, cst.Call) and vocab.terminal_name(ancestor.func) == "where" \
                and ancestor.args:
            test = ancestor.args[0].value
        if test is not None and _tests_positive(ctx, test, denominator):
            return True
    return False


def _tests_positive(ctx: FileContext, test: cst.BaseExpression,
                    denominator: cst.BaseExpression) -> bool:
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        if isinstance(target.operator, (cst.GreaterThan, cst.NotEqual, cst.GreaterThanEqual)) \
                and isinstance(target.comparator, (cst.Integer, cst.Float)) \
                and float(target.comparator.evaluated_value) == 0.0:
            return ctx.same(test.left, denominator)
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _tests_positive(ctx, test.left, denominator) or \
            _tests_positive(ctx, test.right, denominator)
    return False


def dtype_of(ctx: FileContext, node: cst.BaseExpression) -> str | None:
    """The floating dtype the code shows for a value (the value layer's); None when the
    code does not say."""
    return values.dtype_of(ctx, node)


def exp_limit(ctx: FileContext, node: cst.BaseExpression, under: bool = False) -> str:
    """Where `exp` overflows (or, `under`, underflows to 0) for this value, as a message
    says it: in the dtype the code shows, else in float32 with float64 beside it."""
    return values.exp_limit(ctx, node, under)
