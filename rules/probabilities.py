"""SL1: from scores to probabilities."""

from __future__ import annotations

import libcst as cst

from scorelint import facts
from scorelint.context import FixSpec
from scorelint.findings import Applicability, FixAvailability
from scorelint.rule import Clean, Flagged, Rule

_DIVIDE = ("/", "/=", "divide", "div", "true_divide", "truediv")


class LogitsDividedBySum(Rule):
    """
    ## What it does
    Finds raw scores (logits) turned into "probabilities" by dividing them by
    their sum: `logits / logits.sum(-1, keepdims=True)`.

    ## Why is this bad?
    A language model's next-token distribution is the softmax of its logits,
    `Pr(y_i = k | x, y_<i) = exp(u_k) / sum_j exp(u_j)`. Logits are real
    numbers of any sign; dividing by their sum gives numbers that need not lie
    in [0, 1], flip sign with the sum, and blow up when the sum is near zero.
    For `u = [2.0, 1.0, -2.9]` the sum is 0.1 and `u / sum(u)` is
    `[20, 10, -29]`; the softmax is `[0.727, 0.268, 0.005]`. For
    `u = [3.0, 1.0, 1.0]` the quotient says 0.6 where the softmax says 0.787,
    so rankings, calibration and `log Pr(y|x)` are all wrong.

    ## Example
    ```python
    probs = logits / logits.sum(axis=-1, keepdims=True)
    ```

    ## Use instead
    ```python
    probs = scipy.special.softmax(logits, axis=-1)
    ```

    ## Fix safety
    Unsafe: the fix changes the values computed, because the original was
    wrong. It keeps the axis the sum reduced over. Where the sum reduced every
    element and the framework's softmax cannot (torch, tensorflow), no fix is
    offered. In numpy files without scipy the fix inlines the max-shifted
    softmax, and only when the logits are a plain name or attribute.

    ## Known limitations
    Scores are recognised by name (logit, score, energy), by `.logits`, and by
    coming from a model call, a linear layer or `@`; a score held in a name
    like `out` is missed. Renormalizing values that are non-negative by
    construction (counts, `exp`, `softmax`, `abs`, `** 2`) or named as
    probabilities or weights is correct and left alone.
    """

    code = "SL101"
    name = "logits-divided-by-sum"
    message = "`{expr}` divides logits by their sum; that is not a probability distribution"
    fix_title = "Replace with a softmax over the same axis"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE
    triggers = (("sum", "reduce_sum"), _DIVIDE)

    flagged = (
        Flagged(
            "import numpy as np\nprobs = logits / logits.sum(axis=-1, keepdims=True)\n",
            "import numpy as np\nprobs = np.exp(logits - np.max(logits, axis=-1, keepdims=True))"
            " / np.sum(np.exp(logits - np.max(logits, axis=-1, keepdims=True)), axis=-1,"
            " keepdims=True)\n",
        ),
        Flagged(
            "import torch\ndef f(model, ids):\n    out = model(ids)\n"
            "    return out.logits / out.logits.sum(dim=-1, keepdim=True)\n",
            "import torch\ndef f(model, ids):\n    out = model(ids)\n"
            "    return torch.softmax(out.logits, dim=-1)\n",
        ),
        Flagged(
            "import jax.numpy as jnp\ndef f(scores):\n    return scores / jnp.sum(scores, axis=1, keepdims=True)\n",
            "import jax.numpy as jnp\nimport jax.nn\ndef f(scores):\n    return jax.nn.softmax(scores, axis=1)\n",
        ),
        Flagged(
            "import numpy as xp\nimport scipy.special\ndef f(h, W):\n    z = h @ W\n    s = xp.sum(z, axis=-1, keepdims=True)\n    return z / s\n",
            "import numpy as xp\nimport scipy.special\ndef f(h, W):\n    z = h @ W\n    s = xp.sum(z, axis=-1, keepdims=True)\n    return scipy.special.softmax(z, axis=-1)\n",
        ),
        Flagged(
            "import torch\ndef f(energies):\n    energies /= energies.sum(-1, keepdim=True)\n    return energies\n",
            "import torch\ndef f(energies):\n    energies = torch.softmax(energies, dim=-1)\n    return energies\n",
        ),
        Flagged(
            "import numpy as np\ndef f(scores):\n    return np.divide(scores, np.sum(scores))\n",
            "import numpy as np\ndef f(scores):\n"
            "    return np.exp(scores - np.max(scores)) / np.sum(np.exp(scores - np.max(scores)))\n",
        ),
        Flagged("def f(scores):\n    return [s / sum(scores) for s in scores]\n"),
    )
    clean = (
        Clean("import numpy as np\nprobs = probs / probs.sum(-1, keepdims=True)\n"),
        Clean("import numpy as np\ncounts = np.bincount(ids)\nfreq = counts / counts.sum()\n"),
        Clean("import numpy as np\ne = np.exp(logits - logits.max())\np = e / e.sum()\n"),
        Clean("import torch\nw = torch.relu(logits)\nw = w / w.sum(-1, keepdim=True)\n"),
        Clean("import numpy as np\nx = np.abs(scores)\ny = x / x.sum()\n"),
        Clean("import numpy as np\nshare = logits / total.sum()\n"),
        Clean("import numpy as np\nsq = logits ** 2\nprobs = sq / sq.sum()\n"),
    )

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        self._check(node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._check(node)

    def visit_Call(self, node: cst.Call) -> None:
        self._check(node)

    def _check(self, node: cst.CSTNode) -> None:
        ctx = self.ctx
        division = ctx.division(node)
        if division is None:
            return
        numerator, denominator = division
        total = ctx.op(denominator)
        if total is None or total.kind != "sum" or total.operand is None:
            return
        if not ctx.same(numerator, total.operand) or not facts.is_score_like(ctx, numerator):
            return
        self.report(node, fix=self._fix(node, numerator, total))

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._check_comprehension(node)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._check_comprehension(node)

    def _check_comprehension(self, node: cst.ListComp | cst.GeneratorExp) -> None:
        """`[s / sum(scores) for s in scores]`: the same bug on a Python list."""
        ctx, loop = self.ctx, node.for_in
        division = ctx.division(node.elt)
        if division is None or not isinstance(loop.target, cst.Name):
            return
        numerator, denominator = division
        total = ctx.op(denominator)
        if (total is not None and total.kind == "sum" and total.operand is not None
                and isinstance(numerator, cst.Name) and numerator.value == loop.target.value
                and ctx.same(loop.iter, total.operand) and facts.is_score_like(ctx, loop.iter)):
            self.report(node.elt)

    def _fix(self, node: cst.CSTNode, scores: cst.BaseExpression, total) -> FixSpec | None:
        ctx = self.ctx
        known, axis = ctx.axis(total)
        if not known:
            return None
        spelled = ctx.spelling.softmax(ctx.dialect(total), ctx.code(scores), axis)
        if spelled is None:
            return None
        code, imports = spelled
        if isinstance(node, cst.AugAssign):
            code = f"{ctx.code(node.target)} = {code}"
        return ctx.replacement(node, code, self.applicability, imports)


class SoftmaxWithoutMaxSubtraction(Rule):
    """
    ## What it does
    Finds a softmax written by hand, `exp(x) / sum(exp(x))`, whose input is
    not shifted by its maximum first.

    ## Why is this bad?
    `exp` overflows float64 above 709.78 (float32 above 88.7, float16 above
    11.1). Logits of a few hundred are common after a large temperature
    inverse or in energy models, and then `exp(x)` is `inf` and the quotient
    `inf / inf` is `nan`. Softmax is invariant to adding a constant to every
    input, so `exp(x - max(x)) / sum(exp(x - max(x)))` is the same function
    with every exponent at most 0. For `x = [1000.0, 999.0]`, the unshifted
    form gives `[nan, nan]`; the right answer is `[0.731, 0.269]`.

    ## Example
    ```python
    e = np.exp(logits)
    probs = e / e.sum(axis=-1, keepdims=True)
    ```

    ## Use instead
    ```python
    probs = scipy.special.softmax(logits, axis=-1)
    ```

    ## Fix safety
    Safe when the sum keeps its axis (`keepdims=True`) or reduces every
    element: the framework softmax computes the same function, exactly where
    the original is accurate and correctly where it overflowed. When the sum
    drops its axis the original only works for 1-D input, so the fix is
    marked unsafe. Numpy files that do not import scipy get the inlined
    max-shifted form.

    ## Known limitations
    Any subtraction before `exp` is taken as a shift (`exp(x - c)`), and an
    exponent that is visibly non-positive (`-d ** 2`) cannot overflow, so both
    are left alone. A normalization spread over `e /= e.sum()` after
    `e = exp(x)` is not followed, and the now unused `e = exp(x)` is left in
    place by the fix.
    """

    code = "SL102"
    name = "softmax-without-max-subtraction"
    message = "`{expr}` overflows to `inf / inf = nan` for logits above ~709"
    fix_title = "Replace with the framework's softmax"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.SAFE
    triggers = (("exp",), ("sum", "reduce_sum"), _DIVIDE)

    flagged = (
        Flagged("import numpy as np\nimport scipy.special\np = np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)\n",
                "import numpy as np\nimport scipy.special\np = scipy.special.softmax(x, axis=-1)\n"),
        Flagged("import torch\ndef f(logits):\n    e = torch.exp(logits)\n    return e / e.sum(dim=-1, keepdim=True)\n",
                "import torch\ndef f(logits):\n    e = torch.exp(logits)\n    return torch.softmax(logits, dim=-1)\n"),
        Flagged("import jax.numpy as jnp\nimport jax\ndef f(x):\n    return jnp.exp(x) / jnp.exp(x).sum()\n",
                "import jax.numpy as jnp\nimport jax\ndef f(x):\n    return jax.nn.softmax(x, axis=None)\n"),
        Flagged("import numpy as np\ndef softmax(z):\n    e = np.exp(z)\n    return e / e.sum()\n",
                "import numpy as np\ndef softmax(z):\n    e = np.exp(z)\n    return np.exp(z - np.max(z)) / np.sum(np.exp(z - np.max(z)))\n"),
        Flagged("import tensorflow as tf\ndef f(u):\n    e = tf.exp(u)\n    return e / tf.reduce_sum(e, axis=-1, keepdims=True)\n",
                "import tensorflow as tf\ndef f(u):\n    e = tf.exp(u)\n    return tf.nn.softmax(u, axis=-1)\n"),
        Flagged("from numpy import exp, sum as total\ndef f(x):\n    return exp(x / 0.7) / total(exp(x / 0.7), axis=1)\n",
                "from numpy import exp, sum as total\nimport scipy.special\ndef f(x):\n"
                "    return scipy.special.softmax(x / 0.7, axis=1)\n"),
    )
    clean = (
        Clean("import numpy as np\ne = np.exp(x - x.max(-1, keepdims=True))\np = e / e.sum(-1, keepdims=True)\n"),
        Clean("import numpy as np\nm = np.max(x)\ne = np.exp(x - m)\np = e / e.sum()\n"),
        Clean("import math\nlr = base_lr * math.exp(-step / 1000)\n"),
        Clean("import numpy as np\nk = np.exp(-d ** 2 / (2 * s ** 2))\nw = k / k.sum()\n"),
        Clean("import numpy as np\ne = np.exp(x)\ny = e / np.sum(np.exp(z))\n"),
        Clean("import numpy as np\np = np.exp(logp - logsumexp(logp))\n"),
        Clean("import torch\np = torch.softmax(x, dim=-1)\n"),
    )

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        self._check(node)

    def visit_Call(self, node: cst.Call) -> None:
        self._check(node)

    def _check(self, node: cst.CSTNode) -> None:
        ctx = self.ctx
        division = ctx.division(node)
        if division is None:
            return
        numerator, denominator = division
        top, total = ctx.op(numerator), ctx.op(denominator)
        if top is None or top.kind != "exp" or top.operand is None:
            return
        if total is None or total.kind != "sum" or total.operand is None:
            return
        bottom = ctx.op(total.operand)
        if bottom is None or bottom.kind != "exp" or bottom.operand is None:
            return
        if not ctx.same(top.operand, bottom.operand) or facts.is_shifted(ctx, top.operand):
            return
        self.report(node, fix=self._fix(node, top, total))

    def _fix(self, node: cst.CSTNode, exp, total) -> FixSpec | None:
        ctx = self.ctx
        known, axis = ctx.axis(total)
        if not known:
            return None
        spelled = ctx.spelling.softmax(ctx.dialect(exp, total), ctx.code(exp.operand), axis)
        if spelled is None:
            return None
        code, imports = spelled
        # Without keepdims the division broadcasts: equal only for 1-D input.
        safe = axis is None or total.keeps_dims
        applicability = Applicability.SAFE if safe else Applicability.UNSAFE
        return ctx.replacement(node, code, applicability, imports)
