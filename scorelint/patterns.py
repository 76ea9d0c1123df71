"""Shapes of expressions that several rules look for: a natural log, `1 + x`, a softmax fed
to a loss, selections of a value, and the fix pieces built from them."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from scorelint import facts, origins
from scorelint.context import FileContext
from scorelint.findings import Applicability
from scorelint.proposal import FixSpec, InsertLine, Replace
from scorelint.spelling import negate, paren
from scorelint.vocabulary import Loss, Op


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
    """`ctx.replacement`, made unsafe if it would delete a comment inside `node` (as in Ruff),
    and withheld if it would drop a floor that is not a tiny constant (see `keeps_floors`)."""
    if not keeps_floors(ctx, node, code):
        return None
    from libcst import matchers as m  # ~0.4 s to import: only when a fix is made

    comments = m.findall(node, m.Comment())
    if any(c.value not in code for c in comments):  # type: ignore[union-attr]
        applicability = Applicability.UNSAFE
    return ctx.replacement(node, code, applicability, imports)


def keeps_floors(ctx: FileContext, node: cst.CSTNode, code: str) -> bool:
    """May a fix replace `node` with `code`? Not when it drops a guard whose floor is a
    deliberate threshold: a named setting, a parameter, a value of at least 1e-3
    (`cost = -log(p.clamp(min=0.25))` in a matching cost). Only a tiny epsilon
    (`1e-9`, `finfo(dtype).eps`) may go; the finding is still reported."""
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        stack.extend(current.children)
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
