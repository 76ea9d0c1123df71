"""Method chains that go on after `.log()` (`.log().mean()`) and `x.exp().add(1).log()`:
the rule fixes only the inner part, and the rest of the chain stays as written."""

from __future__ import annotations

import pytest

from scorelint.engine import fixes
from scorelint.engine.registry import all_rules


@pytest.mark.parametrize("code, fixed", [
    ("x.softmax(-1).log().mean()", "x.log_softmax(-1).mean()"),
    ("x.exp().sum(-1).log().mean()", "torch.logsumexp(x, dim=-1).mean()"),
    ("x.sigmoid().log().mean(dim=0)", "torch.nn.functional.logsigmoid(x).mean(dim=0)"),
    ("p.prod(-1).log().mean()", "p.log().sum(-1).mean()"),
    ("x.exp().add(1).log()", "torch.nn.functional.softplus(x)"),
    ("x.exp().add(1.0).log().mean(-1)", "torch.nn.functional.softplus(x).mean(-1)"),
    ("torch.add(x.exp(), 1).log().sum()", "torch.nn.functional.softplus(x).sum()"),
    ("(x.exp() + 1).log().mean()", "torch.nn.functional.softplus(x).mean()"),
])
def test_chain_is_fixed_inside(code: str, fixed: str) -> None:
    source = f"import torch\ny = {code}\n"
    result = fixes.fix_text(source, "m.py", all_rules(), unsafe=True)
    assert result.text == f"import torch\ny = {fixed}\n"
    assert not result.remaining


@pytest.mark.parametrize("code", [
    "x.exp().add(2).log().mean()",
    "x.exp().add(1, alpha=2).log()",
    "p.mean(-1).log()",
    "x.log_softmax(-1).mean()",
])
def test_look_alike_chain_is_left_alone(code: str) -> None:
    source = f"import torch\ny = {code}\n"
    result = fixes.fix_text(source, "m.py", all_rules(), unsafe=True)
    assert result.text == source and not result.remaining
