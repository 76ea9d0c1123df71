"""The numpy reference: the *right way* to score sequences from a language model.

This module is scorelint's ground truth. Every numeric fixture runs a buggy
function and its fixed form against these implementations, so they are written
for correctness first and speed second, and depend on numpy only (never scipy
or torch, so the oracle cannot share a bug with the code it judges).

What "right" means here:

* Everything that reduces over a vocabulary works in log space with a max
  shift, so logits of magnitude 1e4, 50,000-way vocabularies and 2,000-token
  sequences neither overflow nor underflow to ``log(0)``.
* ``logsumexp`` is computed as ``m + log1p(sum of the other exp(x - m))``
  where ``m`` is the row maximum. Using ``log1p`` keeps full *relative*
  accuracy for confident predictions: a token with probability
  ``1 - 1e-12`` gets log-probability ``-1e-12``, not ``0.0``.
* Non-finite rows follow ``scipy.special``: a row that is all ``-inf`` has
  ``logsumexp == -inf``; a row containing ``+inf`` has ``logsumexp == +inf``;
  ``nan`` propagates. ``softmax`` and ``log_softmax`` of such rows give the
  same ``nan`` / ``-inf`` pattern scipy gives (the distribution is undefined),
  but silently: no ``RuntimeWarning`` leaks out of this module for them.
* Causal language models predict token ``t + 1`` from position ``t``;
  :func:`token_logprobs` applies that shift and a padding mask explicitly.
* Sequences of different lengths are compared only after length
  normalization (:func:`length_normalized`, :func:`rank_candidates`).

Conventions shared by every function:

* Inputs are array-likes. Floating inputs keep their dtype (float32 in,
  float32 out); anything else is converted to float64. Complex input is
  rejected.
* Token ids / targets must have an integer dtype and lie in ``[0, V)``;
  negative ids are rejected rather than silently wrapping around (torch's
  ``ignore_index=-100`` convention is expressed with a ``mask`` instead).
* Masks are boolean or 0/1 arrays with exactly the shape of what they mask;
  ``1`` / ``True`` marks a real token, ``0`` / ``False`` padding.
* Like numpy ufuncs, a result with no dimensions is returned as a numpy float
  scalar rather than a 0-d array.

This module is public and stable: names in ``__all__`` keep their signatures
and semantics across releases.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

__all__ = [
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
    "sum_logprobs",
    "length_normalized",
    "text_length",
    "sequence_score",
    "score_candidates",
    "rank_candidates",
]

FloatArray = npt.NDArray[np.floating[Any]]
"""A floating-point ndarray (or, for 0-d results, a numpy float scalar)."""

NormalizeMethod = Literal["mean", "gnmt", "none"]
"""Length-normalization methods understood by :func:`length_normalized`."""

_NORMALIZE_METHODS: tuple[str, ...] = ("mean", "gnmt", "none")

SequenceUnit = Literal["token", "byte", "char", "none"]
"""What :func:`sequence_score` divides a reply's log-likelihood by."""

_SEQUENCE_UNITS: tuple[str, ...] = ("token", "byte", "char", "none")

# numpy >= 1.25 moved AxisError to np.exceptions; the project supports 1.24.
_AxisError: type[Exception] = getattr(getattr(np, "exceptions", np), "AxisError")

# Mächler (2012), "Accurately Computing log(1 - exp(-|a|))": the switch point
# between the expm1 and log1p formulations.
_LN2 = math.log(2.0)


# --------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------


def _as_float(x: npt.ArrayLike, name: str = "x") -> FloatArray:
    """Return ``x`` as a floating ndarray, keeping an existing float dtype."""
    a = np.asarray(x)
    if np.issubdtype(a.dtype, np.floating):
        return a
    if np.issubdtype(a.dtype, np.complexfloating):
        # Silently dropping the imaginary part would hide a real bug.
        raise TypeError(f"{name} must be real-valued, got dtype {a.dtype}")
    return a.astype(np.float64)


def _as_ids(ids: npt.ArrayLike, name: str) -> npt.NDArray[np.integer[Any]]:
    """Return ``ids`` as an integer ndarray; float or bool ids are an error."""
    a = np.asarray(ids)
    if a.size == 0 and not np.issubdtype(a.dtype, np.integer):
        # np.asarray([]) is float64; an empty id list is still a valid id list.
        return a.astype(np.intp)
    if a.dtype == np.bool_ or not np.issubdtype(a.dtype, np.integer):
        # Float "ids" usually mean logits were passed where ids belong.
        raise TypeError(f"{name} must have an integer dtype, got {a.dtype}")
    return a


def _check_ids_in_range(ids: npt.NDArray[np.integer[Any]], vocab: int, name: str) -> None:
    """Raise if any id is outside ``[0, vocab)``."""
    if ids.size == 0:
        return
    lo, hi = int(ids.min()), int(ids.max())
    if lo < 0 or hi >= vocab:
        # Negative ids would index from the end of the vocabulary, which is how
        # an unmasked ignore_index=-100 silently turns into a wrong score.
        bad = lo if lo < 0 else hi
        raise IndexError(
            f"{name} contains id {bad}, outside the vocabulary [0, {vocab}); "
            "mark padding with `mask` instead of a sentinel id"
        )


def _as_mask(
    mask: npt.ArrayLike, shape: tuple[int, ...], name: str = "mask"
) -> npt.NDArray[np.bool_]:
    """Return a boolean keep-mask of exactly ``shape`` (1/True = real token)."""
    m = np.asarray(mask)
    if m.shape != shape:
        # No broadcasting: a mask that only broadcasts is almost always aligned
        # with the wrong axis.
        raise ValueError(f"{name} has shape {m.shape}, expected {shape}")
    if m.dtype == np.bool_:
        return m
    if not (np.issubdtype(m.dtype, np.integer) or np.issubdtype(m.dtype, np.floating)):
        raise TypeError(f"{name} must be boolean or 0/1 numbers, got dtype {m.dtype}")
    if not np.all((m == 0) | (m == 1)):
        raise ValueError(f"{name} must contain only 0 and 1")
    return m != 0


def _normalize_axis(axis: int, ndim: int) -> int:
    """Return ``axis`` as a non-negative index into ``ndim`` dimensions."""
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise _AxisError(axis, ndim)
    return axis % ndim


def _scalar_if_0d(a: Any) -> Any:
    """Return a 0-d array as a numpy scalar (ufunc convention), else ``a``."""
    return a[()] if isinstance(a, np.ndarray) and a.ndim == 0 else a


# --------------------------------------------------------------------------
# the log-sum-exp core
# --------------------------------------------------------------------------


def _lse_parts(a: FloatArray, axis: int) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """Split ``logsumexp(a, axis)`` into ``shift + sub`` (both keepdims).

    For a row with a finite maximum ``m``: ``shift = m`` and
    ``sub = log1p(sum of exp(x - m) over every entry except one maximum)``,
    so ``log_softmax = (x - shift) - sub`` is exact for the maximum itself up
    to the accuracy of ``log1p``. For a row whose maximum is ``-inf``, ``+inf``
    or ``nan``: ``shift = 0`` and ``sub = m``, which yields scipy's results
    (``-inf``, ``+inf``, ``nan``) for ``logsumexp``. ``finite`` marks the rows
    of the first kind.
    """
    if a.shape[axis] == 0:
        # Sum over nothing is 0, so logsumexp is -inf (scipy agrees).
        shape = list(a.shape)
        shape[axis] = 1
        return (
            np.zeros(shape, dtype=a.dtype),
            np.full(shape, -np.inf, dtype=a.dtype),
            np.ones(shape, dtype=np.bool_),
        )
    # argmax treats nan as the maximum, so m is nan for any row with a nan.
    idx = np.argmax(a, axis=axis, keepdims=True)
    m = np.take_along_axis(a, idx, axis=axis)
    finite = np.isfinite(m)
    shift = np.where(finite, m, 0).astype(a.dtype, copy=False)
    with np.errstate(under="ignore"):  # exp(-1e4) -> 0.0 is the right answer
        z = a - shift  # never inf - inf: shift is always finite
        # Non-finite rows are answered by `m` below; zeroing them here keeps
        # exp() from overflowing (and warning) on their finite entries.
        np.copyto(z, -np.inf, where=~finite)
        np.exp(z, out=z)
        # The maximum contributes exp(0) == 1 exactly; leave it out and use
        # log1p, so tiny remainders are not rounded away against 1.0.
        np.put_along_axis(z, idx, 0, axis=axis)
        rest = np.sum(z, axis=axis, keepdims=True)
        sub = np.where(finite, np.log1p(rest), m)
    return shift, sub, finite


def logsumexp(x: npt.ArrayLike, axis: int = -1, keepdims: bool = False) -> FloatArray:
    """Return ``log(sum(exp(x), axis))`` without overflow or underflow.

    Args:
        x: Real values (e.g. logits).
        axis: Axis to reduce over.
        keepdims: Keep the reduced axis with length 1.

    Returns:
        The reduction, in the dtype of ``x`` (float64 for non-float input).
        An all ``-inf`` row gives ``-inf``; a row containing ``+inf`` gives
        ``+inf``; ``nan`` propagates; an empty axis gives ``-inf``. No
        RuntimeWarning is emitted for any of these.
    """
    a = _as_float(x)
    ax = _normalize_axis(axis, a.ndim)
    shift, sub, _ = _lse_parts(a, ax)
    out = shift + sub  # for non-finite rows shift == 0 and sub == the answer
    if not keepdims:
        out = np.squeeze(out, axis=ax)
    return _scalar_if_0d(out)


def log_softmax(x: npt.ArrayLike, axis: int = -1) -> FloatArray:
    """Return ``x - logsumexp(x, axis, keepdims=True)``, computed stably.

    Args:
        x: Real values (e.g. logits).
        axis: The class / vocabulary axis.

    Returns:
        Log-probabilities with the shape and float dtype of ``x``. The entry
        at a row's maximum is ``-log1p(rest)``, so near-certain classes keep
        full relative accuracy. Rows without a finite maximum (all ``-inf``,
        or containing ``+inf`` or ``nan``) give ``x - max(x)`` like scipy:
        ``nan`` at the maximum, ``-inf`` at finite entries of a ``+inf`` row.
    """
    a = _as_float(x)
    ax = _normalize_axis(axis, a.ndim)
    shift, sub, _ = _lse_parts(a, ax)
    out = a - shift
    # inf - inf only happens in rows whose distribution is undefined; nan is
    # the documented answer there, so the warning would be noise.
    with np.errstate(invalid="ignore"):
        np.subtract(out, sub, out=out)
    return _scalar_if_0d(out)


def softmax(x: npt.ArrayLike, axis: int = -1) -> FloatArray:
    """Return ``exp(x) / sum(exp(x), axis)``, computed stably.

    Args:
        x: Real values (e.g. logits).
        axis: The class / vocabulary axis.

    Returns:
        Probabilities with the shape and float dtype of ``x``; each row sums
        to 1 within a few ulps. A row without a finite maximum (all ``-inf``,
        or containing ``+inf`` or ``nan``) has no well-defined distribution
        and comes out all ``nan``, like ``scipy.special.softmax``, but without
        a RuntimeWarning.
    """
    a = _as_float(x)
    ax = _normalize_axis(axis, a.ndim)
    shift, sub, finite = _lse_parts(a, ax)
    out = a - shift
    with np.errstate(invalid="ignore", under="ignore"):
        np.subtract(out, sub, out=out)
        np.exp(out, out=out)
    np.copyto(out, np.nan, where=~finite)
    return _scalar_if_0d(out)


# --------------------------------------------------------------------------
# elementwise helpers
# --------------------------------------------------------------------------


def softplus(x: npt.ArrayLike) -> FloatArray:
    """Return ``log(1 + exp(x))`` (= ``logaddexp(0, x)``), stable in both tails.

    Args:
        x: Real values.

    Returns:
        ``max(x, 0) + log1p(exp(-|x|))`` elementwise: ``softplus(800) == 800``
        and ``softplus(-30) == exp(-30)`` to full precision.
    """
    a = _as_float(x)
    # exp(-|x|) <= 1 can never overflow; log1p keeps exp(x) for x << 0.
    with np.errstate(under="ignore"):
        out = np.maximum(a, 0) + np.log1p(np.exp(-np.abs(a)))
    return _scalar_if_0d(out)


def log_sigmoid(x: npt.ArrayLike) -> FloatArray:
    """Return ``log(sigmoid(x)) = -softplus(-x)``, stable in both tails.

    Args:
        x: Real values (logits).

    Returns:
        ``min(x, 0) - log1p(exp(-|x|))`` elementwise: ``log_sigmoid(-800) ==
        -800`` (the naive ``log(1 / (1 + exp(800)))`` is ``-inf``) and
        ``log_sigmoid(40) == -exp(-40)`` (the naive form rounds it to 0).
    """
    a = _as_float(x)
    with np.errstate(under="ignore"):
        out = np.minimum(a, 0) - np.log1p(np.exp(-np.abs(a)))
    return _scalar_if_0d(out)


def log1mexp(a: npt.ArrayLike) -> FloatArray:
    """Return ``log(1 - exp(a))`` for ``a <= 0``: the log of a complement.

    Uses Mächler's switch at ``-log(2)``: ``log(-expm1(a))`` when
    ``a > -log 2`` (where ``exp(a)`` is close to 1 and ``1 - exp(a)`` would
    cancel) and ``log1p(-exp(a))`` otherwise (where ``exp(a)`` is small).

    Args:
        a: Log-probabilities (values ``<= 0``).

    Returns:
        Elementwise ``log(1 - exp(a))``: ``log1mexp(-1e-20) == log(1e-20)``,
        ``log1mexp(0) == -inf`` (silently: the complement of a certain event
        is impossible), ``log1mexp(-inf) == 0``. For ``a > 0`` the result is
        ``nan`` with numpy's usual "invalid value" RuntimeWarning, like
        ``np.log`` of a negative number.
    """
    x = _as_float(a, "a")
    out = np.empty_like(x)
    # Evaluate each branch only where it is accurate (and warning-free);
    # np.where would evaluate both everywhere.
    near_zero = x > -_LN2
    far = ~near_zero
    with np.errstate(divide="ignore"):  # a == 0 -> log(0) = -inf, by design
        out[near_zero] = np.log(-np.expm1(x[near_zero]))
    with np.errstate(under="ignore"):
        out[far] = np.log1p(-np.exp(x[far]))
    return _scalar_if_0d(out)


# --------------------------------------------------------------------------
# losses
# --------------------------------------------------------------------------


def _gather_logprob(a: FloatArray, ids: npt.NDArray[np.integer[Any]], axis: int) -> FloatArray:
    """Return ``log_softmax(a, axis)`` at ``ids`` without materializing it.

    ``ids`` has the shape of ``a`` without ``axis`` and is already range-checked.
    """
    shift, sub, _ = _lse_parts(a, axis)
    idx = np.expand_dims(ids, axis)
    picked = np.take_along_axis(a, idx, axis=axis)
    with np.errstate(invalid="ignore"):  # undefined rows -> nan, as in log_softmax
        lp = (picked - shift) - sub
    return np.squeeze(lp, axis=axis)


def _check_target_shape(
    x_shape: tuple[int, ...], axis: int, t_shape: tuple[int, ...], name: str
) -> None:
    expected = x_shape[:axis] + x_shape[axis + 1 :]
    if t_shape != expected:
        raise ValueError(
            f"{name} has shape {t_shape}, expected {expected} (input shape without axis {axis})"
        )


def cross_entropy(logits: npt.ArrayLike, targets: npt.ArrayLike, axis: int = -1) -> FloatArray:
    """Return the per-example negative log-likelihood ``-log_softmax(logits)[target]``.

    No reduction is applied: average or sum the result yourself, so the
    choice (and any masking) stays visible.

    Args:
        logits: Unnormalized scores, shape ``(..., V, ...)`` with the classes
            on ``axis``.
        targets: Integer class ids in ``[0, V)``, shape of ``logits`` without
            ``axis``.
        axis: The class axis of ``logits``.

    Returns:
        Non-negative losses with the shape of ``targets``.
    """
    a = _as_float(logits, "logits")
    ax = _normalize_axis(axis, a.ndim)
    t = _as_ids(targets, "targets")
    _check_target_shape(a.shape, ax, t.shape, "targets")
    _check_ids_in_range(t, a.shape[ax], "targets")
    return _scalar_if_0d(-_gather_logprob(a, t, ax))


def nll_loss(log_probs: npt.ArrayLike, targets: npt.ArrayLike, axis: int = -1) -> FloatArray:
    """Return the per-example negative log-likelihood ``-log_probs[target]``.

    Args:
        log_probs: Normalized log-probabilities (e.g. from :func:`log_softmax`),
            classes on ``axis``.
        targets: Integer class ids in ``[0, V)``, shape of ``log_probs``
            without ``axis``.
        axis: The class axis of ``log_probs``.

    Returns:
        Losses with the shape of ``targets``; no reduction.
    """
    lp = _as_float(log_probs, "log_probs")
    ax = _normalize_axis(axis, lp.ndim)
    t = _as_ids(targets, "targets")
    _check_target_shape(lp.shape, ax, t.shape, "targets")
    _check_ids_in_range(t, lp.shape[ax], "targets")
    picked = np.take_along_axis(lp, np.expand_dims(t, ax), axis=ax)
    return _scalar_if_0d(-np.squeeze(picked, axis=ax))


def binary_cross_entropy_with_logits(logits: npt.ArrayLike, targets: npt.ArrayLike) -> FloatArray:
    """Return elementwise binary cross-entropy of ``sigmoid(logits)`` vs ``targets``.

    Mathematically ``max(x, 0) - x*y + log1p(exp(-|x|))``; computed as
    ``y * softplus(-x) + (1 - y) * softplus(x)``, which is the same value but
    a sum of non-negative terms for ``y`` in ``[0, 1]`` (no cancellation with
    soft labels) and which gives the right limits at ``x = +-inf``
    (``0 * inf`` terms are taken as 0).

    Args:
        logits: Real scores ``x``.
        targets: Labels ``y`` in ``[0, 1]`` (hard or soft); broadcast against
            ``logits``.

    Returns:
        Non-negative losses with the broadcast shape; no reduction.
    """
    x = _as_float(logits, "logits")
    y = _as_float(targets, "targets")
    pos = softplus(-x)  # -log(sigmoid(x)):     cost of predicting 1
    neg = softplus(x)  # -log(1 - sigmoid(x)): cost of predicting 0
    w = 1 - y
    # A zero weight means the term is absent, even if its cost is infinite.
    with np.errstate(invalid="ignore"):
        out = np.where(y == 0, 0, y * pos) + np.where(w == 0, 0, w * neg)
    return _scalar_if_0d(out)


# --------------------------------------------------------------------------
# sequence scoring
# --------------------------------------------------------------------------


def token_logprobs(
    logits: npt.ArrayLike,
    token_ids: npt.ArrayLike,
    *,
    shift: bool = True,
    mask: npt.ArrayLike | None = None,
) -> FloatArray:
    """Return the log-probability a model assigns to each token of a sequence.

    Args:
        logits: Model outputs of shape ``(..., T, V)``.
        token_ids: Integer token ids of shape ``(..., T)``.
        shift: ``True`` (the causal-LM convention): the logits at position
            ``t`` predict token ``t + 1``, so the result is
            ``log_softmax(logits[..., :-1, :])`` gathered at
            ``token_ids[..., 1:]``, shape ``(..., T - 1)`` (the first token has
            no prediction). ``False``: the logits are already aligned with
            ``token_ids`` and the result has shape ``(..., T)``.
        mask: Optional, shape ``(..., T)`` like ``token_ids``; 1 / True for
            real tokens, 0 / False for padding. It is shifted exactly like
            ``token_ids`` (``mask[..., 1:]`` when ``shift``). Masked positions
            come out as ``0.0`` so they add nothing to a sum, and their ids
            are never looked up (a pad id such as -100 is fine there).

    Returns:
        Per-token log-probabilities (``<= 0``), float dtype of ``logits``.
        To length-normalize, divide by the number of *scored* tokens:
        ``T - 1`` with ``shift``, or ``mask[..., 1:].sum(-1)``.
    """
    a = _as_float(logits, "logits")
    if a.ndim < 2:
        raise ValueError(f"logits must have shape (..., T, V), got {a.shape}")
    ids = _as_ids(token_ids, "token_ids")
    if ids.shape != a.shape[:-1]:
        raise ValueError(
            f"token_ids has shape {ids.shape}, expected {a.shape[:-1]} (logits shape without V)"
        )
    vocab = a.shape[-1]
    if vocab == 0:
        raise ValueError("logits has an empty vocabulary axis")
    keep = None if mask is None else _as_mask(mask, ids.shape)
    if shift:
        # Position t's logits predict token t+1: drop the last prediction
        # (nothing to predict) and the first target (nothing predicts it).
        a = a[..., :-1, :]
        ids = ids[..., 1:]
        if keep is not None:
            keep = keep[..., 1:]
    if keep is not None:
        ids = np.where(keep, ids, 0)  # padding ids are never looked up
    _check_ids_in_range(ids, vocab, "token_ids")
    lp = _gather_logprob(a, ids, a.ndim - 1)
    if keep is not None:
        # Padding logits may be garbage (even nan); where() discards them.
        lp = np.where(keep, lp, 0).astype(a.dtype, copy=False)
    return lp


def sum_logprobs(token_logprobs: npt.ArrayLike, mask: npt.ArrayLike | None = None) -> FloatArray:
    """Return the sum of per-token log-probabilities over the last axis.

    Args:
        token_logprobs: Per-token log-probabilities, shape ``(..., L)``.
        mask: Optional keep-mask of the same shape; masked entries are
            ignored even if they are ``-inf`` or ``nan``.

    Returns:
        Sequence log-probabilities, shape ``(...)``.
    """
    lp = _as_float(token_logprobs, "token_logprobs")
    if lp.ndim < 1:
        raise ValueError("token_logprobs must have at least one dimension")
    if mask is not None:
        lp = np.where(_as_mask(mask, lp.shape), lp, 0).astype(lp.dtype, copy=False)
    return _scalar_if_0d(np.sum(lp, axis=-1))


def sequence_logprob(
    logits: npt.ArrayLike,
    token_ids: npt.ArrayLike,
    *,
    shift: bool = True,
    mask: npt.ArrayLike | None = None,
) -> FloatArray:
    """Return ``log p(sequence)``: the sum of :func:`token_logprobs` over time.

    Args:
        logits: Model outputs of shape ``(..., T, V)``.
        token_ids: Integer token ids of shape ``(..., T)``.
        shift: See :func:`token_logprobs` (``True`` for causal LMs).
        mask: See :func:`token_logprobs`; padding contributes nothing.

    Returns:
        Sequence log-probabilities, shape ``(...)``.
    """
    lp = token_logprobs(logits, token_ids, shift=shift, mask=mask)
    return _scalar_if_0d(np.sum(lp, axis=-1))


def _check_method(method: str) -> None:
    if method not in _NORMALIZE_METHODS:
        raise ValueError(
            f"unknown length-normalization method {method!r}; expected one of {_NORMALIZE_METHODS}"
        )


def length_normalized(
    logprob_sum: npt.ArrayLike,
    length: npt.ArrayLike,
    *,
    method: NormalizeMethod = "mean",
    alpha: float = 0.6,
) -> FloatArray:
    """Return a length-normalized sequence score (higher is better).

    Raw log-probability sums favour short sequences, because every extra
    token adds a negative term; normalizing makes lengths comparable.

    Args:
        logprob_sum: Summed log-probabilities (e.g. :func:`sequence_logprob`).
        length: Number of tokens that were summed (positive; broadcast
            against ``logprob_sum``).
        method: ``"mean"``: ``sum / length`` (mean log-probability per token).
            ``"gnmt"``: ``sum / ((5 + length) / 6) ** alpha``, the length
            penalty of Wu et al. 2016 (Google's NMT system). ``"none"``: the
            sum itself.
        alpha: Exponent of the ``"gnmt"`` penalty (0 = no normalization,
            1 = roughly the mean).

    Returns:
        Scores with the broadcast shape, float dtype of ``logprob_sum``.

    Raises:
        ValueError: On an unknown ``method`` or a ``length`` that is not > 0.
    """
    _check_method(method)
    s = _as_float(logprob_sum, "logprob_sum")
    n = np.asarray(length)
    numeric = np.issubdtype(n.dtype, np.integer) or np.issubdtype(n.dtype, np.floating)
    if n.dtype == np.bool_ or not numeric:
        raise TypeError(f"length must be numeric, got dtype {n.dtype}")
    if not np.all(n > 0):  # also rejects nan
        raise ValueError("length must be > 0 (an empty sequence has no per-token score)")
    if not np.issubdtype(n.dtype, np.floating):
        n = n.astype(s.dtype)  # int lengths must not promote float32 scores
    s, n = np.broadcast_arrays(s, n)
    if method == "mean":
        out = s / n
    elif method == "gnmt":
        out = s / ((5 + n) / 6) ** alpha
    else:  # "none"
        out = s.copy()
    return _scalar_if_0d(out)


def text_length(text: str, unit: Literal["bytes", "chars"] = "bytes") -> int:
    """Return the length of a candidate's text, the way evaluation harnesses normalize
    multiple-choice answers: UTF-8 bytes (``"bytes"``) or Unicode characters (``"chars"``,
    lm-eval's ``acc_norm``). Pass it as ``length`` to :func:`length_normalized` or in
    ``lengths=`` to :func:`score_candidates`, so that a tokenizer's choices do not decide
    which answer wins.

    Raises:
        ValueError: On an unknown ``unit``.
    """
    if unit == "bytes":
        return len(text.encode("utf-8"))
    if unit == "chars":
        return len(text)
    raise ValueError(f"unknown unit {unit!r}; expected 'bytes' or 'chars'")


def sequence_score(
    logits: npt.ArrayLike,
    token_ids: npt.ArrayLike,
    *,
    shift: bool = True,
    mask: npt.ArrayLike | None = None,
    per: SequenceUnit = "token",
    text: str | Sequence[str] | None = None,
) -> FloatArray:
    """Return a reply's log-likelihood from per-step logits, per unit of its length.

    The log-likelihood is :func:`sequence_logprob`: ``log_softmax`` of the
    logits, shifted for a causal LM (position ``t`` predicts token ``t + 1``),
    gathered at the ids, summed over the real tokens of ``mask`` only. It is
    then divided by the reply's length in the unit ``per`` names:

    * ``"token"`` (the default): the number of tokens actually scored (``T - 1``
      with ``shift``, fewer where ``mask`` is 0): the mean log-probability per
      token, the quantity per-token perplexity is ``exp(-...)`` of. Use it to
      compare replies scored by one tokenizer.
    * ``"byte"``: the UTF-8 bytes of ``text``; comparable across tokenizers
      (a tokenizer that splits a word into more pieces is not penalized).
    * ``"char"``: the characters of ``text``, as lm-eval's ``acc_norm``.
    * ``"none"``: no division: the raw ``log Pr(y|x)``, right for a
      likelihood or for replies of equal length, biased toward short replies
      when lengths differ.

    The choice is the caller's and is made here once, by name, so that the
    code that ranks replies says which normalization it uses.

    Args:
        logits: Model outputs of shape ``(..., T, V)``.
        token_ids: Integer ids of shape ``(..., T)``.
        shift: As in :func:`token_logprobs`.
        mask: As in :func:`token_logprobs`: 1 on the reply's real tokens.
        per: ``"token"``, ``"byte"``, ``"char"`` or ``"none"``.
        text: The reply's text for ``"byte"`` / ``"char"``: one string, or one
            per row of a batch.

    Returns:
        One score per sequence, shape ``(...)``; higher is better.

    Raises:
        ValueError: On an unknown ``per``, a missing ``text`` for byte or char
            lengths, a ``text`` list of the wrong length, or a sequence with
            no scored token.
    """
    if per not in _SEQUENCE_UNITS:
        raise ValueError(f"unknown unit {per!r}; expected one of {_SEQUENCE_UNITS}")
    total = sequence_logprob(logits, token_ids, shift=shift, mask=mask)
    if per == "none":
        return total
    if per == "token":
        ids = _as_ids(token_ids, "token_ids")
        keep = np.ones(ids.shape, dtype=bool) if mask is None else _as_mask(mask, ids.shape)
        counted = keep[..., 1:] if shift else keep
        return length_normalized(total, counted.sum(axis=-1), method="mean")
    if text is None:
        raise ValueError(f"per={per!r} needs the reply's text")
    unit: Literal["bytes", "chars"] = "bytes" if per == "byte" else "chars"
    texts = [text] if isinstance(text, str) else list(text)
    lengths = np.array([text_length(t, unit) for t in texts], dtype=float)
    if isinstance(text, str):
        return length_normalized(total, lengths[0], method="mean")
    if lengths.shape != np.shape(total):
        raise ValueError(f"{len(texts)} texts for scores of shape {np.shape(total)}")
    return length_normalized(total, lengths, method="mean")


def score_candidates(
    candidate_token_logprobs: Iterable[npt.ArrayLike],
    *,
    normalize: NormalizeMethod = "mean",
    alpha: float = 0.6,
    lengths: Iterable[float] | None = None,
) -> FloatArray:
    """Return the length-normalized score of each candidate sequence.

    Args:
        candidate_token_logprobs: One 1-D array of per-token log-probabilities
            per candidate; candidates may have different lengths (none empty).
        normalize: Method for :func:`length_normalized`.
        alpha: Exponent for ``normalize="gnmt"``.
        lengths: Optional length of each candidate to normalize by in place of
            its token count (e.g. :func:`text_length` in bytes or characters).

    Returns:
        A 1-D array of scores, one per candidate, higher is better.
    """
    _check_method(normalize)  # fail fast, even for an empty candidate list
    candidates = list(candidate_token_logprobs)
    given = None if lengths is None else list(lengths)
    if given is not None and len(given) != len(candidates):
        raise ValueError(f"{len(given)} lengths for {len(candidates)} candidates")
    scores = []
    for i, cand in enumerate(candidates):
        lp = _as_float(cand, f"candidate {i}")
        if lp.ndim != 1:
            raise ValueError(f"candidate {i} must be 1-D per-token log-probs, got shape {lp.shape}")
        if lp.size == 0:
            raise ValueError(f"candidate {i} has no tokens")
        n = lp.size if given is None else given[i]
        scores.append(length_normalized(np.sum(lp), n, method=normalize, alpha=alpha))
    return np.array(scores) if scores else np.empty(0, dtype=np.float64)


def rank_candidates(
    candidate_token_logprobs: Iterable[npt.ArrayLike],
    *,
    normalize: NormalizeMethod = "mean",
    alpha: float = 0.6,
    lengths: Iterable[float] | None = None,
) -> list[int]:
    """Return candidate indices best-first by length-normalized score.

    Args:
        candidate_token_logprobs: As for :func:`score_candidates`.
        normalize: Method for :func:`length_normalized`.
        alpha: Exponent for ``normalize="gnmt"``.
        lengths: As for :func:`score_candidates`.

    Returns:
        Indices into the candidates, highest score first; equal scores keep
        their input order (lower index first) and ``nan`` scores come last.
    """
    scores = score_candidates(candidate_token_logprobs, normalize=normalize, alpha=alpha,
                              lengths=lengths)
    # lexsort: last key is primary; sorting -score ascending puts the best
    # first and nan last; the index key makes tie-breaking explicit.
    order = np.lexsort((np.arange(scores.size), -scores))
    return [int(i) for i in order]
