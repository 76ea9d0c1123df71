"""Each numeric fixture's fix is proven against `scorelint.reference` (see tests/proof.py)."""

from __future__ import annotations

import pytest

from proof import NUMERIC, framework_of, numeric_fixtures, prove, torch_available

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
