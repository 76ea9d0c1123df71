"""SL2: quantities that should live in log space."""

from __future__ import annotations

import libcst as cst
from libcst import matchers as m

from scorelint import facts
from scorelint.context import Binding, FileContext, FixSpec, InsertLine, Replace
from scorelint.findings import Applicability, FixAvailability
from scorelint.rule import Clean, Flagged, Rule
from scorelint.spelling import negate, paren
from scorelint.vocabulary import FUNCTIONS, Op

_LOGS = ("log", "log2", "log10")


class LogOfProduct(Rule):
    """
    ## What it does
    Finds the log of a product of probabilities: `log(prod(p))`,
    `p.prod(-1).log()`, `math.log(math.prod(ps))`,
    `log(reduce(operator.mul, ps))`, and a loop that multiplies probabilities
    into an accumulator that is logged afterwards.

    ## Why is this bad?
    A sequence's probability is a product of per-token probabilities,
    `Pr(y|x) = prod_i Pr(y_i | x, y_<i)`, and scoring wants its log,
    `log Pr(y|x) = sum_i log Pr(y_i | x, y_<i)`. The product of 400 tokens
    at probability 0.1 is 1e-400, below the smallest float64 (about 4.9e-324),
    so `prod` returns 0.0 and `log` returns `-inf`: every long candidate ties
    at `-inf`, and a short bad reply beats a long good one. The sum of logs is
    `-921.03`, exact to the last digit. In float32 the product underflows
    after about 40 such tokens.

    ## Example
    ```python
    score = np.log(np.prod(token_probs, axis=-1))
    ```

    ## Use instead
    ```python
    score = np.sum(np.log(token_probs), axis=-1)
    ```

    ## Fix safety
    Safe: `sum(log(p))` is the same mathematical value as `log(prod(p))` for
    non-negative `p`, and accurate where the product underflows or overflows.
    It reduces over the same axis, keeps `keepdims`, and a zero probability
    still gives `-inf`. For negative entries (not probabilities) the two
    differ (`nan` instead of a finite value). The loop form is rewritten to
    accumulate logs only when the accumulator is used nowhere else.

    ## Known limitations
    Products of sizes are left alone: operands named like shapes, sizes or
    counts, `x.shape`, literal integer lists, `range(...)`. A product spelled
    as `p1 * p2 * p3` is not recognised, nor one accumulated through a
    function call or across functions.
    """

    code = "SL201"
    name = "log-of-product"
    message = "`{expr}` underflows to `-inf` for long sequences"
    fix_title = "Sum the logs instead of logging the product"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.SAFE
    triggers = (_LOGS, ("prod", "reduce_prod", "reduce", "*="))

    flagged = (
        Flagged("import numpy as np\nscore = np.log(np.prod(probs, axis=-1))\n",
                "import numpy as np\nscore = np.sum(np.log(probs), axis=-1)\n"),
        Flagged("import torch\ndef f(p):\n    return p.prod(-1).log()\n",
                "import torch\ndef f(p):\n    return p.log().sum(-1)\n"),
        Flagged("import jax.numpy as jnp\ndef f(p):\n    q = jnp.prod(p)\n    return jnp.log(q)\n",
                "import jax.numpy as jnp\ndef f(p):\n    q = jnp.prod(p)\n    return jnp.sum(jnp.log(p))\n"),
        Flagged("import math\ndef f(ps):\n    return math.log(math.prod(ps))\n",
                "import math\ndef f(ps):\n    return math.fsum(map(math.log, ps))\n"),
        Flagged("import math\nimport operator\nfrom functools import reduce\n"
                "def f(ps):\n    return math.log(reduce(operator.mul, ps))\n",
                "import math\nimport operator\nfrom functools import reduce\n"
                "def f(ps):\n    return math.fsum(map(math.log, ps))\n"),
        Flagged("import math\ndef f(steps):\n    p = 1.0\n    for step in steps:\n"
                "        p *= step.prob\n    return math.log(p)\n",
                "import math\ndef f(steps):\n    p = 0.0\n    for step in steps:\n"
                "        p += math.log(step.prob)\n    return p\n"),
        Flagged("import math\ndef f(steps):\n    p = 1.0\n    for s in steps:\n"
                "        p *= s\n    print(p)\n    return math.log(p)\n"),
    )
    clean = (
        Clean("import numpy as np\nn = np.log(np.prod(x.shape))\n"),
        Clean("import math\nbits = math.log(math.prod([2, 3, 4]), 2)\n"),
        Clean("import numpy as np\nscore = np.sum(np.log(probs), axis=-1)\n"),
        Clean("import math\nc = math.log(n_items)\n"),
        Clean("import numpy as np\nv = np.log(np.prod(sizes))\n"),
        Clean("import math\ndef f(xs):\n    t = 0.0\n    for x in xs:\n        t += x\n    return math.log(t)\n"),
        Clean("import math\nfrom functools import reduce\nx = math.log(reduce(lambda a, b: a + b, ps))\n"),
    )

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        log = ctx.op(node, follow=False)
        if log is None or log.kind not in _LOGS or log.operand is None:
            return
        inner = ctx.op(log.operand)
        if inner is not None and inner.kind == "prod" and inner.operand is not None:
            if not facts.is_size(ctx, inner.operand):
                self.report(node, fix=self._fix_reduction(node, log, inner, inner.operand))
        elif inner is not None and inner.kind == "reduce":
            factors = self._reduce_factors(inner)
            if factors is not None and not facts.is_size(ctx, factors):
                self.report(node, fix=self._fix_reduction(node, log, None, factors))
        elif isinstance(log.operand, cst.Name):
            self._check_loop(node, log, log.operand)

    def _reduce_factors(self, op: Op) -> cst.BaseExpression | None:
        """`ps` in `reduce(operator.mul, ps)` or `reduce(lambda a, b: a * b, ps)`, no initial value."""
        func, factors = op.operand, op.positional(1)
        if func is None or factors is None or op.positional(2) is not None:
            return None
        if "operator.mul" in self.ctx.qualified_names(func):
            return factors
        if isinstance(func, cst.Lambda) and isinstance(func.body, cst.BinaryOperation) \
                and isinstance(func.body.operator, cst.Multiply):
            return factors
        return None

    def _fix_reduction(self, node: cst.Call, log: Op, prod: Op | None,
                       factors: cst.BaseExpression) -> FixSpec | None:
        ctx = self.ctx
        if prod is not None and not prod.plain:
            return None  # `dtype=`, `out=` or a computed keepdims would be lost
        logged = self._log_of(log, ctx.code(factors))
        if prod is None or log.framework == "math":
            if log.framework != "math":
                return None
            code, imports = f"math.fsum(map({ctx.code(log.call.func)}, {ctx.code(factors)}))", ()
            if "math" not in ctx.spelling.modules:
                return None
        elif log.is_method and prod.is_method:
            args = ", ".join(ctx.code(a) for a in prod.call.args).replace("\n", " ")
            code, imports = f"{logged}.sum({args})", ()
        else:
            known, axis = ctx.axis(prod)
            if not known:
                return None
            spelled = ctx.spelling.call("sum", ctx.dialect(log, prod), logged, axis=axis,
                                        keepdims=prod.keeps_dims)
            if spelled is None:
                return None
            code, imports = spelled
        return ctx.replacement(node, code, self.applicability, imports)

    def _log_of(self, log: Op, operand: str) -> str:
        """The log of `operand` spelled as the original call spelled its log."""
        if log.is_method:
            return f"{paren(operand)}.{log.kind}()"
        return f"{self.ctx.code(log.call.func)}({operand})"

    def _check_loop(self, node: cst.Call, log: Op, acc: cst.Name) -> None:
        """`p = 1.0; for ...: p *= q; log(p)`: a product built up in a loop."""
        bindings = self.ctx.bindings(acc)
        if not bindings or len(bindings) < 2:
            return
        inits = [b for b in bindings if isinstance(b.statement, (cst.Assign, cst.AnnAssign))]
        steps = [b for b in bindings if isinstance(b.statement, cst.AugAssign)]
        if len(inits) != 1 or len(inits) + len(steps) != len(bindings):
            return
        init = inits[0]
        if not (isinstance(init.value, (cst.Integer, cst.Float)) and float(init.value.value) == 1.0):
            return
        if init.loop is not None or not all(
            isinstance(s.statement.operator, cst.MultiplyAssign) and s.loop is not None  # type: ignore[union-attr]
            for s in steps
        ):
            return
        self.report(node, fix=self._fix_loop(node, log, acc, init, steps))

    def _fix_loop(self, node: cst.Call, log: Op, acc: cst.Name, init: Binding,
                  steps: list[Binding]) -> FixSpec | None:
        ctx = self.ctx
        if len(ctx.accesses(acc)) != 1 or init.value is None:
            return None  # the product is used elsewhere: rewriting would change that use
        edits: list[Replace] = [Replace(init.value, "0.0"), Replace(node, acc.value)]
        for step in steps:
            stmt = step.statement
            assert isinstance(stmt, cst.AugAssign)
            edits.append(Replace(stmt, f"{acc.value} += {self._log_of(log, ctx.code(stmt.value))}"))
        title = f"Accumulate `{acc.value} += log(...)` instead of the product"
        return FixSpec(title, self.applicability, tuple(edits))


# -- SL203..SL207: shared by the log-space rules below -------------------------

def _natural_log(ctx: FileContext, node: cst.Call) -> Op | None:
    """The natural log `node` computes (`np.log(x)`, `x.log()`), with nothing but its operand.

    `math.log(x, base)` is not natural, and `np.log(x, out=y)` writes
    somewhere a rewritten call would not.
    """
    op = ctx.op(node, follow=False)
    if op is None or op.kind != "log" or op.operand is None or not op.plain:
        return None
    return op


def _arg(ctx: FileContext, node: cst.BaseExpression, at: cst.CSTNode) -> str:
    """`node`'s code as an argument of a fix replacing `at`: outer parentheses dropped
    (`F.logsigmoid(-i)`, not `F.logsigmoid((-i))`), continuation lines indented for `at`."""
    return ctx.code(node) if isinstance(node, cst.GeneratorExp) else ctx.render(node, at)


def _copyable(ctx: FileContext, root: cst.CSTNode, *pieces: cst.BaseExpression | None) -> bool:
    """Can a fix replacing `root` repeat `pieces`: inside it, or the same value anywhere?"""
    return all(p is None or ctx.contains(root, p) or ctx.portable(p) for p in pieces)


def _replacement(ctx: FileContext, node: cst.CSTNode, code: str, applicability: Applicability,
                 imports: tuple[InsertLine, ...] = ()) -> FixSpec:
    """`ctx.replacement`, made unsafe if it would delete a comment inside `node` (as in Ruff)."""
    comments = m.findall(node, m.Comment())
    if any(c.value not in code for c in comments):  # type: ignore[union-attr]
        applicability = Applicability.UNSAFE
    return ctx.replacement(node, code, applicability, imports)


def _overflowing_exp(ctx: FileContext, node: cst.BaseExpression) -> Op | None:
    """`exp(x)` whose argument is not visibly non-positive, so that it can overflow."""
    exp = ctx.op(node)
    if exp is None or exp.kind != "exp" or exp.operand is None:
        return None
    return None if facts.is_nonpositive(ctx, exp.operand) else exp


def _one_plus(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """`x` in `1 + x` or `x + 1`."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        if facts.is_one(node.left):
            return node.right
        if facts.is_one(node.right):
            return node.left
    return None


def _one_minus(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """`x` in `1 - x`."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Subtract) \
            and facts.is_one(node.left):
        return node.right
    return None


def _selections(ctx: FileContext, node: cst.BaseExpression) -> tuple[list[cst.BaseExpression],
                                                                    cst.BaseExpression]:
    """`p[i, y]`, `p.gather(-1, y)`: the selections taken of `p` (outermost first), and `p`.

    `log` commutes with them, so `log(p[i])` is `log_softmax(x)[i]`.
    """
    selections: list[cst.BaseExpression] = []
    value = ctx.resolve(node)
    while isinstance(value, cst.Subscript) or (
        isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)
        and value.func.attr.value == "gather" and ctx.op(value, follow=False) is None
    ):
        selections.append(value)
        value = ctx.resolve(value.value if isinstance(value, cst.Subscript)
                            else value.func.value)  # type: ignore[union-attr]
    return selections, value


def _selected(selections: list[cst.BaseExpression], base: cst.BaseExpression) -> cst.BaseExpression:
    """The selections applied again, to `base`."""
    for selection in reversed(selections):
        if isinstance(selection, cst.Subscript):
            base = selection.with_changes(value=base)
        else:
            assert isinstance(selection, cst.Call) and isinstance(selection.func, cst.Attribute)
            base = selection.with_changes(func=selection.func.with_changes(value=base))
    return base


def _selection_parts(selection: cst.BaseExpression) -> list[cst.BaseExpression]:
    """What a selection repeats when moved: its indices or arguments."""
    if isinstance(selection, cst.Call):
        return [a.value for a in selection.args]
    assert isinstance(selection, cst.Subscript)
    parts: list[cst.BaseExpression] = []
    for element in selection.slice:
        if isinstance(element.slice, cst.Index):
            parts.append(element.slice.value)
        else:
            parts.extend(p for p in (element.slice.lower, element.slice.upper, element.slice.step)
                         if p is not None)
    return parts


class LogOfSoftmax(Rule):
    """
    ## What it does
    Finds the log of a softmax: `log(softmax(x, axis))`, `x.softmax(-1).log()`,
    `log(p)` with `p = softmax(x)` earlier, a selection of it
    (`log(p.gather(-1, y))`, `log(p[i, y])`), and the epsilon-guarded forms
    `log(softmax(x) + 1e-9)`, `log(p.clamp(min=eps))`, `log(np.clip(p, eps, 1))`.

    ## Why is this bad?
    `log softmax(u)_k = u_k - logsumexp(u)`: an exact difference of two finite
    numbers. Going through the softmax first computes `exp(u_k - max(u))`,
    which underflows to 0 once `u_k` is more than ~745 below the maximum
    (~104 in float32, ~17 in float16), and `log(0)` is `-inf`. For
    `u = [0.0, 800.0]`, `np.log(scipy.special.softmax(u))` is `[-inf, 0.0]`;
    `log_softmax(u)` is `[-800.0, 0.0]`. The `-inf` poisons a sum of token
    log-probabilities and makes `p * log(p)` an entropy of `nan`. An epsilon
    hides the `-inf` by flooring every log-probability at `log(eps)`
    (-20.7 for 1e-9), so confident wrong answers all score the same.

    ## Example
    ```python
    logp = torch.log(F.softmax(logits, dim=-1))
    ```

    ## Use instead
    ```python
    logp = F.log_softmax(logits, dim=-1)
    ```

    ## Fix safety
    Safe: the framework's own `log_softmax` next to the softmax the code
    called (`F.`, `torch.`, `scipy.special.`, `jax.nn.`, `tf.nn.`, keras),
    with the same arguments, so the same axis. It equals the original
    wherever the original is finite, to rounding. With an epsilon the fix is
    unsafe: it removes the floor, so values below `log(eps)` change. When the
    softmax's dim is implicit (`F.softmax(x)`), the fix keeps it implicit and
    is unsafe: check the axis.

    ## Known limitations
    `log2` / `log10` of a softmax, a softmax written out by hand (SL102 turns
    it into a call first), a softmax kept in an attribute (`self.probs`) or
    built in another function, and `torch.gather(p, ...)` / `np.take_along_axis`
    as functions are not followed. When the softmax is reached through a
    name and its arguments include a call (`softmax(model(x))`), the finding
    has no fix, since the fix would repeat the call.
    """

    code = "SL203"
    name = "log-of-softmax"
    message = "`{expr}` is `-inf` wherever the softmax underflows to 0"
    fix_title = "Replace with the framework's `log_softmax` over the same axis"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.SAFE
    triggers = (("log",), ("softmax", "Softmax"))
    guarded_message = "`{expr}` floors log-probabilities at `log(eps)`; log_softmax is exact"
    implicit_message = "`{expr}` can be `-inf`; the softmax's dim is implicit, check the fix"

    flagged = (
        Flagged("import torch\nimport torch.nn.functional as F\ndef f(logits):\n"
                "    return torch.log(F.softmax(logits, dim=-1))\n",
                "import torch\nimport torch.nn.functional as F\ndef f(logits):\n"
                "    return F.log_softmax(logits, dim=-1)\n"),
        Flagged("import numpy as np\nimport scipy.special\ny = np.log(scipy.special.softmax(x, axis=1))\n",
                "import numpy as np\nimport scipy.special\ny = scipy.special.log_softmax(x, axis=1)\n"),
        Flagged("import torch\ndef f(x):\n    return x.softmax(-1).log()\n",
                "import torch\ndef f(x):\n    return x.log_softmax(-1)\n"),
        Flagged("import torch\ndef f(logits):\n    probs = torch.softmax(logits, dim=-1)\n"
                "    return torch.log(probs + 1e-9)\n",
                "import torch\ndef f(logits):\n    probs = torch.softmax(logits, dim=-1)\n"
                "    return torch.log_softmax(logits, dim=-1)\n"),
        Flagged("import jax\nimport jax.numpy as jnp\ndef f(u):\n    return jnp.log(jax.nn.softmax(u))\n",
                "import jax\nimport jax.numpy as jnp\ndef f(u):\n    return jax.nn.log_softmax(u)\n"),
        Flagged("import tensorflow as tf\nlp = tf.math.log(tf.nn.softmax(logits, axis=1))\n",
                "import tensorflow as tf\nlp = tf.nn.log_softmax(logits, axis=1)\n"),
        Flagged("import torch\nimport torch.nn.functional as F\ndef nll(logits, y):\n"
                "    p = F.softmax(logits, dim=-1)\n    return -torch.log(p.gather(-1, y[:, None]))\n",
                "import torch\nimport torch.nn.functional as F\ndef nll(logits, y):\n"
                "    p = F.softmax(logits, dim=-1)\n    return -F.log_softmax(logits, dim=-1).gather(-1, y[:, None])\n"),
        Flagged("from scipy.special import softmax\nimport numpy as np\n"
                "lp = np.log(np.clip(softmax(z, axis=1), 1e-12, 1.0))\n",
                "from scipy.special import softmax\nimport numpy as np\nimport scipy.special\n"
                "lp = scipy.special.log_softmax(z, axis=1)\n"),
        Flagged("import torch.nn.functional as F\nimport torch\nlp = torch.log(F.softmax(x))\n",
                "import torch.nn.functional as F\nimport torch\nlp = F.log_softmax(x)\n"),
        Flagged("import torch\nimport torch.nn.functional as F\ndef f(model, x):\n"
                "    p = F.softmax(model(x), dim=-1)\n    return torch.log(p)\n"),
    )
    clean = (
        Clean("import torch.nn.functional as F\nlp = F.log_softmax(x, dim=-1)\n"),
        Clean("import numpy as np\nimport scipy.special\nlp = scipy.special.log_softmax(x, axis=-1)\n"),
        Clean("import numpy as np\nlp = np.log(probs)\n"),
        Clean("import torch\nimport torch.nn.functional as F\ndef log(v):\n    return v\n"
              "y = log(F.softmax(x, dim=-1))\n"),
        Clean("import torch.nn.functional as F\nclass M:\n    def step(self, x):\n"
              "        self.log('probs', F.softmax(x, dim=-1))\n"),
        Clean("import torch\nlp = torch.log(torch.sigmoid(x))\n"),
        Clean("import math\nimport scipy.special\nbits = math.log(scipy.special.softmax(x, axis=-1)[0], 2)\n"),
    )

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        log = _natural_log(ctx, node)
        if log is None:
            return
        inner = facts.without_epsilon(ctx, log.operand)  # type: ignore[arg-type]
        guarded = inner is not log.operand
        selections, inner = _selections(ctx, inner)
        softmax = ctx.op(inner)
        if softmax is None or softmax.kind != "softmax" or softmax.operand is None:
            return
        known = ctx.axis(softmax)[0]
        template = (self.guarded_message if guarded
                    else self.message if known else self.implicit_message)
        fix = self._fix(node, softmax, selections, known and not guarded)
        self.report(node, template.format(expr=ctx.short(node)), fix)

    def _fix(self, node: cst.Call, softmax: Op, selections: list[cst.BaseExpression],
             safe: bool) -> FixSpec | None:
        ctx, call = self.ctx, softmax.call
        pieces = [a.value for a in call.args] + [softmax.axis]
        pieces += [call.func.value] if softmax.is_method else []  # type: ignore[attr-defined]
        pieces += [p for s in selections for p in _selection_parts(s)]
        if not _copyable(ctx, node, *pieces):
            return None  # the fix would repeat a call or a name rebound since
        sibling = f"{(softmax.qualname or '').rpartition('.')[0]}.log_softmax"
        imports: tuple[InsertLine, ...] = ()
        if softmax.module is None and softmax.is_method:
            method = call.func
            assert isinstance(method, cst.Attribute)
            new: cst.BaseExpression = call.with_changes(
                func=method.with_changes(attr=cst.Name("log_softmax")))
        elif softmax.module is None and FUNCTIONS.get(sibling, ("",))[0] == "log_softmax":
            callee, imports = ctx.spelling.callee(sibling)
            new = call.with_changes(func=cst.parse_expression(callee))
        else:  # a module, `nn.Softmax(dim=1)(x)`: spell the function anew
            known, axis = ctx.axis(softmax)
            operand = _arg(ctx, softmax.operand, node)  # type: ignore[arg-type]
            spelled = ctx.spelling.call("log_softmax", ctx.dialect(softmax), operand,
                                        axis=axis) if known else None
            if spelled is None:
                return None
            code, imports = spelled
            new = cst.parse_expression(paren(code) if selections else code)
        applicability = Applicability.SAFE if safe else Applicability.UNSAFE
        return _replacement(ctx, node, ctx.render(_selected(selections, new), node),
                            applicability, imports)


class LogsumexpByHand(Rule):
    """
    ## What it does
    Finds `log(sum(exp(x)))` written out: `np.log(np.sum(np.exp(x), axis=-1))`,
    `x.exp().sum(-1).log()`, `tf.math.log(tf.reduce_sum(tf.exp(x)))`, the sum
    of an `exp` bound to a name earlier, and the two-term form
    `log(exp(a) + exp(b))`.

    ## Why is this bad?
    `logsumexp(x) = m + log(sum(exp(x - m)))` with `m = max(x)` is the log of
    a softmax normalizer, and every `exp` in the shifted sum is at most 1.
    Unshifted, `exp` overflows above ~709.78 in float64 (~88.7 in float32)
    and underflows below ~-745: `np.log(np.sum(np.exp([1000.0, 1000.0])))` is
    `inf` where the answer is `1000.693...`, and for `[-1000.0, -1000.0]` it
    is `-inf` where the answer is `-999.307...`. Both happen with real
    logits and with sums of token log-probabilities.

    ## Example
    ```python
    log_z = np.log(np.sum(np.exp(logits), axis=-1))
    ```

    ## Use instead
    ```python
    log_z = scipy.special.logsumexp(logits, axis=-1)
    ```

    ## Fix safety
    Safe: the same value, to rounding, wherever the original was finite, over
    the same elements: the axis and `keepdims` are carried over
    (`dim`/`keepdim` for torch, whose `logsumexp` needs a dim, so "every
    element" becomes `x.flatten()` along 0). numpy files that do not import
    scipy get `np.logaddexp.reduce(x, axis=...)` (numpy's own, exact to a few
    ulps) instead of a new scipy dependency. Two terms become `logaddexp(a, b)`.
    A sum with other arguments (`dtype=`, `where=`) or an unknown axis, and
    tensorflow's two-term form (it has no `logaddexp`), are reported without
    a fix.

    ## Known limitations
    Already shifted forms (`m + log(sum(exp(x - m)))`, any `exp(x - c)`) are
    left alone, right or not. Three or more terms (`exp(a) + exp(b) + exp(c)`),
    a weighted sum (`sum(w * exp(x))`), `log(mean(exp(x)))`, and a Python
    sum over a generator (`math.log(sum(math.exp(v) for v in xs))`, reported
    but not fixed) are not rewritten.
    """

    code = "SL204"
    name = "logsumexp-by-hand"
    message = "`{expr}` overflows to `inf` once an input exceeds ~709"
    unknown_axis_message = "`{expr}` overflows to `inf` above ~709; no fix: its axis is unknown"
    scalar_message = "`{expr}` overflows to `inf` above ~709; no fix: Python sums have no logsumexp"
    fix_title = "Replace with the framework's `logsumexp` over the same axis"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.SAFE
    triggers = (("log",), ("exp",))

    flagged = (
        Flagged("import numpy as np\nlse = np.log(np.sum(np.exp(x), axis=-1))\n",
                "import numpy as np\nlse = np.logaddexp.reduce(x, axis=-1)\n"),
        Flagged("import numpy as np\nimport scipy.special\nz = np.log(np.exp(x).sum(axis=1, keepdims=True))\n",
                "import numpy as np\nimport scipy.special\nz = scipy.special.logsumexp(x, axis=1, keepdims=True)\n"),
        Flagged("import torch\ndef f(x):\n    return x.exp().sum(-1).log()\n",
                "import torch\ndef f(x):\n    return torch.logsumexp(x, dim=-1)\n"),
        Flagged("import torch\nlog_z = torch.log(torch.sum(torch.exp(scores)))\n",
                "import torch\nlog_z = torch.logsumexp(scores.flatten(), dim=0)\n"),
        Flagged("import numpy as np\ndef f(a, b):\n    return np.log(np.exp(a) + np.exp(b))\n",
                "import numpy as np\ndef f(a, b):\n    return np.logaddexp(a, b)\n"),
        Flagged("import tensorflow as tf\nz = tf.math.log(tf.reduce_sum(tf.exp(u), axis=-1))\n",
                "import tensorflow as tf\nz = tf.math.reduce_logsumexp(u, axis=-1)\n"),
        Flagged("import jax.numpy as jnp\ndef f(x):\n    e = jnp.exp(x)\n    return jnp.log(e.sum(axis=0))\n",
                "import jax.numpy as jnp\nimport jax.nn\ndef f(x):\n    e = jnp.exp(x)\n"
                "    return jax.nn.logsumexp(x, axis=0)\n"),
        Flagged("import math\ndef f(scores):\n    return math.log(sum(math.exp(s) for s in scores))\n"),
        Flagged("import numpy as np\nz = np.log(np.sum(np.exp(x), axis=-1, dtype=np.float64))\n"),
    )
    clean = (
        Clean("import numpy as np\nm = x.max()\nlse = m + np.log(np.sum(np.exp(x - m)))\n"),
        Clean("import torch\nlse = x.max() + torch.log(torch.exp(x - x.max()).sum())\n"),
        Clean("import scipy.special\nlse = scipy.special.logsumexp(x, axis=-1)\n"),
        Clean("import numpy as np\nz = np.log(np.sum(probs, axis=-1))\n"),
        Clean("import numpy as np\ny = np.log(1 + np.exp(x))\n"),
        Clean("import torch\nz = torch.logsumexp(x, dim=-1)\n"),
        Clean("import numpy as np\ny = np.log(np.exp(a) * np.exp(b))\n"),
    )

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        log = _natural_log(ctx, node)
        if log is None:
            return
        value = ctx.resolve(log.operand)  # type: ignore[arg-type]
        if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add):
            first, second = ctx.op(value.left), ctx.op(value.right)
            if (first is not None and second is not None
                    and all(t.kind == "exp" and t.operand is not None
                            and not facts.is_shifted(ctx, t.operand) for t in (first, second))):
                self.report(node, fix=self._fix_pair(node, log, first, second))
            return
        total = ctx.op(value, follow=False)
        if total is None or total.kind not in ("sum", "fsum") or total.operand is None:
            return
        element = total.operand
        if isinstance(element, (cst.GeneratorExp, cst.ListComp)):
            element = element.elt  # `sum(exp(v) for v in xs)`
        exp = ctx.op(element)
        if exp is None or exp.kind != "exp" or exp.operand is None \
                or facts.is_shifted(ctx, exp.operand):
            return
        template = (self.scalar_message if total.framework in ("builtin", "math")
                    else self.message if ctx.axis(total)[0] else self.unknown_axis_message)
        fix = self._fix_sum(node, log, total, exp)
        self.report(node, template.format(expr=ctx.short(node)), fix)

    def _fix_sum(self, node: cst.Call, log: Op, total: Op, exp: Op) -> FixSpec | None:
        ctx = self.ctx
        known, axis = ctx.axis(total)
        literal = total.keepdims is None or ctx.code(total.keepdims) in ("True", "False")
        if not known or not literal or not total.plain or not exp.plain:
            return None  # `keepdim=flag` or `dtype=` would not survive the rewrite
        if not _copyable(ctx, node, exp.operand, total.axis):
            return None
        operand = _arg(ctx, exp.operand, node)  # type: ignore[arg-type]
        spelled = ctx.spelling.call("logsumexp", ctx.dialect(total, exp, log), operand,
                                    axis=axis, keepdims=total.keeps_dims)
        if spelled is None:
            return None
        code, imports = spelled
        return _replacement(ctx, node, code, self.applicability, imports)

    def _fix_pair(self, node: cst.Call, log: Op, first: Op, second: Op) -> FixSpec | None:
        ctx = self.ctx
        a, b = first.operand, second.operand
        if a is None or b is None or not (first.plain and second.plain):
            return None
        if not _copyable(ctx, node, a, b):
            return None
        spelled = ctx.spelling.call("logaddexp", ctx.dialect(first, second, log),
                                    _arg(ctx, a, node), extra=(_arg(ctx, b, node),))
        if spelled is None:
            return None
        code, imports = spelled
        return _replacement(ctx, node, code, self.applicability, imports)


class LogOfSigmoid(Rule):
    """
    ## What it does
    Finds the log of a sigmoid and of its complement: `log(sigmoid(x))`,
    `x.sigmoid().log()`, `np.log(expit(x))`, a hand-written
    `log(1 / (1 + exp(-x)))`, `log(1 - sigmoid(x))`, `log1p(-sigmoid(x))`,
    also through names bound earlier and with an epsilon
    (`log(sigmoid(x) + 1e-7)`).

    ## Why is this bad?
    `log sigmoid(x) = -softplus(-x) = -log(1 + exp(-x))`, and
    `log(1 - sigmoid(x)) = log sigmoid(-x)`: both are finite for every `x`.
    The sigmoid saturates first: in float64 `sigmoid(-800.0)` underflows to 0
    and `1 - sigmoid(40.0)` rounds to 0, so `np.log(expit(-800.0))` and
    `np.log(1 - expit(40.0))` are `-inf` where the answers are `-800.0` and
    `-40.0` (float32 saturates near |x| = 17). In a binary log-likelihood one
    confident mistake turns the whole loss into `inf`.

    ## Example
    ```python
    log_p, log_q = torch.log(torch.sigmoid(x)), torch.log(1 - torch.sigmoid(x))
    ```

    ## Use instead
    ```python
    log_p, log_q = F.logsigmoid(x), F.logsigmoid(-x)
    ```

    ## Fix safety
    Safe: `F.logsigmoid` (torch), `scipy.special.log_expit` (numpy with
    scipy), `jax.nn.log_sigmoid`, `tf.math.log_sigmoid`,
    `keras.ops.log_sigmoid`, of `x` or of `-x` for the complement: the same
    value to rounding wherever the original is finite. numpy files without
    scipy get `-np.logaddexp(0, -x)`, the same function in numpy. With an
    epsilon the fix is unsafe: it removes the floor at `log(eps)`.

    ## Known limitations
    Scalar code (`math`) has no log-sigmoid and is reported without a fix.
    Other spellings of the sigmoid (`exp(x) / (1 + exp(x))`, `tanh`) and
    `log2` / `log10` of it are not recognised. A sigmoid reached through a
    name whose argument contains a call (`sigmoid(model(x))`) is reported
    without a fix, since the fix would repeat the call.
    """

    code = "SL205"
    name = "log-of-sigmoid"
    message = "`{expr}` is `-inf` where the sigmoid saturates; log-sigmoid is exact"
    fix_title = "Replace with the framework's log-sigmoid"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.SAFE
    triggers = (("log", "log1p"), ("sigmoid", "expit", "exp"))
    guarded_message = "`{expr}` floors the log-sigmoid at `log(eps)`; log-sigmoid is exact"

    flagged = (
        Flagged("import torch\ny = torch.log(torch.sigmoid(x))\n",
                "import torch\ny = torch.nn.functional.logsigmoid(x)\n"),
        Flagged("import torch.nn.functional as F\ndef f(z):\n    return F.sigmoid(z).log()\n",
                "import torch.nn.functional as F\ndef f(z):\n    return F.logsigmoid(z)\n"),
        Flagged("import numpy as np\nfrom scipy.special import expit\nlq = np.log(1 - expit(x))\n",
                "import numpy as np\nfrom scipy.special import expit\nimport scipy.special\n"
                "lq = scipy.special.log_expit(-x)\n"),
        Flagged("import numpy as np\ndef f(z):\n    p = 1 / (1 + np.exp(-z))\n    return np.log(p)\n",
                "import numpy as np\ndef f(z):\n    p = 1 / (1 + np.exp(-z))\n    return -np.logaddexp(0, -z)\n"),
        Flagged("import jax\nimport jax.numpy as jnp\ny = jnp.log(1 - jax.nn.sigmoid(a + b))\n",
                "import jax\nimport jax.numpy as jnp\ny = jax.nn.log_sigmoid(-(a + b))\n"),
        Flagged("import tensorflow as tf\ny = tf.math.log(tf.sigmoid(x) + 1e-7)\n",
                "import tensorflow as tf\ny = tf.math.log_sigmoid(x)\n"),
        Flagged("import torch\ny = torch.log1p(-torch.sigmoid(-x))\n",
                "import torch\ny = torch.nn.functional.logsigmoid(x)\n"),
        Flagged("import math\ndef f(x):\n    return math.log(1 / (1 + math.exp(-x)))\n"),
    )
    clean = (
        Clean("import torch.nn.functional as F\ny = F.logsigmoid(x)\n"),
        Clean("import scipy.special\ny = scipy.special.log_expit(-x)\n"),
        Clean("import jax\ny = jax.nn.log_sigmoid(x)\n"),
        Clean("import torch\ny = torch.sigmoid(x).log1p()\n"),
        Clean("import numpy as np\ny = np.log(1 / (1 + n))\n"),
        Clean("import numpy as np\ndef sigmoid(v):\n    return v\ny = np.log(sigmoid(x))\n"),
        Clean("import torch\ny = torch.log(torch.softmax(x, dim=-1))\n"),
    )

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        log = ctx.op(node, follow=False)
        if log is not None and log.kind == "log1p" and log.operand is not None and log.plain:
            value = ctx.resolve(log.operand)  # `log1p(-sigmoid(x))` is `log(1 - sigmoid(x))`
            if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus):
                sigmoid = facts.sigmoid_of(ctx, value.expression)
                if sigmoid is not None:
                    self._found(node, log, sigmoid, complement=True, guarded=False)
            return
        log = _natural_log(ctx, node)
        if log is None:
            return
        inner = facts.without_epsilon(ctx, log.operand)  # type: ignore[arg-type]
        guarded = inner is not log.operand
        sigmoid = facts.sigmoid_of(ctx, inner)
        if sigmoid is not None:
            self._found(node, log, sigmoid, complement=False, guarded=guarded)
            return
        rest = _one_minus(ctx.resolve(inner))
        sigmoid = facts.sigmoid_of(ctx, rest) if rest is not None else None
        if sigmoid is not None:
            self._found(node, log, sigmoid, complement=True, guarded=guarded)

    def _found(self, node: cst.Call, log: Op, sigmoid: facts.Sigmoid, complement: bool,
               guarded: bool) -> None:
        ctx = self.ctx
        template = self.guarded_message if guarded else self.message
        fix = None
        if _copyable(ctx, node, sigmoid.argument):
            argument = _arg(ctx, sigmoid.argument, node)
            if sigmoid.negated != complement:
                argument = negate(argument)
            spelled = ctx.spelling.call("log_sigmoid", ctx.dialect(sigmoid.op, log), argument)
            if spelled is not None:
                code, imports = spelled
                applicability = Applicability.UNSAFE if guarded else Applicability.SAFE
                fix = _replacement(ctx, node, code, applicability, imports)
        self.report(node, template.format(expr=ctx.short(node)), fix)


class SoftplusByHand(Rule):
    """
    ## What it does
    Finds softplus written out: `log(1 + exp(x))`, `log(exp(x) + 1)`,
    `log1p(exp(x))`, `(1 + x.exp()).log()`, also with the `exp` bound to a
    name earlier.

    ## Why is this bad?
    `softplus(x) = log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|))`, which is
    finite and accurate for every `x`. Written out, `exp(x)` overflows above
    ~709.78 (float32: ~88.7): `np.log(1 + np.exp(800.0))` is `inf` where the
    answer is `800.0`. For negative `x` the `1 + ...` rounds the tail away:
    `np.log(1 + np.exp(-40.0))` is `0.0` where the answer is `4.25e-18`
    (`log1p(exp(x))` keeps that half right, but still overflows).

    ## Example
    ```python
    loss = np.log(1 + np.exp(-y * margin))
    ```

    ## Use instead
    ```python
    loss = np.logaddexp(0, -y * margin)
    ```

    ## Fix safety
    Safe: `np.logaddexp(0, x)` (numpy), `F.softplus(x)` (torch),
    `jax.nn.softplus`, `tf.math.softplus`, `keras.ops.softplus`: the same
    value wherever the original is finite. torch's `softplus` returns `x`
    itself above its `threshold=20`, a relative difference below 1e-9 in
    float64 and below rounding in float32.

    ## Known limitations
    Scalar code (`math`) has no softplus and is reported without a fix. The
    stable form `log1p(exp(-abs(x)))`, whose exponent cannot be positive, is
    left alone; so is `exp` of any visibly non-positive argument. An `exp`
    reached through a name whose argument contains a call is reported
    without a fix, since the fix would repeat the call; `log(2 + exp(x))`
    and `log(c + exp(x))` for other constants are not recognised.
    """

    code = "SL206"
    name = "softplus-by-hand"
    message = "`{expr}` overflows to `inf` for inputs above ~709; use softplus"
    fix_title = "Replace with the framework's softplus"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.SAFE
    triggers = (("log", "log1p"), ("exp",))

    flagged = (
        Flagged("import numpy as np\ny = np.log(1 + np.exp(x))\n",
                "import numpy as np\ny = np.logaddexp(0, x)\n"),
        Flagged("import torch\ny = torch.log1p(torch.exp(z))\n",
                "import torch\ny = torch.nn.functional.softplus(z)\n"),
        Flagged("import torch.nn.functional as F\ndef f(x):\n    return (1 + x.exp()).log()\n",
                "import torch.nn.functional as F\ndef f(x):\n    return F.softplus(x)\n"),
        Flagged("import jax.numpy as jnp\nloss = jnp.log(jnp.exp(-margin) + 1.0)\n",
                "import jax.numpy as jnp\nimport jax.nn\nloss = jax.nn.softplus(-margin)\n"),
        Flagged("import tensorflow as tf\ny = tf.math.log(1.0 + tf.exp(logits))\n",
                "import tensorflow as tf\ny = tf.math.softplus(logits)\n"),
        Flagged("import numpy as np\ndef f(s, t):\n    e = np.exp(s - t)\n    return np.log(1 + e)\n",
                "import numpy as np\ndef f(s, t):\n    e = np.exp(s - t)\n    return np.logaddexp(0, s - t)\n"),
        Flagged("import math\ndef f(x):\n    return math.log(1 + math.exp(x))\n"),
    )
    clean = (
        Clean("import numpy as np\ny = np.logaddexp(0, x)\n"),
        Clean("import numpy as np\ny = np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))\n"),
        Clean("import torch.nn.functional as F\ny = F.softplus(x)\n"),
        Clean("import numpy as np\ny = np.log(1 + x)\n"),
        Clean("import numpy as np\ny = np.log(2 + np.exp(x))\n"),
        Clean("import numpy as np\nk = np.log1p(np.exp(-d ** 2))\n"),
        Clean("import numpy as np\ny = np.log(np.exp(a) + np.exp(b))\n"),
    )

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        op = ctx.op(node, follow=False)
        if op is None or op.operand is None or not op.plain:
            return
        if op.kind == "log1p":
            exp = _overflowing_exp(ctx, op.operand)
        elif (log := _natural_log(ctx, node)) is not None:
            term = _one_plus(ctx.resolve(log.operand))  # type: ignore[arg-type]
            exp = _overflowing_exp(ctx, term) if term is not None else None
        else:
            return
        if exp is None:
            return
        fix = None
        if exp.plain and _copyable(ctx, node, exp.operand):
            operand = _arg(ctx, exp.operand, node)  # type: ignore[arg-type]
            spelled = ctx.spelling.call("softplus", ctx.dialect(exp, op), operand)
            if spelled is not None:
                code, imports = spelled
                fix = _replacement(ctx, node, code, self.applicability, imports)
        self.report(node, fix=fix)


class LogOfOneMinus(Rule):
    """
    ## What it does
    Finds the log of the complement of a probability written so that small
    values are lost: `log(1 - p)` and `log(1 + p)` where `p` is a
    probability (a softmax, sigmoid or `exp` output, or named p / prob /
    hazard / rate), `log(1 - exp(a))`, and `1 - exp(a)` / `exp(a) - 1` where
    `a` is a log-probability or a rate (`logp`, `-hazard * t`).

    ## Why is this bad?
    `1 - p` keeps only the digits of `p` that survive next to 1 (float64
    spacing near 1 is 1.1e-16), so `np.log(1 - 1e-20)` is `0.0` where the
    answer is `-1e-20`; `log1p(-p)` computes it exactly. For `p = exp(a)`
    with `a` near 0 it is worse: `np.log(1 - np.exp(-1e-20))` is `-inf`
    where `log(-expm1(a))` gives `-46.05...`. The same cancellation makes
    `1 - np.exp(-1e-10)` come out as `1.00000008e-10` (8e-8 relative error)
    where `-np.expm1(-1e-10)` is exact.

    ## Example
    ```python
    log_survival = np.log(1 - np.exp(log_hazard))
    ```

    ## Use instead
    ```python
    log_survival = np.log(-np.expm1(log_hazard))
    ```

    ## Fix safety
    Safe: `log1p(-p)`, `log1p(p)`, `log(-expm1(a))`, `-expm1(a)` and
    `expm1(a)` are the same mathematical values, computed without the
    cancellation, in the file's own dialect (`np.`, `torch.`, `jnp.`,
    `tf.math.`, `keras.ops.`, `math.`). `log(-expm1(a))` is the accurate
    branch of log1mexp for `a >= -log(2)`; below that it is as accurate as
    the original (`log1p(-exp(a))` is the better branch there, and
    `scorelint.reference.log1mexp` takes both). With an epsilon
    (`log(1 - p + eps)`) the fix is unsafe: it removes the floor.

    ## Known limitations
    `log(1 - p)` is reported only when `p` is visibly a probability; a
    `1 - exp(a)` only when `a` reads as a log-probability or rate (a decay
    schedule `1 - exp(-t / tau)` is left alone). `log(1 - sigmoid(x))` is
    SL205's and `log(1 + exp(x))` SL206's. A complement built in one name
    and logged in another (`q = 1 - p; log(q)`) is not followed.
    """

    code = "SL207"
    name = "log-of-one-minus"
    message = "`{expr}` loses every digit of `p` below ~1e-16; `log1p` keeps them"
    fix_title = "Replace with `log1p` / `expm1`"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.SAFE
    triggers = (("log", "exp"), ("-", "+"))
    log1mexp_message = "`{expr}` is `-inf` or inexact for `a` near 0; `log(-expm1(a))` is exact"
    expm1_message = "`{expr}` cancels to few digits for `a` near 0; `expm1` keeps them"
    guarded_message = "`{expr}` floors the log at `log(eps)`; `log1p` is exact without it"

    flagged = (
        Flagged("import numpy as np\ny = np.log(1 - p)\n", "import numpy as np\ny = np.log1p(-p)\n"),
        Flagged("import torch\ny = torch.log(1 - torch.softmax(x, dim=-1))\n",
                "import torch\ny = torch.log1p(-torch.softmax(x, dim=-1))\n"),
        Flagged("import numpy as np\nls = np.log(1 - np.exp(log_hazard))\n",
                "import numpy as np\nls = np.log(-np.expm1(log_hazard))\n"),
        Flagged("import math\ndef f(p_fail):\n    return math.log(1 + p_fail)\n",
                "import math\ndef f(p_fail):\n    return math.log1p(p_fail)\n"),
        Flagged("import numpy as np\nsurv = 1 - np.exp(-hazard * t)\n",
                "import numpy as np\nsurv = -np.expm1(-hazard * t)\n"),
        Flagged("import torch\nodds = torch.exp(logq) - 1\n",
                "import torch\nodds = torch.expm1(logq)\n"),
        Flagged("import jax.numpy as jnp\ny = jnp.log(1.0 - prob + 1e-8)\n",
                "import jax.numpy as jnp\ny = jnp.log1p(-prob)\n"),
        Flagged("import torch\ndef f(p):\n    return (1 - p).log()\n",
                "import torch\ndef f(p):\n    return torch.log1p(-p)\n"),
    )
    clean = (
        Clean("import numpy as np\ny = np.log1p(-p)\n"),
        Clean("import math\nc = math.log(1 + n_tokens)\n"),
        Clean("import numpy as np\nidf = np.log(1 + counts)\n"),
        Clean("import numpy as np\nfrom scipy.special import expit\ny = np.log(1 - expit(x))\n"),
        Clean("import math\nwarm = 1 - math.exp(-step / 1000)\n"),
        Clean("import numpy as np\ny = np.log(1 + np.exp(x))\n"),
        Clean("import numpy as np\ny = np.log(1 - x), np.log(-np.expm1(logp))\n"),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._claimed: set[cst.CSTNode] = set()  # `1 - exp(a)` already reported inside a log

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        log = _natural_log(ctx, node)
        if log is None:
            return
        inner = facts.without_epsilon(ctx, log.operand)  # type: ignore[arg-type]
        guarded = inner is not log.operand
        if not ctx.contains(node, inner):
            return  # `q = 1 - p; log(q)`: the complement lives elsewhere
        if (p := _one_minus(inner)) is not None:
            self._claimed.add(inner)
            if facts.sigmoid_of(ctx, p) is not None:
                return  # log(1 - sigmoid(x)) is SL205's
            exp = ctx.op(p)
            if exp is not None and exp.kind == "exp" and exp.operand is not None and exp.plain \
                    and _copyable(ctx, node, exp.operand):
                self._log1mexp(node, log, exp, guarded)
            elif facts.is_probability(ctx, p):
                log1p = ctx.spelling.call("log1p", ctx.dialect(log), negate(_arg(ctx, p, node)))
                self._report(node, self.message, log1p, guarded)
        elif (p := _one_plus(inner)) is not None:
            if _overflowing_exp(ctx, p) is None and facts.is_probability(ctx, p):
                self._claimed.add(inner)
                log1p = ctx.spelling.call("log1p", ctx.dialect(log), _arg(ctx, p, node))
                self._report(node, self.message, log1p, guarded)

    def _log1mexp(self, node: cst.Call, log: Op, exp: Op, guarded: bool) -> None:
        ctx, dialect = self.ctx, self.ctx.dialect(log)
        operand = _arg(ctx, exp.operand, node)  # type: ignore[arg-type]
        expm1 = ctx.spelling.call("expm1", dialect, operand)
        spelled = None
        if expm1 is not None and not log.is_method:  # keep the log as the code spelled it
            spelled = f"{ctx.code(log.call.func)}(-{expm1[0]})", expm1[1]
        elif expm1 is not None and (logged := ctx.spelling.call("log", dialect, f"-{expm1[0]}")):
            spelled = logged[0], (*expm1[1], *logged[1])
        self._report(node, self.log1mexp_message, spelled, guarded)

    def _report(self, node: cst.Call, template: str,
                spelled: tuple[str, tuple[InsertLine, ...]] | None, guarded: bool) -> None:
        fix = None
        if spelled is not None:
            applicability = Applicability.UNSAFE if guarded else Applicability.SAFE
            fix = _replacement(self.ctx, node, spelled[0], applicability, spelled[1])
        template = self.guarded_message if guarded else template
        self.report(node, template.format(expr=self.ctx.short(node)), fix)

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        """`1 - exp(a)` and `exp(a) - 1` where `a` is a log-probability or a rate."""
        if not isinstance(node.operator, cst.Subtract) or node in self._claimed:
            return
        ctx = self.ctx
        negative = facts.is_one(node.left)
        exp = ctx.op(node.right if negative else node.left)
        if exp is None or exp.kind != "exp" or exp.operand is None or not exp.plain:
            return
        if not (negative or facts.is_one(node.right)) or not facts.in_log_space(ctx, exp.operand):
            return
        fix = None
        if _copyable(ctx, node, exp.operand):
            spelled = ctx.spelling.call("expm1", ctx.dialect(exp), _arg(ctx, exp.operand, node))
            if spelled is not None:
                code = f"-{spelled[0]}" if negative else spelled[0]
                fix = _replacement(ctx, node, code, self.applicability, spelled[1])
        self.report(node, self.expm1_message.format(expr=ctx.short(node)), fix)
