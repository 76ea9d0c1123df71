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
