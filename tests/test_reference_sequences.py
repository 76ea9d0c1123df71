"""`reference.sequence_score`: a reply's masked, shifted log-likelihood per token, byte or
character, checked against a hand computation with plain loops."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scorelint import reference


def _by_hand(logits: np.ndarray, ids: np.ndarray, keep: np.ndarray) -> float:
    """log Pr(ids[1:] | ids[0]) over the kept targets, one position at a time."""
    total = 0.0
    for t in range(len(ids) - 1):
        if keep[t + 1]:
            row = logits[t]
            # naive on purpose: an oracle independent of the reference, fed small logits
            total += row[ids[t + 1]] - math.log(sum(math.exp(v) for v in row))  # noqa: SL204
    return total


def test_token_normalization_divides_by_the_scored_tokens_only() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 6, 5))
    ids = rng.integers(0, 5, size=(2, 6))
    mask = np.array([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]])
    got = reference.sequence_score(logits, ids, mask=mask, per="token")
    for b, n in enumerate((5, 2)):  # T - 1 targets, or the real ones after the shift
        assert got[b] == pytest.approx(_by_hand(logits[b], ids[b], mask[b]) / n, rel=1e-12)
    raw = reference.sequence_score(logits, ids, mask=mask, per="none")
    assert raw == pytest.approx(reference.sequence_logprob(logits, ids, mask=mask))


def test_padding_changes_nothing_and_is_never_looked_up() -> None:
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(4, 7))
    ids = np.array([3, 1, 4, 1])
    padded_logits = np.concatenate([logits, np.full((3, 7), np.nan)])
    padded_ids = np.concatenate([ids, [-100, -100, -100]])
    keep = np.array([1, 1, 1, 1, 0, 0, 0])
    assert reference.sequence_score(padded_logits, padded_ids, mask=keep) == pytest.approx(
        reference.sequence_score(logits, ids), rel=1e-12)


def test_byte_and_char_normalization_use_the_text() -> None:
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(5, 9))
    ids = rng.integers(0, 9, size=5)
    total = reference.sequence_logprob(logits, ids)
    text = "naïve"  # 5 characters, 6 UTF-8 bytes
    assert reference.sequence_score(logits, ids, per="char", text=text) == pytest.approx(total / 5)
    assert reference.sequence_score(logits, ids, per="byte", text=text) == pytest.approx(total / 6)
    batch = reference.sequence_score(np.stack([logits, logits]), np.stack([ids, ids]),
                                     per="byte", text=["ab", "abcd"])
    assert batch == pytest.approx([total / 2, total / 4])


def test_normalization_reverses_a_length_biased_choice() -> None:
    # A 2-token reply at p = 0.5 per token beats an 8-token reply at p = 0.8 by the raw sum
    # (-1.39 > -1.79) only until both are divided by their token counts (-0.69 < -0.22).
    V = 4

    def reply(p: float, n: int) -> tuple[np.ndarray, np.ndarray]:
        ids = np.zeros(n + 1, dtype=int)
        logits = np.full((n + 1, V), math.log((1 - p) / (V - 1)))
        logits[:, 0] = math.log(p)
        return logits, ids

    short, long = reply(0.5, 2), reply(0.8, 8)
    raw = [reference.sequence_score(*r, per="none") for r in (short, long)]
    mean = [reference.sequence_score(*r, per="token") for r in (short, long)]
    assert raw[0] > raw[1] and mean[1] > mean[0]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"per": "word"}, "unknown unit"),
    ({"per": "byte"}, "needs the reply's text"),
    ({"per": "char", "text": ["a", "b", "c"]}, "3 texts"),
])
def test_bad_arguments_are_refused(kwargs: dict, message: str) -> None:
    logits, ids = np.zeros((2, 3, 4)), np.zeros((2, 3), dtype=int)
    with pytest.raises(ValueError, match=message):
        reference.sequence_score(logits, ids, **kwargs)
