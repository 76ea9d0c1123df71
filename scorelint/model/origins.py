"""Where a value comes from: the operation that made it, seen across statements and functions.

`log(h)` is the log of a softmax when `h = softmax(z)` reaches it, when `h`
is `p.view(-1)` or `p[i].cpu().numpy()` of one, when `h = self.probs` and a
method set `self.probs = softmax(...)`, when `h = helper(x)` and the
same-module `helper` returns one, or when `h = model(x)` and `model` is an
instance of a same-module class whose `forward` (or whose `nn.Sequential`)
ends in one. Each step is kept as a trace: the lines that made, reshaped and
carried the value. A name imported from another module of the project is asked
of the project index (`ctx.index`, `scorelint.engine.project`), which reads that module
from disk (never imports it) and summarises it with `summarise` below: the same
code, run on the other module's context. Its trace step names the other file.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst
import libcst.helpers

from scorelint.model import vocabulary as vocab
from scorelint.model import walk
from scorelint.model.context import FileContext
from scorelint.model.dataflow import ASSIGN, DEFINE, IMPORT
from scorelint.model.summaries import self_parameter

Step = tuple[cst.CSTNode, str]

# Attributes that keep a value's meaning: a transpose, the data of a tensor.
_PRESERVING_ATTRIBUTES = frozenset({"T", "mT", "H", "data", "real"})
_MAX_DEPTH = 16


@dataclass(frozen=True)
class Origin:
    """The operation that made a value, and the steps from it to the value."""

    op: vocab.Op
    steps: tuple[Step, ...]  # the making step first, then each carrying step

    @property
    def crossed(self) -> bool:
        """Did the value reach its use through another statement or function?"""
        return bool(self.steps)


def origin(ctx: FileContext, node: cst.BaseExpression, kinds: tuple[str, ...]) -> Origin | None:
    """The first operation among `kinds` that can make `node`'s value on some path."""
    return next(_origins(ctx, node, frozenset(kinds), (), _MAX_DEPTH, set()), None)


def _origins(ctx: FileContext, node: cst.BaseExpression, kinds: frozenset[str],
             steps: tuple[Step, ...], depth: int, seen: set[int]) -> Iterator[Origin]:
    if depth <= 0 or id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, cst.Name):
        for definition in ctx.definitions(node) or ():
            if definition.kind == ASSIGN and definition.value is not None:
                note = f"`{node.value}` is bound here"
                yield from _origins(ctx, definition.value, kinds,
                                    ((definition.statement, note), *steps), depth - 1, seen)
        return
    if isinstance(node, cst.Subscript):
        yield from _origins(ctx, node.value, kinds, steps, depth - 1, seen)
        return
    if isinstance(node, cst.Attribute):
        if node.attr.value in _PRESERVING_ATTRIBUTES:
            yield from _origins(ctx, node.value, kinds, steps, depth - 1, seen)
            return
        for value in _member_values(ctx, node):
            note = f"`{ctx.short(node, 30)}` is set here"
            yield from _origins(ctx, value, kinds, ((value, note), *steps), depth - 1, seen)
        return
    if isinstance(node, cst.BinaryOperation) and "softmax" in kinds:
        written = _softmax_by_hand(ctx, node)
        if written is not None:
            yield Origin(written, steps)
        return
    if not isinstance(node, cst.Call):
        return
    op = ctx.op(node, follow=False)
    if op is not None:
        if op.kind in kinds:
            yield Origin(op, steps)
        elif op.kind in vocab.PRESERVING_KINDS and op.operand is not None:
            yield from _origins(ctx, op.operand, kinds, steps, depth - 1, seen)
        return
    for made in _returned(ctx, node, kinds):
        if isinstance(made, Origin):  # made in another module: the step names it
            if made.op.kind in kinds:
                yield Origin(made.op, (*made.steps, *steps))
        elif isinstance(made, vocab.Op):
            if made.kind in kinds:
                yield Origin(made, steps)
        else:
            value, note = made
            yield from _origins(ctx, value, kinds, ((value, note), *steps), depth - 1, seen)


def _softmax_by_hand(ctx: FileContext, node: cst.BinaryOperation) -> vocab.Op | None:
    """`exp(z) / sum(exp(z))` (shifted or not) is a softmax of `z`: the softmax op it
    stands for, spelled with its numerator's `exp` call."""
    division = ctx.division(node)
    if division is None:
        return None
    top, total = ctx.op(division[0]), ctx.op(division[1])
    if top is None or top.kind != "exp" or total is None or total.kind != "sum" \
            or total.operand is None:
        return None
    bottom = ctx.op(total.operand)
    if bottom is None or bottom.kind != "exp" or top.operand is None or bottom.operand is None \
            or not ctx.same(top.operand, bottom.operand):
        return None
    return vocab.Op("softmax", top.framework, top.call, None, top.operand, total.axis,
                    total.keepdims, total.default_axis)


def _member_values(ctx: FileContext, node: cst.Attribute) -> list[cst.BaseExpression]:
    """What `self.x` may hold: every value its class binds it to, when all are readable."""
    if not isinstance(node.value, cst.Name):
        return []
    owner = ctx.owner(node.value)
    if owner is None:
        return []
    values = ctx.member_values(owner, node.attr.value)
    return [v for v in values if v is not None] if values and None not in values else []


def _returned(ctx: FileContext, call: cst.Call, kinds: frozenset[str] = frozenset()
              ) -> Iterator[tuple[cst.BaseExpression, str] | vocab.Op | Origin]:
    """What a call of a same-module function, method or model class returns: values to
    follow, or the operation the last layer of a stack applies; for one of another
    module, the operations among `kinds` the project index says it makes."""
    target = _callee(ctx, call.func)
    if target is None:
        yield from _imported(ctx, call, kinds)
        return
    if isinstance(target, cst.FunctionDef):
        for value in returns(target):
            yield value, f"returned by `{target.name.value}` here"
    elif isinstance(target, cst.ClassDef):
        for value in _model_outputs(ctx, target):
            yield value, f"`{target.name.value}` returns this"
    elif isinstance(target, cst.Call):  # an `nn.Sequential(...)` built in the module
        last = _sequential_last(target)
        if isinstance(last, cst.Call):
            layer = _layer_op(ctx, call, last)
            if layer is not None:
                yield layer


@functools.lru_cache(maxsize=64)
def makers(*kinds: str) -> frozenset[str]:
    """The call names `origin` can see a value of `kinds` made by: the operations (a
    function, a method, a module class), a Keras `Dense(..., activation=...)`, and `exp`
    for a softmax written out (`_softmax_by_hand`). What the project index lends."""
    names = set(vocab.call_names(*kinds))
    if {"softmax", "sigmoid"} & set(kinds):
        names.add("Dense")
    if "softmax" in kinds:
        names.add("exp")
    return frozenset(names)


def _imported(ctx: FileContext, call: cst.Call, kinds: frozenset[str]) -> Iterator[Origin]:
    """What a call of a name imported from another module of the project makes (`helper(x)`,
    `Net()(x)`, `model(x)` with `model = Net()`), as the project index summarises it."""
    index = getattr(ctx, "index", None)
    found = _imported_callee(ctx, call.func) if index is not None and kinds else None
    if found is None:
        return
    qualnames, instance = found
    # A name from `from x import *` may come from any of them: the first that has it.
    export = next((e for q in qualnames if (e := index.export(q, kinds)) is not None), None)  # type: ignore[union-attr]
    if export is None:
        return
    for made in export.instance if instance else export.call:
        op = vocab.Op(made.kind, made.framework, call, None, None, None, None, vocab.LAST)
        yield Origin(op, ((call, f"`{export.name}` returns a {made.kind}: {made.where}"),))


def _imported_callee(ctx: FileContext, func: cst.BaseExpression,
                     depth: int = 4) -> tuple[tuple[str, ...], bool] | None:
    """(qualified names it may be, called on an instance?) of an imported callee: `helper`
    or `m.helper` bound by an import (or by no statement here, with `from x import *`),
    or a name or `self.x` bound once to a call of one."""
    if depth <= 0:
        return None
    root = func
    while isinstance(root, cst.Attribute):
        root = root.value
    imported = ctx.index.names(ctx.module)  # type: ignore[attr-defined]
    if isinstance(root, cst.Name) and root.value in imported and (
            func is root or isinstance(func, cst.Attribute)):
        found = ctx.definitions(root)
        if found is not None and len(found) == 1 and found[0].kind == IMPORT:
            names = sorted(n for n in ctx.qualified_names(func) if "." in n)
            return ((names[0],), False) if len(names) == 1 else None
        if found is None and func is root:  # bound nowhere in this module
            starred = tuple(f"{m}.{root.value}" for m in _star_modules(ctx.module))
            return (starred, False) if starred else None
    built: cst.BaseExpression | None = func if isinstance(func, cst.Call) else None  # `Net()(x)`
    if isinstance(func, cst.Name):
        found = ctx.definitions(func) or ()
        if len(found) == 1 and found[0].kind == ASSIGN:
            built = found[0].value
    elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        owner = ctx.owner(func.value)
        values = ctx.member_values(owner, func.attr.value) if owner is not None else []
        built = values[0] if len(values) == 1 else None
    if isinstance(built, cst.Call):
        inner = _imported_callee(ctx, built.func, depth - 1)
        if inner is not None and not inner[1]:
            return inner[0], True
    return None


def _star_modules(module: cst.Module) -> list[str]:
    """The modules a module imports `*` from at its top level, dotted as written."""
    found = []
    for stmt in module.body:
        for small in stmt.body if isinstance(stmt, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.ImportFrom) and isinstance(small.names, cst.ImportStar):
                dots = "." * len(small.relative)
                name = cst.helpers.get_full_name_for_node(small.module) if small.module else ""
                found.append(f"{dots}{name}")
    return found


def summarise(ctx: FileContext, name: str) -> tuple[list[vocab.Op], list[vocab.Op]] | None:
    """What the module-level `name` of this module makes, for the project index: the
    operations calling it returns, and those calling what it builds returns (a model
    class's `forward`, a builder's `nn.Sequential`). None when `name` is bound more than
    once or in a way not read here."""
    bound = [s for s in _top_level(ctx.module) if _binds(s, name)]
    if len(bound) != 1:
        return None
    (stmt,) = bound
    call: list[vocab.Op] = []
    instance: list[vocab.Op] = []
    if isinstance(stmt, cst.FunctionDef):
        for value in returns(stmt):
            call.extend(_made_of(ctx, value))
            if isinstance(value, cst.Call):
                instance.extend(_built(ctx, value))
    elif isinstance(stmt, cst.ClassDef):
        for value in _model_outputs(ctx, stmt):
            instance.extend(_made_of(ctx, value))
    else:
        value = stmt.value if isinstance(stmt, (cst.Assign, cst.AnnAssign)) else None
        if isinstance(value, cst.Call):
            call.extend(_built(ctx, value))
    return call, instance


def _top_level(module: cst.Module) -> Iterator[cst.CSTNode]:
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            yield from stmt.body
        else:
            yield stmt


def _binds(stmt: cst.CSTNode, name: str) -> bool:
    if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
        return stmt.name.value == name
    if isinstance(stmt, cst.Assign):
        return any(isinstance(t.target, cst.Name) and t.target.value == name
                   for t in stmt.targets)
    if isinstance(stmt, cst.AnnAssign):
        return isinstance(stmt.target, cst.Name) and stmt.target.value == name
    return False


# Every kind an operation can be that does not keep its operand's meaning: a summary
# holds what a value is made of, whatever a rule asks about later.
_MADE_KINDS = frozenset(
    {kind for kind, _, _ in vocab.FUNCTIONS.values()} | {kind for kind, _ in vocab.METHODS.values()}
    | {kind for kind, _, _ in vocab.MODULE_OPS.values()}) - vocab.PRESERVING_KINDS


def _made_of(ctx: FileContext, value: cst.BaseExpression) -> list[vocab.Op]:
    return [found.op for found in _origins(ctx, value, _MADE_KINDS, (), _MAX_DEPTH, set())]


def _built(ctx: FileContext, built: cst.Call) -> list[vocab.Op]:
    """What calling the object `built` makes: an instance of a model class of this module
    (its `forward`), or a stack (its last layer)."""
    target = _instance_of(ctx, built, 4)
    if isinstance(target, cst.ClassDef):
        return [op for value in _model_outputs(ctx, target) for op in _made_of(ctx, value)]
    if isinstance(target, cst.Call):
        last = _sequential_last(target)
        if isinstance(last, cst.Call):
            layer = _layer_op(ctx, last, last)
            return [layer] if layer is not None else []
    return []


def _layer_op(ctx: FileContext, call: cst.Call, layer: cst.Call) -> vocab.Op | None:
    """The operation a layer applies when the stack is called: `nn.Softmax(dim=-1)`,
    `layers.Softmax()`, or a Keras `Dense(n, activation="softmax" | "sigmoid")`."""
    for qualname in sorted(ctx.qualified_names(layer.func)):
        if qualname in vocab.MODULE_OPS:
            return vocab.module_op(call, layer, qualname)
    activation = next((a.value for a in layer.args if a.keyword is not None
                       and a.keyword.value == "activation"), None)
    if isinstance(activation, cst.SimpleString) and activation.evaluated_value in (
            "softmax", "sigmoid"):
        kind = str(activation.evaluated_value)
        return vocab.Op(kind, "keras", call, None, None, None, None, vocab.LAST)
    return None


def _callee(ctx: FileContext, func: cst.BaseExpression, depth: int = 4) -> cst.CSTNode | None:
    """The same-module definition a callee names: a function, a method of `self`, the
    class an instance was built from, or the stack (`nn.Sequential`) it was built as."""
    if depth <= 0:
        return None
    if isinstance(func, cst.Name):
        found = ctx.definitions(func) or ()
        if len(found) != 1:
            return None
        (definition,) = found
        if definition.kind == DEFINE:
            return definition.statement
        if definition.kind == ASSIGN and isinstance(definition.value, cst.Call):
            return _instance_of(ctx, definition.value, depth)
        return None
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        owner = ctx.owner(func.value)
        if owner is None:
            return None
        method = _method(owner, func.attr.value)
        if method is not None:
            return method
        values = ctx.member_values(owner, func.attr.value)
        if values and len(values) == 1 and isinstance(values[0], cst.Call):
            return _instance_of(ctx, values[0], depth)
    return None


def _instance_of(ctx: FileContext, built: cst.Call, depth: int) -> cst.CSTNode | None:
    """`MyNet(...)` of a same-module class is that class; `nn.Sequential(...)` is itself, and
    so is what a same-module builder function returns (`def build(): return Sequential(...)`)."""
    if vocab.terminal_name(built.func) in vocab.SEQUENTIAL_NAMES or _is_keras_sequential(built):
        return built
    target = _callee(ctx, built.func, depth - 1)
    if isinstance(target, cst.FunctionDef):
        stacks = [r for r in returns(target) if isinstance(r, cst.Call)
                  and vocab.terminal_name(r.func) in vocab.SEQUENTIAL_NAMES]
        return stacks[0] if len(stacks) == 1 else None
    return target if isinstance(target, cst.ClassDef) else None


def _method(owner: cst.ClassDef, name: str) -> cst.FunctionDef | None:
    for stmt in owner.body.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == name:
            return stmt
    return None


def _model_outputs(ctx: FileContext, owner: cst.ClassDef) -> list[cst.BaseExpression]:
    """What an instance of a model class returns when called: its `forward` / `call`."""
    for name in vocab.FORWARD_NAMES:
        method = _method(owner, name)
        if method is not None and self_parameter(method) is not None:
            return returns(method)
    return []


def _sequential_last(stack: cst.Call) -> cst.BaseExpression | None:
    """The last layer of `nn.Sequential(a, b, nn.Softmax(-1))` or Keras `Sequential([...])`."""
    args = [a.value for a in stack.args if a.keyword is None and not a.star]
    if len(args) == 1 and isinstance(args[0], (cst.List, cst.Tuple)):
        args = [e.value for e in args[0].elements]
    return args[-1] if args else None


def _is_keras_sequential(call: cst.Call) -> bool:
    return vocab.terminal_name(call.func) == "Sequential"


def returns(function: cst.FunctionDef) -> list[cst.BaseExpression]:
    """The values `function` returns (not those of functions nested in it)."""
    found: list[cst.BaseExpression] = []
    stack: list[cst.CSTNode] = walk.children(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(node, cst.Return) and node.value is not None:
            found.append(node.value)
        stack.extend(walk.children(node))
    return found


def function_returns(ctx: FileContext, func: cst.BaseExpression) -> list[cst.BaseExpression]:
    """What the same-module function or method `func` names returns (`score` in
    `max(cands, key=score)`, `self.score` in `self.score(c)`); [] when it is not one."""
    target = _callee(ctx, func)
    return returns(target) if isinstance(target, cst.FunctionDef) else []


def helper_returns(ctx: FileContext, call: cst.Call) -> list[cst.BaseExpression]:
    """What a call of a same-module function or method returns."""
    return function_returns(ctx, call.func)
