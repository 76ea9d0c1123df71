"""Each numeric fixture's fix is proven against `scorelint.reference` (see tests/proof.py)."""

from __future__ import annotations

import numpy as np
import pytest
from proof import (
    NUMERIC,
    framework_of,
    load,
    never_worse,
    numeric_fixtures,
    prove,
    torch_available,
)

from scorelint.engine import fixes
from scorelint.engine.registry import all_rules

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



def test_report_only_proof_checks_the_suggested_edit(tmp_path) -> None:
    source = (NUMERIC / "sl402_unmasked_sum_suggested.py").read_text()
    edit = "    return (tok * attention_mask).sum(-1)\n"
    assert source.count(edit) == 1
    good = tmp_path / "good.py"
    good.write_text(source)
    assert prove(good).wrong_cases
    still_buggy = tmp_path / "still_buggy.py"
    still_buggy.write_text(source.replace(edit, "    return tok.sum(-1)\n"))
    with pytest.raises(AssertionError, match="still reported inside `fixed`"):
        prove(still_buggy)
    wrong = tmp_path / "wrong.py"
    wrong.write_text(source.replace(edit, "    return (tok * attention_mask).sum(-1) + 1\n"))
    with pytest.raises(AssertionError, match="disagrees with the reference"):
        prove(wrong)


def test_never_worse_refuses_a_fix_that_is_infinite_where_the_original_was_finite() -> None:
    p = np.float32(1) / (np.float32(1) + np.exp(np.float32(-20)))  # a float32 sigmoid: 1.0
    assert p == 1.0
    floored = lambda q: np.log(1 - q + 1e-8)  # noqa: E731
    with pytest.raises(AssertionError, match="non-finite where the original was finite"):
        never_worse(floored, lambda q: np.log1p(-q), (np.array([p, 0.5]),), "log1p")
    never_worse(floored, lambda q: np.log(np.maximum(1 - q, 1e-8)), (np.array([p]),), "kept")


@pytest.mark.skipif(not torch_available(), reason="the case is torch's (`.ci/run` installs it)")
@pytest.mark.parametrize(("source", "code", "fixed_with"), [
    # `p` from somewhere scorelint cannot see: no fix, since `log1p(-p)` is `-inf` at p = 1.
    ("def buggy(p):\n    return (1 - p + 1e-8).log()\n", "SL207", None),
    ("def buggy(p):\n    return torch.log(1 - p + 1e-8)\n", "SL207", None),
    # The logits are in reach: the floor goes with the sigmoid, `logsigmoid(-x)`.
    ("def buggy(x):\n    p = torch.sigmoid(x)\n    return (1 - p + 1e-8).log()\n", "SL205",
     "logsigmoid(-x)"),
], ids=["method", "function", "logits-in-reach"])
def test_a_floored_log_of_one_minus_p_is_never_fixed_into_inf(source: str, code: str,
                                                                fixed_with: str | None) -> None:
    import torch

    source = f"import torch\n\n\n{source}"
    result = fixes.fix_text(source, "floored.py", all_rules(), unsafe=True)
    assert code in {f.code for f in result.original}
    if fixed_with is None:
        assert result.text == source  # reported, not fixed
    else:
        assert fixed_with in result.text
    original, fixed = load(source, "floored"), load(result.text, "floored_fixed")
    # The original's own domain: logits for the sigmoid, probabilities that round to 1.
    edges = [20.0, -20.0, 100.0, -100.0, 0.0] if fixed_with else [1.0, 1 - 1e-9, 0.0, 0.5]
    for dtype in (torch.float32, torch.float64):
        never_worse(original.buggy, fixed.buggy, (torch.tensor(edges, dtype=dtype),),
                    f"{code} {dtype}")
