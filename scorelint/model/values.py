"""The value layer: what a value can be (a range and its sign), in which dtype, and its role.

A rule that asks "can `exp(x)` overflow here?" asks this module about `x`, not
about the shape of the code: `x - x.max()`, `-d.pow(2.0) / (2 * s ** 2)`,
`r * (x - x_max)` with `r >= 0`, `torch.rand(n)` and `2 / 4` all answer with a
range that proves the failure impossible, in any spelling the vocabulary reads
(operator, function, method, method chain; numpy, torch, jax, tensorflow,
paddle, `math`). A name's value is the join of its reaching definitions
(`scorelint.model.dataflow`), so a branch that leaves `x` unbounded keeps the
finding. Nothing known is the full range: unknown stays reported.

Ranges are sound for numpy evaluation in float32 and float64 (tested so with
random inputs, `tests/test_values.py`): each transfer function rounds its
bounds outward, a bound beyond float32's largest number becomes infinite (it
may overflow) and a positive bound below its smallest normal becomes 0 (it
may underflow). NaN results are outside every range; a zero is read as +0 (`x / -0.0`
is not modelled). Two readings are not
proofs and say so in `Value.assumed`: a normal draw taken as `|z| <= 10`
("randn") and a sign read from a name (`weights`, `tau`: "name").

`Value.role` is a slot for what a value is for. This module fills the roles
an operation or a name shows (`RESULT_ROLES`: probs, log_probs, counts, noise;
`weights` from a name) and carries them through shape-only steps (reshape,
copy, cast, select); arithmetic drops them. Sequence scoring (logits, masks,
labels, lengths, position alignment) adds its roles by extending
`RESULT_ROLES` and reading `of(ctx, node).role`; the range and dtype come with
them for free.

Entry points: `of(ctx, node)` (the `Value`), and the questions rules ask,
each a `Verdict` (can it fail? and what is known, for the message):
`exp_overflow`, `exp_underflow`, `sigmoid_saturates`, `one_plus_loses`;
`LIMITS` holds every dtype threshold.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import libcst as cst

from scorelint.model import vocabulary as vocab
from scorelint.model.context import FileContext
from scorelint.model.dataflow import ASSIGN, AUGMENT, ELEMENT, Definition

INF = math.inf
# Outward rounding of computed bounds: above float32's relative error of one
# operation (2**-24), so a bound computed in float64 also holds in float32.
_REL = 2.0 ** -18
# ...and by float32's smallest subnormal: below its smallest normal a result's error is
# absolute, not relative (softplus(-92) is about 1.109e-40 and lands a subnormal step off).
_SUBNORMAL = 2.0 ** -149
# Beyond float32's largest finite number a bound may be `inf`; below its smallest
# normal a positive bound may be 0.
_HUGE = 3.0e38
_TINY = 1.0e-37
# A normal draw is unbounded; in practice |z| <= 10 (probability ~1e-23).
PRACTICAL_NORMAL = 10.0


# -- ranges ---------------------------------------------------------------------
@dataclass(frozen=True)
class Interval:
    """The real numbers a value can take: `[lo, hi]`, each end open or closed.

    An infinite end is always open (the value is never `inf` unless it overflows,
    which the bounds already allow by being infinite).
    """

    lo: float = -INF
    hi: float = INF
    lo_open: bool = True
    hi_open: bool = True

    @staticmethod
    def of(lo: float, hi: float, lo_open: bool = False, hi_open: bool = False) -> Interval:
        """A range with normalized ends: NaN bounds make it unknown, huge bounds infinite,
        tiny positive (negative) bounds 0."""
        if math.isnan(lo) or math.isnan(hi):
            return TOP
        lo, hi = min(lo, _HUGE), max(hi, -_HUGE)
        if hi > _HUGE:
            hi = INF
        if lo < -_HUGE:
            lo = -INF
        if 0 < lo < _TINY:
            lo, lo_open = 0.0, False
        if -_TINY < hi < 0:
            hi, hi_open = 0.0, False
        if lo > hi:
            return TOP  # an empty range means the code is unreachable or we erred: unknown
        return Interval(lo, hi, lo_open or lo == -INF, hi_open or hi == INF)

    @staticmethod
    def point(value: float) -> Interval:
        return Interval.of(value, value)

    # -- facts a rule asks ----------------------------------------------------
    @property
    def known(self) -> bool:
        return self != TOP

    @property
    def nonnegative(self) -> bool:
        return self.lo >= 0

    @property
    def positive(self) -> bool:
        return self.lo > 0 or (self.lo == 0 and self.lo_open)

    @property
    def nonpositive(self) -> bool:
        return self.hi <= 0

    def above(self, limit: float) -> bool:
        """Can the value exceed `limit`?"""
        return self.hi > limit

    def below(self, limit: float) -> bool:
        """Can the value fall below `limit`?"""
        return self.lo < limit

    def contains(self, x: float) -> bool:
        """Is `x` a value of this range? An infinite end holds its overflow (`exp(1e3)`
        is `inf`); NaN is in no range."""
        if math.isnan(x):
            return False
        if math.isinf(x):
            return x == self.hi if x > 0 else x == self.lo
        low = x > self.lo or (x == self.lo and not self.lo_open)
        high = x < self.hi or (x == self.hi and not self.hi_open)
        return low and high

    def within(self, other: Interval) -> bool:
        """Is every value of this range in `other`?"""
        low = self.lo > other.lo or (self.lo == other.lo and (self.lo_open or not other.lo_open))
        high = self.hi < other.hi or (self.hi == other.hi and (self.hi_open or not other.hi_open))
        return low and high

    def join(self, other: Interval) -> Interval:
        """The smallest range holding both (where two paths meet)."""
        if self.lo < other.lo:
            lo, lo_open = self.lo, self.lo_open
        elif other.lo < self.lo:
            lo, lo_open = other.lo, other.lo_open
        else:
            lo, lo_open = self.lo, self.lo_open and other.lo_open
        if self.hi > other.hi:
            hi, hi_open = self.hi, self.hi_open
        elif other.hi > self.hi:
            hi, hi_open = other.hi, other.hi_open
        else:
            hi, hi_open = self.hi, self.hi_open and other.hi_open
        return Interval(lo, hi, lo_open, hi_open)

    def describe(self) -> str:
        if not self.known:
            return "any number"
        left = "(" if self.lo_open else "["
        right = ")" if self.hi_open else "]"
        return f"{left}{_num(self.lo)}, {_num(self.hi)}{right}"


TOP = Interval()
NONNEGATIVE = Interval(0.0, INF, False, True)
NONPOSITIVE = Interval(-INF, 0.0, True, False)
UNIT = Interval(0.0, 1.0, False, False)  # a probability, in floats: 0 and 1 are reachable
POSITIVE = Interval(0.0, INF, True, True)


def _num(x: float) -> str:
    if x == INF:
        return "inf"
    if x == -INF:
        return "-inf"
    return f"{x + 0.0:.4g}"  # never `-0`


def _down(x: float) -> float:
    """`x` rounded outward downwards (a lower bound computed with rounding); rounding
    never changes a sign, so a positive bound stays at least 0."""
    if x in (0.0, INF, -INF):
        return x
    lowered = x - abs(x) * _REL - _SUBNORMAL
    return max(lowered, 0.0) if x > 0 else lowered


def _up(x: float) -> float:
    if x in (0.0, INF, -INF):
        return x
    raised = x + abs(x) * _REL + _SUBNORMAL
    return min(raised, 0.0) if x < 0 else raised


def _rounded(lo: float, hi: float, exact: bool = False) -> Interval:
    """A computed range, rounded outward unless its ends are exact."""
    return Interval.of(lo, hi) if exact else Interval.of(_down(lo), _up(hi))


# -- transfer functions: each is sound for numpy in float32 and float64 ---------------
def _mul(a: float, b: float) -> float:
    """A product of bounds where `0 * inf` is 0: an infinite end is never reached."""
    if a == 0 or b == 0:
        return 0.0
    return a * b


def add(a: Interval, b: Interval) -> Interval:
    if not a.known or not b.known:
        return TOP
    # Closed ends: rounding reaches an open end (`1e-40 - 1` is -1 in float32).
    exact = _is_int(a.lo) and _is_int(b.lo) and _is_int(a.hi) and _is_int(b.hi)
    return _rounded(a.lo + b.lo, a.hi + b.hi, exact)


def negate(a: Interval) -> Interval:
    return Interval(-a.hi, -a.lo, a.hi_open, a.lo_open)


def subtract(a: Interval, b: Interval) -> Interval:
    return add(a, negate(b))


def multiply(a: Interval, b: Interval) -> Interval:
    if a.nonnegative and b.nonnegative:
        return _rounded(_mul(a.lo, b.lo), _mul(a.hi, b.hi))
    if not a.known or not b.known:
        return _signed(a, b)
    corners = [_mul(x, y) for x in (a.lo, a.hi) for y in (b.lo, b.hi)]
    return _rounded(min(corners), max(corners))


def _signed(a: Interval, b: Interval) -> Interval:
    """A product or quotient known only by the signs of its parts."""
    signs = {(True, True): NONNEGATIVE, (False, False): NONNEGATIVE,
             (True, False): NONPOSITIVE, (False, True): NONPOSITIVE}
    sa = True if a.nonnegative else False if a.nonpositive else None
    sb = True if b.nonnegative else False if b.nonpositive else None
    if sa is None or sb is None:
        return TOP
    return signs[(sa, sb)]


def divide(a: Interval, b: Interval) -> Interval:
    if b.lo > 0 or b.hi < 0:  # the divisor keeps its sign: the corners bound the quotient
        if not a.known:
            return _signed(a, b)
        corners = [_quot(x, y) for x in (a.lo, a.hi) for y in (b.lo, b.hi)]
        return _rounded(min(corners), max(corners))
    if b.nonnegative:  # a divisor that may be 0: `x / +0` is an infinity of the sign of `x`
        return _signed(a, b)
    return TOP  # `x / 0` with a divisor that is otherwise negative flips the sign


def _quot(x: float, y: float) -> float:
    if x == 0:
        return 0.0
    if math.isinf(y):
        return 0.0
    return x / y


def power(a: Interval, exponent: float | None) -> Interval:
    """`a ** p` for a constant `p`: even powers are non-negative, odd ones keep the order."""
    if exponent is None:
        return NONNEGATIVE if a.nonnegative else TOP
    if exponent == 0:
        return Interval.point(1.0)
    integer = float(exponent).is_integer()
    if integer and exponent > 0:
        n = int(exponent)
        if n % 2 == 0:
            low = 0.0 if a.lo <= 0 <= a.hi else min(abs(a.lo), abs(a.hi)) ** n
            return _rounded(low, max(_pow(abs(a.lo), n), _pow(abs(a.hi), n)))
        return _rounded(_pow(a.lo, n), _pow(a.hi, n))
    if not a.nonnegative:
        return TOP  # a negative base to a fractional power is NaN; to a negative one, unsigned
    if exponent > 0:
        return _rounded(_pow(a.lo, exponent), _pow(a.hi, exponent))
    return _rounded(_pow(a.hi, exponent), _pow(a.lo, exponent))


def _pow(x: float, n: float) -> float:
    try:
        if x == 0 and n < 0:
            return INF
        if math.isinf(x):
            return (0.0 if n < 0 else INF) if x > 0 else (INF if float(n).is_integer() and int(n) % 2 == 0 else -INF)
        return x ** n
    except OverflowError:
        return INF if x > 0 or int(n) % 2 == 0 else -INF


def _monotone(f: Callable[[float], float], a: Interval, domain: Interval = TOP,
              exact: tuple[float, ...] = ()) -> Interval:
    """An increasing function over the part of `a` inside its domain (outside it: NaN)."""
    lo, hi = max(a.lo, domain.lo), min(a.hi, domain.hi)
    if lo > hi:
        return TOP
    low, high = _safe(f, lo), _safe(f, hi)
    low = low if lo in exact else _down(low)
    high = high if hi in exact else _up(high)
    # Rounding outward never passes the value at an exact point (`exp(0) = 1`): keeps
    # the function monotone on ranges, and `exp(x)` for `x >= 0` at least 1.
    low = max([low, *(_safe(f, e) for e in exact if e <= lo and not math.isinf(e))])
    high = min([high, *(_safe(f, e) for e in exact if e >= hi and not math.isinf(e))])
    return Interval.of(low, high)


def _safe(f: Callable[[float], float], x: float) -> float:
    try:
        return f(x)
    except OverflowError:
        return INF
    except ValueError:
        return -INF if x == 0 else math.nan


def _exp(x: float) -> float:
    return 0.0 if x == -INF else INF if x == INF else math.exp(x)


def _log(x: float) -> float:
    return -INF if x == 0 else INF if x == INF else math.log(x)


def exp(a: Interval) -> Interval:
    return _monotone(_exp, a, exact=(0.0, -INF, INF))


def log(a: Interval, base: float = math.e) -> Interval:
    scale = 1.0 / math.log(base)
    return _monotone(lambda x: _log(x) * scale, a, NONNEGATIVE, exact=(0.0, 1.0, INF))


def log1p(a: Interval) -> Interval:
    return _monotone(lambda x: -INF if x == -1 else INF if x == INF else math.log1p(x), a,
                     Interval.of(-1.0, INF), exact=(0.0, -1.0, INF))


def expm1(a: Interval) -> Interval:
    result = _monotone(lambda x: -1.0 if x == -INF else INF if x == INF else math.expm1(x), a,
                       exact=(0.0, -INF, INF))
    return Interval.of(max(result.lo, -1.0), result.hi)


def sqrt(a: Interval) -> Interval:
    return _monotone(lambda x: INF if x == INF else math.sqrt(x), a, NONNEGATIVE,
                     exact=(0.0, 1.0, INF))


def absolute(a: Interval) -> Interval:
    if a.nonnegative:
        return a
    if a.nonpositive:
        return negate(a)
    return Interval.of(0.0, max(-a.lo, a.hi))


def _sigmoid(x: float) -> float:
    if x == INF:
        return 1.0
    if x == -INF:
        return 0.0
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def sigmoid(a: Interval) -> Interval:
    result = _monotone(_sigmoid, a, exact=(0.0, INF, -INF))
    return Interval.of(max(result.lo, 0.0), min(result.hi, 1.0))


def tanh(a: Interval) -> Interval:
    result = _monotone(lambda x: math.tanh(x) if not math.isinf(x) else math.copysign(1.0, x), a,
                       exact=(0.0, INF, -INF))
    return Interval.of(max(result.lo, -1.0), min(result.hi, 1.0))


def softplus(a: Interval) -> Interval:
    def f(x: float) -> float:
        if x == INF:
            return INF
        if x == -INF:
            return 0.0
        return max(x, 0.0) + math.log1p(math.exp(-abs(x)))
    result = _monotone(f, a, exact=(-INF, INF))
    return Interval.of(max(result.lo, 0.0), result.hi)


def log_sigmoid(a: Interval) -> Interval:
    result = negate(softplus(negate(a)))
    return Interval.of(result.lo, min(result.hi, 0.0))


def relu(a: Interval) -> Interval:
    return Interval.of(max(a.lo, 0.0), max(a.hi, 0.0))


def maximum(a: Interval, b: Interval) -> Interval:
    return Interval.of(max(a.lo, b.lo), max(a.hi, b.hi))


def minimum(a: Interval, b: Interval) -> Interval:
    return Interval.of(min(a.lo, b.lo), min(a.hi, b.hi))


def clip(a: Interval, low: Interval | None, high: Interval | None) -> Interval:
    """`clip(a, low, high)` = `minimum(maximum(a, low), high)`; a missing bound is no bound."""
    result = a if low is None else maximum(a, low)
    return result if high is None else minimum(result, high)


def total(a: Interval) -> Interval:
    """A sum of any number of elements of `a` (an empty sum is 0)."""
    if a.nonnegative:
        return Interval.of(0.0, 0.0 if a.hi == 0 else INF)
    if a.nonpositive:
        return Interval.of(-INF if a.lo != 0 else 0.0, 0.0)
    return TOP


def product(a: Interval) -> Interval:
    """A product of any number of elements of `a` (an empty product is 1)."""
    if a.nonnegative and a.hi <= 1:
        return UNIT
    if a.lo >= 1:
        return Interval.of(1.0, INF if a.hi > 1 else 1.0)
    if a.nonnegative:
        return NONNEGATIVE
    return TOP


def average(a: Interval) -> Interval:
    """A mean of elements of `a`: inside their range, up to rounding."""
    return _rounded(a.lo, a.hi) if a.known else TOP


def logsumexp(a: Interval) -> Interval:
    """At least the largest element, so at least the smallest bound."""
    return Interval.of(_down(a.lo), INF)


def matmul(a: Interval, b: Interval) -> Interval:
    """A sum of products: its sign when both factors have one."""
    return total(multiply(a, b))


def _is_int(x: float) -> bool:
    return math.isinf(x) or (float(x).is_integer() and abs(x) < 2 ** 24)


# -- dtypes -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Limits:
    """Where a float dtype's arithmetic fails, as rules quote it."""

    exp_max: float  # `exp` overflows to inf above this
    exp_min: float  # `exp` underflows to 0 below this (past the subnormals)
    tiny: float  # the smallest normal number: `log` of anything smaller is inexact or -inf
    eps: float  # machine epsilon: `1 - p` is 1 for `p` below `eps / 2`

    @property
    def lost_below(self) -> float:
        """Below this `1 + p` rounds to exactly 1 and `1 - p` to 1 or its neighbour: no
        digit of `p` is left."""
        return self.eps / 2

    @property
    def sigmoid_saturates(self) -> float:
        """`sigmoid(x)` rounds to 1 above this, so `1 - sigmoid(x)` is 0."""
        return math.log(2 / self.eps)


LIMITS = {
    "float16": Limits(11.09, -17.33, 6.104e-05, 9.766e-04),
    "bfloat16": Limits(88.72, -92.0, 1.175e-38, 7.812e-03),
    "float32": Limits(88.72, -103.28, 1.175e-38, 1.192e-07),
    "float64": Limits(709.78, -745.13, 2.225e-308, 2.220e-16),
}
# A Python number: it takes the dtype of the array it meets (numpy's "weak" scalars).
SCALAR = "scalar"
# The default float of each framework (numpy and Python's `math` compute in float64).
_DEFAULT_DTYPE = {"numpy": "float64", "scipy": "float64",
                  "torch": "float32", "jax": "float32", "tf": "float32", "keras": "float32",
                  "paddle": "float32"}
_DTYPE_NAMES = {"float": "float32", "float32": "float32", "single": "float32",
                "double": "float64", "float64": "float64", "half": "float16",
                "float16": "float16", "bfloat16": "bfloat16", "float_": "float64"}
_CAST_METHODS = frozenset({"float", "double", "half", "bfloat16"})
_PRECISION = ("float16", "bfloat16", "float32", "float64")
_CONSTRUCTORS = frozenset({"arange", "linspace", "rand", "randn", "normal", "uniform", "ones",
                           "zeros", "copy", "comb"})


def promote(a: str | None, b: str | None) -> str | None:
    """The dtype of an operation on two values: the wider float; a Python number takes
    the other's; unknown with anything but a Python number stays unknown."""
    if a == SCALAR:
        return b
    if b == SCALAR or a == b:
        return a
    if a is None or b is None:
        return None
    if {a, b} == {"float16", "bfloat16"}:
        return "float32"
    return max(a, b, key=_PRECISION.index)


def dtype_named(node: cst.BaseExpression | None) -> str | None:
    """The float dtype an argument names: `torch.float16`, `np.float32`, `"bfloat16"`,
    `tf.float64`; None for anything else (a device, a variable)."""
    if node is None:
        return None
    spelled = (node.evaluated_value if isinstance(node, cst.SimpleString)
               else vocab.terminal_name(node))
    if isinstance(spelled, str) and spelled in _DTYPE_NAMES and spelled != "float" \
            and not (isinstance(node, cst.Name) and spelled in ("float", "single", "double")):
        return _DTYPE_NAMES[spelled]
    return None


# -- the abstract value ----------------------------------------------------------
# Roles filled here (sequence scoring adds its own): what a value is for.
PROBS, LOG_PROBS, COUNTS, NOISE, WEIGHTS, LOGITS = (
    "probs", "log_probs", "counts", "noise", "weights", "logits")
# Assumptions behind a bound that are not proofs.
RANDN = "randn"  # a normal draw taken as |z| <= 10
NAMED = "name"  # a sign read from a name (`weights`, `tau`)


@dataclass(frozen=True)
class Value:
    """What an expression can be: its range, its dtype (None: the code does not say;
    `SCALAR`: a Python number), its role, and the assumptions behind the range."""

    range: Interval = TOP
    dtype: str | None = None
    role: str | None = None
    assumed: frozenset[str] = frozenset()

    @property
    def float_dtype(self) -> str | None:
        """The array dtype the code shows, or None (a Python number alone is float64)."""
        return "float64" if self.dtype == SCALAR else self.dtype

    def join(self, other: Value) -> Value:
        dtype = self.dtype if self.dtype == other.dtype else (
            promote(self.dtype, other.dtype) if None not in (self.dtype, other.dtype) else None)
        return Value(self.range.join(other.range), dtype,
                     self.role if self.role == other.role else None,
                     self.assumed | other.assumed)


UNKNOWN = Value()


def _from(range_: Interval, *parts: Value, dtype: str | None = None,
          role: str | None = None) -> Value:
    """A value computed from `parts`: their dtypes promoted, their assumptions kept."""
    assumed: frozenset[str] = frozenset().union(*(p.assumed for p in parts))
    if dtype is None and parts:
        dtype = parts[0].dtype
        for part in parts[1:]:
            dtype = promote(dtype, part.dtype)
    return Value(range_, dtype, role, assumed if range_.known else frozenset())


# -- names as hints ------------------------------------------------------------------
# A name is a hint that evidence overrides: it gives a sign only where the code shows
# no lower bound. Non-negative weights (facts.PROBABILITY_NAME minus scores) and
# positive scales (a temperature, a standard deviation).
WEIGHT_NAME = re.compile(r"prob|weight|count|freq|mass|hist|dist|attn|attention|pmf",
                         re.IGNORECASE)
SCORE_NAME = re.compile(r"logit|score|energ", re.IGNORECASE)
_SCALE_NAME = re.compile(r"^T$|(?i:temp|(^|_)tau(_|$|\d)|sigma|(^|_)std($|_)|bandwidth)")
_LOG_NAME = re.compile(r"(^|_)log|nll|lp($|_)", re.IGNORECASE)
# `min_ - max_`, `lo - hi`: named as the smaller minus the larger of two values.
_LOWER = re.compile(r"min|^lo|lower|small", re.IGNORECASE)
_UPPER = re.compile(r"max|^hi|upper|large", re.IGNORECASE)


def name_of(node: cst.BaseExpression) -> str | None:
    """The identifier a value is known by: `logits`, `out.logits`, `batch["scores"]`."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Subscript):
        index = node.slice[0].slice if len(node.slice) == 1 else None
        if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
            key = index.value.evaluated_value
            return key if isinstance(key, str) else None
        return name_of(node.value)
    return None


def _hinted(node: cst.BaseExpression, value: Value) -> Value:
    """`value` with the sign its name suggests, where the code shows no lower bound."""
    name = name_of(node)
    if not name or value.range.lo > -INF or _LOG_NAME.search(name):
        return value
    if _SCALE_NAME.search(name):
        hint = POSITIVE
    elif WEIGHT_NAME.search(name) and not SCORE_NAME.search(name):
        hint = NONNEGATIVE
    else:
        return value
    narrowed = Interval.of(0.0, value.range.hi, lo_open=hint.lo_open)
    return replace(value, range=narrowed, assumed=value.assumed | {NAMED},
                   role=value.role or (None if hint is POSITIVE else WEIGHTS))


# -- evaluating code -------------------------------------------------------------
_PRESERVING_ATTRIBUTES = frozenset({"T", "mT", "H", "data", "real", "values"})
_SIZE_ATTRIBUTES = frozenset({"shape", "ndim", "size", "numel", "nbytes"})
RESULT_ROLES = {"softmax": PROBS, "sigmoid": PROBS, "log_softmax": LOG_PROBS,
                 "log_sigmoid": LOG_PROBS, "len": COUNTS, "bincount": COUNTS, "comb": COUNTS,
                 "rand": NOISE, "randn": NOISE, "normal": NOISE, "uniform": NOISE}
_MAX_DEPTH = 40


@dataclass
class _State:
    """The per-file cache and the nodes being evaluated (a loop reaches itself: unknown)."""

    cache: dict[cst.CSTNode, Value] = field(default_factory=dict)
    active: set[cst.CSTNode] = field(default_factory=set)
    cut: int = 0  # how many evaluations hit an active node (their results are not cached)


def of(ctx: FileContext, node: cst.BaseExpression | None) -> Value:
    """The abstract value of `node` where it stands, computed once per node and file."""
    if node is None:
        return UNKNOWN
    state = ctx.value_cache
    if not isinstance(state, _State):
        state = ctx.value_cache = _State()
    found = state.cache.get(node)
    if found is not None:
        return found
    if node in state.active or len(state.active) > _MAX_DEPTH:
        state.cut += 1
        return UNKNOWN
    state.active.add(node)
    cut = state.cut
    try:
        value = _evaluate(ctx, node)
    finally:
        state.active.discard(node)
    if state.cut == cut:  # a result that met a cycle depends on where the walk began
        state.cache[node] = value
    return value


def _evaluate(ctx: FileContext, node: cst.BaseExpression) -> Value:
    if isinstance(node, (cst.Integer, cst.Float)):
        return Value(Interval.point(float(node.evaluated_value)), SCALAR)
    if isinstance(node, cst.Name):
        if node.value in ("True", "False"):
            return Value(Interval.point(1.0 if node.value == "True" else 0.0), SCALAR)
        return _hinted(node, _name(ctx, node))
    if isinstance(node, cst.UnaryOperation):
        inner = of(ctx, node.expression)
        if isinstance(node.operator, cst.Minus):
            return replace(inner, range=negate(inner.range), role=None)
        if isinstance(node.operator, cst.Plus):
            return inner
        return Value(UNIT, SCALAR) if isinstance(node.operator, cst.Not) else UNKNOWN
    if isinstance(node, cst.BinaryOperation):
        return _binary(ctx, node)
    if isinstance(node, cst.IfExp):
        return of(ctx, node.body).join(of(ctx, node.orelse))
    if isinstance(node, cst.BooleanOperation):  # `a or b` is one of them
        return of(ctx, node.left).join(of(ctx, node.right))
    if isinstance(node, cst.Comparison):
        return Value(UNIT)
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):  # a sequence: the range of its elements
        parts = [of(ctx, e.value) for e in node.elements if isinstance(e, cst.Element)]
        if not parts or len(parts) != len(node.elements):
            return UNKNOWN
        joined = parts[0]
        for part in parts[1:]:
            joined = joined.join(part)
        return joined
    if isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
        return of(ctx, node.elt)
    if isinstance(node, cst.Subscript):
        return _subscript(ctx, node)
    if isinstance(node, cst.Attribute):
        return _hinted(node, _attribute(ctx, node))
    if isinstance(node, cst.Call):
        return _call(ctx, node)
    return UNKNOWN


def _name(ctx: FileContext, node: cst.Name) -> Value:
    found = ctx.definitions(node)
    if not found:
        return UNKNOWN
    value: Value | None = None
    for definition in found:
        one = _definition(ctx, definition)
        value = one if value is None else value.join(one)
        if not value.range.known and value.dtype is None and value.role is None:
            return UNKNOWN  # nothing more to learn
    return value or UNKNOWN


def _definition(ctx: FileContext, definition: Definition) -> Value:
    if definition.kind == ASSIGN and definition.value is not None:
        return of(ctx, definition.value)
    if definition.kind == ELEMENT and definition.element_of is not None:
        return of(ctx, definition.element_of)  # `for x in xs`: an element of `xs`
    stmt = definition.statement
    if definition.kind == AUGMENT and isinstance(stmt, cst.AugAssign):
        before: Value | None = None
        for previous in definition.previous:
            if previous is definition:
                return UNKNOWN  # grows in a loop: no bound from one step
            one = _definition(ctx, previous)
            before = one if before is None else before.join(one)
        if before is None:
            return UNKNOWN
        apply = _OPERATORS.get(type(stmt.operator))
        return _arith(apply, before, of(ctx, stmt.value)) if apply else UNKNOWN
    return UNKNOWN


def _arith(apply: Callable[[Interval, Interval], Interval] | None, left: Value,
           right: Value) -> Value:
    if apply is None:
        return UNKNOWN
    return _from(apply(left.range, right.range), left, right)


def _floor_divide(a: Interval, b: Interval) -> Interval:
    q = divide(a, b)
    return Interval.of(math.floor(q.lo) if q.lo > -INF else -INF,
                       math.floor(q.hi) if q.hi < INF else INF)


def _modulo(a: Interval, b: Interval) -> Interval:
    if b.positive:
        return Interval.of(0.0, b.hi)
    return TOP


_OPERATORS: dict[type, Callable[[Interval, Interval], Interval]] = {
    cst.Add: add, cst.AddAssign: add, cst.Subtract: subtract, cst.SubtractAssign: subtract,
    cst.Multiply: multiply, cst.MultiplyAssign: multiply, cst.Divide: divide,
    cst.DivideAssign: divide, cst.MatrixMultiply: matmul, cst.MatrixMultiplyAssign: matmul,
    cst.FloorDivide: _floor_divide, cst.FloorDivideAssign: _floor_divide,
    cst.Modulo: _modulo, cst.ModuloAssign: _modulo,
}


def _binary(ctx: FileContext, node: cst.BinaryOperation) -> Value:
    left, right = of(ctx, node.left), of(ctx, node.right)
    operator = node.operator
    if isinstance(operator, cst.Power):
        return _from(power(left.range, _constant(ctx, node.right)), left, right)
    if isinstance(operator, cst.Subtract) and _below_its_max(ctx, node.left, node.right):
        return _from(NONPOSITIVE, left, right)
    if isinstance(operator, cst.Multiply) and isinstance(node.left, _SIMPLE) \
            and isinstance(node.right, _SIMPLE) and ctx.same(node.left, node.right):  # `x * x`
        return _from(power(left.range, 2), left)
    return _arith(_OPERATORS.get(type(operator)), left, right)


_SIMPLE = (cst.Name, cst.Attribute, cst.Subscript)


def _constant(ctx: FileContext, node: cst.BaseExpression) -> float | None:
    """The number an exponent holds: `2`, `2.0`, `-1`, a name bound once to one."""
    value = of(ctx, node).range
    return value.lo if value.lo == value.hi and math.isfinite(value.lo) else None


def _below_its_max(ctx: FileContext, value: cst.BaseExpression, shift: cst.BaseExpression) -> bool:
    """`x - max(x)`, `x - x.amax(-1, keepdims=True)`, `x - logsumexp(x)`, `x - m` with `m`
    bound to one of those (`torch.max(x, 1)[0]`, `.values` too), `lo - hi` by name."""
    for _ in range(4):
        shift = ctx.resolve(shift)
        if isinstance(shift, cst.Subscript) and len(shift.slice) == 1 \
                and isinstance(shift.slice[0].slice, cst.Index) \
                and isinstance(shift.slice[0].slice.value, cst.Integer) \
                and shift.slice[0].slice.value.value == "0":
            shift = shift.value  # `torch.max(x, dim)[0]`: the maxima
        elif isinstance(shift, cst.Attribute) and shift.attr.value in ("values", "data"):
            shift = shift.value
        else:
            op = ctx.op(shift, follow=False) if isinstance(shift, cst.Call) else None
            if op is not None and op.kind in ("copy", "cast", "reshape") and op.operand is not None:
                shift = op.operand  # `x.max(-1, keepdim=True).detach()`
            else:
                break
    op = ctx.op(shift, follow=False) if isinstance(shift, cst.Call) else None
    if op is not None and op.kind in ("max", "logsumexp") and op.operand is not None \
            and not (op.framework == "builtin" and len(op.call.args) > 1):
        return ctx.same(op.operand, _elements_of(ctx, value))
    low, high = name_of(value), name_of(shift)
    return bool(low and high and _LOWER.search(low) and _UPPER.search(high)
                and not _UPPER.search(low))


def _elements_of(ctx: FileContext, node: cst.BaseExpression) -> cst.BaseExpression:
    """The array whose elements bound `node` from above: `a` for `a`, `a[i]`, `a.min()`,
    `a.mean(-1)`, `a.view(-1)` (each at most `max(a)`)."""
    for _ in range(4):
        if isinstance(node, cst.Subscript):
            node = node.value
            continue
        op = ctx.op(node, follow=False) if isinstance(node, cst.Call) else None
        if op is None or op.operand is None or op.kind not in (
                "min", "mean", "select", "reshape", "copy", "cast") \
                or (op.framework == "builtin" and len(op.call.args) > 1):
            break
        node = op.operand
    return node


def _subscript(ctx: FileContext, node: cst.Subscript) -> Value:
    base = node.value
    op = ctx.op(base, follow=False) if isinstance(base, cst.Call) else None
    if op is not None and op.kind in ("max", "min") and len(node.slice) == 1:
        index = node.slice[0].slice
        if isinstance(index, cst.Index) and isinstance(index.value, cst.Integer) \
                and index.value.value == "1":
            return Value(NONNEGATIVE, role=COUNTS)  # `torch.max(x, 1)[1]`: the indices
    inner = of(ctx, base)
    if isinstance(base, cst.Attribute) and base.attr.value in _SIZE_ATTRIBUTES:
        return Value(NONNEGATIVE, SCALAR, COUNTS)
    return _hinted(node, inner) if name_of(node) != name_of(base) else inner


def _attribute(ctx: FileContext, node: cst.Attribute) -> Value:
    if node.attr.value in _PRESERVING_ATTRIBUTES:
        return of(ctx, node.value)
    if node.attr.value in _SIZE_ATTRIBUTES:
        return Value(NONNEGATIVE, SCALAR, COUNTS)
    if node.attr.value == "indices":
        return Value(NONNEGATIVE, role=COUNTS)
    member = ctx.member(node)
    return of(ctx, member) if member is not None else UNKNOWN


def _call(ctx: FileContext, node: cst.Call) -> Value:
    op = ctx.op(node, follow=False)
    if op is None:
        name = vocab.terminal_name(node.func)
        if isinstance(node.func, cst.Name) and name in ("float", "int", "round") and node.args:
            return of(ctx, node.args[0].value)  # `float(x)`: the same number
        if isinstance(node.func, cst.Attribute) and name in ("astype", "to", "type") and node.args:
            # `x.astype("float16")` (a string argument hides it from the vocabulary)
            inner = of(ctx, node.func.value)
            return replace(inner, dtype=dtype_named(node.args[0].value) or inner.dtype)
        return UNKNOWN
    value = _operation(ctx, op)
    dtype = _call_dtype(ctx, op, value)
    role = RESULT_ROLES.get(op.kind, value.role if op.kind in vocab.PRESERVING_KINDS else None)
    if op.kind in ("copy", "cast", "reshape", "select"):
        role = value.role
    return Value(value.range, dtype, role, value.assumed if value.range.known else frozenset())


def _other(op: vocab.Op, index: int = 0) -> cst.BaseExpression | None:
    """The argument after the operand: a method's first, a function's second."""
    return op.positional(index) if op.is_method else op.positional(index + 1)


def _operation(ctx: FileContext, op: vocab.Op) -> Value:
    kind = op.kind
    operand = of(ctx, op.operand) if op.operand is not None else UNKNOWN
    simple = _UNARY.get(kind)
    if simple is not None:
        return _from(simple(operand.range), operand)
    if kind in vocab.PRESERVING_KINDS:
        return operand
    if kind in ("sum", "fsum", "max", "min", "mean", "prod") \
            and op.framework == "builtin" and len(op.call.args) > 1 and kind in ("max", "min"):
        parts = [of(ctx, a.value) for a in op.call.args if a.keyword is None]
        combine = maximum if kind == "max" else minimum
        result = parts[0].range
        for part in parts[1:]:
            result = combine(result, part.range)
        return _from(result, *parts)
    reduce = _REDUCE.get(kind)
    if reduce is not None:
        return _from(reduce(operand.range), operand)
    other = _other(op)
    if kind in _BINARY:
        second = of(ctx, other if other is not None else op.keyword("other", "y", "x2", "b"))
        return _from(_BINARY[kind](operand.range, second.range), operand, second)
    if kind == "power":
        exponent = other if other is not None else op.keyword("exponent", "y")
        return _from(power(operand.range, _constant(ctx, exponent) if exponent else None),
                     operand)
    if kind == "clip":
        low = op.keyword("min", "a_min", "clip_value_min", "lower") or other
        high = op.keyword("max", "a_max", "clip_value_max", "upper") or _other(op, 1)
        bounds = [of(ctx, b) if b is not None and not _is_none(b) else None for b in (low, high)]
        return _from(clip(operand.range, *(b.range if b else None for b in bounds)), operand)
    if kind in ("maximum", "minimum"):
        second = of(ctx, other if other is not None else op.keyword("min", "max", "other"))
        combine = maximum if kind == "maximum" else minimum
        return _from(combine(operand.range, second.range), operand, second)
    if kind == "where":  # `where(c, a, b)`: either branch
        first, second = of(ctx, op.positional(1)), of(ctx, op.positional(2))
        return first.join(second) if op.positional(2) is not None else UNKNOWN
    return _made(ctx, op, kind)


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _made(ctx: FileContext, op: vocab.Op, kind: str) -> Value:
    """Constructors and random draws: `arange`, `linspace`, `rand`, `randn`, `ones`, `len`."""
    if kind in ("len", "bincount", "comb"):
        return Value(NONNEGATIVE, SCALAR if kind == "len" else None)
    if kind == "ones":
        return Value(Interval.point(1.0))
    if kind == "zeros":
        return Value(Interval.point(0.0))
    if kind == "rand":
        return Value(Interval.of(0.0, 1.0, hi_open=True))
    if kind == "arange":
        args = [a.value for a in op.call.args if a.keyword is None]
        if len(args) == 1:  # `arange(stop)`: 0, 1, ..., stop - 1
            stop = of(ctx, args[0]).range
            return Value(Interval.of(0.0, max(stop.hi, 0.0)))
        if len(args) >= 2:
            start, stop = of(ctx, args[0]).range, of(ctx, args[1]).range
            return Value(Interval.of(min(start.lo, stop.lo), max(start.hi, stop.hi)))
        return UNKNOWN
    if kind == "linspace":
        start = of(ctx, op.operand if op.operand is not None else op.keyword("start"))
        stop = of(ctx, op.positional(1) or op.keyword("stop", "end"))
        return Value(Interval.of(min(start.range.lo, stop.range.lo),
                                 max(start.range.hi, stop.range.hi)))
    if kind == "uniform":
        if op.framework in ("jax", "tf"):  # keyword bounds, [0, 1) by default
            low = op.keyword("minval")
            high = op.keyword("maxval")
        else:  # numpy and `random`: `uniform(low=0, high=1)`
            low = op.positional(0) or op.keyword("low", "a")
            high = op.positional(1) or op.keyword("high", "b")
        lo = of(ctx, low).range if low is not None else Interval.point(0.0)
        hi = of(ctx, high).range if high is not None else Interval.point(1.0)
        return Value(Interval.of(min(lo.lo, hi.lo), max(lo.hi, hi.hi)))
    if kind in ("randn", "normal"):
        z = Interval.of(-PRACTICAL_NORMAL, PRACTICAL_NORMAL)
        if kind == "normal" and op.framework != "tf":
            loc = op.positional(0) or op.keyword("loc", "mean", "mu")
            scale = op.positional(1) or op.keyword("scale", "std", "sigma")
            if loc is None and scale is None:
                return Value(z, assumed=frozenset({RANDN}))
            spread = multiply(z, absolute(of(ctx, scale).range)) if scale is not None else z
            center = of(ctx, loc).range if loc is not None else Interval.point(0.0)
            return Value(add(center, spread), assumed=frozenset({RANDN}))
        if op.framework == "tf" and (op.keyword("mean") or op.keyword("stddev")):
            return UNKNOWN
        return Value(z, assumed=frozenset({RANDN}))
    return UNKNOWN


_UNARY: dict[str, Callable[[Interval], Interval]] = {
    "exp": exp, "log": log, "log1p": log1p, "expm1": expm1, "sqrt": sqrt, "abs": absolute,
    "square": lambda a: power(a, 2), "negative": negate, "sigmoid": sigmoid, "tanh": tanh,
    "softplus": softplus, "log_sigmoid": log_sigmoid, "relu": relu,
    "log2": lambda a: log(a, 2.0), "log10": lambda a: log(a, 10.0),
    "softmax": lambda a: UNIT, "log_softmax": lambda a: NONPOSITIVE,
}
_REDUCE: dict[str, Callable[[Interval], Interval]] = {
    "sum": total, "fsum": total, "max": lambda a: a, "min": lambda a: a, "mean": average,
    "prod": product, "logsumexp": logsumexp,
}
_BINARY: dict[str, Callable[[Interval, Interval], Interval]] = {
    "multiply": multiply, "divide": divide, "add": add, "subtract": subtract, "matmul": matmul,
    "outer": multiply, "logaddexp": lambda a, b: Interval.of(max(a.lo, b.lo), INF),
}


def _call_dtype(ctx: FileContext, op: vocab.Op, value: Value) -> str | None:
    """The dtype of an operation's result: `dtype=`, a cast, a constructor's default, or
    that of its operands."""
    named = dtype_named(op.keyword("dtype"))
    if named is not None:
        return named
    if op.kind == "cast":
        method = vocab.terminal_name(op.call.func)
        if method in _CAST_METHODS and op.is_method and not op.call.args:
            return _DTYPE_NAMES[method]  # type: ignore[index]
        for arg in op.call.args:
            if arg.keyword is None and (not op.is_method and arg.value is op.operand):
                continue
            found = dtype_named(arg.value)
            if found is not None:
                return found
    if op.framework in ("math", "builtin") or op.kind in ("len", "comb"):
        return SCALAR  # a Python number: float64 alone, the array's dtype where it meets one
    operand_dtype = value.dtype if op.kind in vocab.PRESERVING_KINDS else None
    if op.kind not in vocab.PRESERVING_KINDS:
        parts = [op.operand, *(a.value for a in op.call.args
                               if a.keyword is None and a.value is not op.operand)]
        operand_dtype = SCALAR
        for part in parts[:2]:
            operand_dtype = promote(operand_dtype, of(ctx, part).dtype)
    if op.kind in _CONSTRUCTORS or operand_dtype == SCALAR:
        # A framework function on Python numbers, or a constructor: the framework's default.
        default = _DEFAULT_DTYPE.get(op.framework)
        if op.kind in _CONSTRUCTORS and op.kind not in ("copy",):
            return default
        return default if operand_dtype == SCALAR and default else operand_dtype
    return operand_dtype


# -- questions rules ask ------------------------------------------------------------
def limits(dtype: str | None) -> Limits:
    """The thresholds of a dtype; float32's (torch's and jax's default) when not shown."""
    return LIMITS[dtype or "float32"]


@dataclass(frozen=True)
class Verdict:
    """Can an operation fail on this value? `fails` is True when the range reaches the
    failure region or nothing is known; `reason` says what is known, for a message."""

    fails: bool
    reason: str


def _where(dtype: str | None, threshold: Callable[[Limits], float]) -> str:
    """A threshold as messages quote it: `~88.72 (float32)` in the dtype the code shows,
    else `~88.72 in float32 (~709.8 in float64)`."""
    if dtype is not None:
        return f"~{threshold(LIMITS[dtype]):.4g} ({dtype})"
    return (f"~{threshold(LIMITS['float32']):.4g} in float32 "
            f"(~{threshold(LIMITS['float64']):.4g} in float64)")


def _what(ctx: FileContext, node: cst.BaseExpression, value: Value, upper: bool) -> str:
    """`x` is not bounded above / `x` can reach 120 (taking |randn| <= 10)."""
    code = f"`{ctx.short(node, 30)}`"
    end = value.range.hi if upper else value.range.lo
    if math.isinf(end):
        text = f"{code} is not bounded {'above' if upper else 'below'}"
    else:
        text = f"{code} can reach {_num(end)}"
    if RANDN in value.assumed:
        text += " (a normal draw taken within 10 standard deviations)"
    return text


def _dtype_for(value: Value, op: vocab.Op | None) -> str | None:
    """The dtype an operation computes in: its operand's, or float64 for `math`."""
    if value.float_dtype is None and op is not None and op.framework == "math":
        return "float64"
    return value.float_dtype


def exp_overflow(ctx: FileContext, node: cst.BaseExpression,
                 op: vocab.Op | None = None) -> Verdict:
    """Can `exp(node)` overflow to inf in the value's dtype (`op`: the `exp` itself)?"""
    value = of(ctx, node)
    dtype = _dtype_for(value, op)
    fails = value.range.above(limits(dtype).exp_max)
    return Verdict(fails, f"{_what(ctx, node, value, True)}, so `exp` overflows above "
                          f"{_where(dtype, lambda lim: lim.exp_max)}")


def exp_underflow(ctx: FileContext, node: cst.BaseExpression,
                  op: vocab.Op | None = None) -> Verdict:
    """Can `exp(node)` underflow to 0 in the value's dtype?"""
    value = of(ctx, node)
    dtype = _dtype_for(value, op)
    fails = value.range.below(limits(dtype).exp_min)
    return Verdict(fails, f"{_what(ctx, node, value, False)}, so `exp` underflows to 0 below "
                          f"{_where(dtype, lambda lim: lim.exp_min)}")


def sigmoid_saturates(ctx: FileContext, node: cst.BaseExpression, toward_one: bool,
                      negated: bool = False, op: vocab.Op | None = None) -> Verdict:
    """Can `sigmoid(node)` (`sigmoid(-node)` when `negated`) round to 0, or, `toward_one`,
    to 1 so that `1 - sigmoid` is 0?"""
    value = of(ctx, node)
    dtype = _dtype_for(value, op)
    limit = limits(dtype)
    # sigmoid(z) is 0 for z below -exp_max, 1 above the saturation point; z = -node if negated
    upper = toward_one != negated
    bound = limit.sigmoid_saturates if toward_one else limit.exp_max
    fails = value.range.above(bound) if upper else value.range.below(-bound)
    sign = 1.0 if upper else -1.0
    where = _where(dtype, (lambda lim: sign * lim.sigmoid_saturates) if toward_one
                   else (lambda lim: sign * lim.exp_max))
    return Verdict(fails, f"{_what(ctx, node, value, upper)}, so `sigmoid` rounds to "
                          f"{1 if toward_one else 0} {'above' if upper else 'below'} {where}")


# At most this many entries in a softmax (2**31): a bound on `log(n)` for a range of any size.
_LOG_MAX_ENTRIES = math.log(2.0 ** 31)


def softmax_underflows(ctx: FileContext, node: cst.BaseExpression,
                       op: vocab.Op | None = None) -> Verdict:
    """Can an entry of `softmax(node)` round to 0? Each is at least
    `exp(-(hi - lo)) / n`, so not when the range is narrower than the dtype's smallest
    normal allows (`torch.randn(n)` logits span at most 20)."""
    value = of(ctx, node)
    dtype = _dtype_for(value, op)
    width = value.range.hi - value.range.lo
    fails = width + _LOG_MAX_ENTRIES >= -math.log(limits(dtype).tiny)
    return Verdict(fails, f"`{ctx.short(node, 30)}` spans {_num(width)}")


def exp_limit(ctx: FileContext, node: cst.BaseExpression, under: bool = False) -> str:
    """Where `exp` overflows (or, `under`, underflows to 0) for this value, as a message
    says it: in the dtype the code shows, else in float32 with float64 beside it."""
    # A Python float (`math.exp(a) + math.exp(b)`) is computed in float64.
    return _where(of(ctx, node).float_dtype,
                  (lambda lim: lim.exp_min) if under else (lambda lim: lim.exp_max))


def one_plus_loses(ctx: FileContext, node: cst.BaseExpression,
                   op: vocab.Op | None = None) -> Verdict:
    """Can `1 - p` or `1 + p` lose the digits of `p` (half of them or more: `|p|` below
    `sqrt(eps)` of its dtype)? The reason quotes where every digit is gone."""
    value = of(ctx, node)
    dtype = _dtype_for(value, op)
    small = math.sqrt(limits(dtype).eps)
    interval = value.range
    fails = not (interval.lo >= small or interval.hi <= -small)
    return Verdict(fails, f"every digit of `{ctx.short(node, 20)}` below "
                          f"{_where(dtype, lambda lim: lim.lost_below)}")


def dtype_of(ctx: FileContext, node: cst.BaseExpression) -> str | None:
    """The float dtype the code shows for a value, or None when it does not say: a Python
    number alone says nothing (it takes the dtype of the arrays it meets)."""
    dtype = of(ctx, node).dtype
    return None if dtype == SCALAR else dtype
