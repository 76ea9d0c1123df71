"""SL1: from scores to probabilities."""

from __future__ import annotations

import libcst as cst

from scorelint import facts
from scorelint import vocabulary as vocab
from scorelint.context import FileContext, FixSpec, Replace
from scorelint.findings import Applicability, FixAvailability
from scorelint.rule import Clean, Flagged, Rule
from scorelint.spelling import paren, with_keyword

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
        if not known or not total.plain:
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
        if not known or not total.plain:
            return None
        spelled = ctx.spelling.softmax(ctx.dialect(exp, total), ctx.code(exp.operand), axis)
        if spelled is None:
            return None
        code, imports = spelled
        # Without keepdims the division broadcasts: equal only for 1-D input.
        safe = axis is None or total.keeps_dims
        applicability = Applicability.SAFE if safe else Applicability.UNSAFE
        return ctx.replacement(node, code, applicability, imports)


_SOFTMAXES = ("softmax", "log_softmax")
_SOFTMAX_CALLS = ("softmax", "log_softmax", *vocab.module_names(*_SOFTMAXES))


class SoftmaxAxisUnspecified(Rule):
    """
    ## What it does
    Finds a softmax or log-softmax that does not say which axis holds the
    classes: `F.softmax(x)`, `F.log_softmax(x, dim=None)`, `nn.Softmax()`,
    and `scipy.special.softmax(x)` / `log_softmax(x)` on a batch.

    ## Why is this bad?
    `softmax(u)_k = exp(u_k) / sum_j exp(u_j)` must sum over the classes of
    one example and nothing else. Without `dim`, torch guesses (and warns that
    the guess is deprecated): dim 0 for 0-, 1- and 3-D input, dim 1 otherwise.
    On a (batch, time, vocab) tensor it normalizes across the batch: for
    `x = [[[1., 2.]], [[3., 4.]]]`, `F.softmax(x)` is
    `[[[0.119, 0.119]], [[0.881, 0.881]]]`, and no row sums to 1; the right
    answer is `[[[0.269, 0.731]], [[0.269, 0.731]]]`. scipy's softmax without
    `axis` normalizes over every element: `softmax([[1., 2.], [3., 4.]])` is
    `[[0.032, 0.087], [0.237, 0.644]]` where each row should be
    `[0.269, 0.731]`.

    ## Example
    ```python
    probs = F.softmax(logits)
    ```

    ## Use instead
    ```python
    probs = F.softmax(logits, dim=-1)
    ```

    ## Fix safety
    Unsafe: the fix passes `dim=-1` (torch) or `axis=-1` (scipy), assuming
    the classes are on the last axis. That equals torch's guess for 2-D
    input but not for 3-D or 4-D (channels first) input, and scipy's
    flattening for 1-D input only; check the axis the fix chose.

    ## Known limitations
    Inputs that are visibly 1-D (a flat literal list, `x[0]`, `x[i]`,
    `.ravel()`, `np.arange(n)`) are left alone, even where `x[0]` of a 3-D
    array is 2-D. A `**kwargs` may carry the axis, so such calls are left
    alone. `x.softmax()` without a dim raises in torch and is not reported.
    jax and tensorflow default to the last axis and are correct.
    """

    code = "SL103"
    name = "softmax-axis-unspecified"
    message = "`{expr}` has no axis, so it does not normalize over each example's classes"
    fix_title = "Pass the class axis explicitly: `dim=-1` (torch) or `axis=-1` (scipy)"
    fix_availability = FixAvailability.ALWAYS
    applicability = Applicability.UNSAFE
    triggers = (_SOFTMAX_CALLS,)

    flagged = (
        Flagged("import torch.nn.functional as F\nprobs = F.softmax(logits)\n",
                "import torch.nn.functional as F\nprobs = F.softmax(logits, dim=-1)\n"),
        Flagged("from scipy.special import softmax\np = softmax(batch_scores)\n",
                "from scipy.special import softmax\np = softmax(batch_scores, axis=-1)\n"),
        Flagged("from torch import nn\nhead = nn.Sequential(nn.Linear(16, 4), nn.Softmax())\n",
                "from torch import nn\nhead = nn.Sequential(nn.Linear(16, 4), nn.Softmax(dim=-1))\n"),
        Flagged("import torch.nn.functional as F\nlp = F.log_softmax(out.logits, dim=None)\n",
                "import torch.nn.functional as F\nlp = F.log_softmax(out.logits, dim=-1)\n"),
        Flagged("import scipy.special as sp\nlp = sp.log_softmax(x - x.max(-1, keepdims=True))\n",
                "import scipy.special as sp\n"
                "lp = sp.log_softmax(x - x.max(-1, keepdims=True), axis=-1)\n"),
        Flagged("import torch\nfrom torch.nn import functional\n"
                "y = functional.softmax(h @ W, dtype=torch.float32)\n",
                "import torch\nfrom torch.nn import functional\n"
                "y = functional.softmax(h @ W, dim=-1, dtype=torch.float32)\n"),
    )
    clean = (
        Clean("import torch.nn.functional as F\nprobs = F.softmax(logits, dim=-1)\n"),
        Clean("import scipy.special\np = scipy.special.softmax([1.0, 2.0, 3.0])\n"),
        Clean("from scipy.special import softmax\np = softmax(scores[0])\n"),
        Clean("import jax\np = jax.nn.softmax(logits)\n"),
        Clean("import tensorflow as tf\np = tf.nn.softmax(logits)\n"),
        Clean("import scipy.special\np = scipy.special.softmax(x, axis=None)\n"),
        Clean("import torch.nn.functional as F\ndef f(x, **kw):\n    return F.softmax(x, **kw)\n"),
        Clean("from torch import nn\nsm = nn.Softmax(dim=1)\n"),
    )

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        op = ctx.op(node, follow=False)
        if op is None:
            self._check_module(node)
            return
        if op.kind not in _SOFTMAXES or op.axis is not None or op.opaque or op.is_method \
                or op.module is not None or op.operand is None:
            return
        if op.framework == "torch" and op.default_axis == vocab.IMPLICIT:
            keyword, explicit = "dim", op.keyword("dim") or op.positional(1)
        elif op.framework == "scipy" and op.keyword("axis") is None:
            keyword, explicit = "axis", None  # `axis=None` is scipy's way to ask for every element
        else:
            return
        if facts.is_one_dimensional(ctx, op.operand):
            return
        self._report(node, keyword, explicit)

    def _check_module(self, node: cst.Call) -> None:
        """`nn.Softmax()`: the module guesses its dim at every call."""
        ctx = self.ctx
        if not isinstance(node.func, cst.Name) and vocab.terminal_name(node.func) not in _SOFTMAX_CALLS:
            return
        qualname = next((q for q in sorted(ctx.qualified_names(node.func)) if q in vocab.MODULE_OPS), None)
        if qualname is None or any(a.star for a in node.args):
            return
        kind, framework, spec = vocab.MODULE_OPS[qualname]
        if kind not in _SOFTMAXES or spec.default_axis != vocab.IMPLICIT:
            return
        explicit = next((a.value for a in node.args if a.keyword is None or a.keyword.value == "dim"), None)
        if explicit is None or (isinstance(explicit, cst.Name) and explicit.value == "None"):
            self._report(node, "dim", explicit)

    def _report(self, node: cst.Call, keyword: str, explicit: cst.BaseExpression | None) -> None:
        ctx = self.ctx
        if keyword == "dim":
            message = f"`{ctx.short(node)}` has no `dim`: torch guesses 0 for 1-D and 3-D input, else 1"
        else:
            message = f"`{ctx.short(node)}` has no `axis`: it normalizes over every element of a batch"
        if isinstance(explicit, cst.Name) and explicit.value == "None":
            fix = FixSpec("Replace `None` with `-1` (the last axis)", self.applicability,
                          (Replace(explicit, "-1"),))
        else:
            fix = ctx.replacement(node, ctx.render(with_keyword(node, keyword, "-1"), node),
                                  self.applicability)
        self.report(node, message, fix)


class TemperatureAfterSoftmax(Rule):
    """
    ## What it does
    Finds a temperature applied to the output of a softmax instead of to its
    input: `softmax(x) / T`, `softmax(x) * (1 / T)`, `softmax(x) ** (1 / T)`
    that is never renormalized, and `log_softmax(x) / T`.

    ## Why is this bad?
    Sampling at temperature `T` draws from `softmax(u / T)_k =
    exp(u_k / T) / sum_j exp(u_j / T)`, which sharpens (`T < 1`) or flattens
    (`T > 1`) the distribution. Dividing the probabilities instead scales
    every entry by the same factor: the result no longer sums to 1, and a
    sampler that renormalizes (`torch.multinomial`) draws exactly as at
    `T = 1`, so the temperature does nothing. For `u = [2., 1., 0.]` and
    `T = 0.5`, `softmax(u) / T` is `[1.330, 0.489, 0.180]` (sum 2), where
    `softmax(u / T)` is `[0.867, 0.117, 0.016]`. `log_softmax(u) / T` is
    `[-0.815, -2.815, -4.815]`, whose exponentials sum to 0.51, not 1; the
    tempered log-probabilities are `[-0.143, -2.143, -4.143]`.
    `softmax(u) ** (1 / T)` is proportional to `softmax(u / T)` but sums to
    0.51 here until it is divided by its sum.

    ## Example
    ```python
    probs = F.softmax(logits, dim=-1) / temperature
    ```

    ## Use instead
    ```python
    probs = F.softmax(logits / temperature, dim=-1)
    ```

    ## Fix safety
    Unsafe: the fix changes the values, because the original was wrong. It
    keeps the softmax call with all its arguments (the same axis, dtype and
    spelling) and divides its input by the temperature (or multiplies by an
    inverse temperature). Where the softmax was bound to a name earlier and
    its input cannot be repeated here (a model call), no fix is offered.

    ## Known limitations
    A temperature is recognised by name (`T`, `tau`, `temp`, `temperature`,
    `inv_temp`), so `softmax(x) / 0.7` is missed. A name bound twice
    (`p = softmax(x)` then `p = p / T`) is not followed. A sharpened
    `p ** (1 / T)` counts as renormalized when it is divided by its own sum
    or passed to `torch.multinomial` or a `Categorical`, which renormalize.
    """

    code = "SL104"
    name = "temperature-after-softmax"
    message = "`{expr}` applies the temperature after the softmax; it no longer sums to 1"
    fix_title = "Divide the logits by the temperature inside the softmax"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE
    triggers = (_SOFTMAX_CALLS, ("/", "/=", "*", "*=", "**"))

    flagged = (
        Flagged("from scipy.special import softmax\np = softmax(logits, axis=-1) / T\n",
                "from scipy.special import softmax\np = softmax(logits / T, axis=-1)\n"),
        Flagged("import torch\nimport torch.nn.functional as F\ndef sample(logits, temperature):\n"
                "    probs = F.softmax(logits, dim=-1)\n"
                "    return torch.multinomial(probs / temperature, 1)\n",
                "import torch\nimport torch.nn.functional as F\ndef sample(logits, temperature):\n"
                "    probs = F.softmax(logits, dim=-1)\n"
                "    return torch.multinomial(F.softmax(logits / temperature, dim=-1), 1)\n"),
        Flagged("import torch\ndef f(self, x):\n    return x.softmax(-1) / self.tau\n",
                "import torch\ndef f(self, x):\n    return (x / self.tau).softmax(-1)\n"),
        Flagged("import jax\ndef f(logits, T):\n    return jax.nn.log_softmax(logits) / T\n",
                "import jax\ndef f(logits, T):\n    return jax.nn.log_softmax(logits / T)\n"),
        Flagged("import tensorflow as tf\ndef f(u, temperature):\n"
                "    return tf.nn.softmax(u) ** (1.0 / temperature)\n",
                "import tensorflow as tf\ndef f(u, temperature):\n"
                "    return tf.nn.softmax(u / temperature)\n"),
        Flagged("import torch\ndef f(z, T):\n    probs = torch.softmax(z, dim=1)\n    probs /= T\n"
                "    return probs\n",
                "import torch\ndef f(z, T):\n    probs = torch.softmax(z, dim=1)\n"
                "    probs = torch.softmax(z / T, dim=1)\n    return probs\n"),
        Flagged("from torch import nn\nclass Head(nn.Module):\n    def __init__(self):\n"
                "        self.sm = nn.Softmax(dim=-1)\n    def forward(self, h):\n"
                "        return self.sm(h) / self.temperature\n",
                "from torch import nn\nclass Head(nn.Module):\n    def __init__(self):\n"
                "        self.sm = nn.Softmax(dim=-1)\n    def forward(self, h):\n"
                "        return self.sm(h / self.temperature)\n"),
        Flagged("import torch\nimport torch.nn.functional as F\ndef f(model, x, T):\n"
                "    probs = F.softmax(model(x), -1)\n    return torch.multinomial(probs / T, 1)\n"),
    )
    clean = (
        Clean("import torch.nn.functional as F\nprobs = F.softmax(logits / T, dim=-1)\n"),
        Clean("from scipy.special import softmax\ndef f(x, T):\n"
              "    q = softmax(x, axis=-1) ** (1 / T)\n    return q / q.sum(-1, keepdims=True)\n"),
        Clean("import torch\nimport torch.nn.functional as F\n"
              "i = torch.multinomial(F.softmax(x, -1) ** (1 / T), 1)\n"),
        Clean("import torch.nn.functional as F\ndef f(models, x):\n    avg = 0\n    for m in models:\n"
              "        avg = avg + F.softmax(m(x), -1) / len(models)\n    return avg\n"),
        Clean("from scipy.special import softmax\nbrier = (softmax(x, axis=-1) ** 2).sum(-1)\n"),
        Clean("import torch.nn.functional as F\nkd = F.kl_div(F.log_softmax(s / T, -1), "
              "F.softmax(t / T, -1), reduction='batchmean') * T * T\n"),
        Clean("import numpy as np\nfrom scipy.special import softmax\np = softmax(x, axis=-1)\n"
              "p = p / p.sum(-1, keepdims=True)\n"),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._powers: list[tuple[cst.BinaryOperation, vocab.Op, str]] = []
        # Values divided by their own sum, and values handed to a sampler that renormalizes.
        self._sums: list[tuple[cst.BaseExpression, cst.BaseExpression]] = []
        self._sampled: list[cst.BaseExpression] = []

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        ctx, operator = self.ctx, node.operator
        if isinstance(operator, cst.Divide):
            self._note_sum(node.left, node.right)
            if facts.is_temperature(ctx, node.right):
                self._check(node, node.left, f"/ {paren(ctx.code(node.right))}")
        elif isinstance(operator, cst.Multiply):
            for probs, factor in ((node.left, node.right), (node.right, node.left)):
                scale = self._inverse(factor)
                if scale is not None and self._check(node, probs, scale):
                    return
        elif isinstance(operator, cst.Power):
            scale, softmax = self._inverse(node.right), self._softmax(node.left)
            if scale is not None and softmax is not None and softmax.kind == "softmax":
                self._powers.append((node, softmax, scale))  # unless renormalized later

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        """`probs = softmax(x)` then `probs /= T`."""
        ctx = self.ctx
        if isinstance(node.operator, cst.DivideAssign):
            self._note_sum(node.target, node.value)
            scale = f"/ {paren(ctx.code(node.value))}" if facts.is_temperature(ctx, node.value) else None
        elif isinstance(node.operator, cst.MultiplyAssign):
            scale = self._inverse(node.value)
        else:
            return
        found = ctx.bindings(node.target) if isinstance(node.target, cst.Name) else None
        values = [b.value for b in found or () if b.value is not None]
        softmax = self._softmax(values[0]) if len(values) == 1 else None
        if scale is not None and softmax is not None:
            self._report(node, node.target, softmax, scale)

    def visit_Call(self, node: cst.Call) -> None:
        # `torch.multinomial(w, n)`, `w.multinomial(n)`, `Categorical(probs=w)` renormalize `w`.
        name = vocab.terminal_name(node.func)
        if name == "multinomial" or name in ("Categorical", "OneHotCategorical"):
            if isinstance(node.func, cst.Attribute):
                self._sampled.append(node.func.value)
            self._sampled.extend(a.value for a in node.args
                                 if a.keyword is None or a.keyword.value in ("input", "probs"))

    def leave_Module(self, original_node: cst.Module) -> None:
        for node, softmax, scale in self._powers:
            if any(self._holds(n, node) and self._holds(d, node) for n, d in self._sums):
                continue
            if not any(self._holds(s, node) for s in self._sampled):
                message = (f"`{self.ctx.short(node)}` sharpens probabilities without renormalizing;"
                           " they no longer sum to 1")
                self.report(node, message, self._fix(node, node.left, softmax, scale))

    def _note_sum(self, numerator: cst.BaseExpression, denominator: cst.BaseExpression) -> None:
        total = self.ctx.op(denominator)
        if total is not None and total.kind == "sum" and total.operand is not None:
            self._sums.append((numerator, total.operand))

    def _holds(self, node: cst.BaseExpression, value: cst.BaseExpression) -> bool:
        """Is `node` the expression `value`, or a name bound to it?"""
        if node is value or self.ctx.resolve(node) is value:
            return True
        found = self.ctx.bindings(node) if isinstance(node, cst.Name) else None
        return any(b.value is value for b in found or ())

    def _softmax(self, node: cst.BaseExpression) -> vocab.Op | None:
        op = self.ctx.op(node)
        return op if op is not None and op.kind in _SOFTMAXES and op.operand is not None else None

    def _inverse(self, factor: cst.BaseExpression) -> str | None:
        """How to scale the logits for a factor `1 / T` or an inverse temperature, else None."""
        ctx = self.ctx
        value = ctx.resolve(factor)
        if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Divide) \
                and isinstance(value.left, (cst.Integer, cst.Float)) \
                and float(value.left.value) == 1.0 and facts.is_temperature(ctx, value.right):
            return f"/ {paren(ctx.code(value.right))}" if value is factor else f"* {ctx.code(factor)}"
        return f"* {paren(ctx.code(factor))}" if facts.is_inverse_temperature(ctx, factor) else None

    def _check(self, node: cst.BinaryOperation, probs: cst.BaseExpression, scale: str) -> bool:
        softmax = self._softmax(probs)
        if softmax is not None:
            self._report(node, probs, softmax, scale)
        return softmax is not None

    def _report(self, node: cst.BinaryOperation | cst.AugAssign, probs: cst.BaseExpression,
                softmax: vocab.Op, scale: str) -> None:
        what = "log-probabilities" if softmax.kind == "log_softmax" else "probabilities"
        message = (f"`{self.ctx.short(node)}` rescales {what} after the softmax;"
                   f" they no longer {'normalize' if softmax.kind == 'log_softmax' else 'sum to 1'}")
        self.report(node, message, self._fix(node, probs, softmax, scale))

    def _fix(self, node: cst.CSTNode, probs: cst.BaseExpression, softmax: vocab.Op,
             scale: str) -> FixSpec | None:
        """The same softmax call, its input scaled: `F.softmax(x / T, dim=-1)`."""
        ctx, operand = self.ctx, softmax.operand
        assert operand is not None
        if not ctx.contains(probs, softmax.call) and not ctx.repeatable(softmax.call):
            return None  # the input is computed elsewhere (`model(x)`): it cannot be repeated here
        scaled = f"{paren(ctx.code(operand))} {scale}"
        tempered = softmax.call.deep_replace(
            operand, cst.parse_expression(f"({scaled})" if softmax.is_method else scaled))
        code = ctx.render(tempered, node)
        if isinstance(node, cst.AugAssign):
            code = f"{ctx.code(node.target)} = {code}"
        return ctx.replacement(node, code, self.applicability)
