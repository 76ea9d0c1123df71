"""Tests for scorelint.reference: the numpy reference is checked against
independent oracles (scipy.special, exact Decimal arithmetic, math.fsum loops)
on ordinary and extreme inputs. scipy is an oracle here only; the module under
test never imports it.

Every test runs with warnings as errors, so a RuntimeWarning leaking out of the
reference (overflow, log(0), inf - inf) fails the test that triggered it.
"""

from __future__ import annotations

import ast
import decimal
import math
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
import scipy.special as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from scorelint import reference as ref
from scorelint.reference import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    length_normalized,
    log1mexp,
    log_sigmoid,
    log_softmax,
    logsumexp,
    nll_loss,
    rank_candidates,
    score_candidates,
    sequence_logprob,
    softmax,
    softplus,
    sum_logprobs,
    token_logprobs,
)

pytestmark = pytest.mark.filterwarnings("error")

INF = np.inf


# ---------------------------------------------------------------------------
# oracles
# ---------------------------------------------------------------------------

DEC_PREC = 50


def _dec(v: float) -> Decimal:
    return Decimal(float(v))  # exact: every float is a finite decimal


def _dec_log1p(d: Decimal) -> Decimal:
    """ln(1 + d) to DEC_PREC digits, also for |d| far below 10**-DEC_PREC."""
    if abs(d) < Decimal("1e-6"):
        # Alternating series; 12 terms leave an error below d**13 < 1e-78 |d|.
        term, total = d, Decimal(0)
        for k in range(1, 13):
            total += term / k
            term *= -d
        return total
    return (1 + d).ln()


def _dec_expm1(a: Decimal) -> Decimal:
    if abs(a) < Decimal("1e-6"):
        term, total = a, Decimal(0)
        for k in range(2, 15):
            total += term
            term = term * a / k
        return total
    return a.exp() - 1


def exact_logsumexp(row) -> float:
    """logsumexp of a 1-D row in 50-digit decimal arithmetic."""
    finite = [float(v) for v in row if v != -INF]
    if not finite:
        return -INF
    with decimal.localcontext() as ctx:
        ctx.prec = DEC_PREC
        m = max(_dec(v) for v in finite)
        # The terms other than one maximum, summed exactly, then log1p.
        terms = sorted(((_dec(v) - m).exp() for v in finite), reverse=True)
        return float(m + _dec_log1p(sum(terms[1:], Decimal(0))))


def exact_softplus(x: float) -> float:
    with decimal.localcontext() as ctx:
        ctx.prec = DEC_PREC
        d = _dec(x)
        if d > 0:  # softplus(x) = x + log1p(exp(-x))
            return float(d + _dec_log1p((-d).exp()))
        return float(_dec_log1p(d.exp()))


def exact_log_sigmoid(x: float) -> float:
    return -exact_softplus(-x)


def exact_log1mexp(a: float) -> float:
    with decimal.localcontext() as ctx:
        ctx.prec = DEC_PREC
        d = _dec(a)
        if d > Decimal(-1):
            return float((-_dec_expm1(d)).ln())
        return float(_dec_log1p(-d.exp()))


def fsum_token_logprob(row: np.ndarray, target: int) -> float:
    """log_softmax(row)[target] with an exactly summed normalizer (math.fsum)."""
    m = float(np.max(row))
    terms = np.exp(row - m).tolist()
    # fsum(terms - 1) is the exact sum of the non-maximal terms, rounded once.
    rest = math.fsum([*terms, -1.0])
    return (float(row[target]) - m) - math.log1p(rest)


def scipy_quiet(fn, *args, **kwargs):
    """Call a scipy oracle, which may itself warn on non-finite rows."""
    with np.errstate(all="ignore"):
        return fn(*args, **kwargs)


def rel_err(got: float, want: float) -> float:
    if got == want:
        return 0.0
    return abs(got - want) / abs(want)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240601)


# ---------------------------------------------------------------------------
# softmax / log_softmax / logsumexp
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape,axis", [((7,), -1), ((4, 9), -1), ((4, 9), 0), ((2, 3, 5), 1), ((2, 3, 5), -1)]
)
@pytest.mark.parametrize("scale", [1.0, 30.0])
def test_matches_scipy_on_random_inputs(rng, shape, axis, scale):
    x = rng.normal(size=shape) * scale
    close = np.testing.assert_allclose
    close(logsumexp(x, axis=axis), sp.logsumexp(x, axis=axis), rtol=1e-14, atol=1e-15)
    close(
        logsumexp(x, axis=axis, keepdims=True),
        sp.logsumexp(x, axis=axis, keepdims=True),
        rtol=1e-14,
        atol=1e-15,
    )
    close(log_softmax(x, axis=axis), sp.log_softmax(x, axis=axis), rtol=1e-13, atol=1e-14)
    close(softmax(x, axis=axis), sp.softmax(x, axis=axis), rtol=1e-12, atol=1e-16)


def test_extreme_magnitude_wide_vocabulary_matches_scipy(rng):
    x = rng.uniform(-1e4, 1e4, size=(3, 50_000))
    x[1, 17] = 1e4 + 3.0  # a clear winner
    x[2, :100] = -INF  # banned tokens
    lse = logsumexp(x)
    assert np.all(np.isfinite(lse))
    np.testing.assert_allclose(lse, sp.logsumexp(x, axis=-1), rtol=1e-15)
    ls = log_softmax(x)
    np.testing.assert_allclose(ls, sp.log_softmax(x, axis=-1), rtol=1e-13, atol=1e-15)
    assert np.all(ls[2, :100] == -INF)
    p = softmax(x)
    np.testing.assert_allclose(p, sp.softmax(x, axis=-1), rtol=1e-12, atol=1e-15)
    for row in p:
        assert abs(math.fsum(row.tolist()) - 1.0) <= 1e-12


def test_logsumexp_wide_rows_against_longdouble(rng):
    x = rng.uniform(-1e4, 1e4, size=(3, 50_000))
    xl = x.astype(np.longdouble)
    m = xl.max(axis=-1, keepdims=True)
    want = (m + np.log(np.sum(np.exp(xl - m), axis=-1, keepdims=True)))[:, 0]
    got = logsumexp(x)
    np.testing.assert_allclose(got.astype(np.longdouble), want, rtol=1e-14)


@pytest.mark.parametrize(
    "row",
    [
        [1e4, 1e4],
        [-1e4] * 1000,
        [709.0, 709.5, 710.0],  # naive exp overflows
        [-1e4, -1e4 - 1.0, -1e4 - 2.0],  # naive exp underflows to log(0)
        [0.0, -40.0],  # result 4.2e-18: only log1p keeps it
        [0.0, -700.0, -30.0],
        [1e-300, -1e4],
        [-INF, 3.0, -INF, -1e4],
        [1e4, -1e4, 5e3, 1e4 - 1e-9],
    ],
)
def test_logsumexp_exact_on_extreme_rows(row):
    got = float(logsumexp(np.array(row)))
    want = exact_logsumexp(row)
    assert rel_err(got, want) <= 1e-12, (got, want)


def test_logsumexp_exact_on_long_random_row(rng):
    row = rng.uniform(-1e4, 1e4, size=2000)
    row[::7] = rng.uniform(1e4 - 5, 1e4, size=row[::7].size)  # many near-ties at the top
    assert rel_err(float(logsumexp(row)), exact_logsumexp(row.tolist())) <= 1e-12


def test_log_softmax_keeps_relative_accuracy_for_confident_tokens():
    # p(top) = 1 / (1 + e^-40): its log is -4.25e-18, which naive log(sum) rounds to 0.
    x = np.array([0.0, -40.0])
    got = log_softmax(x)
    assert rel_err(float(got[0]), -exact_logsumexp([0.0, -40.0])) <= 1e-14
    assert got[0] < 0.0


def test_non_finite_rows_follow_scipy_without_warnings():
    x = np.array(
        [
            [-INF, -INF, -INF],  # all -inf
            [-INF, 0.0, -INF],  # some -inf
            [INF, 0.0, 1.0],  # +inf
            [INF, -INF, 0.0],
            [INF, INF, 0.0],
            [np.nan, 0.0, INF],  # nan wins
            [1e4, -1e4, 0.0],  # ordinary extreme row
        ]
    )
    lse = logsumexp(x)
    np.testing.assert_array_equal(lse, [-INF, 0.0, INF, INF, INF, np.nan, 1e4])
    np.testing.assert_allclose(lse, scipy_quiet(sp.logsumexp, x, axis=-1), equal_nan=True)
    np.testing.assert_allclose(log_softmax(x), scipy_quiet(sp.log_softmax, x, axis=-1), equal_nan=True)
    np.testing.assert_allclose(softmax(x), scipy_quiet(sp.softmax, x, axis=-1), equal_nan=True)
    np.testing.assert_array_equal(softmax(x)[1], [0.0, 1.0, 0.0])


def test_empty_axis_gives_minus_inf_like_scipy():
    x = np.empty((2, 0))
    np.testing.assert_array_equal(logsumexp(x), sp.logsumexp(x, axis=-1))
    np.testing.assert_array_equal(logsumexp(x), [-INF, -INF])
    assert log_softmax(x).shape == (2, 0)
    assert softmax(x).shape == (2, 0)


def test_strict_floating_point_error_state_is_respected():
    # Under np.errstate(all="raise") any overflow, underflow, log(0) or
    # inf - inf that leaks out of the reference would raise.
    x = np.array([[1e4, -1e4, -INF], [-INF, -INF, -INF], [INF, 5.0, -INF], [0.0, -800.0, -745.5]])
    with np.errstate(all="raise"):
        logsumexp(x)
        log_softmax(x)
        softmax(x)
        softplus(np.array([-1e4, -800.0, 0.0, 800.0, 1e4, INF, -INF]))
        log_sigmoid(np.array([-1e4, -800.0, 0.0, 800.0, 1e4, INF, -INF]))
        log1mexp(np.array([0.0, -1e-20, -0.5, -1.0, -800.0, -INF]))
        binary_cross_entropy_with_logits([INF, -INF, INF, 800.0], [1.0, 0.0, 0.5, 0.0])


def test_dtype_handling():
    x32 = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
    for fn in (softmax, log_softmax, logsumexp, softplus, log_sigmoid):
        assert fn(x32).dtype == np.float32, fn.__name__
    assert log1mexp(-x32).dtype == np.float32
    assert logsumexp([1, 2, 3]).dtype == np.float64  # ints -> float64
    assert softmax([True, False]).dtype == np.float64
    assert log_softmax(np.array([1.0, 2.0], dtype=np.longdouble)).dtype == np.longdouble
    with pytest.raises(TypeError):
        softmax(np.array([1 + 1j, 2.0]))


def test_scalar_and_axis_conventions():
    assert isinstance(logsumexp([0.0, 0.0]), np.floating)
    assert float(logsumexp([0.0, 0.0])) == pytest.approx(math.log(2.0), rel=1e-15)
    assert isinstance(softplus(1.0), np.floating)
    x = np.arange(12.0).reshape(3, 4)
    np.testing.assert_allclose(softmax(x, axis=0), softmax(x.T).T, rtol=1e-15)
    np.testing.assert_allclose(logsumexp(x, axis=-2), logsumexp(x.T), rtol=1e-15)
    with pytest.raises(ValueError):  # numpy's AxisError
        softmax(x, axis=2)
    with pytest.raises(ValueError):
        logsumexp(np.float64(1.0))


def test_public_api_is_declared():
    assert set(ref.__all__) == {
        "softmax",
        "log_softmax",
        "logsumexp",
        "softplus",
        "log_sigmoid",
        "log1mexp",
        "cross_entropy",
        "nll_loss",
        "binary_cross_entropy_with_logits",
        "token_logprobs",
        "sequence_logprob",
        "sequence_score",
        "sum_logprobs",
        "length_normalized",
        "text_length",
        "score_candidates",
        "rank_candidates",
    }
    for name in ref.__all__:
        assert getattr(ref, name).__doc__, name
    assert ref.__doc__
    # numpy only: the reference must not share code with its scipy oracle.
    tree = ast.parse(Path(ref.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= {"__future__", "math", "operator", "collections", "typing", "numpy"}, imported


# ---------------------------------------------------------------------------
# softplus / log_sigmoid / log1mexp
# ---------------------------------------------------------------------------

GRID = np.linspace(-1e4, 1e4, 20_001)


def test_log_sigmoid_matches_scipy_log_expit():
    x = np.concatenate([GRID, np.linspace(-50, 50, 1001), [-800.0, 800.0, -745.0, 745.0, 0.0]])
    np.testing.assert_allclose(log_sigmoid(x), sp.log_expit(x), rtol=1e-14, atol=0)


def test_softplus_matches_logaddexp():
    x = np.concatenate([GRID, np.linspace(-50, 50, 1001)])
    np.testing.assert_allclose(softplus(x), np.logaddexp(0.0, x), rtol=1e-14, atol=0)
    np.testing.assert_allclose(softplus(x), -sp.log_expit(-x), rtol=1e-14, atol=0)


EXACT_POINTS = sorted(
    {
        *np.linspace(-700, 700, 57).tolist(),
        *np.linspace(-40, 40, 81).tolist(),
        *(-np.logspace(-20, 0, 21)).tolist(),
        *np.logspace(-20, 0, 21).tolist(),
        -1e4,
        1e4,
        -800.0,
        800.0,
        -745.0,
        0.0,
    }
)


def _assert_close_to_exact(got: np.ndarray, want: list[float], rtol: float) -> None:
    for x, g, w in zip(EXACT_POINTS, got.tolist(), want):
        if abs(w) < 1e-300:  # below the normal range only absolute error makes sense
            assert abs(g - w) <= 1e-320, (x, g, w)
        else:
            assert rel_err(g, w) <= rtol, (x, g, w)


def test_softplus_and_log_sigmoid_against_exact_decimal():
    x = np.array(EXACT_POINTS)
    _assert_close_to_exact(softplus(x), [exact_softplus(v) for v in EXACT_POINTS], 4e-16)
    _assert_close_to_exact(log_sigmoid(x), [exact_log_sigmoid(v) for v in EXACT_POINTS], 4e-16)


def test_softplus_and_log_sigmoid_tails_are_exact():
    assert log_sigmoid(-800.0) == -800.0
    assert log_sigmoid(-1e4) == -1e4
    assert softplus(800.0) == 800.0
    assert softplus(1e4) == 1e4
    assert softplus(-800.0) == 0.0
    assert log_sigmoid(800.0) == 0.0
    # The small side keeps relative accuracy: exp(-40) is not rounded to 0.
    assert rel_err(float(softplus(-40.0)), exact_softplus(-40.0)) <= 2e-16
    assert rel_err(float(log_sigmoid(40.0)), exact_log_sigmoid(40.0)) <= 2e-16
    assert softplus(INF) == INF and softplus(-INF) == 0.0
    assert log_sigmoid(INF) == 0.0 and log_sigmoid(-INF) == -INF
    assert np.isnan(softplus(np.nan)) and np.isnan(log_sigmoid(np.nan))


LOG1MEXP_POINTS = sorted(
    {
        *(-np.logspace(-20, math.log10(700), 200)).tolist(),
        -math.log(2.0),
        np.nextafter(-math.log(2.0), 0.0),
        np.nextafter(-math.log(2.0), -1.0),
        -1e-300,
        -5e-324,
    }
)


def test_log1mexp_against_exact_decimal():
    a = np.array(LOG1MEXP_POINTS)
    got = log1mexp(a).tolist()
    for x, g in zip(LOG1MEXP_POINTS, got):
        w = exact_log1mexp(x)
        assert rel_err(g, w) <= 4e-16, (x, g, w)


def test_log1mexp_special_values():
    assert rel_err(float(log1mexp(-1e-20)), math.log(1e-20)) <= 1e-15
    assert log1mexp(0.0) == -INF  # silently: 1 - exp(0) is exactly 0
    assert log1mexp(-INF) == 0.0
    assert rel_err(float(log1mexp(-700.0)), -math.exp(-700.0)) <= 1e-15
    assert np.isnan(log1mexp(np.nan))
    with pytest.warns(RuntimeWarning):  # outside the domain: nan, like np.log(-1)
        assert np.isnan(log1mexp(0.5))
    # The Mächler switch matters: each naive branch fails on the other side.
    with np.errstate(divide="ignore"):
        assert np.log1p(-np.exp(-1e-20)) == -INF
    assert np.log(-np.expm1(-700.0)) == 0.0
    assert log1mexp(-700.0) < 0.0


# ---------------------------------------------------------------------------
# losses
# ---------------------------------------------------------------------------


def test_cross_entropy_matches_hand_formula_and_scipy(rng):
    x = rng.normal(size=(6, 11)) * 3
    t = rng.integers(0, 11, size=6)
    hand = np.array([-(x[i, t[i]] - math.log(math.fsum(np.exp(x[i]).tolist()))) for i in range(6)])
    got = cross_entropy(x, t)
    np.testing.assert_allclose(got, hand, rtol=1e-14)
    oracle = -np.take_along_axis(sp.log_softmax(x, axis=-1), t[:, None], axis=-1)[:, 0]
    np.testing.assert_allclose(got, oracle, rtol=1e-14)
    # the same with classes on axis 0
    np.testing.assert_allclose(cross_entropy(x.T, t, axis=0), got, rtol=1e-15)
    assert np.all(got >= 0)


def test_cross_entropy_extreme_logits(rng):
    x = rng.uniform(-1e4, 1e4, size=(5, 50_000))
    t = rng.integers(0, 50_000, size=5)
    t[0] = int(np.argmax(x[0]))
    got = cross_entropy(x, t)
    assert np.all(np.isfinite(got))
    for i in range(5):
        want = -fsum_token_logprob(x[i], int(t[i]))
        assert rel_err(float(got[i]), want) <= 1e-12


def test_nll_loss_on_log_softmax_equals_cross_entropy(rng):
    x = rng.normal(size=(2, 3, 7)) * 10
    t = rng.integers(0, 7, size=(2, 3))
    np.testing.assert_allclose(nll_loss(log_softmax(x), t), cross_entropy(x, t), rtol=1e-15, atol=1e-15)
    lp = np.log(np.array([[0.2, 0.8], [0.5, 0.5]]))
    np.testing.assert_allclose(nll_loss(lp, [1, 0]), [-math.log(0.8), -math.log(0.5)], rtol=1e-15)
    assert isinstance(nll_loss(lp[0], 1), np.floating)


def test_target_validation():
    x = np.zeros((3, 4))
    with pytest.raises(IndexError):
        cross_entropy(x, [0, 1, 4])
    with pytest.raises(IndexError):  # -100 must not silently index from the end
        cross_entropy(x, [0, 1, -100])
    with pytest.raises(IndexError):
        nll_loss(x, [0, -1, 2])
    with pytest.raises(TypeError):
        cross_entropy(x, [0.0, 1.0, 2.0])
    with pytest.raises(TypeError):
        nll_loss(x, [True, False, True])
    with pytest.raises(ValueError):
        cross_entropy(x, [0, 1])
    with pytest.raises(ValueError):
        cross_entropy(x, [[0, 1, 2]])


def naive_bce(x, y):
    return np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))


def test_bce_with_logits_matches_hand_formula_and_scipy(rng):
    x = np.concatenate([rng.uniform(-1e3, 1e3, 500), rng.normal(size=500) * 5])
    for y in (np.zeros_like(x), np.ones_like(x), rng.uniform(0, 1, x.size)):
        got = binary_cross_entropy_with_logits(x, y)
        np.testing.assert_allclose(got, naive_bce(x, y), rtol=1e-12, atol=1e-13)
        oracle = -(y * sp.log_expit(x) + (1 - y) * sp.log_expit(-x))
        np.testing.assert_allclose(got, oracle, rtol=1e-13, atol=1e-300)
        assert np.all(got >= 0)


def test_bce_with_logits_tails_and_infinities():
    bce = binary_cross_entropy_with_logits
    assert bce(800.0, 0.0) == 800.0  # probability form: -log(1 - 1.0) = inf
    assert bce(-800.0, 1.0) == 800.0
    assert bce(800.0, 1.0) == 0.0
    assert rel_err(float(bce(40.0, 1.0)), exact_softplus(-40.0)) <= 2e-16
    np.testing.assert_array_equal(
        bce([INF, -INF, INF, -INF, INF], [1.0, 0.0, 0.0, 1.0, 0.5]), [0.0, 0.0, INF, INF, INF]
    )
    # Soft label near 1: no cancellation between x and x*y.
    y = 1.0 - 2.0**-30
    with decimal.localcontext() as ctx:
        ctx.prec = DEC_PREC
        dy = _dec(y)
        want = float(dy * Decimal(exact_softplus(-40.0)) + (1 - dy) * Decimal(exact_softplus(40.0)))
    assert rel_err(float(bce(40.0, y)), want) <= 1e-15
    # broadcasting
    assert bce(np.zeros((2, 3)), np.ones(3)).shape == (2, 3)


# ---------------------------------------------------------------------------
# token_logprobs / sequence_logprob / sum_logprobs
# ---------------------------------------------------------------------------

P = np.array(
    [
        [0.50, 0.35, 0.15],  # position 0
        [0.10, 0.60, 0.30],  # position 1
        [0.20, 0.20, 0.60],  # position 2
    ]
)
LOGITS = np.log(P) + 7.0  # any per-row constant: softmax recovers P
IDS = np.array([2, 1, 0])


def test_causal_shift_on_hand_built_example():
    got = token_logprobs(LOGITS, IDS)
    # position 0 predicts token 1 (id 1), position 1 predicts token 2 (id 0)
    np.testing.assert_allclose(got, [math.log(0.35), math.log(0.10)], rtol=1e-14)
    assert got.shape == (2,)
    assert sequence_logprob(LOGITS, IDS) == pytest.approx(math.log(0.35) + math.log(0.10), rel=1e-14)


def test_no_shift_on_hand_built_example():
    got = token_logprobs(LOGITS, IDS, shift=False)
    np.testing.assert_allclose(got, [math.log(0.15), math.log(0.60), math.log(0.20)], rtol=1e-14)
    assert got.shape == (3,)


def test_shift_equals_manual_alignment(rng):
    logits = rng.normal(size=(2, 6, 5)) * 4
    ids = rng.integers(0, 5, size=(2, 6))
    np.testing.assert_array_equal(
        token_logprobs(logits, ids), token_logprobs(logits[:, :-1], ids[:, 1:], shift=False)
    )


def test_mask_zeros_padding_and_matches_unpadded(rng):
    V = 9
    lengths = [6, 3]
    logits = rng.normal(size=(2, 6, V)) * 5
    ids = rng.integers(0, V, size=(2, 6))
    mask = np.array([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]])
    ids[1, 3:] = -100  # a pad sentinel is fine where masked
    logits[1, 3:] = np.nan  # so is garbage at padded positions
    got = token_logprobs(logits, ids, mask=mask)
    assert got.shape == (2, 5)
    np.testing.assert_array_equal(got[1, 2:], 0.0)  # targets 3..5 are padding
    assert np.all(np.isfinite(got))
    for b, n in enumerate(lengths):
        alone = token_logprobs(logits[b, :n], ids[b, :n])
        np.testing.assert_array_equal(got[b, : n - 1], alone)
        assert sequence_logprob(logits, ids, mask=mask)[b] == pytest.approx(alone.sum(), rel=1e-14)
    # bool masks are accepted too
    np.testing.assert_array_equal(token_logprobs(logits, ids, mask=mask.astype(bool)), got)


def test_mask_is_shifted_with_the_targets():
    mask = np.array([1, 1, 0])  # last token is padding
    got = token_logprobs(LOGITS, IDS, mask=mask)
    np.testing.assert_allclose(got, [math.log(0.35), 0.0], rtol=1e-14)
    mask = np.array([0, 1, 1])  # first token padding: nothing is predicted *for* it
    got = token_logprobs(LOGITS, IDS, mask=mask)
    np.testing.assert_allclose(got, [math.log(0.35), math.log(0.10)], rtol=1e-14)
    got = token_logprobs(LOGITS, IDS, shift=False, mask=[1, 0, 1])
    np.testing.assert_allclose(got, [math.log(0.15), 0.0, math.log(0.20)], rtol=1e-14)


def test_long_sequence_extreme_logits_matches_fsum_loop(rng):
    T, V = 2000, 5000
    logits = rng.uniform(-1e4, 1e4, size=(T, V))
    logits[::50, rng.integers(0, V, 10)] = -INF  # some banned tokens
    ids = rng.integers(0, V, size=T)
    # Half the targets are the row's argmax: log-probs near 0 are the hard case.
    top = np.argmax(logits[:-1], axis=-1)
    ids[1::2] = top[0::2]
    got = token_logprobs(logits, ids)
    assert got.shape == (T - 1,)
    assert np.all(got <= 0)
    banned_target = np.isneginf(logits[np.arange(T - 1), ids[1:]])
    assert np.all(np.isfinite(got[~banned_target]))
    assert np.all(np.isneginf(got[banned_target]))
    want = np.array([fsum_token_logprob(logits[t], int(ids[t + 1])) for t in range(T - 1)])
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=0)
    total = sequence_logprob(logits, ids)
    assert rel_err(float(total), math.fsum(want.tolist())) <= 1e-9


def test_wide_vocabulary_batch_matches_fsum_loop(rng):
    B, T, V = 2, 4, 50_000
    logits = rng.uniform(-1e4, 1e4, size=(B, T, V))
    ids = rng.integers(0, V, size=(B, T))
    ids[0, 2] = int(np.argmax(logits[0, 1]))
    mask = np.array([[1, 1, 1, 1], [1, 1, 1, 0]])
    got = token_logprobs(logits, ids, mask=mask)
    for b in range(B):
        for t in range(T - 1):
            want = fsum_token_logprob(logits[b, t], int(ids[b, t + 1])) if mask[b, t + 1] else 0.0
            assert rel_err(float(got[b, t]), want) <= 1e-12
    # float32 stays float32 and finite; compare with float64 on the *same*
    # (rounded) inputs, since rounding 1e4-sized logits to float32 moves them by ~5e-4.
    logits32 = logits.astype(np.float32)
    got32 = token_logprobs(logits32, ids, mask=mask)
    assert got32.dtype == np.float32 and np.all(np.isfinite(got32))
    want32 = token_logprobs(logits32.astype(np.float64), ids, mask=mask)
    np.testing.assert_allclose(got32, want32, rtol=1e-6, atol=1e-6)


def test_sum_logprobs(rng):
    lp = np.log(rng.uniform(0.01, 1, size=(3, 5)))
    np.testing.assert_allclose(sum_logprobs(lp), lp.sum(-1), rtol=1e-15)
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [0, 0, 0, 0, 0]])
    lp[1, 2:] = -INF  # masked -inf / nan never leak
    lp[2, 0] = np.nan
    np.testing.assert_allclose(sum_logprobs(lp, mask), [lp[0].sum(), lp[1, :2].sum(), 0.0], rtol=1e-15)
    assert isinstance(sum_logprobs([-1.0, -2.0]), np.floating)
    logits = rng.normal(size=(3, 6, 4))
    ids = rng.integers(0, 4, size=(3, 6))
    np.testing.assert_allclose(
        sequence_logprob(logits, ids), sum_logprobs(token_logprobs(logits, ids)), rtol=1e-15
    )


def test_token_logprobs_validation():
    logits = np.zeros((2, 3, 4))
    ids = np.zeros((2, 3), dtype=int)
    with pytest.raises(ValueError):
        token_logprobs(np.zeros(4), [0])  # no time axis
    with pytest.raises(ValueError):
        token_logprobs(logits, ids[:, :2])  # misaligned
    with pytest.raises(TypeError):
        token_logprobs(logits, ids.astype(float))
    with pytest.raises(IndexError):
        token_logprobs(logits, np.array([[0, 0, 4], [0, 0, 0]]))
    with pytest.raises(IndexError):  # unmasked -100
        token_logprobs(logits, np.array([[0, 0, -100], [0, 0, 0]]))
    with pytest.raises(ValueError):
        token_logprobs(logits, ids, mask=np.ones((2, 2)))
    with pytest.raises(ValueError):
        token_logprobs(logits, ids, mask=np.full((2, 3), 0.5))
    with pytest.raises(ValueError):
        token_logprobs(np.zeros((3, 0)), [0, 0, 0])
    with pytest.raises(ValueError):
        sum_logprobs(np.zeros(3), mask=np.ones(2))
    # the id at position 0 is never a target with shift=True, so it is not checked
    assert token_logprobs(np.zeros((3, 4)), [99, 1, 2]).shape == (2,)


# ---------------------------------------------------------------------------
# length normalization and ranking
# ---------------------------------------------------------------------------

SHORT_WORSE = np.array([-2.0, -2.5])  # sum -4.5, mean -2.25 per token
LONG_BETTER = np.full(10, -0.5)  # sum -5.0, mean -0.5 per token


def test_raw_sum_prefers_short_but_mean_prefers_long():
    cands = [SHORT_WORSE, LONG_BETTER]
    assert rank_candidates(cands, normalize="none") == [0, 1]  # the length bias
    assert rank_candidates(cands, normalize="mean") == [1, 0]
    assert rank_candidates(cands) == [1, 0]  # mean is the default
    assert rank_candidates(cands, normalize="gnmt", alpha=1.0) == [1, 0]
    np.testing.assert_allclose(score_candidates(cands), [-2.25, -0.5], rtol=1e-15)
    np.testing.assert_allclose(score_candidates(cands, normalize="none"), [-4.5, -5.0], rtol=1e-15)


def test_gnmt_penalty_by_hand():
    # Wu et al. 2016: lp(Y) = (5 + |Y|)^alpha / (5 + 1)^alpha
    assert length_normalized(-6.0, 10, method="gnmt", alpha=0.6) == pytest.approx(-6.0 / 2.5**0.6, rel=1e-15)
    assert length_normalized(-6.0, 1, method="gnmt", alpha=0.6) == pytest.approx(-6.0, rel=1e-15)
    assert length_normalized(-6.0, 10, method="gnmt", alpha=0.0) == -6.0
    assert length_normalized(-6.0, 7, method="gnmt", alpha=1.0) == pytest.approx(-6.0 * 6 / 12, rel=1e-15)
    assert length_normalized(-6.0, 10) == pytest.approx(-0.6, rel=1e-15)
    assert length_normalized(-6.0, 10, method="none") == -6.0
    np.testing.assert_allclose(
        score_candidates([SHORT_WORSE, LONG_BETTER], normalize="gnmt"),
        [-4.5 / (7 / 6) ** 0.6, -5.0 / (15 / 6) ** 0.6],
        rtol=1e-15,
    )


def test_length_normalized_vectorized_and_dtype():
    got = length_normalized(np.array([-4.0, -9.0], dtype=np.float32), np.array([2, 3]))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, [-2.0, -3.0])
    np.testing.assert_allclose(length_normalized(-6.0, [1, 2, 3]), [-6.0, -3.0, -2.0], rtol=1e-15)


@pytest.mark.parametrize("length", [0, -1, [3, 0], np.nan])
def test_length_normalized_rejects_non_positive_length(length):
    with pytest.raises(ValueError):
        length_normalized(-1.0, length)


def test_unknown_method_and_bad_candidates():
    with pytest.raises(ValueError):
        length_normalized(-1.0, 3, method="max")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        rank_candidates([], normalize="sum")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        score_candidates([[-1.0], []])
    with pytest.raises(ValueError):
        score_candidates([[[-1.0, -2.0]]])
    with pytest.raises(TypeError):
        length_normalized(-1.0, True)
    assert rank_candidates([]) == []
    assert score_candidates([]).shape == (0,)


def test_ranking_ties_and_nan():
    cands = [[-1.0, -1.0], [-2.0], [-0.5, -1.5], [np.nan], [-1.0], [-INF]]
    # means: -1, -2, -1, nan, -1, -inf -> ties keep input order, nan last
    assert rank_candidates(cands) == [0, 2, 4, 1, 5, 3]


def test_rank_candidates_end_to_end_from_logits(rng):
    # Two continuations scored by one model; per-token log-probs feed the ranking.
    V = 6
    logits = rng.normal(size=(2, 8, V)) * 3
    ids = rng.integers(0, V, size=(2, 8))
    mask = np.array([[1] * 8, [1] * 4 + [0] * 4])
    lp = token_logprobs(logits, ids, mask=mask)
    n = mask[:, 1:].sum(-1)
    cands = [lp[0, : n[0]], lp[1, : n[1]]]
    means = sequence_logprob(logits, ids, mask=mask) / n
    assert rank_candidates(cands) == sorted(range(2), key=lambda i: (-means[i], i))
    np.testing.assert_allclose(score_candidates(cands), means, rtol=1e-14)


# ---------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------

finite_logits = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=8),
    elements=st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False),
)


def rng_free_row_constants(x: np.ndarray) -> np.ndarray:
    """A different constant for every row (along the last axis)."""
    lead = x.shape[:-1]
    return (np.arange(math.prod(lead), dtype=np.float64).reshape(lead + (1,)) * 977.0) - 3000.0


@settings(max_examples=150, deadline=None)
@given(finite_logits, st.floats(-1e4, 1e4))
def test_softmax_invariant_to_per_row_constant(x, c):
    shifted = softmax(x + c)
    # x + c is rounded (up to ~2e-12 absolute), which moves probabilities by
    # that much relatively: hence rtol 1e-10, not 1e-15.
    np.testing.assert_allclose(shifted, softmax(x), rtol=1e-10, atol=1e-300)
    per_row = rng_free_row_constants(x)
    np.testing.assert_allclose(softmax(x + per_row), softmax(x), rtol=1e-10, atol=1e-300)


@settings(max_examples=150, deadline=None)
@given(finite_logits)
def test_log_softmax_is_x_minus_logsumexp(x):
    scale = max(1.0, float(np.max(np.abs(x))))
    np.testing.assert_allclose(
        log_softmax(x), x - logsumexp(x, keepdims=True), rtol=1e-15, atol=4e-15 * scale
    )
    lse = logsumexp(x)
    assert np.all(lse >= np.max(x, axis=-1))
    assert np.all(lse <= np.max(x, axis=-1) + math.log(x.shape[-1]) + 1e-12 * scale)


@settings(max_examples=100, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=8),
        elements=st.one_of(st.floats(-1e4, 1e4), st.just(-INF)),
    )
)
def test_softmax_rows_are_distributions_even_with_minus_inf(x):
    x[:, 0] = np.where(np.isneginf(x[:, 0]), 0.0, x[:, 0])  # at least one finite entry per row
    p = softmax(x)
    assert np.all(p >= 0)
    for row in p:
        assert abs(math.fsum(row.tolist()) - 1.0) <= 1e-12
    np.testing.assert_array_equal(p[np.isneginf(x)], 0.0)
    np.testing.assert_allclose(np.exp(log_softmax(x)), p, rtol=1e-13, atol=1e-300)


# -- issue 8: length normalization by tokens, bytes, characters and a GNMT penalty, against
# an exact oracle (Fractions over the float inputs, exact until the final rounding).


def _exact_oracle_scores(token_lps, lengths, method, alpha=0.6):
    from fractions import Fraction

    out = []
    for lp, n in zip(token_lps, lengths):
        total = sum((Fraction(float(v)) for v in lp), Fraction(0))
        if method == "mean":
            out.append(float(total / Fraction(n)))
        else:  # gnmt: the penalty itself is irrational; exact sum, one rounding of it
            out.append(float(total) / ((5 + n) / 6) ** alpha)
    return np.array(out)


@pytest.mark.parametrize("unit", ["bytes", "chars"])
def test_text_length_normalization_matches_exact_oracle(rng, unit):
    answers = ["yes", "no way", "naïve café", "一二三", "the longest answer of them all"]
    token_lps = [rng.uniform(-6, -1e-3, size=rng.integers(1, 12)) for _ in answers]
    lengths = [ref.text_length(a, unit) for a in answers]
    assert lengths == ([len(a.encode("utf-8")) for a in answers] if unit == "bytes"
                       else [len(a) for a in answers])
    got = ref.score_candidates(token_lps, lengths=lengths)
    np.testing.assert_allclose(got, _exact_oracle_scores(token_lps, lengths, "mean"), rtol=1e-15)
    order = ref.rank_candidates(token_lps, lengths=lengths)
    assert order == sorted(range(len(answers)), key=lambda i: (-got[i], i))


def test_text_length_units_differ_on_non_ascii_and_reject_unknown():
    assert ref.text_length("café", "bytes") == 5 and ref.text_length("café", "chars") == 4
    with pytest.raises(ValueError):
        ref.text_length("x", "tokens")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ref.score_candidates([[-1.0], [-2.0]], lengths=[1])


@pytest.mark.parametrize("method", ["mean", "gnmt"])
def test_token_length_normalization_matches_exact_oracle(rng, method):
    token_lps = [rng.uniform(-30, -1e-9, size=n) for n in (1, 2, 7, 40, 400)]
    got = ref.score_candidates(token_lps, normalize=method)
    want = _exact_oracle_scores(token_lps, [len(t) for t in token_lps], method)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_masked_shifted_token_logprobs_match_slow_loop(rng):
    """Shift and mask together, against a per-position loop with math.fsum logsumexp."""
    import math

    B, T, V = 3, 9, 11
    logits = rng.normal(scale=50.0, size=(B, T, V))
    ids = rng.integers(0, V, size=(B, T))
    lengths = [9, 5, 2]
    mask = np.array([[1] * n + [0] * (T - n) for n in lengths])
    ids[mask == 0] = 0
    got = ref.token_logprobs(logits, ids, shift=True, mask=mask)
    for b in range(B):
        for t in range(T - 1):
            if t + 1 < lengths[b]:
                row = logits[b, t]
                m = max(row)
                lse = m + math.log(math.fsum(math.exp(v - m) for v in row))
                assert got[b, t] == pytest.approx(row[ids[b, t + 1]] - lse, rel=1e-13)
            else:
                assert got[b, t] == 0.0
    seq = ref.sequence_logprob(logits, ids, mask=mask)
    np.testing.assert_allclose(seq, got.sum(-1), rtol=1e-14)
