"""Evidence facts on their own: what the code shows about a value, on every path."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from scorelint.model import facts, origins
from scorelint.model.context import FileContext
from scorelint.model.semantic import Semantic
from scorelint.model.summaries import MemberRecorder


def _context(code: str) -> tuple[FileContext, cst.Module]:
    module = cst.parse_module(textwrap.dedent(code))
    members = MemberRecorder()
    ctx = FileContext(module, module.code, "m.py", Semantic(module), members)
    cst.visit_batched(module, [members])
    return ctx, module


def _subject(code: str) -> tuple[FileContext, cst.BaseExpression]:
    """The argument of the last `use(...)` call in `code`."""
    ctx, module = _context(code)
    found: list[cst.BaseExpression] = []

    class Finder(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            if isinstance(node.func, cst.Name) and node.func.value == "use":
                found.append(node.args[0].value)

    module.visit(Finder())
    return ctx, found[-1]


@pytest.mark.parametrize("code", [
    "import numpy as np\nlogits = np.exp(z)\nuse(logits)\n",
    "import torch\nw = torch.relu(x)\nw = w + 0.1\nuse(w)\n",
    "import numpy as np\nc = np.bincount(ids)\nuse(c / c.sum())\n",
    "use(x ** 2)\n",
    "import numpy as np\nuse(np.abs(x).reshape(-1))\n",
    "import torch\nuse(torch.clamp(x, min=0.0))\n",
])
def test_nonnegative(code: str) -> None:
    assert facts.is_nonnegative(*_subject(code))


@pytest.mark.parametrize("code", [
    "import numpy as np\ndef f(x, c):\n    w = np.exp(x)\n    if c:\n        w = x\n    use(w)\n",
    "use(x - 1)\n",
    "import torch\nuse(torch.clamp(x, min=-1.0))\n",
])
def test_not_known_nonnegative(code: str) -> None:
    assert not facts.is_nonnegative(*_subject(code))


@pytest.mark.parametrize("code, shifted", [
    ("def f(z):\n    z = z - z.max()\n    use(z)\n", True),
    ("def f(x):\n    x -= x.max()\n    use(x)\n", True),
    ("def f(x, T):\n    x = x - x.max()\n    x /= T\n    use(x)\n", True),
    ("def f(z, c):\n    if c:\n        z = z - z.max()\n    use(z)\n", False),
    ("def f(z):\n    use(z)\n", False),
    ("def f(z):\n    z = z - 1\n    use(z)\n", False),
])
def test_shifted_on_every_path(code: str, shifted: bool) -> None:
    assert facts.is_shifted(*_subject(code)) is shifted


@pytest.mark.parametrize("code, bounded", [
    ("import numpy as np\nuse(np.minimum(x, 20.0))\n", True),
    ("import torch\nuse(x.clamp(max=50))\n", True),
    ("import numpy as np\nuse(np.clip(x, None, 30))\n", True),
    ("import numpy as np\nuse(np.minimum(x, 1000.0))\n", False),
    ("import numpy as np\nuse(np.clip(x, 0, cap))\n", False),
])
def test_bounded_above(code: str, bounded: bool) -> None:
    assert facts.is_bounded_above(*_subject(code)) is bounded


def test_nonpositive_even_power() -> None:
    assert facts.is_nonpositive(*_subject("import torch\nuse(-torch.pow(d, 2))\n"))
    assert not facts.is_nonpositive(*_subject("import torch\nuse(-torch.pow(d, 3))\n"))


def test_origin_through_helper_member_and_reshape() -> None:
    ctx, node = _subject("""
        import torch.nn.functional as F
        def helper(x):
            return F.softmax(x, dim=-1)
        class S:
            def fit(self, x):
                self.p = helper(x)
            def go(self):
                use(self.p.view(-1))
    """)
    found = origins.origin(ctx, node, ("softmax",))
    assert found is not None and found.op.kind == "softmax"
    assert [note for _, note in found.steps] == ["returned by `helper` here", "`self.p` is set here"]


def test_origin_stops_at_an_operation_that_changes_the_value() -> None:
    ctx, node = _subject("""
        import torch.nn.functional as F
        def f(x):
            p = F.softmax(x, dim=-1)
            use(p.argmax(-1))
    """)
    assert origins.origin(ctx, node, ("softmax",)) is None


@pytest.mark.parametrize("code, epsilon", [
    ("use(1e-9)\n", True),
    ("def f(p, eps):\n    use(eps)\n", True),
    ("def f(p, delta=1e-8):\n    use(delta)\n", True),
    ("def f(p, *, gamma=1e-12):\n    use(gamma)\n", True),
    ("class M:\n    def __init__(self):\n        self.gamma = 1e-8\n"
     "    def f(self, p):\n        use(self.gamma)\n", True),
    ("class M:\n    def __init__(self):\n        self.eps = 1e-6\n"
     "    def f(self, p):\n        use(self.eps)\n", True),
    # Deliberate thresholds: a value of 1e-3 or more, or a setting named as a limit.
    ("use(0.005)\n", False),
    ("use(1e-3)\n", False),
    ("def f(p, eps=0.1):\n    use(eps)\n", False),
    ("def f(p, delta):\n    use(delta)\n", False),
    ("class M:\n    def __init__(self):\n        self.threshold = 0.1\n"
     "    def f(self, p):\n        use(self.threshold)\n", False),
    ("class M:\n    def __init__(self, gamma):\n        self.gamma = gamma\n"
     "    def f(self, p):\n        use(self.gamma)\n", False),
    ("def f(p, min_prob):\n    use(min_prob)\n", False),
])
def test_epsilon(code: str, epsilon: bool) -> None:
    assert facts.is_epsilon(*_subject(code)) is epsilon


@pytest.mark.parametrize("code, argument, negated", [
    ("import numpy as np\nuse(np.exp(x) / (1 + np.exp(x)))\n", "x", False),
    ("import numpy as np\ne = np.exp(x)\nuse(e / (e + 1))\n", "x", False),
    ("import torch\nuse(torch.exp(-z) / (torch.exp(-z) + 1.0))\n", "z", True),
    ("import numpy as np\nuse(1 / (1 + np.exp(-x)))\n", "x", False),
])
def test_sigmoid_of_exp_ratio(code: str, argument: str, negated: bool) -> None:
    ctx, node = _subject(code)
    found = facts.sigmoid_of(ctx, node)
    assert found is not None
    assert ctx.code(found.argument) == argument and found.negated is negated


@pytest.mark.parametrize("code", [
    "import numpy as np\nuse(np.exp(x) / (1 + np.exp(z)))\n",
    "import numpy as np\nuse(np.exp(x) / (2 + np.exp(x)))\n",
    "import numpy as np\nuse(np.exp(x) / (1 + x))\n",
    "import numpy as np\nuse(x / (1 + np.exp(x)))\n",
])
def test_not_a_sigmoid(code: str) -> None:
    assert facts.sigmoid_of(*_subject(code)) is None
