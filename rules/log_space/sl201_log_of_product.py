"""SL201 log-of-product."""

from __future__ import annotations

import libcst as cst

from scorelint.base.findings import Applicability, FixAvailability
from scorelint.engine.rule import Clean, Flagged, Rule
from scorelint.model import facts, origins, patterns
from scorelint.model.dataflow import Definition
from scorelint.model.proposal import FixSpec, Replace
from scorelint.model.spelling import paren
from scorelint.model.vocabulary import Op

_LOGS = ("log", "log2", "log10")


class LogOfProduct(Rule):
    """
    ## What it does
    Finds the log of a product of probabilities: `log(prod(p))`,
    `p.prod(-1).log()`, `math.log(math.prod(ps))`,
    `log(reduce(operator.mul, ps))`, and a loop that multiplies probabilities
    into an accumulator that is logged afterwards; in any base (`log2`,
    `log10`, `math.log(x, 2)`).

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
    accumulate logs only when the accumulator is used nowhere else. The base
    is kept: `log2(prod(p))` becomes `sum(log2(p))`, and
    `math.log(math.prod(ps), b)` becomes `math.fsum(map(math.log, ps)) / math.log(b)`.
    A log with other arguments (`np.log(x, out=buf)`) is reported without a
    fix.

    ## Known limitations
    `reduce(mul, ps, start)` is read only with no start or a literal `1` /
    `1.0`; any other start scales the product and is left alone.
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
    anchors = _LOGS  # reported at the log, of a value made by a product
    follows = ("prod",)

    flagged = (
        Flagged(
            """
            import numpy as np
            score = np.log(np.prod(probs, axis=-1))
            """,
            """
            import numpy as np
            score = np.sum(np.log(probs), axis=-1)
            """,
        ),
        Flagged(
            """
            import torch
            def f(p):
                return p.prod(-1).log()
            """,
            """
            import torch
            def f(p):
                return p.log().sum(-1)
            """,
        ),
        Flagged(
            """
            import jax.numpy as jnp
            def f(p):
                q = jnp.prod(p)
                return jnp.log(q)
            """,
            """
            import jax.numpy as jnp
            def f(p):
                q = jnp.prod(p)
                return jnp.sum(jnp.log(p))
            """,
        ),
        Flagged(
            """
            import math
            def f(ps):
                return math.log(math.prod(ps))
            """,
            """
            import math
            def f(ps):
                return math.fsum(map(math.log, ps))
            """,
        ),
        Flagged(
            """
            import math
            import functools
            import operator
            def f(ps):
                return math.log(functools.reduce(operator.mul, ps, 1.0))
            """,
            """
            import math
            import functools
            import operator
            def f(ps):
                return math.fsum(map(math.log, ps))
            """,
        ),
        Flagged(
            """
            import math
            import operator
            from functools import reduce
            def f(ps):
                return math.log(reduce(operator.mul, ps))
            """,
            """
            import math
            import operator
            from functools import reduce
            def f(ps):
                return math.fsum(map(math.log, ps))
            """,
        ),
        Flagged(
            """
            import math
            def f(steps):
                p = 1.0
                for step in steps:
                    p *= step.prob
                return math.log(p)
            """,
            """
            import math
            def f(steps):
                p = 0.0
                for step in steps:
                    p += math.log(step.prob)
                return p
            """,
        ),
        Flagged(
            """
            import math
            def f(steps):
                p = 1.0
                for s in steps:
                    p *= s
                print(p)
                return math.log(p)
            """
        ),
        Flagged(
            """
            import numpy as np
            bits = np.log2(np.prod(probs, axis=-1))
            """,
            """
            import numpy as np
            bits = np.sum(np.log2(probs), axis=-1)
            """,
        ),
        Flagged(
            """
            import math
            def f(ps):
                return math.log(math.prod(ps), 2)
            """,
            """
            import math
            def f(ps):
                return math.fsum(map(math.log, ps)) / math.log(2)
            """,
        ),
        Flagged(
            """
            import numpy as np
            def f(p, buf):
                return np.log(np.prod(p, axis=-1), out=buf)
            """
        ),
    )
    clean = (
        Clean(
            """
            import math
            from functools import reduce
            from operator import mul
            def f(ps):
                return math.log(reduce(mul, ps, 2.0))
            """
        ),
        Clean(
            """
            import numpy as np
            n = np.log(np.prod(x.shape))
            """
        ),
        Clean(
            """
            import math
            bits = math.log(math.prod([2, 3, 4]), 2)
            """
        ),
        Clean(
            """
            import numpy as np
            score = np.sum(np.log(probs), axis=-1)
            """
        ),
        Clean(
            """
            import math
            c = math.log(n_items)
            """
        ),
        Clean(
            """
            import numpy as np
            v = np.log(np.prod(sizes))
            """
        ),
        Clean(
            """
            import math
            def f(xs):
                t = 0.0
                for x in xs:
                    t += x
                return math.log(t)
            """
        ),
        Clean(
            """
            import math
            from functools import reduce
            x = math.log(reduce(lambda a, b: a + b, ps))
            """
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        log = ctx.op(node, follow=False)
        if log is None or log.kind not in _LOGS or log.operand is None:
            return
        # `np.log(x, out=buf)` or `math.log(x, b)` with a base we cannot repeat: report only.
        base = patterns.log_base(ctx, node)
        inner = ctx.op(log.operand)
        if inner is not None and inner.kind == "prod" and inner.operand is not None:
            if not facts.is_size(ctx, inner.operand):
                self.report(node, fix=self._fix_reduction(node, log, base, inner, inner.operand))
        elif inner is not None and inner.kind == "reduce":
            factors = self._reduce_factors(inner)
            if factors is not None and not facts.is_size(ctx, factors):
                self.report(node, fix=self._fix_reduction(node, log, base, None, factors))
        elif isinstance(log.operand, cst.Name) and self._check_loop(node, log, base, log.operand):
            pass
        else:
            found = origins.origin(ctx, log.operand, ("prod",))
            if found is not None and found.crossed and found.op.operand is not None \
                    and not facts.is_size(ctx, found.op.operand) \
                    and not facts.is_size(ctx, log.operand):  # `size_reduction = prod(...)`
                self.report(node, trace=found.steps)

    def _reduce_factors(self, op: Op) -> cst.BaseExpression | None:
        """`ps` in `reduce(operator.mul, ps)` or `reduce(lambda a, b: a * b, ps)`, with no
        initial value or the literal `1` / `1.0` (any other start scales the product)."""
        func, factors, start = op.operand, op.positional(1), op.positional(2)
        if func is None or factors is None or (start is not None and not facts.is_one(start)):
            return None
        if len(op.call.args) > (3 if start is not None else 2):
            return None  # an `initial=` keyword we do not read
        if "operator.mul" in self.ctx.qualified_names(func):
            return factors
        if isinstance(func, cst.Lambda) and isinstance(func.body, cst.BinaryOperation) \
                and isinstance(func.body.operator, cst.Multiply):
            return factors
        return None

    def _fix_reduction(self, node: cst.Call, log: Op, base: patterns.Log | None, prod: Op | None,
                       factors: cst.BaseExpression) -> FixSpec | None:
        ctx = self.ctx
        if base is None:
            return None  # the log's own `out=` / `where=` would be lost
        if prod is not None and not prod.plain:
            return None  # `dtype=`, `out=` or a computed keepdims would be lost
        if not ctx.copyable(node, factors, prod.axis if prod is not None else None):
            return None  # a name in the factors was rebound since: the copy would differ
        logged = self._log_of(log, base, ctx.code(factors))
        if prod is None or log.framework == "math":
            if log.framework != "math":
                return None
            func = ctx.code(log.call.func)
            code = f"math.fsum(map({func}, {ctx.code(factors)}))"
            if "math" not in ctx.spelling.modules:
                return None
            # `math.log(x, b)`: the natural logs summed, then divided by `log(b)`.
            code, imports = patterns.in_base(ctx, code, base.base if log.kind == "log" else None,
                                             func)
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

    def _log_of(self, log: Op, base: patterns.Log | None, operand: str) -> str:
        """The log of `operand` spelled as the original call spelled its log."""
        if log.is_method:
            return f"{paren(operand)}.{log.kind}()"
        written = base.base if base is not None and log.kind == "log" else None  # `math.log(p, 2)`
        return f"{self.ctx.code(log.call.func)}({operand}{', ' + written if written else ''})"

    def _check_loop(self, node: cst.Call, log: Op, base: patterns.Log | None,
                    acc: cst.Name) -> bool:
        """`p = 1.0; for ...: p *= q; log(p)`: a product built up in a loop."""
        bindings = self.ctx.bindings(acc)
        if not bindings or len(bindings) < 2:
            return False
        inits = [b for b in bindings if isinstance(b.statement, (cst.Assign, cst.AnnAssign))]
        steps = [b for b in bindings if isinstance(b.statement, cst.AugAssign)]
        if len(inits) != 1 or len(inits) + len(steps) != len(bindings):
            return False
        init = inits[0]
        if not (isinstance(init.value, (cst.Integer, cst.Float)) and float(init.value.value) == 1.0):
            return False
        if init.loop is not None or not all(
            isinstance(s.statement.operator, cst.MultiplyAssign) and s.loop is not None  # type: ignore[union-attr]
            for s in steps
        ):
            return False
        trace = ((init.statement, f"`{acc.value}` starts at 1 here"),
                 *((s.statement, "multiplied here") for s in steps))
        self.report(node, fix=self._fix_loop(node, log, base, acc, init, steps), trace=trace)
        return True

    def _fix_loop(self, node: cst.Call, log: Op, base: patterns.Log | None, acc: cst.Name,
                  init: Definition, steps: list[Definition]) -> FixSpec | None:
        ctx = self.ctx
        if base is None:
            return None  # the log's own `out=` would be lost
        if len(ctx.accesses(acc)) != 1 or init.value is None:
            return None  # the product is used elsewhere: rewriting would change that use
        edits: list[Replace] = [Replace(init.value, "0.0"), Replace(node, acc.value)]
        for step in steps:
            stmt = step.statement
            assert isinstance(stmt, cst.AugAssign)
            edits.append(Replace(stmt, f"{acc.value} += {self._log_of(log, base, ctx.code(stmt.value))}"))
        title = f"Accumulate `{acc.value} += log(...)` instead of the product"
        return FixSpec(title, self.applicability, tuple(edits))
