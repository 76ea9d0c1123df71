"""The operation vocabulary: every framework spelling of an operation maps to one `Op`.

`np.exp(x)`, `torch.exp(x)`, `x.exp()`, `jnp.exp(x)`, `tf.math.exp(x)` and
`math.exp(x)` are all the operation `exp` with a framework tag, and their
axis / keepdims arguments are read into the same fields. Rules match on
`Op.kind`; the fix writer (`scorelint.spelling`) goes the other way, from a
kind to the file's own dialect.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

# Frameworks a fix can be written in ("dialects"); "array" is a method on a
# receiver we cannot type, "builtin" a Python builtin such as `sum`.
DIALECTS = ("numpy", "torch", "jax", "tf", "math")

# What an absent axis argument means.
ALL = "all"  # reduce over every element (np.sum(x), scipy softmax(x))
LAST = "last"  # the last axis (jax.nn.softmax, tf.nn.softmax)
IMPLICIT = "implicit"  # torch's deprecated implicit softmax dim
NO_AXIS = "none"  # elementwise operations


@dataclass(frozen=True)
class ArgSpec:
    """Where a function takes its operand, axis and keepdims arguments."""

    axis_pos: int | None = None
    axis_kw: tuple[str, ...] = ()
    keepdims_pos: int | None = None
    keepdims_kw: tuple[str, ...] = ()
    default_axis: str = NO_AXIS
    operand_kw: tuple[str, ...] = ("x", "a", "input", "input_tensor", "logits", "array", "tensor")


ELEMENTWISE = ArgSpec()
_NP_REDUCE = ArgSpec(1, ("axis",), None, ("keepdims",), ALL)
_TORCH_REDUCE = ArgSpec(1, ("dim",), 2, ("keepdim",), ALL)
_TF_REDUCE = ArgSpec(1, ("axis",), 2, ("keepdims",), ALL)
_SCIPY_SOFTMAX = ArgSpec(1, ("axis",), None, (), ALL)
_SCIPY_LSE = ArgSpec(1, ("axis",), None, ("keepdims",), ALL)
_TORCH_SOFTMAX = ArgSpec(1, ("dim",), None, (), IMPLICIT)
_LAST_SOFTMAX = ArgSpec(1, ("axis",), None, (), LAST)
_METHOD_REDUCE = ArgSpec(0, ("axis", "dim"), None, ("keepdims", "keepdim"), ALL)
_METHOD_SOFTMAX = ArgSpec(0, ("dim", "axis"), None, (), IMPLICIT)

# kind -> function names, per module prefix and framework.
_ELEMENTWISE_KINDS = {
    "exp": ["exp"],
    "log": ["log"],
    "log1p": ["log1p"],
    "expm1": ["expm1"],
    "log2": ["log2"],
    "log10": ["log10"],
    "abs": ["abs", "absolute", "fabs"],
    "square": ["square"],
    "logaddexp": ["logaddexp"],
    "divide": ["divide", "true_divide"],
    "multiply": ["multiply"],
    "matmul": ["matmul", "dot", "einsum"],
    "ones": ["ones", "ones_like"],
    "bincount": ["bincount"],
    "clip": ["clip"],
    "where": ["where"],
    "sqrt": ["sqrt"],
}
_REDUCTION_KINDS = {"sum": ["sum"], "max": ["max", "amax"], "prod": ["prod"], "mean": ["mean"]}


def _build_table() -> dict[str, tuple[str, str, ArgSpec]]:
    table: dict[str, tuple[str, str, ArgSpec]] = {}

    def add(framework: str, spec: ArgSpec, kind: str, *qualnames: str) -> None:
        for qualname in qualnames:
            table[qualname] = (kind, framework, spec)

    for prefix, framework in (("numpy", "numpy"), ("jax.numpy", "jax"), ("torch", "torch")):
        for kind, names in _ELEMENTWISE_KINDS.items():
            add(framework, ELEMENTWISE, kind, *(f"{prefix}.{n}" for n in names))
        reduce_spec = _TORCH_REDUCE if framework == "torch" else _NP_REDUCE
        for kind, names in _REDUCTION_KINDS.items():
            add(framework, reduce_spec, kind, *(f"{prefix}.{n}" for n in names))
    add("torch", ELEMENTWISE, "divide", "torch.div")
    add("torch", ELEMENTWISE, "multiply", "torch.mul")
    add("torch", ELEMENTWISE, "matmul", "torch.mm", "torch.bmm", "torch.nn.functional.linear")
    add("torch", ELEMENTWISE, "clip", "torch.clamp")
    add("torch", ELEMENTWISE, "relu", "torch.relu", "torch.nn.functional.relu")
    add("torch", ELEMENTWISE, "sigmoid", "torch.sigmoid", "torch.special.expit",
        "torch.nn.functional.sigmoid")
    add("torch", ELEMENTWISE, "log_sigmoid", "torch.nn.functional.logsigmoid")
    add("torch", ELEMENTWISE, "softplus", "torch.nn.functional.softplus")
    add("torch", ELEMENTWISE, "log1p", "torch.special.log1p")
    add("torch", ELEMENTWISE, "expm1", "torch.special.expm1")
    add("torch", _TORCH_SOFTMAX, "softmax", "torch.softmax", "torch.special.softmax",
        "torch.nn.functional.softmax")
    add("torch", _TORCH_SOFTMAX, "log_softmax", "torch.log_softmax", "torch.special.log_softmax",
        "torch.nn.functional.log_softmax")
    add("torch", ArgSpec(1, ("dim",), 2, ("keepdim",), ALL), "logsumexp",
        "torch.logsumexp", "torch.special.logsumexp")

    add("scipy", _SCIPY_SOFTMAX, "softmax", "scipy.special.softmax")
    add("scipy", _SCIPY_SOFTMAX, "log_softmax", "scipy.special.log_softmax")
    add("scipy", _SCIPY_LSE, "logsumexp", "scipy.special.logsumexp", "scipy.misc.logsumexp")
    add("scipy", ELEMENTWISE, "sigmoid", "scipy.special.expit")
    add("scipy", ELEMENTWISE, "log_sigmoid", "scipy.special.log_expit")
    add("scipy", ELEMENTWISE, "log1p", "scipy.special.log1p")
    add("scipy", ELEMENTWISE, "expm1", "scipy.special.expm1")

    add("jax", _LAST_SOFTMAX, "softmax", "jax.nn.softmax")
    add("jax", _LAST_SOFTMAX, "log_softmax", "jax.nn.log_softmax")
    add("jax", _SCIPY_LSE, "logsumexp", "jax.nn.logsumexp", "jax.scipy.special.logsumexp")
    add("jax", ELEMENTWISE, "sigmoid", "jax.nn.sigmoid", "jax.scipy.special.expit")
    add("jax", ELEMENTWISE, "log_sigmoid", "jax.nn.log_sigmoid")
    add("jax", ELEMENTWISE, "softplus", "jax.nn.softplus")
    add("jax", ELEMENTWISE, "relu", "jax.nn.relu")

    for prefix in ("tensorflow", "tensorflow.math"):
        for kind, name in (("exp", "exp"), ("log", "log"), ("log1p", "log1p"),
                           ("expm1", "expm1"), ("abs", "abs"), ("square", "square"),
                           ("divide", "divide"), ("divide", "truediv"),
                           ("multiply", "multiply"), ("sigmoid", "sigmoid"), ("sqrt", "sqrt")):
            add("tf", ELEMENTWISE, kind, f"{prefix}.{name}")
        for kind, name in (("sum", "reduce_sum"), ("max", "reduce_max"),
                           ("prod", "reduce_prod"), ("mean", "reduce_mean"),
                           ("logsumexp", "reduce_logsumexp")):
            add("tf", _TF_REDUCE, kind, f"{prefix}.{name}")
    for prefix in ("tensorflow.nn", "tensorflow.math", "tensorflow.keras.activations"):
        add("tf", _LAST_SOFTMAX, "softmax", f"{prefix}.softmax")
        add("tf", _LAST_SOFTMAX, "log_softmax", f"{prefix}.log_softmax")
    add("tf", ELEMENTWISE, "sigmoid", "tensorflow.nn.sigmoid", "tensorflow.keras.activations.sigmoid")
    add("tf", ELEMENTWISE, "log_sigmoid", "tensorflow.math.log_sigmoid")
    add("tf", ELEMENTWISE, "softplus", "tensorflow.math.softplus", "tensorflow.nn.softplus")
    add("tf", ELEMENTWISE, "relu", "tensorflow.nn.relu")
    add("tf", ELEMENTWISE, "ones", "tensorflow.ones", "tensorflow.ones_like")
    add("tf", ELEMENTWISE, "matmul", "tensorflow.matmul", "tensorflow.linalg.matmul")
    add("tf", ELEMENTWISE, "clip", "tensorflow.clip_by_value")

    for kind in ("exp", "log", "log1p", "expm1", "log2", "log10", "fabs", "sqrt"):
        add("math", ELEMENTWISE, "abs" if kind == "fabs" else kind, f"math.{kind}")
    add("math", ELEMENTWISE, "prod", "math.prod")
    add("math", ELEMENTWISE, "fsum", "math.fsum")
    add("builtin", ELEMENTWISE, "sum", "builtins.sum")
    add("builtin", ELEMENTWISE, "max", "builtins.max")
    add("builtin", ELEMENTWISE, "abs", "builtins.abs")
    add("builtin", ELEMENTWISE, "len", "builtins.len")
    add("functools", ELEMENTWISE, "reduce", "functools.reduce")
    return table


FUNCTIONS: dict[str, tuple[str, str, ArgSpec]] = _build_table()

# Methods on an array or tensor whose type we cannot see (`x.sum(-1)`, `x.softmax(-1)`).
METHODS: dict[str, tuple[str, ArgSpec]] = {
    **{name: (name, ELEMENTWISE) for name in ("exp", "log", "log1p", "expm1", "sigmoid", "relu",
                                               "abs", "square", "sqrt", "log2", "log10")},
    "clamp": ("clip", ELEMENTWISE),
    "clip": ("clip", ELEMENTWISE),
    "div": ("divide", ELEMENTWISE),
    "mul": ("multiply", ELEMENTWISE),
    "matmul": ("matmul", ELEMENTWISE),
    "sum": ("sum", _METHOD_REDUCE),
    "max": ("max", _METHOD_REDUCE),
    "amax": ("max", _METHOD_REDUCE),
    "prod": ("prod", _METHOD_REDUCE),
    "mean": ("mean", _METHOD_REDUCE),
    "logsumexp": ("logsumexp", _METHOD_REDUCE),
    "softmax": ("softmax", _METHOD_SOFTMAX),
    "log_softmax": ("log_softmax", _METHOD_SOFTMAX),
}

# Receivers whose `.log(...)` / `.sum(...)` is not array math (Lightning's
# `self.log("loss", v)`, `logger.log(level, msg)`, a summary writer).
_NON_ARRAY_RECEIVERS = frozenset(
    {"self", "cls", "logger", "logging", "log", "writer", "wandb", "mlflow", "tb", "summary",
     "run", "experiment", "console", "super"}
)

# Every name a call to an operation can end in: the text prefilter's vocabulary.
CALL_NAMES: frozenset[str] = frozenset(
    {q.rsplit(".", 1)[1] for q in FUNCTIONS} | set(METHODS)
)


@dataclass(frozen=True)
class Op:
    """One call of a known operation, with its arguments read out."""

    kind: str
    framework: str  # numpy, scipy, torch, jax, tf, math, builtin, functools, array
    call: cst.Call
    qualname: str | None  # None for a method on an untyped receiver
    operand: cst.BaseExpression | None
    axis: cst.BaseExpression | None  # the explicit axis / dim argument
    keepdims: cst.BaseExpression | None
    default_axis: str
    # A `*args` or `**kwargs` hides which arguments were passed.
    opaque: bool = False

    @property
    def is_method(self) -> bool:
        return self.qualname is None

    @property
    def reduces_all(self) -> bool:
        """True when the call reduces over every element (no axis given, default all)."""
        return self.axis is None and self.default_axis == ALL and not self.opaque

    @property
    def keeps_dims(self) -> bool:
        return _is_true(self.keepdims)

    def positional(self, index: int) -> cst.BaseExpression | None:
        """The `index`-th positional argument after the operand slot, counting as the function does."""
        args = [a for a in self.call.args if a.keyword is None and not a.star]
        return args[index].value if index < len(args) else None

    def keyword(self, *names: str) -> cst.BaseExpression | None:
        for arg in self.call.args:
            if arg.keyword is not None and arg.keyword.value in names:
                return arg.value
        return None


def _is_true(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def terminal_name(func: cst.BaseExpression) -> str | None:
    """The last name of a callee: `exp` for `np.exp`, `softmax` for `F.softmax`."""
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return None


def read_call(
    call: cst.Call, kind: str, framework: str, qualname: str | None, spec: ArgSpec
) -> Op:
    """Read the operand, axis and keepdims of a call according to its `ArgSpec`."""
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
    opaque = any(a.star for a in call.args)
    if qualname is None:
        assert isinstance(call.func, cst.Attribute)
        operand: cst.BaseExpression | None = call.func.value
        rest = positional
    else:
        operand = positional[0] if positional else next(
            (keywords[k] for k in spec.operand_kw if k in keywords), None
        )
        rest = positional[1:] if positional else positional
    axis = keepdims = None
    if spec.axis_pos is not None:
        index = spec.axis_pos - (0 if qualname is None else 1)
        axis = rest[index] if 0 <= index < len(rest) else None
        axis = axis or next((keywords[k] for k in spec.axis_kw if k in keywords), None)
    if spec.keepdims_pos is not None:
        index = spec.keepdims_pos - (0 if qualname is None else 1)
        keepdims = rest[index] if 0 <= index < len(rest) else None
    keepdims = keepdims or next((keywords[k] for k in spec.keepdims_kw if k in keywords), None)
    if isinstance(axis, cst.Name) and axis.value == "None":
        axis = None
    return Op(kind, framework, call, qualname, operand, axis, keepdims, spec.default_axis, opaque)


def method_op(call: cst.Call) -> Op | None:
    """Read `receiver.method(...)` as an operation on an array of unknown framework."""
    func = call.func
    if not isinstance(func, cst.Attribute) or func.attr.value not in METHODS:
        return None
    receiver = func.value
    if isinstance(receiver, cst.Name) and receiver.value in _NON_ARRAY_RECEIVERS:
        return None
    if isinstance(receiver, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)):
        return None
    if call.args and isinstance(call.args[0].value, (cst.SimpleString, cst.FormattedString)):
        return None  # `run.log("loss", v)`: a logging API, not array math
    kind, spec = METHODS[func.attr.value]
    return read_call(call, kind, "array", None, spec)
