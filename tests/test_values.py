"""The value layer (issue 17): ranges are sound for numpy in float32 and float64, join is
monotone, every spelling of an operation gets its transfer function, and dtypes are
read where the code shows them."""

from __future__ import annotations

import math
import textwrap
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from probe import used

from scorelint.model import values
from scorelint.model import vocabulary as vocab
from scorelint.model.values import Interval

DTYPES = (np.float32, np.float64)
# Inputs stay where float32 can hold them; an infinite end stands for "any size".
_BIG = 1e30
_SETTINGS = settings(max_examples=60, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


# -- strategies -------------------------------------------------------------------------
_ENDS = st.one_of(
    st.floats(-50, 50, allow_nan=False),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from([0.0, 1.0, -1.0, 0.5, 88.0, 710.0, -104.0, -750.0]),
    st.just(math.inf), st.just(-math.inf),
)


@st.composite
def intervals(draw, ends=_ENDS) -> Interval:
    a, b = draw(ends), draw(ends)
    lo, hi = min(a, b), max(a, b)
    assume(not (lo == hi and math.isinf(lo)))
    return Interval.of(lo, hi, draw(st.booleans()) and lo < hi, draw(st.booleans()) and lo < hi)


def _inside(draw, interval: Interval, dtype: type) -> np.ndarray:
    """A number of `dtype` inside `interval` (drawn in float64, kept if it stays inside)."""
    lo, hi = max(interval.lo, -_BIG), min(interval.hi, _BIG)
    assume(lo <= hi)
    # Zeros are +0 (the layer does not model `x / -0.0`).
    x = dtype(draw(st.floats(lo, hi, allow_nan=False, allow_infinity=False)) + 0.0)
    assume(interval.contains(float(x)))
    return x


def _assert_inside(result: Interval, outputs, label: str) -> None:
    for y in np.atleast_1d(np.asarray(outputs, dtype=np.float64)):
        if not math.isnan(y):
            assert result.contains(float(y)), f"{label}: {y!r} not in {result.describe()}"


def _quiet():
    return np.errstate(all="ignore")


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


UNARY = {
    "exp": (values.exp, np.exp),
    "log": (values.log, np.log),
    "log1p": (values.log1p, np.log1p),
    "expm1": (values.expm1, np.expm1),
    "sqrt": (values.sqrt, np.sqrt),
    "abs": (values.absolute, np.abs),
    "negative": (values.negate, np.negative),
    "sigmoid": (values.sigmoid, _sigmoid),
    "tanh": (values.tanh, np.tanh),
    "softplus": (values.softplus, lambda x: np.logaddexp(x.dtype.type(0), x)),
    "log_sigmoid": (values.log_sigmoid, lambda x: -np.logaddexp(x.dtype.type(0), -x)),
    "relu": (values.relu, lambda x: np.maximum(x, x.dtype.type(0))),
    "square": (lambda a: values.power(a, 2), np.square),
    "pow 2.0": (lambda a: values.power(a, 2.0), lambda x: x ** x.dtype.type(2.0)),
    "pow 3": (lambda a: values.power(a, 3), lambda x: x ** 3),
    "pow 0.5": (lambda a: values.power(a, 0.5), lambda x: x ** x.dtype.type(0.5)),
    "pow -1": (lambda a: values.power(a, -1.0), lambda x: x ** x.dtype.type(-1.0)),
}
BINARY = {
    "add": (values.add, np.add),
    "subtract": (values.subtract, np.subtract),
    "multiply": (values.multiply, np.multiply),
    "divide": (values.divide, np.divide),
    "maximum": (values.maximum, np.maximum),
    "minimum": (values.minimum, np.minimum),
}
REDUCE = {
    "sum": (values.total, np.sum),
    "prod": (values.product, np.prod),
    "mean": (values.average, np.mean),
    "max": (lambda a: a, np.max),
    "logsumexp": (values.logsumexp, np.logaddexp.reduce),
}


# -- soundness: numpy on inputs inside the ranges lands inside the computed range ----------
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", sorted(UNARY))
@_SETTINGS
@given(data=st.data())
def test_unary_transfer_is_sound(name: str, dtype: type, data) -> None:
    transfer, reference = UNARY[name]
    interval = data.draw(intervals())
    xs = np.array([_inside(data.draw, interval, dtype) for _ in range(4)], dtype=dtype)
    with _quiet():
        _assert_inside(transfer(interval), reference(xs), f"{name}{interval.describe()}")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", sorted(BINARY))
@_SETTINGS
@given(data=st.data())
def test_binary_transfer_is_sound(name: str, dtype: type, data) -> None:
    transfer, reference = BINARY[name]
    a, b = data.draw(intervals()), data.draw(intervals())
    xs = np.array([_inside(data.draw, a, dtype) for _ in range(3)], dtype=dtype)
    ys = np.array([_inside(data.draw, b, dtype) for _ in range(3)], dtype=dtype)
    with _quiet():
        _assert_inside(transfer(a, b), reference(xs, ys),
                       f"{a.describe()} {name} {b.describe()}")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", sorted(REDUCE))
@_SETTINGS
@given(data=st.data())
def test_reduction_transfer_is_sound(name: str, dtype: type, data) -> None:
    transfer, reference = REDUCE[name]
    interval = data.draw(intervals())
    size = data.draw(st.integers(1, 6))
    xs = np.array([_inside(data.draw, interval, dtype) for _ in range(size)], dtype=dtype)
    with _quiet(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _assert_inside(transfer(interval), reference(xs), f"{name}{interval.describe()}")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@_SETTINGS
@given(data=st.data())
def test_matmul_and_outer_of_their_parts_are_sound(dtype: type, data) -> None:
    a, b = data.draw(intervals()), data.draw(intervals())
    size = data.draw(st.integers(1, 4))
    xs = np.array([_inside(data.draw, a, dtype) for _ in range(size)], dtype=dtype)
    ys = np.array([_inside(data.draw, b, dtype) for _ in range(size)], dtype=dtype)
    with _quiet():
        _assert_inside(values.matmul(a, b), xs @ ys, "matmul")
        _assert_inside(values.multiply(a, b), np.outer(xs, ys).ravel(), "outer")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@_SETTINGS
@given(data=st.data())
def test_softmax_and_log_softmax_are_in_their_ranges(dtype: type, data) -> None:
    interval = data.draw(intervals())
    xs = np.array([_inside(data.draw, interval, dtype) for _ in range(5)], dtype=dtype)
    with _quiet():
        shifted = xs - xs.max()
        e = np.exp(shifted)
        _assert_inside(values.UNIT, e / e.sum(), "softmax")
        # deliberately unshifted: the range must hold even where the naive form is nan
        _assert_inside(values.UNIT, np.exp(xs) / np.exp(xs).sum(), "unshifted softmax")  # noqa: SL102
        _assert_inside(values.NONPOSITIVE, shifted - np.log(e.sum()), "log_softmax")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@_SETTINGS
@given(data=st.data())
def test_clip_is_sound(dtype: type, data) -> None:
    x, low, high = data.draw(intervals()), data.draw(intervals()), data.draw(intervals())
    xs = np.array([_inside(data.draw, x, dtype) for _ in range(3)], dtype=dtype)
    lows = np.array([_inside(data.draw, low, dtype) for _ in range(3)], dtype=dtype)
    highs = np.array([_inside(data.draw, high, dtype) for _ in range(3)], dtype=dtype)
    _assert_inside(values.clip(x, low, high), np.minimum(np.maximum(xs, lows), highs), "clip")
    _assert_inside(values.clip(x, None, high), np.minimum(xs, highs), "clip max")
    _assert_inside(values.clip(x, low, None), np.maximum(xs, lows), "clip min")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@_SETTINGS
@given(data=st.data())
def test_a_nonnegative_multiple_of_x_minus_its_max_is_nonpositive(dtype: type, data) -> None:
    """`r * (x - max(x))` with `r >= 0`: the relational fact the ranges alone cannot see."""
    interval = data.draw(intervals())
    xs = np.array([_inside(data.draw, interval, dtype) for _ in range(4)], dtype=dtype)
    r = _inside(data.draw, values.NONNEGATIVE, dtype)
    scaled = values.multiply(values.NONNEGATIVE, values.NONPOSITIVE)
    with _quiet():
        _assert_inside(scaled, r * (xs - xs.max()), "r * (x - max(x))")


# -- join ----------------------------------------------------------------------------
@_SETTINGS
@given(a=intervals(), b=intervals(), c=intervals())
def test_join_holds_both_and_is_monotone(a: Interval, b: Interval, c: Interval) -> None:
    joined = a.join(b)
    assert a.within(joined) and b.within(joined)
    assert joined == b.join(a)
    wider = a.join(c)  # a within wider, so join(a, b) within join(wider, b)
    assert a.within(wider)
    assert joined.within(wider.join(b))


@_SETTINGS
@given(a=intervals(), b=intervals())
def test_transfer_functions_are_monotone(a: Interval, b: Interval) -> None:
    """A wider input never gives a narrower output (so joins before or after agree)."""
    wide = a.join(b)
    for name, (transfer, _) in UNARY.items():
        narrow = transfer(a)  # unknown where `a` is outside the domain (`sqrt` of negatives)
        assert narrow.within(transfer(wide)) or not narrow.known or not transfer(wide).known, name


# -- the value of code -------------------------------------------------------------------
def _value(code: str) -> values.Value:
    """The value of the argument of the last `use(...)` call in `code`."""
    return values.of(*used(code))


@pytest.mark.parametrize("code", [
    "import torch\nuse(x.abs().neg())",
    "import torch\nuse(-torch.abs(x))",
    "import numpy as np\nuse(np.negative(np.abs(x)))",
    "import tensorflow as tf\nuse(tf.math.negative(tf.square(x)))",
    "import torch\nuse(-x.pow(2.0) / (2 * s.pow(2.0)))",
    "import torch\nuse(-torch.pow(x, 2) / (2 * s ** 2.0))",
    "import numpy as np\nuse(-np.power(x, 2.0))",
    "import paddle\nuse(-paddle.pow(x, 2.0))",
    "import math\nuse(-math.pow(d, 2))",
    "import torch\nuse(-x ** 2)",
    "import torch\nuse(-(x * x))",
    "import torch\nm = x.max(dim=-1, keepdim=True)[0]\nuse(x - m)",
    "import torch\nm = torch.max(x, dim=-1, keepdim=True).values\nuse(3.0 * (x - m))",
    "import torch\nimport torch.nn.functional as F\nr = F.softplus(a)\nuse(r * (x - x.amax(1, keepdim=True)))",
    "import jax.numpy as jnp\nuse((x - jnp.max(x)) / 2)",
    "import numpy as np\nfrom scipy.special import logsumexp\nuse(x - logsumexp(x))",
    "import numpy as np\nuse(-np.arange(n) / tau)",
    "import torch.nn.functional as F\nuse(F.log_softmax(x, dim=-1))",
    "import torch.nn.functional as F\nuse(F.logsigmoid(x))",
    "import torch\nuse(torch.clamp(x, max=0.0))",
    "import numpy as np\nuse(np.minimum(x, 0))",
])
def test_nonpositive_in_every_spelling(code: str) -> None:
    assert _value(code).range.nonpositive, code


@pytest.mark.parametrize("code", [
    "import torch\nk = torch.tensor([1.0, 2.0, 1.0])\nuse(k[:, None] @ k[None, :])",
    "import torch\nimport math\nk = torch.tensor([math.comb(4, i) for i in range(5)])\nuse(torch.outer(k, k))",
    "import numpy as np\nuse(np.bincount(ids) / len(ids))",
    "import torch\nuse(torch.relu(x).sum(-1))",
    "import torch\nuse(torch.softmax(x, -1).prod(-1))",
    "import numpy as np\nuse(np.sqrt(np.abs(x)).mean())",
    "import numpy as np\nuse(np.exp(x) @ np.exp(y))",
    "import torch\nuse(torch.sigmoid(x) * torch.rand(3))",
    "import numpy as np\nuse(np.where(c, np.exp(a), np.square(b)))",
    "def f(c, a):\n    w = abs(a) if c else 0.0\n    use(w)",
    "import numpy as np\nuse(np.clip(x, 0, None))",
    "import torch\nuse(x.clamp(min=1e-8))",
    "import numpy as np\nuse(np.maximum(x, 0.0))",
])
def test_nonnegative_in_every_spelling(code: str) -> None:
    assert _value(code).range.nonnegative, code


@pytest.mark.parametrize(("code", "lo", "hi"), [
    ("import torch\nuse(torch.rand(3, 4))", 0.0, 1.0),
    ("import numpy as np\nuse(np.random.rand(5))", 0.0, 1.0),
    ("import numpy as np\nuse(np.random.uniform(-2, 3, size=4))", -2.0, 3.0),
    ("import torch\nuse(torch.randn(3))", -10.0, 10.0),
    ("import numpy as np\nuse(np.random.normal(1.0, 2.0, 5))", -19.0, 21.0),
    ("import numpy as np\nuse(np.arange(10))", 0.0, 10.0),
    ("import torch\nuse(torch.linspace(-3, 5, 100))", -3.0, 5.0),
    ("import torch\nuse(torch.sigmoid(x))", 0.0, 1.0),
    ("import torch\nuse(torch.tanh(x))", -1.0, 1.0),
    ("use(2 / 4)", 0.5, 0.5),
    ("import torch\nuse(torch.exp(torch.rand(3)))", 1.0, math.e),
])
def test_ranges_of_constructors_draws_and_literals(code: str, lo: float, hi: float) -> None:
    interval = _value(code).range
    assert interval.lo <= lo + 1e-9 and interval.hi >= hi - 1e-9
    assert interval.lo >= lo - 1e-3 * max(1, abs(lo)) and interval.hi <= hi + 1e-3 * max(1, abs(hi))


def test_a_normal_draw_is_bounded_only_by_assumption() -> None:
    value = _value("import torch\nuse(torch.randn(3, 4).exp())")
    assert value.assumed == {values.RANDN} and value.range.hi < 3e4


def test_a_name_is_a_hint_that_evidence_overrides() -> None:
    assert _value("def f(weights):\n    use(weights)").range.nonnegative
    assert _value("def f(weights):\n    use(weights)").assumed == {values.NAMED}
    assert not _value("import numpy as np\nweights = np.arange(-5, 5)\nuse(weights)").range.nonnegative


def test_branches_join() -> None:
    code = """
    import torch
    def f(c, start, emit):
        if c:
            alpha = torch.exp(start + emit)
        else:
            alpha = torch.exp(emit)
        use(alpha)
    """
    assert _value(code).range.nonnegative
    code = "import torch\ndef f(c, x):\n    y = -x.abs() if c else x\n    use(y)"
    assert not _value(code).range.known


def test_a_loop_that_grows_a_value_is_unknown() -> None:
    code = "def f(xs):\n    t = 0.0\n    for x in xs:\n        t = t * 2 + x\n    use(t)"
    assert not _value(code).range.known


@pytest.mark.parametrize(("kind", "point"), [
    ("exp", 0.5), ("log", 0.5), ("log1p", 0.5), ("expm1", 0.5), ("sqrt", 0.5), ("abs", -0.5),
    ("square", -0.5), ("negative", 0.5), ("sigmoid", 0.5), ("tanh", 0.5), ("relu", -0.5),
    ("softplus", 0.5), ("log_sigmoid", 0.5),
])
def test_every_spelling_of_an_operation_gets_its_transfer_function(kind: str, point: float) -> None:
    """The vocabulary's round trip, extended to facts: each function and method form of
    `kind` computes the same range from the same input."""
    expected = values._UNARY[kind](Interval.point(point))
    spellings = [q for q, (k, _, _) in vocab.FUNCTIONS.items() if k == kind]
    spellings += [f"u.{name}" for name, (k, _) in vocab.METHODS.items() if k == kind]
    assert spellings
    for spelled in spellings:
        if spelled.startswith("u."):
            code = f"import torch\nu = {point}\nuse({spelled}())"
        else:
            module = spelled.rsplit(".", 1)[0]
            code = f"import {module}\nu = {point}\nuse({spelled}(u))"
        assert _value(code).range == expected, spelled


# -- dtypes ----------------------------------------------------------------------------
@pytest.mark.parametrize(("code", "dtype"), [
    ("import torch\nuse(x.half())", "float16"),
    ("import torch\nuse(x.bfloat16().exp())", "bfloat16"),
    ("import torch\nuse(x.double() * 2)", "float64"),
    ("import torch\nuse(x.float())", "float32"),
    ("import torch\nuse(x.to(torch.float16))", "float16"),
    ("import torch\nuse(x.to(dtype=torch.bfloat16))", "bfloat16"),
    ("import numpy as np\nuse(x.astype(np.float32))", "float32"),
    ("import numpy as np\nuse(x.astype('float16'))", "float16"),
    ("import tensorflow as tf\nuse(tf.cast(x, tf.float16))", "float16"),
    ("import torch\nuse(torch.zeros(3, dtype=torch.float64))", "float64"),
    ("import torch\nuse(torch.randn(3))", "float32"),
    ("import jax\nuse(jax.random.normal(key, (3,)))", "float32"),
    ("import numpy as np\nuse(np.random.randn(3))", "float64"),
    ("import numpy as np\nuse(np.exp(np.array([1.0, 2.0])))", "float64"),
    ("import torch\nh = x.half()\ne = torch.exp(h)\nuse(e / e.sum(-1, keepdim=True))", "float16"),
    ("import torch\nuse(x.half() * y.double())", "float64"),
    ("import torch\nuse(torch.softmax(x, -1, dtype=torch.float32))", "float32"),
])
def test_dtype_where_the_code_shows_it(code: str, dtype: str) -> None:
    assert _value(code).float_dtype == dtype, code


@pytest.mark.parametrize("code", [
    "import torch\nuse(torch.exp(x))",
    "import numpy as np\nuse(np.exp(x))",
    "import torch\nuse(x.to(device))",
    "import torch\nuse(x.half() * y)",
])
def test_dtype_is_unknown_where_the_code_does_not_say(code: str) -> None:
    assert _value(code).float_dtype is None, code


def test_math_computes_in_float64() -> None:
    assert _value("import math\nuse(math.exp(x))").float_dtype == "float64"


def test_thresholds_come_from_one_table() -> None:
    assert values.LIMITS["float32"].exp_max == pytest.approx(math.log(np.finfo(np.float32).max), abs=0.01)
    assert values.LIMITS["float64"].exp_max == pytest.approx(math.log(np.finfo(np.float64).max), abs=0.01)
    assert values.LIMITS["float16"].exp_max == pytest.approx(math.log(np.finfo(np.float16).max), abs=0.01)
    for name, limit in values.LIMITS.items():
        if name != "bfloat16":
            assert limit.tiny == pytest.approx(float(np.finfo(name).tiny), rel=1e-3)
            assert limit.eps == pytest.approx(float(np.finfo(name).eps), rel=1e-3)
    with np.errstate(over="ignore"):
        assert np.isinf(np.exp(np.float32(values.LIMITS["float32"].exp_max + 0.01)))
        assert np.isfinite(np.exp(np.float32(values.LIMITS["float32"].exp_max - 0.01)))
    for name in ("float16", "float32", "float64"):
        one, p = np.dtype(name).type(1), np.dtype(name).type(values.LIMITS[name].lost_below * 0.9)
        assert one + p == one  # every digit of `p` is gone
        assert abs((one - (one - p)) - p) > 0.1 * p


# -- messages quote what is known ---------------------------------------------------------
def _messages(code: str) -> list[str]:
    from scorelint.engine import linter as engine
    from scorelint.engine.registry import all_rules
    return [f"{f.code} {f.message}" for f in engine.lint(textwrap.dedent(code), "m.py", all_rules())]


def test_an_unbounded_exponent_is_said_to_be_unbounded() -> None:
    (message,) = _messages("import numpy as np\ndef f(x):\n    e = np.exp(x)\n    return e / e.sum()\n")
    assert "`x` is not bounded above, so `exp` overflows above ~88.72 in float32" in message


def test_a_bound_from_a_normal_draw_says_it_is_an_assumption() -> None:
    (message,) = _messages("import torch\ndef f():\n    x = torch.randn(8) * 50\n"
                           "    e = x.exp()\n    return e / e.sum()\n")
    assert "can reach 500" in message and "standard deviations" in message and "(float32)" in message


@pytest.mark.parametrize(("cast", "quoted"), [
    ("", "~5.96e-08 in float32 (~1.11e-16 in float64)"),
    (".float()", "~5.96e-08 (float32)"),
    (".double()", "~1.11e-16 (float64)"),
    (".half()", "~0.0004883 (float16)"),
])
def test_log_of_one_minus_quotes_the_dtype_threshold(cast: str, quoted: str) -> None:
    (message,) = _messages(f"import torch\ndef f(z):\n    p = torch.softmax(z, -1){cast}\n"
                           "    return torch.log(1 - p)\n")
    assert message.startswith("SL207") and quoted in message


def test_the_same_range_is_safe_in_float32_and_not_in_float16() -> None:
    code = "import torch\ndef f():\n    x = (torch.rand(8) * 20){cast}\n    e = torch.exp(x)\n    return e / e.sum()\n"
    assert _messages(code.format(cast="")) == []
    (message,) = _messages(code.format(cast=".half()"))
    assert "`x` can reach 20" in message and "~11.09 (float16)" in message


@pytest.mark.parametrize(("kind", "expected"), [
    ("power", values.power(Interval.point(-0.5), 2.0)),
    ("minimum", Interval.point(-0.5)),
    ("maximum", Interval.point(2.0)),
    ("multiply", values.multiply(Interval.point(-0.5), Interval.point(2.0))),
    ("divide", values.divide(Interval.point(-0.5), Interval.point(2.0))),
    ("subtract", values.subtract(Interval.point(-0.5), Interval.point(2.0))),
])
def test_every_spelling_of_a_binary_operation_gets_its_transfer_function(
        kind: str, expected: Interval) -> None:
    """`np.power(u, 2.0)`, `torch.pow(u, 2.0)`, `u.pow(2.0)`, `math.pow(u, 2.0)`,
    `tf.math.pow(u, 2.0)`, `paddle.pow(u, 2.0)`: the same range."""
    spellings = [q for q, (k, _, _) in vocab.FUNCTIONS.items() if k == kind]
    spellings += [f"u.{name}" for name, (k, _) in vocab.METHODS.items() if k == kind]
    assert len(spellings) > 3
    for spelled in spellings:
        if spelled.startswith("u."):
            code = f"import torch\nu = -0.5\nuse({spelled}(2.0))"
        else:
            code = f"import {spelled.rsplit('.', 1)[0]}\nu = -0.5\nuse({spelled}(u, 2.0))"
        assert _value(code).range == expected, spelled
