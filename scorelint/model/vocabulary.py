"""The operation vocabulary: every framework spelling of an operation maps to one `Op`.

`np.exp(x)`, `torch.exp(x)`, `x.exp()`, `jnp.exp(x)`, `tf.math.exp(x)` and
`math.exp(x)` are all the operation `exp` with a framework tag, and their
axis / keepdims arguments are read into the same fields. Rules match on
`Op.kind`; the fix writer (`scorelint.model.spelling`) goes the other way, from a
kind to the file's own dialect.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import libcst as cst

# Frameworks a fix can be written in ("dialects"); "array" is a method on a
# receiver we cannot type, "builtin" a Python builtin such as `sum`.
DIALECTS = ("numpy", "torch", "jax", "tf", "keras", "paddle", "math")
DIALECTS = (*DIALECTS, "mlx")  # Apple's MLX (`mlx.core as mx`, `mlx.nn`)

# What an absent axis argument means.
ALL = "all"  # reduce over every element (np.sum(x), scipy softmax(x))
LAST = "last"  # the last axis (jax.nn.softmax, tf.nn.softmax)
IMPLICIT = "implicit"  # torch's deprecated implicit softmax dim
FIRST = "first"  # axis 0: a ufunc's `.reduce` (`np.logaddexp.reduce(x)`)
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
# torch takes numpy's `axis=` / `keepdims=` as aliases (`torch.sum(x, dim=0, keepdims=True)`).
_TORCH_REDUCE = ArgSpec(1, ("dim", "axis"), 2, ("keepdim", "keepdims"), ALL)
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
    "maximum": ["maximum", "fmax"],  # an elementwise floor: `np.maximum(p, eps)`
    # Read by the value layer (scorelint.model.values) for ranges and signs.
    "minimum": ["minimum", "fmin"],
    "negative": ["negative"],
    "power": ["power", "pow", "float_power"],
    "tanh": ["tanh"],
    "subtract": ["subtract"],
    "outer": ["outer"],
    "zeros": ["zeros", "zeros_like"],
    "arange": ["arange"],
    "linspace": ["linspace"],
}
_REDUCTION_KINDS = {"sum": ["sum"], "max": ["max", "amax"], "prod": ["prod"], "mean": ["mean"],
                    "min": ["min", "amin"]}


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
    add("torch", ELEMENTWISE, "maximum", "torch.clamp_min")
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
    add("torch", _TORCH_REDUCE, "logsumexp",
        "torch.logsumexp", "torch.special.logsumexp")

    add("scipy", _SCIPY_SOFTMAX, "softmax", "scipy.special.softmax")
    add("scipy", _SCIPY_SOFTMAX, "log_softmax", "scipy.special.log_softmax")
    add("scipy", _SCIPY_LSE, "logsumexp", "scipy.special.logsumexp", "scipy.misc.logsumexp")
    add("scipy", ELEMENTWISE, "sigmoid", "scipy.special.expit")
    add("scipy", ELEMENTWISE, "log_sigmoid", "scipy.special.log_expit")
    add("scipy", ELEMENTWISE, "softplus", "scipy.special.softplus")
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
    add("tf", ELEMENTWISE, "maximum", "tensorflow.maximum", "tensorflow.math.maximum")
    add("tf", ELEMENTWISE, "matmul", "tensorflow.einsum", "tensorflow.linalg.einsum")
    add("tf", ELEMENTWISE, "divide", "tensorflow.div", "tensorflow.realdiv")
    add("tf", ELEMENTWISE, "log", "tensorflow.log")  # TF1 spellings, kept by compat.v1

    _add_paddle(add)
    _add_mlx(add)

    # Keras 3 is its own dialect: `keras.ops` runs on any backend.
    for name in ("exp", "log", "log1p", "expm1", "logaddexp", "sigmoid", "log_sigmoid",
                 "softplus", "clip", "maximum", "abs", "square", "sqrt", "relu"):
        add("keras", ELEMENTWISE, name, f"keras.ops.{name}")
    for name in ("sum", "max", "prod", "mean", "logsumexp"):
        add("keras", _NP_REDUCE if name != "logsumexp" else _SCIPY_LSE, name, f"keras.ops.{name}")
    for prefix in ("keras.ops", "keras.activations"):
        add("keras", _LAST_SOFTMAX, "softmax", f"{prefix}.softmax")
        add("keras", _LAST_SOFTMAX, "log_softmax", f"{prefix}.log_softmax")
    add("keras", ELEMENTWISE, "sigmoid", "keras.activations.sigmoid")
    add("keras", ELEMENTWISE, "softplus", "keras.activations.softplus")
    add("tf", ELEMENTWISE, "softplus", "tensorflow.keras.activations.softplus")

    for kind in ("exp", "log", "log1p", "expm1", "log2", "log10", "fabs", "sqrt"):
        add("math", ELEMENTWISE, "abs" if kind == "fabs" else kind, f"math.{kind}")
    add("math", ELEMENTWISE, "prod", "math.prod")
    add("math", ELEMENTWISE, "fsum", "math.fsum")
    add("builtin", ELEMENTWISE, "sum", "builtins.sum")
    add("builtin", ELEMENTWISE, "max", "builtins.max")
    add("builtin", ELEMENTWISE, "abs", "builtins.abs")
    add("builtin", ELEMENTWISE, "len", "builtins.len")
    add("functools", ELEMENTWISE, "reduce", "functools.reduce")
    # numpy's own logsumexp (what a fix writes in numpy files without scipy).
    add("numpy", ArgSpec(1, ("axis",), None, ("keepdims",), FIRST), "logsumexp",
        "numpy.logaddexp.reduce")
    add("torch", ELEMENTWISE, "add", "torch.add")
    _add_values(add)
    # `import tensorflow.compat.v1 as tf` (or v2): the same functions under another prefix.
    for qualname, entry in list(table.items()):
        if qualname.startswith("tensorflow."):
            for version in ("v1", "v2"):
                table.setdefault(f"tensorflow.compat.{version}.{qualname[11:]}", entry)
    return table


def _add_values(add) -> None:  # type: ignore[no-untyped-def]
    """Spellings the value layer reads for ranges: random draws, constructors, `neg`,
    `pow`, `tanh`, `minimum`, `comb` beyond the numpy-like names of every framework."""
    add("torch", ELEMENTWISE, "negative", "torch.neg")
    add("torch", ELEMENTWISE, "subtract", "torch.sub")
    add("torch", ELEMENTWISE, "minimum", "torch.clamp_max")
    add("torch", ELEMENTWISE, "outer", "torch.ger")
    add("torch", ELEMENTWISE, "tanh", "torch.nn.functional.tanh")
    add("jax", ELEMENTWISE, "tanh", "jax.nn.tanh")
    add("torch", ELEMENTWISE, "rand", "torch.rand", "torch.rand_like")
    add("torch", ELEMENTWISE, "randn", "torch.randn", "torch.randn_like")
    add("torch", ELEMENTWISE, "normal", "torch.normal")
    add("numpy", ELEMENTWISE, "rand", "numpy.random.rand", "numpy.random.random",
        "numpy.random.random_sample")
    add("numpy", ELEMENTWISE, "randn", "numpy.random.randn", "numpy.random.standard_normal")
    add("numpy", ELEMENTWISE, "normal", "numpy.random.normal")
    add("numpy", ELEMENTWISE, "uniform", "numpy.random.uniform")
    add("jax", ELEMENTWISE, "uniform", "jax.random.uniform")
    add("jax", ELEMENTWISE, "randn", "jax.random.normal")
    add("paddle", ELEMENTWISE, "rand", "paddle.rand")
    add("paddle", ELEMENTWISE, "randn", "paddle.randn", "paddle.standard_normal")
    add("paddle", ELEMENTWISE, "negative", "paddle.neg")
    add("builtin", ELEMENTWISE, "rand", "random.random")
    add("builtin", ELEMENTWISE, "uniform", "random.uniform")
    add("builtin", ELEMENTWISE, "normal", "random.gauss", "random.normalvariate")
    add("builtin", ELEMENTWISE, "min", "builtins.min")
    add("builtin", ELEMENTWISE, "power", "builtins.pow")
    add("builtin", ELEMENTWISE, "arange", "builtins.range")
    for kind, name in (("power", "pow"), ("tanh", "tanh"), ("comb", "comb")):
        add("math", ELEMENTWISE, kind, f"math.{name}")
    add("scipy", ELEMENTWISE, "comb", "scipy.special.comb", "scipy.special.binom")
    for prefix in ("tensorflow", "tensorflow.math"):
        for kind, name in (("negative", "negative"), ("power", "pow"), ("tanh", "tanh"),
                           ("minimum", "minimum"), ("subtract", "subtract")):
            add("tf", ELEMENTWISE, kind, f"{prefix}.{name}")
        add("tf", _TF_REDUCE, "min", f"{prefix}.reduce_min")
    add("tf", ELEMENTWISE, "arange", "tensorflow.range")
    add("tf", ELEMENTWISE, "linspace", "tensorflow.linspace")
    add("tf", ELEMENTWISE, "zeros", "tensorflow.zeros", "tensorflow.zeros_like")
    add("tf", ELEMENTWISE, "uniform", "tensorflow.random.uniform")
    add("tf", ELEMENTWISE, "randn", "tensorflow.random.normal")
    add("tf", ELEMENTWISE, "tanh", "tensorflow.nn.tanh")
    add("torch", ELEMENTWISE, "copy", "torch.tensor", "torch.as_tensor", "torch.from_numpy")
    add("tf", ELEMENTWISE, "copy", "tensorflow.constant", "tensorflow.convert_to_tensor")
    add("paddle", ELEMENTWISE, "copy", "paddle.to_tensor")


_PADDLE_REDUCE = ArgSpec(1, ("axis",), 2, ("keepdim",), ALL)
_PADDLE_SOFTMAX = ArgSpec(1, ("axis",), None, (), LAST)


def _add_paddle(add) -> None:  # type: ignore[no-untyped-def]
    """PaddlePaddle: numpy-like names at `paddle.*`, activations at `paddle.nn.functional`,
    `axis=` / `keepdim=` arguments, and a softmax over the last axis by default."""
    for kind, names in _ELEMENTWISE_KINDS.items():
        add("paddle", ELEMENTWISE, kind,
            *(f"paddle.{n}" for n in names if n not in ("absolute", "fabs", "true_divide")))
    add("paddle", ELEMENTWISE, "multiply", "paddle.mul")
    add("paddle", ELEMENTWISE, "matmul", "paddle.mm", "paddle.bmm", "paddle.nn.functional.linear")
    for kind, names in _REDUCTION_KINDS.items():
        add("paddle", _PADDLE_REDUCE, kind, *(f"paddle.{n}" for n in names))
    add("paddle", _PADDLE_REDUCE, "logsumexp", "paddle.logsumexp")
    add("paddle", ELEMENTWISE, "clip", "paddle.clip")
    for prefix in ("paddle", "paddle.nn.functional"):
        add("paddle", ELEMENTWISE, "sigmoid", f"{prefix}.sigmoid")
        add("paddle", ELEMENTWISE, "relu", f"{prefix}.relu")
    add("paddle", ELEMENTWISE, "log_sigmoid", "paddle.nn.functional.log_sigmoid")
    add("paddle", ELEMENTWISE, "softplus", "paddle.nn.functional.softplus")
    add("paddle", _PADDLE_SOFTMAX, "softmax", "paddle.nn.functional.softmax")
    add("paddle", _PADDLE_SOFTMAX, "log_softmax", "paddle.nn.functional.log_softmax")


_MLX_SOFTMAX = ArgSpec(1, ("axis",), None, (), ALL)  # `mx.softmax(a)`: every element


def _add_mlx(add) -> None:  # type: ignore[no-untyped-def]
    """Apple's MLX: numpy-like names at `mlx.core` (`axis=` / `keepdims=`, reducing every
    element by default, `mx.softmax` too), activations at `mlx.nn` over the last axis."""
    for kind, names in _ELEMENTWISE_KINDS.items():
        add("mlx", ELEMENTWISE, kind,
            *(f"mlx.core.{n}" for n in names if n not in ("absolute", "fabs", "true_divide",
                                                          "bincount", "dot")))
    for kind, names in _REDUCTION_KINDS.items():
        add("mlx", _NP_REDUCE, kind, *(f"mlx.core.{n}" for n in names if n != "amax"))
    add("mlx", _SCIPY_LSE, "logsumexp", "mlx.core.logsumexp")
    add("mlx", _MLX_SOFTMAX, "softmax", "mlx.core.softmax")
    add("mlx", ELEMENTWISE, "sigmoid", "mlx.core.sigmoid", "mlx.nn.sigmoid")
    add("mlx", _LAST_SOFTMAX, "softmax", "mlx.nn.softmax")
    add("mlx", _LAST_SOFTMAX, "log_softmax", "mlx.nn.log_softmax")
    add("mlx", ELEMENTWISE, "log_sigmoid", "mlx.nn.log_sigmoid")
    add("mlx", ELEMENTWISE, "softplus", "mlx.nn.softplus")
    add("mlx", ELEMENTWISE, "relu", "mlx.nn.relu")


FUNCTIONS: dict[str, tuple[str, str, ArgSpec]] = _build_table()

# Operations that keep a value's meaning and only change its shape, copy, device or dtype
# ("reshape", "copy", "cast"), or pick some of its entries ("select"): a softmax
# stays a softmax through them, so facts about a value pass through.
_PRESERVING = {
    "reshape": ["reshape", "view", "view_as", "reshape_as", "flatten", "ravel", "squeeze",
                "unsqueeze", "expand", "expand_as", "expand_dims", "permute", "transpose",
                "swapaxes", "moveaxis", "broadcast_to"],
    "copy": ["contiguous", "clone", "detach", "cpu", "cuda", "numpy", "copy", "asarray",
             "array", "stop_gradient", "identity", "tolist", "item", "requires_grad_",
             "pin_memory"],
    "cast": ["float", "double", "half", "bfloat16", "to", "type", "astype", "cast"],
    "select": ["gather", "index_select", "take_along_axis", "take", "take_along_dim",
               "gather_nd"],
}
PRESERVING_KINDS = frozenset(_PRESERVING)
_PRESERVING_FUNCTIONS = {
    "reshape": ("reshape", "squeeze", "unsqueeze", "expand_dims", "transpose", "permute",
                "flatten", "ravel", "swapaxes", "moveaxis", "broadcast_to"),
    "copy": ("asarray", "array", "clone", "detach", "stop_gradient", "identity", "copy"),
    "cast": ("cast",),
    "select": ("gather", "index_select", "take_along_axis", "take", "take_along_dim",
               "gather_nd"),
}
for _kind, _names in _PRESERVING_FUNCTIONS.items():
    for _prefix, _framework in (("numpy", "numpy"), ("jax.numpy", "jax"), ("torch", "torch"),
                                ("tensorflow", "tf"), ("jax.lax", "jax"), ("paddle", "paddle"),
                                ("mlx.core", "mlx")):
        for _name in _names:
            FUNCTIONS.setdefault(f"{_prefix}.{_name}", (_kind, _framework, ELEMENTWISE))

# Methods on an array or tensor whose type we cannot see (`x.sum(-1)`, `x.softmax(-1)`).
METHODS: dict[str, tuple[str, ArgSpec]] = {
    **{name: (name, ELEMENTWISE) for name in ("exp", "log", "log1p", "expm1", "sigmoid", "relu",
                                               "abs", "square", "sqrt", "log2", "log10")},
    "clamp": ("clip", ELEMENTWISE),
    "clip": ("clip", ELEMENTWISE),
    "clamp_min": ("maximum", ELEMENTWISE),
    "logaddexp": ("logaddexp", ELEMENTWISE),
    "div": ("divide", ELEMENTWISE),
    "mul": ("multiply", ELEMENTWISE),
    "add": ("add", ELEMENTWISE),  # `x.exp().add(1)`: torch and paddle tensors
    "matmul": ("matmul", ELEMENTWISE),
    "neg": ("negative", ELEMENTWISE),
    "negative": ("negative", ELEMENTWISE),
    "pow": ("power", ELEMENTWISE),
    "tanh": ("tanh", ELEMENTWISE),
    "clamp_max": ("minimum", ELEMENTWISE),
    "sub": ("subtract", ELEMENTWISE),
    "outer": ("outer", ELEMENTWISE),
    "min": ("min", _METHOD_REDUCE),
    "amin": ("min", _METHOD_REDUCE),
    "sum": ("sum", _METHOD_REDUCE),
    "max": ("max", _METHOD_REDUCE),
    "amax": ("max", _METHOD_REDUCE),
    "prod": ("prod", _METHOD_REDUCE),
    "mean": ("mean", _METHOD_REDUCE),
    "logsumexp": ("logsumexp", _METHOD_REDUCE),
    "softmax": ("softmax", _METHOD_SOFTMAX),
    "log_softmax": ("log_softmax", _METHOD_SOFTMAX),
    **{name: (kind, ELEMENTWISE) for kind, names in _PRESERVING.items() for name in names
       if name not in ("array", "asarray", "cast", "identity", "stop_gradient")},
}

# Methods only a torch tensor has (numpy, jax and tensorflow arrays have no
# `.exp()` or `.softmax()`): a chain using one is torch code whatever the imports.
TENSOR_ONLY_METHODS = frozenset({"exp", "log", "log1p", "expm1", "sigmoid", "relu", "log2", "log10",
                                 "sqrt", "abs", "square", "clamp", "clamp_min", "div", "mul",
                                 "logsumexp", "softmax", "log_softmax", "logaddexp"})

# Receivers whose `.log(...)` / `.sum(...)` is not array math (Lightning's
# `self.log("loss", v)`, `logger.log(level, msg)`, a summary writer).
_NON_ARRAY_RECEIVERS = frozenset(
    {"self", "cls", "logger", "logging", "log", "writer", "wandb", "mlflow", "tb", "summary",
     "run", "experiment", "console", "super"}
)

# Every name a call to an operation can end in: the vocabulary of narrowing's text gate.
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
    # For a call of an nn module instance (`sm(x)` with `sm = nn.Softmax(dim=1)`):
    # its constructor, where the axis was read from.
    module: cst.Call | None = None

    @property
    def is_method(self) -> bool:
        return self.qualname is None

    @property
    def keeps_dims(self) -> bool:
        return _is_true(self.keepdims)

    @property
    def plain(self) -> bool:
        """Only the operand, axis and keepdims were passed: no `dtype=`, `where=` or `out=`.

        A fix that rewrites the call into another function may drop nothing else.
        """
        keepdims_literal = self.keepdims is None or (
            isinstance(self.keepdims, cst.Name) and self.keepdims.value in ("True", "False"))
        return not self.opaque and keepdims_literal and all(
            a.value is self.operand or a.value is self.axis or a.value is self.keepdims
            or (isinstance(a.value, cst.Name) and a.value.value == "None")
            for a in self.call.args
        )

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


# -- nn modules and losses ----------------------------------------------------
# An instance of one of these classes, called on a tensor, is the operation:
# `nn.Softmax(dim=1)(x)` is `softmax(x, dim=1)`. The ArgSpec's axis position
# is the constructor's.
_MODULE_SOFTMAX = ArgSpec(0, ("dim",), None, (), IMPLICIT)
_LAYER_SOFTMAX = ArgSpec(0, ("axis",), None, (), LAST)
MODULE_OPS: dict[str, tuple[str, str, ArgSpec]] = {
    **{f"{prefix}.{cls}": (kind, "torch", spec)
       for prefix in ("torch.nn", "torch.nn.modules.activation")
       for cls, kind, spec in (("Softmax", "softmax", _MODULE_SOFTMAX),
                               ("LogSoftmax", "log_softmax", _MODULE_SOFTMAX),
                               ("Sigmoid", "sigmoid", ELEMENTWISE),
                               ("LogSigmoid", "log_sigmoid", ELEMENTWISE))},
    **{f"paddle.nn.{cls}": (kind, "paddle", spec)
       for cls, kind, spec in (("Softmax", "softmax", _LAYER_SOFTMAX),
                               ("LogSoftmax", "log_softmax", _LAYER_SOFTMAX),
                               ("Sigmoid", "sigmoid", ELEMENTWISE),
                               ("LogSigmoid", "log_sigmoid", ELEMENTWISE))},
    "tensorflow.keras.layers.Softmax": ("softmax", "tf", _LAYER_SOFTMAX),
    "keras.layers.Softmax": ("softmax", "keras", _LAYER_SOFTMAX),
}

# What a loss expects as its prediction.
CROSS_ENTROPY = "cross_entropy"  # logits: it applies the softmax itself
NLL = "nll_loss"  # log-probabilities
BCE = "binary_cross_entropy"  # probabilities
BCE_WITH_LOGITS = "binary_cross_entropy_with_logits"  # logits: it applies the sigmoid itself


@dataclass(frozen=True)
class LossSpec:
    """Where a loss takes its prediction, and what it expects there.

    For a loss module (`nn.CrossEntropyLoss`) the positions are those of a
    call of the instance, `criterion(input, target)`, and `from_logits_pos`
    is a position in the constructor.
    """

    kind: str
    framework: str
    input_pos: int
    input_kw: tuple[str, ...]
    # Keras: the loss takes logits only when `from_logits=True` is passed.
    from_logits_pos: int | None = None
    # The same loss taking logits: `binary_cross_entropy` -> `..._with_logits`.
    twin: str | None = None
    # Paddle: `cross_entropy(..., use_softmax=False)` takes probabilities; the loss
    # counts as this kind only when the keyword is absent or literally True.
    softmax_kw: str | None = None


@dataclass(frozen=True)
class Loss:
    """One call of a loss function or of a loss module instance."""

    kind: str
    framework: str
    call: cst.Call
    qualname: str  # the function, or the module's class
    prediction: cst.BaseExpression | None
    module: cst.Call | None  # the constructor, when an instance is called
    twin: str | None


def _build_losses() -> tuple[dict[str, LossSpec], dict[str, LossSpec]]:
    functions: dict[str, LossSpec] = {}
    modules: dict[str, LossSpec] = {}
    torch_f = "torch.nn.functional"
    functions[f"{torch_f}.cross_entropy"] = LossSpec(CROSS_ENTROPY, "torch", 0, ("input",))
    functions[f"{torch_f}.nll_loss"] = LossSpec(NLL, "torch", 0, ("input",))
    functions[f"{torch_f}.binary_cross_entropy"] = LossSpec(
        BCE, "torch", 0, ("input",), twin=f"{torch_f}.binary_cross_entropy_with_logits")
    functions[f"{torch_f}.binary_cross_entropy_with_logits"] = LossSpec(
        BCE_WITH_LOGITS, "torch", 0, ("input",))
    for prefix in ("torch.nn", "torch.nn.modules.loss"):
        modules[f"{prefix}.CrossEntropyLoss"] = LossSpec(CROSS_ENTROPY, "torch", 0, ("input",))
        modules[f"{prefix}.NLLLoss"] = LossSpec(NLL, "torch", 0, ("input",))
        modules[f"{prefix}.NLLLoss2d"] = LossSpec(NLL, "torch", 0, ("input",))
        modules[f"{prefix}.BCELoss"] = LossSpec(BCE, "torch", 0, ("input",),
                                                twin=f"{prefix}.BCEWithLogitsLoss")
        modules[f"{prefix}.BCEWithLogitsLoss"] = LossSpec(BCE_WITH_LOGITS, "torch", 0, ("input",))
    # TensorFlow takes (labels, logits); compat.v1 puts a `_sentinel` first.
    for name, kind in (("softmax_cross_entropy_with_logits", CROSS_ENTROPY),
                       ("softmax_cross_entropy_with_logits_v2", CROSS_ENTROPY),
                       ("sparse_softmax_cross_entropy_with_logits", CROSS_ENTROPY),
                       ("sigmoid_cross_entropy_with_logits", BCE_WITH_LOGITS)):
        functions[f"tensorflow.nn.{name}"] = LossSpec(kind, "tf", 1, ("logits",))
        functions[f"tensorflow.compat.v1.nn.{name}"] = LossSpec(
            kind, "tf", 1 if name.endswith("_v2") else 2, ("logits",))
    # Keras: (y_true, y_pred, from_logits=False, ...); a class takes from_logits first.
    for base, framework in (("tensorflow.keras", "tf"), ("keras", "keras")):
        for name, kind in (("categorical_crossentropy", CROSS_ENTROPY),
                           ("sparse_categorical_crossentropy", CROSS_ENTROPY),
                           ("binary_crossentropy", BCE_WITH_LOGITS)):
            functions[f"{base}.losses.{name}"] = LossSpec(kind, framework, 1, ("y_pred",), 2)
            functions[f"{base}.metrics.{name}"] = LossSpec(kind, framework, 1, ("y_pred",), 2)
            functions[f"{base}.backend.{name}"] = LossSpec(kind, framework, 1, ("output",), 2)
        for name, kind in (("CategoricalCrossentropy", CROSS_ENTROPY),
                           ("SparseCategoricalCrossentropy", CROSS_ENTROPY),
                           ("BinaryCrossentropy", BCE_WITH_LOGITS)):
            modules[f"{base}.losses.{name}"] = LossSpec(kind, framework, 1, ("y_pred",), 0)
    for name, kind in (("categorical_crossentropy", CROSS_ENTROPY),
                       ("sparse_categorical_crossentropy", CROSS_ENTROPY),
                       ("binary_crossentropy", BCE_WITH_LOGITS)):
        functions[f"keras.ops.{name}"] = LossSpec(kind, "keras", 1, ("output",), 2)
    # Paddle: (input, label) like torch; `use_softmax=False` makes cross_entropy take probabilities.
    paddle_f = "paddle.nn.functional"
    functions[f"{paddle_f}.cross_entropy"] = LossSpec(CROSS_ENTROPY, "paddle", 0, ("input",),
                                                      softmax_kw="use_softmax")
    functions[f"{paddle_f}.softmax_with_cross_entropy"] = LossSpec(
        CROSS_ENTROPY, "paddle", 0, ("logits",), softmax_kw="use_softmax")
    functions[f"{paddle_f}.nll_loss"] = LossSpec(NLL, "paddle", 0, ("input",))
    functions[f"{paddle_f}.binary_cross_entropy"] = LossSpec(
        BCE, "paddle", 0, ("input",), twin=f"{paddle_f}.binary_cross_entropy_with_logits")
    functions[f"{paddle_f}.binary_cross_entropy_with_logits"] = LossSpec(
        BCE_WITH_LOGITS, "paddle", 0, ("logit",))
    modules["paddle.nn.CrossEntropyLoss"] = LossSpec(CROSS_ENTROPY, "paddle", 0, ("input",),
                                                     softmax_kw="use_softmax")
    modules["paddle.nn.NLLLoss"] = LossSpec(NLL, "paddle", 0, ("input",))
    modules["paddle.nn.BCELoss"] = LossSpec(BCE, "paddle", 0, ("input",),
                                            twin="paddle.nn.BCEWithLogitsLoss")
    modules["paddle.nn.BCEWithLogitsLoss"] = LossSpec(BCE_WITH_LOGITS, "paddle", 0, ("logit",))
    # optax takes (logits, labels).
    for base in ("optax", "optax.losses"):
        for name, kind in (("softmax_cross_entropy", CROSS_ENTROPY),
                           ("safe_softmax_cross_entropy", CROSS_ENTROPY),
                           ("softmax_cross_entropy_with_integer_labels", CROSS_ENTROPY),
                           ("sigmoid_binary_cross_entropy", BCE_WITH_LOGITS)):
            functions[f"{base}.{name}"] = LossSpec(kind, "jax", 0, ("logits",))
    # MLX takes (logits, targets) and reduces nothing by default (`reduction="none"`);
    # its binary cross-entropy takes logits unless `with_logits=False`.
    for base in ("mlx.nn.losses",):
        functions[f"{base}.cross_entropy"] = LossSpec(CROSS_ENTROPY, "mlx", 0, ("logits",))
        functions[f"{base}.nll_loss"] = LossSpec(NLL, "mlx", 0, ("inputs",))
        functions[f"{base}.binary_cross_entropy"] = LossSpec(
            BCE_WITH_LOGITS, "mlx", 0, ("inputs", "logits"), softmax_kw="with_logits")
    return functions, modules


LOSS_FUNCTIONS, LOSS_MODULES = _build_losses()
LOSS_CALL_NAMES: frozenset[str] = frozenset(q.rsplit(".", 1)[1] for q in LOSS_FUNCTIONS)
# Last names of the classes whose instances are operations or losses.
MODULE_NAMES: frozenset[str] = frozenset(
    q.rsplit(".", 1)[1] for q in (*LOSS_MODULES, *MODULE_OPS))


def loss_names(*kinds: str) -> tuple[str, ...]:
    """Last names of every loss function and module class of `kinds` (narrowing's tokens)."""
    return tuple(sorted({
        q.rsplit(".", 1)[1]
        for table in (LOSS_FUNCTIONS, LOSS_MODULES)
        for q, spec in table.items() if spec.kind in kinds
    }))


def module_names(*kinds: str) -> tuple[str, ...]:
    """Last names of the module classes computing `kinds` (`Softmax` for softmax)."""
    return tuple(sorted({q.rsplit(".", 1)[1] for q, (k, _, _) in MODULE_OPS.items() if k in kinds}))


@functools.lru_cache(maxsize=None)
def call_names(*kinds: str) -> tuple[str, ...]:
    """Every last name a call computing one of `kinds` can end in: functions, methods and
    module classes (`softmax`, `Softmax` for softmax): narrowing's tokens for them."""
    return tuple(sorted(
        {q.rsplit(".", 1)[1] for q, (k, _, _) in FUNCTIONS.items() if k in kinds}
        | {name for name, (k, _) in METHODS.items() if k in kinds}
        | set(module_names(*kinds))))


@functools.lru_cache(maxsize=None)
def made_by(*kinds: str) -> frozenset[str]:
    """The call names that can make a value of `kinds`, hand-written forms included: a
    softmax or a sigmoid can be written with `exp` (`exp(z) / exp(z).sum()`) or be a
    Keras layer's activation (`Dense(10, activation="softmax")`)."""
    names = set(call_names(*kinds))
    if {"softmax", "sigmoid"} & set(kinds):
        names.update(("exp", "Dense"))  # written out, or a Keras `Dense(activation=...)`
    return frozenset(names)


# Layer stacks whose last layer makes the value (`nn.Sequential(..., nn.Softmax(-1))`).
SEQUENTIAL_NAMES = frozenset({"Sequential", "ModuleList"})
# What calling a model runs (`model(x)` runs `forward` / Keras's `call`).
FORWARD_NAMES = ("forward", "call", "__call__")


@functools.lru_cache(maxsize=None)
def known_names() -> frozenset[str]:
    """The last name of every call the vocabulary reads: functions, methods, module
    classes and losses of any kind."""
    return frozenset({q.rsplit(".", 1)[1] for q in (*FUNCTIONS, *MODULE_OPS, *LOSS_FUNCTIONS,
                                                    *LOSS_MODULES)} | set(METHODS)
                     | SEQUENTIAL_NAMES)


# The tokens of a division in any spelling: operators and framework functions.
DIVISION_TOKENS = ("/", "/=", "divide", "div", "true_divide", "truediv")


def _argument(call: cst.Call, position: int | None,
              keywords: tuple[str, ...]) -> cst.BaseExpression | None:
    """The argument at `position` or under one of `keywords`; a `*args` hides positions."""
    if position is not None and not any(a.star == "*" for a in call.args):
        positional = [a.value for a in call.args if a.keyword is None and not a.star]
        if position < len(positional):
            return positional[position]
    return next((a.value for a in call.args
                 if a.keyword is not None and a.keyword.value in keywords), None)


def read_loss(call: cst.Call, qualname: str, spec: LossSpec,
              module: cst.Call | None = None) -> Loss | None:
    """Read a loss call; a Keras loss counts only with a literal `from_logits=True`."""
    if spec.from_logits_pos is not None:
        flag = _argument(module if module is not None else call, spec.from_logits_pos,
                         ("from_logits",))
        if not _is_true(flag):
            return None  # probabilities in, as Keras expects by default
    if spec.softmax_kw is not None:
        flag = _argument(module if module is not None else call, None, (spec.softmax_kw,))
        if flag is not None and not _is_true(flag):
            return None  # `use_softmax=False`: probabilities in
    prediction = _argument(call, spec.input_pos, spec.input_kw)
    return Loss(spec.kind, spec.framework, call, qualname, prediction, module, spec.twin)


def module_op(call: cst.Call, constructor: cst.Call, qualname: str) -> Op:
    """`sm(x)` where `sm = nn.Softmax(dim=1)`: the operation, its axis read from the constructor."""
    kind, framework, spec = MODULE_OPS[qualname]
    axis = _argument(constructor, spec.axis_pos, spec.axis_kw)
    if isinstance(axis, cst.Name) and axis.value == "None":
        axis = None
    operand = _argument(call, 0, ("input", "inputs", "x"))
    opaque = any(a.star for a in (*call.args, *constructor.args))
    return Op(kind, framework, call, qualname, operand, axis, None, spec.default_axis, opaque,
              module=constructor)
