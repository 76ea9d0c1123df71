"""Each numeric fixture's fix is proven against `scorelint.reference` (see tests/proof.py)."""

from __future__ import annotations

import pytest

from proof import framework_of, numeric_fixtures, prove, torch_available

CASES = [
    pytest.param(
        path,
        id=path.stem,
        marks=[pytest.mark.skipif(
            framework_of(path) == "torch" and not torch_available(),
            reason="torch is not installed (`.ci/run` installs the CPU build)",
        )],
    )
    for path in numeric_fixtures()
]


@pytest.mark.parametrize("path", CASES)
def test_fix_is_numerically_proven(path) -> None:
    proof = prove(path)
    assert proof.wrong_cases  # the original was measurably wrong somewhere


_SUGGESTION = '''
import numpy as np
from scipy.special import log_softmax

from scorelint import reference

RULE = "SL402"


def buggy(logits, ids, attention_mask):
    tok = np.take_along_axis(log_softmax(logits, axis=-1), ids[..., None], axis=-1)[..., 0]
    return tok.sum(-1)


def fixed(logits, ids, attention_mask):
    tok = np.take_along_axis(log_softmax(logits, axis=-1), ids[..., None], axis=-1)[..., 0]
    return {FIXED}


def expected(logits, ids, attention_mask):
    return reference.sequence_logprob(logits, ids, shift=False, mask=attention_mask)


def cases():
    rng = np.random.default_rng(0)
    mask = np.array([[1, 1, 1], [1, 0, 0]])
    yield "padded", (rng.normal(size=(2, 3, 4)), rng.integers(0, 4, size=(2, 3)), mask)
'''


def test_report_only_proof_checks_the_suggested_edit(tmp_path) -> None:
    good = tmp_path / "good.py"
    good.write_text(_SUGGESTION.replace("{FIXED}", "(tok * attention_mask).sum(-1)"))
    assert prove(good).wrong_cases == ["padded"]
    still_buggy = tmp_path / "still_buggy.py"
    still_buggy.write_text(_SUGGESTION.replace("{FIXED}", "tok.sum(-1)"))
    with pytest.raises(AssertionError, match="still reported inside `fixed`"):
        prove(still_buggy)
    wrong = tmp_path / "wrong.py"
    wrong.write_text(_SUGGESTION.replace("{FIXED}", "(tok * attention_mask).sum(-1) + 1"))
    with pytest.raises(AssertionError, match="disagrees with the reference"):
        prove(wrong)
