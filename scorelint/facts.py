"""What can be told about a value from its code: score-like, non-negative, shifted, a size.

Rules share these judgements so that the same look-alike is treated the same
way everywhere. Each one follows names bound once (through the context) and
looks at names, attributes and the operations that produced the value.
"""

from __future__ import annotations

import re

import libcst as cst

from scorelint.context import FileContext

SCORE_NAME = re.compile(r"logit|score|energ", re.IGNORECASE)
PROBABILITY_NAME = re.compile(r"prob|weight|count|freq|mass|hist|dist|attn|attention|pmf",
                              re.IGNORECASE)
SIZE_NAME = re.compile(r"shape|size|dim|len|count|num|^n_|^n$|width|height|batch|total_tokens",
                       re.IGNORECASE)
# Calls whose result is raw scores: a model's forward pass or a linear head.
MODEL_CALL = re.compile(r"model|net|head|linear|classifier|proj|dense|decoder|forward|lm\b",
                        re.IGNORECASE)

NONNEGATIVE_KINDS = frozenset({"exp", "softmax", "sigmoid", "abs", "square", "relu", "ones",
                               "bincount", "sqrt", "softplus"})


def _name_of(node: cst.BaseExpression) -> str | None:
    """The identifier a value is known by: `logits`, `out.logits`, `batch["scores"]`."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Subscript):
        index = node.slice[0].slice if len(node.slice) == 1 else None
        if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
            return index.value.evaluated_value if isinstance(index.value.evaluated_value, str) else None
        return _name_of(node.value)
    return None


def _chain(ctx: FileContext, node: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The node and every expression its names were bound to, outermost first."""
    chain = [node]
    for _ in range(8):
        value = ctx.value(chain[-1])
        if value is None:
            break
        chain.append(value)
    return chain


def is_nonnegative(ctx: FileContext, node: cst.BaseExpression) -> bool:
    """Non-negative by construction (`exp`, `softmax`, `abs`, `x ** 2`, counts) or by name."""
    for step in _chain(ctx, node):
        name = _name_of(step)
        if name and PROBABILITY_NAME.search(name) and not SCORE_NAME.search(name):
            return True
        op = ctx.op(step, follow=False) if isinstance(step, cst.Call) else None
        if op is not None and op.kind in NONNEGATIVE_KINDS:
            return True
        if isinstance(step, cst.BinaryOperation):
            if isinstance(step.operator, cst.Power) and isinstance(step.right, cst.Integer) \
                    and int(step.right.value, 0) % 2 == 0:
                return True
            if isinstance(step.operator, cst.Multiply) and ctx.same(step.left, step.right):
                return True
    return False


def is_score_like(ctx: FileContext, node: cst.BaseExpression) -> bool:
    """Raw, unnormalized scores: named logit/score/energy, `.logits`, a model call or `@`."""
    if is_nonnegative(ctx, node):
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
    """`x - max(x)`, `x - logsumexp(x)`, `x - m`: already shifted before `exp`.

    Any subtraction of a non-constant counts: we cannot tell a max-shift held
    in a variable from another, and a false alarm here costs more than a miss.
    """
    value = ctx.resolve(node)
    while isinstance(value, cst.BinaryOperation) and isinstance(value.operator, (cst.Divide, cst.Multiply)):
        value = value.left  # `(x - m) / T` is still shifted
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Subtract):
        return not isinstance(ctx.resolve(value.right), (cst.Integer, cst.Float))
    return is_nonpositive(ctx, value)


def is_nonpositive(ctx: FileContext, node: cst.BaseExpression) -> bool:
    """`-x**2`, `-abs(d)`, `-d2 / (2 * s**2)`: an `exp` of it cannot overflow."""
    value = ctx.resolve(node)
    while isinstance(value, cst.BinaryOperation) and isinstance(value.operator, (cst.Divide, cst.Multiply)):
        value = value.left
    return (isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus)
            and is_nonnegative(ctx, value.expression))


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
