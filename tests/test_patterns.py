"""Shapes several rules look for (`scorelint.model.patterns`): logs in any base, weighted `exp` terms."""

from __future__ import annotations

import pytest
from test_facts import _subject

from scorelint.model import patterns


@pytest.mark.parametrize("code, base", [
    ("import numpy as np\nuse(np.log(x))\n", None),
    ("import numpy as np\nuse(np.log2(x))\n", "2"),
    ("import torch\nuse(x.log10())\n", "10"),
    ("import math\nuse(math.log(x, 2))\n", "2"),
    ("import math\ndef f(x, b):\n    use(math.log(x, b))\n", "b"),
])
def test_log_base(code: str, base: str | None) -> None:
    ctx, node = _subject(code)
    found = patterns.log_base(ctx, node)
    assert found is not None and found.base == base
    assert (patterns.natural_log(ctx, node) is not None) is (base is None)


@pytest.mark.parametrize("code", [
    "import numpy as np\nuse(np.log(x, out=buf))\n",
    "import math\nuse(math.log(x, base=f(y)))\n",
    "import numpy as np\nuse(np.exp(x))\n",
])
def test_not_a_log_in_a_base_we_can_keep(code: str) -> None:
    assert patterns.log_base(*_subject(code)) is None


def test_in_base_divides_by_the_log_of_the_base() -> None:
    ctx, _ = _subject("import math\nuse(x)\n")
    assert patterns.in_base(ctx, "F.log_softmax(x, dim=-1)", "2") == (
        "F.log_softmax(x, dim=-1) / math.log(2)", ())
    assert patterns.in_base(ctx, "a - b", None) == ("a - b", ())
    assert patterns.in_base(ctx, "a - b", "10")[0] == "(a - b) / math.log(10)"


@pytest.mark.parametrize("code, weight", [
    ("import numpy as np\nuse(np.exp(x))\n", None),
    ("import numpy as np\nuse(w * np.exp(x))\n", "w"),
    ("import numpy as np\nuse(np.exp(x) * w)\n", "w"),
    ("import numpy as np\nuse(np.multiply(w, np.exp(x)))\n", "w"),
])
def test_weighted_exp(code: str, weight: str | None) -> None:
    ctx, node = _subject(code)
    exp, found = patterns.weighted_exp(ctx, node)
    assert exp is not None and ctx.code(exp.operand) == "x"
    assert (found is None and weight is None) or ctx.code(found) == weight


def test_weighted_exp_needs_an_exp() -> None:
    assert patterns.weighted_exp(*_subject("import numpy as np\nuse(w * p)\n")) == (None, None)
