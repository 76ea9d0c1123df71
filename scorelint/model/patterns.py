"""Shapes of expressions that several rules look for: a natural log, `1 + x`, a softmax fed
to a loss, selections of a value, and the fix pieces built from them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import libcst as cst

from scorelint.base.findings import Applicability
from scorelint.model import facts, origins, walk
from scorelint.model.context import FileContext
from scorelint.model.dataflow import ASSIGN
from scorelint.model.proposal import FixSpec, InsertLine, Replace
from scorelint.model.spelling import negate, paren
from scorelint.model.vocabulary import Loss, Op


def natural_log(ctx: FileContext, node: cst.Call) -> Op | None:
    """The natural log `node` computes (`np.log(x)`, `x.log()`), with nothing but its operand.

    `math.log(x, base)` is not natural, and `np.log(x, out=y)` writes
    somewhere a rewritten call would not.
    """
    op = ctx.op(node, follow=False)
    if op is None or op.kind != "log" or op.operand is None or not op.plain:
        return None
    return op


@dataclass(frozen=True)
class Log:
    """A log in some base: `np.log(x)` (base None: natural), `np.log2(x)`, `x.log10()`,
    `math.log(x, 2)` (base `2`: the code of the base)."""

    op: Op
    base: str | None


def log_base(ctx: FileContext, node: cst.Call) -> Log | None:
    """The log `node` computes in any base: `natural_log`'s, plus `log2` / `log10` with
    nothing but their operand, and `math.log(x, base)` with a base it can repeat.

    Rules that rewrite a natural log into a log-space operation divide that by
    `log(base)` (`in_base`) to keep the base: `log2(softmax(x))` is
    `log_softmax(x) / log(2)`."""
    op = ctx.op(node, follow=False)
    if op is None or op.operand is None:
        return None
    if op.kind in ("log2", "log10") and op.plain:
        return Log(op, op.kind[3:])
    if op.kind != "log":
        return None
    if op.plain:
        return Log(op, None)
    base = op.positional(1)
    if op.framework == "math" and base is not None and len(op.call.args) == 2 \
            and op.call.args[0].keyword is None and ctx.portable(base, node):
        return Log(op, ctx.code(base))
    return None


def in_base(ctx: FileContext, code: str, base: str | None,
            log: str | None = None) -> tuple[str, tuple[InsertLine, ...]]:
    """`code` (a natural log) converted to `base`: `code / math.log(base)`, the same value to
    rounding in every framework (a Python float divides an array or a tensor). `log` is
    the callee to write for `math.log` when the code at hand already names it."""
    if base is None:
        return code, ()
    imports: tuple[InsertLine, ...] = ()
    if log is None:
        log, imports = ctx.spelling.callee("math.log")
    return f"{paren(code)} / {log}({base})", imports


def arg(ctx: FileContext, node: cst.BaseExpression, at: cst.CSTNode) -> str:
    """`node`'s code as an argument of a fix replacing `at`: outer parentheses dropped
    (`F.logsigmoid(-i)`, not `F.logsigmoid((-i))`), continuation lines indented for `at`."""
    return ctx.code(node) if isinstance(node, cst.GeneratorExp) else ctx.render(node, at)


def replacement(ctx: FileContext, node: cst.CSTNode, code: str, applicability: Applicability,
                 imports: tuple[InsertLine, ...] = ()) -> FixSpec | None:
    """`ctx.replacement`, withheld if it would drop a floor that is not a tiny constant (see
    `keeps_floors`). A deleted comment makes a fix unsafe in the engine, for every rule
    (scorelint.engine.safety)."""
    if not keeps_floors(ctx, node, code):
        return None
    return ctx.replacement(node, code, applicability, imports)


def divided_by_sum(ctx: FileContext, node: cst.CSTNode, kinds: tuple[str, ...] = ("sum",)
                   ) -> tuple[cst.BaseExpression, cst.BaseExpression, Op] | None:
    """`x / total(y)` in any spelling (`/`, `/=`, `divide`) with `total` a reduction of
    `kinds`: (numerator, denominator, the reduction), else None."""
    division = ctx.division(node)
    if division is None:
        return None
    numerator, denominator = division
    total = ctx.op(denominator)
    if total is None or total.kind not in kinds or total.operand is None:
        return None
    return numerator, denominator, total


def keeps_floors(ctx: FileContext, node: cst.CSTNode, code: str) -> bool:
    """May a fix replace `node` with `code`? Not when it drops a guard whose floor is a
    deliberate threshold: a named setting, a parameter, a value of at least 1e-3
    (`cost = -log(p.clamp(min=0.25))` in a matching cost). Only a tiny epsilon
    (`1e-9`, `finfo(dtype).eps`) may go; the finding is still reported."""
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        stack.extend(walk.children(current))
        if not isinstance(current, (cst.Arg, cst.Attribute)):
            continue
        value = current.value
        for floor in facts.strip_guards(ctx, value)[1]:
            if floor is not None and _norm(ctx.code(floor)) in _norm(code):
                continue  # the fix keeps it
            if not facts.is_tiny_constant(ctx, floor):
                return False
    return True


def _norm(code: str) -> str:
    return "".join(code.split())


def overflowing_exp(ctx: FileContext, node: cst.BaseExpression) -> Op | None:
    """`exp(x)` whose argument is not visibly non-positive, so that it can overflow."""
    exp = ctx.op(node)
    if exp is None or exp.kind != "exp" or exp.operand is None:
        return None
    return None if facts.is_nonpositive(ctx, exp.operand) else exp


def weighted_exp(ctx: FileContext, node: cst.BaseExpression) -> tuple[Op | None,
                                                                     cst.BaseExpression | None]:
    """The `exp` in a term of a sum and its weight: `(exp(x), None)` for `exp(x)`,
    `(exp(x), w)` for `w * exp(x)`, `exp(x) * w` or `multiply(w, exp(x))`; `(None, None)`
    for anything else."""
    exp = ctx.op(node)
    if exp is not None and exp.kind == "exp" and exp.operand is not None:
        return exp, None
    value = ctx.resolve(node)
    sides: tuple[cst.BaseExpression | None, cst.BaseExpression | None] = (None, None)
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Multiply):
        sides = (value.left, value.right)
    elif exp is not None and exp.kind == "multiply" and not exp.opaque and len(exp.call.args) == (
            1 if exp.is_method else 2):
        sides = (exp.operand, exp.positional(0) if exp.is_method else exp.positional(1))
    left, right = sides
    if left is None or right is None:
        return None, None
    for term, weight in ((right, left), (left, right)):
        found = ctx.op(term)
        if found is not None and found.kind == "exp" and found.operand is not None:
            return found, weight
    return None, None


def one_plus(node: cst.BaseExpression, ctx: FileContext | None = None) -> cst.BaseExpression | None:
    """`x` in `1 + x` or `x + 1`; with a context also `x.add(1)` and `torch.add(x, 1)`."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        if facts.is_one(node.left):
            return node.right
        if facts.is_one(node.right):
            return node.left
    op = ctx.op(node, follow=False) if ctx is not None and isinstance(node, cst.Call) else None
    if op is not None and op.kind == "add" and op.operand is not None and not op.opaque:
        other = op.positional(0) if op.is_method else op.positional(1)
        if other is not None and facts.is_one(other) and len(op.call.args) == (
                1 if op.is_method else 2):
            return op.operand
    return None


def one_minus(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """`x` in `1 - x`."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Subtract) \
            and facts.is_one(node.left):
        return node.right
    return None


def selections(ctx: FileContext, node: cst.BaseExpression) -> tuple[list[cst.BaseExpression],
                                                                    cst.BaseExpression]:
    """`p[i, y]`, `p.gather(-1, y)`: the selections taken of `p` (outermost first), and `p`.

    `log` commutes with them, so `log(p[i])` is `log_softmax(x)[i]`.
    """
    selections: list[cst.BaseExpression] = []
    value = ctx.resolve(node)
    while isinstance(value, cst.Subscript) or (
        isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)
        and value.func.attr.value == "gather"
    ):
        selections.append(value)
        value = ctx.resolve(value.value if isinstance(value, cst.Subscript)
                            else value.func.value)  # type: ignore[union-attr]
    return selections, value


def selected(selections: list[cst.BaseExpression], base: cst.BaseExpression) -> cst.BaseExpression:
    """The selections applied again, to `base`."""
    for selection in reversed(selections):
        if isinstance(selection, cst.Subscript):
            base = selection.with_changes(value=base)
        else:
            assert isinstance(selection, cst.Call) and isinstance(selection.func, cst.Attribute)
            base = selection.with_changes(func=selection.func.with_changes(value=base))
    return base


def selection_parts(selection: cst.BaseExpression) -> list[cst.BaseExpression]:
    """What a selection repeats when moved: its indices or arguments."""
    if isinstance(selection, cst.Call):
        return [a.value for a in selection.args]
    assert isinstance(selection, cst.Subscript)
    parts: list[cst.BaseExpression] = []
    for element in selection.slice:
        if isinstance(element.slice, cst.Index):
            parts.append(element.slice.value)
        else:
            parts.extend(p for p in (element.slice.lower, element.slice.upper, element.slice.step)
                         if p is not None)
    return parts


def softmax_fed(ctx: FileContext, loss: Loss) -> Op | None:
    """The softmax whose output is the loss's prediction, seen through names bound once
    and epsilon guards (`p + 1e-9`, `p.clamp(min=eps)`)."""
    if loss.prediction is None:
        return None
    op = ctx.op(facts.without_epsilon(ctx, loss.prediction))
    return op if op is not None and op.kind == "softmax" and op.operand is not None else None


def fed_origin(ctx: FileContext, loss: Loss, kind: str) -> origins.Origin | None:
    """The `kind` activation (softmax, sigmoid) that makes the loss's prediction on some path
    through other statements or functions: a helper's return, `self.probs`, a model class."""
    if loss.prediction is None:
        return None
    return origins.origin(ctx, facts.without_epsilon(ctx, loss.prediction), (kind,))


def sigmoid_fed(ctx: FileContext, loss: Loss) -> facts.Sigmoid | None:
    """The sigmoid (a framework call or `1 / (1 + exp(-x))`) whose output is the prediction."""
    if loss.prediction is None:
        return None
    return facts.sigmoid_of(ctx, facts.without_epsilon(ctx, loss.prediction))


def drop_activation(ctx: FileContext, loss: Loss, call: cst.Call, argument: cst.BaseExpression,
                    negated: bool = False) -> Replace | None:
    """Pass the activation's input where its output `call` was passed, if that input can
    be written at the loss (it is inline there, or a plain name or attribute)."""
    assert loss.prediction is not None
    if not ctx.contains(loss.prediction, call) and not ctx.portable(argument, loss.prediction):
        return None
    code = ctx.render(argument, loss.prediction)
    code = negate(code) if negated else code
    if not keeps_floors(ctx, loss.prediction, code) or not all(
            facts.is_tiny_constant(ctx, f) for f in facts.strip_guards(ctx, loss.prediction)[1]):
        return None  # the prediction is floored at a deliberate threshold
    return Replace(loss.prediction, code)


def one_line(code: str) -> str:
    text = " ".join(code.split())
    return text if len(text) <= 60 else text[:57] + "..."


# -- sequences: time windows, the model call behind logits, ranked values -------------------
# Shared by the sequence rules (SL401-SL403) and SL202. A "window" is the slice a value takes
# along the time axis, `[lower, upper)`, each end an offset from the start, the end, or a name.


@dataclass(frozen=True)
class Bound:
    """One end of a time slice: `base + offset`; base "" (the start), "end", or a name's code."""

    base: str
    offset: int
    # The expression a named base was read from (`len(prompt)` in `x[len(prompt) + 1:]`), so
    # a rule can ask what it counts; not part of equality.
    node: cst.BaseExpression | None = field(default=None, compare=False, repr=False)

    def plus(self, n: int) -> Bound:
        return replace(self, offset=self.offset + n)


@dataclass(frozen=True)
class Window:
    lower: Bound
    upper: Bound

    @property
    def full(self) -> bool:
        return self == FULL

    def shifted(self, n: int) -> Window:
        return Window(self.lower.plus(n), self.upper.plus(n))


FULL = Window(Bound("", 0), Bound("end", 0))
# Methods that keep the positions of a tensor of ids or logits (dtype, device, copies).
_ID_CASTS = frozenset({"long", "int", "contiguous", "clone", "detach", "to", "cpu", "cuda",
                       "float", "double", "numpy", "astype", "squeeze", "unsqueeze", "bool",
                       "byte", "type_as"})
_NORMALIZERS = frozenset({"log_softmax", "softmax", "log"})


def _integer(node: cst.BaseExpression) -> int | None:
    if isinstance(node, cst.Integer):
        return int(node.evaluated_value)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus) \
            and isinstance(node.expression, cst.Integer):
        return -int(node.expression.evaluated_value)
    return None


def _bound(ctx: FileContext, node: cst.BaseExpression | None, upper: bool) -> Bound:
    if node is None:
        return Bound("end", 0) if upper else Bound("", 0)
    n = _integer(node)
    if n is not None:
        return Bound("end", n) if n < 0 else Bound("", n)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Subtract)):
        k = _integer(node.right)
        if k is not None:
            base = _bound(ctx, node.left, upper)
            return base.plus(k if isinstance(node.operator, cst.Add) else -k)
        k = _integer(node.left)
        if k is not None and isinstance(node.operator, cst.Add):
            return _bound(ctx, node.right, upper).plus(k)
    return Bound(_squeezed(ctx.code(node)), 0, node)


def _squeezed(code: str) -> str:
    return "".join(code.split())


def time_window(ctx: FileContext, node: cst.Subscript) -> Window | None:
    """The window a subscript takes along time: `x[:, :-1]`, `x[..., 1:]`, `x[k + 1:]`;
    FULL for a new axis or a leading row pick (`x[0]`, `x[..., None]`); None when unclear
    (two sliced axes, a step, a time index such as `x[:, -1]`)."""
    found: Window | None = None
    seen_slice = False
    for position, element in enumerate(node.slice):
        part = element.slice
        if isinstance(part, cst.Slice):
            seen_slice = True
            if part.step is not None:
                return None
            if part.lower is None and part.upper is None:
                continue
            if found is not None:
                return None
            found = Window(_bound(ctx, part.lower, False), _bound(ctx, part.upper, True))
            continue
        value = part.value
        if isinstance(value, cst.Ellipsis) or (isinstance(value, cst.Name) and value.value == "None"):
            seen_slice = seen_slice or isinstance(value, cst.Ellipsis)
            continue
        if seen_slice or position > 0 and found is None and len(node.slice) > 2:
            return None  # an index after a slice picks a time step
        if isinstance(value, cst.SimpleString):
            return None  # `out["logits"]`: handled by the caller
    return found or FULL


@dataclass(frozen=True)
class Traced:
    """A value followed back to its base through names, casts, reshapes and time slices."""

    base: cst.BaseExpression
    window: Window
    normalized: bool  # a log_softmax / softmax / log was passed on the way


def trace_positions(ctx: FileContext, node: cst.BaseExpression, depth: int = 14) -> Traced | None:
    """Follow ids or logits back to where they were made, composing the time slices taken
    on the way (`labels = ids[:, 1:]` then `labels[:, 1:]` is `ids[:, 2:]`); None when a
    step or a composition is unclear."""
    window, normalized = FULL, False
    while depth:
        depth -= 1
        if isinstance(node, cst.Name):
            value = ctx.value(node)
            if value is None:
                break
            node = value
            continue
        if isinstance(node, cst.Subscript):
            key = node.slice[0].slice if len(node.slice) == 1 else None
            if isinstance(key, cst.Index) and isinstance(key.value, cst.SimpleString):
                if key.value.evaluated_value != "logits":
                    break  # `batch["input_ids"]`: a base
                node = node.value
                continue
            step = time_window(ctx, node)
            if step is None:
                return None
            if not step.full:
                composed = compose(window, step)
                if composed is None:
                    return None
                window = composed
            node = node.value
            continue
        if isinstance(node, cst.Attribute) and node.attr.value == "logits":
            node = node.value
            continue
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
            node = node.left  # a temperature
            continue
        if isinstance(node, cst.Call):
            op = ctx.op(node, follow=False)
            if op is not None and op.operand is not None and (
                    op.kind in ("reshape", "copy", "cast", "clip", "maximum")  # positions kept
                    or op.kind in _NORMALIZERS):
                normalized = normalized or op.kind in _NORMALIZERS
                node = op.operand
                continue
            if op is None and isinstance(node.func, cst.Attribute) \
                    and node.func.attr.value in _ID_CASTS:
                node = node.func.value
                continue
        break
    return Traced(node, window, normalized)


def compose(outer: Window, inner: Window) -> Window | None:
    """The window of `f(ids[inner])[outer]` in the positions of `ids`: offsets add up
    (`x[1:][1:]` is `x[2:]`, `x[:-1][k:]` is `x[k:-1]`); None when an end counted from a
    name would have to be added to another name, or to an end counted from the end."""
    if outer.full:
        return inner
    if inner.full:
        return outer
    lower = _composed(outer.lower, inner)
    upper = _composed(outer.upper, inner)
    return Window(lower, upper) if lower is not None and upper is not None else None


def _composed(bound: Bound, inner: Window) -> Bound | None:
    """`bound`, counted in the positions of `x[inner]`, in the positions of `x`."""
    if bound.base == "end":
        return inner.upper.plus(bound.offset)
    if inner.lower.base == "":
        return bound.plus(inner.lower.offset)
    if bound.base == "":
        return inner.lower.plus(bound.offset)
    return None  # a name's offset from another name's


# The keywords a model is given its ids by (narrowing's `TARGETS_FED` reads them too).
INPUT_KEYWORDS = ("input_ids", "ids", "input", "inputs", "tokens", "idx", "x")


def model_call(ctx: FileContext, node: cst.BaseExpression) -> cst.Call | None:
    """The call of a model whose output `node` is (not a known operation or a loss)."""
    if not isinstance(node, cst.Call) or ctx.op(node, follow=False) is not None \
            or ctx.loss(node) is not None:
        return None
    if vocab_name(node) in ("tensor", "array", "asarray", "zeros", "ones", "randn", "rand",
                            "where", "cat", "stack", "len", "list", "range"):
        return None
    return node


def vocab_name(call: cst.Call) -> str | None:
    func = call.func
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return None


def model_input(call: cst.Call) -> cst.BaseExpression | None:
    """The ids a model is called on: `input_ids=`, or its first positional argument."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in INPUT_KEYWORDS:
            return arg.value
    return next((a.value for a in call.args if a.keyword is None and not a.star), None)


def keyword(call: cst.Call, *names: str) -> cst.BaseExpression | None:
    return next((a.value for a in call.args if a.keyword is not None and a.keyword.value in names),
                None)


# A pad id's name (`pad_token_id`, `padding_idx`): SL402 reads one in a function's scope.
PAD_NAME = re.compile(r"pad(_token)?_?(id|idx|index)|padding_idx", re.IGNORECASE)


def _unwrapped(node: cst.BaseExpression) -> cst.BaseExpression:
    """`float(x)`, `x.item()`, `x.tolist()`: the same number."""
    while isinstance(node, cst.Call):
        if isinstance(node.func, cst.Name) and node.func.value in ("float", "int") and node.args:
            node = node.args[0].value
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value in ("item", "tolist",
                                                                               "cpu", "numpy"):
            node = node.func.value
        else:
            break
    return node


# Calls that choose among candidates by their values.
RANKERS = frozenset({"max", "min", "sorted", "argmax", "argmin", "argsort", "topk", "sort",
                     "nlargest", "nsmallest"})


@dataclass(frozen=True)
class Ranked:
    """A value being ranked, and whether it came one candidate at a time (a comprehension,
    a loop's `append`, a key function), which is where candidates can differ in length."""

    value: cst.BaseExpression
    per_candidate: bool


def ranked_values(ctx: FileContext, call: cst.Call) -> list[Ranked]:
    """The values a ranking call (`max`, `sorted`, `argmax`, `topk`, ...) compares."""
    name = vocab_name(call)
    if name not in RANKERS:
        return []
    key = keyword(call, "key")
    if key is not None:
        if isinstance(key, cst.Lambda):
            return [Ranked(key.body, True)]
        return [Ranked(v, True) for v in origins.function_returns(ctx, key)]
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    if isinstance(call.func, cst.Attribute) and not _is_module(ctx, call.func.value) \
            and name not in ("sorted", "nlargest", "nsmallest"):
        operand: cst.BaseExpression | None = call.func.value  # `scores.argmax()`
    else:
        operand = positional[-1] if name in ("nlargest", "nsmallest") and positional else \
            positional[0] if positional else None
        if name in ("max", "min") and len(positional) > 1:
            return [Ranked(p, False) for p in positional]
    return list(_elements(ctx, operand, False, 6)) if operand is not None else []


def _is_module(ctx: FileContext, node: cst.BaseExpression) -> bool:
    """`np` in `np.argmax(x)`, `heapq` in `heapq.nlargest(...)`: an imported module."""
    return isinstance(node, (cst.Name, cst.Attribute)) and bool(ctx.qualified_names(node))


def _elements(ctx: FileContext, node: cst.BaseExpression, per_candidate: bool,
              depth: int) -> list[Ranked]:
    if depth <= 0:
        return [Ranked(node, per_candidate)]
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return [r for e in node.elements for r in _elements(ctx, e.value, per_candidate, depth - 1)]
    if isinstance(node, (cst.ListComp, cst.GeneratorExp)):
        return _elements(ctx, node.elt, True, depth - 1)
    if isinstance(node, cst.Call) and vocab_name(node) in ("array", "asarray", "tensor", "stack",
                                                           "as_tensor", "Tensor", "list"):
        args = [a.value for a in node.args if a.keyword is None]
        return _elements(ctx, args[0], per_candidate, depth - 1) if args else []
    if isinstance(node, cst.Call) and vocab_name(node) in ("zip", "enumerate"):
        return [r for a in node.args for r in _elements(ctx, a.value, per_candidate, depth - 1)]
    if isinstance(node, cst.Name):
        appended = _appended(ctx, node)
        if appended:
            return [r for v in appended for r in _elements(ctx, v, True, depth - 1)]
        value = ctx.value(node)
        if value is not None:
            return _elements(ctx, value, per_candidate, depth - 1)
    return [Ranked(node, per_candidate)]


def _appended(ctx: FileContext, name: cst.Name) -> list[cst.BaseExpression]:
    """What a list bound to `name` gets in `name.append(v)` calls (in a loop)."""
    found: list[cst.BaseExpression] = []
    for definition in ctx.definitions(name) or ():
        if definition.kind != ASSIGN or not isinstance(definition.value, (cst.List, cst.Tuple)):
            continue
        for read in ctx.flow.reads_of(definition, name):
            parents = iter(ctx.flow.ancestors(read))
            attribute, call = next(parents, None), next(parents, None)
            if isinstance(attribute, cst.Attribute) and attribute.attr.value == "append" \
                    and isinstance(call, cst.Call) and call.args:
                found.append(call.args[0].value)
    return found


def normalized_sibling(ctx: FileContext, at: cst.CSTNode, value: cst.BaseExpression) -> bool:
    """Is `value` also divided by something in the function around `at` (a length-normalized
    score computed beside the raw one, as lm-eval's `acc_norm` is beside `acc`)?"""
    home = ctx.flow.home(at)
    if home is None:
        return False
    target = "".join(ctx.code(value).split())
    stack: list[cst.CSTNode] = [home]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.BinaryOperation) and isinstance(current.operator, cst.Divide) \
                and "".join(ctx.code(current.left).split()) == target:
            return True
        stack.extend(walk.children(current))
    return False
