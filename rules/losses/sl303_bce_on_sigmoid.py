"""SL303 bce-on-sigmoid."""

from __future__ import annotations

import libcst as cst

from scorelint.base.findings import Applicability, FixAvailability
from scorelint.engine.rule import Clean, Flagged, Rule
from scorelint.model import facts, patterns
from scorelint.model import vocabulary as vocab
from scorelint.model.context import FileContext
from scorelint.model.proposal import FixSpec, InsertLine, Replace
from scorelint.model.vocabulary import BCE, BCE_WITH_LOGITS, Loss


class BceOnSigmoid(Rule):
    """
    ## What it does
    Finds a sigmoid output passed to a binary cross-entropy:
    `F.binary_cross_entropy(torch.sigmoid(x), y)` and `nn.BCELoss` (inline,
    or bound once as `criterion` or `self.criterion`), which should take the
    logits through their `_with_logits` form; and, worse, a sigmoid fed to a
    loss that applies its own: `F.binary_cross_entropy_with_logits`,
    `nn.BCEWithLogitsLoss`, `tf.nn.sigmoid_cross_entropy_with_logits`,
    `optax.sigmoid_binary_cross_entropy`, Keras `from_logits=True`.

    ## Why is this bad?
    `BCE(p, y) = -y log p - (1 - y) log(1 - p)` with `p = sigmoid(x)` is
    `y softplus(-x) + (1 - y) softplus(x)`, which the `_with_logits` form
    computes exactly. Through `p`, `sigmoid(x)` rounds to 1.0 for `x > 36.7`
    (`x > 16.6` in float32) and to 0 below -709.8 (-88.7 in float32), and
    torch clamps the resulting `log(0)` to -100. For `x = 800, y = 0` the
    loss is `100.0` instead of `800.0`; in float32, `x = 20, y = 0` gives
    `100.0` instead of `20.0`, and the gradient there is 0, so the worst
    mistakes stop being corrected.
    Feeding a sigmoid to a loss that applies its own squashes the logits
    into (0, 1): the loss stays between 0.31 and 1.31, e.g. `0.693` instead
    of `20.0` for `x = -20, y = 1`.

    ## Example
    ```python
    loss = F.binary_cross_entropy(torch.sigmoid(logits), targets)
    ```

    ## Use instead
    ```python
    loss = F.binary_cross_entropy_with_logits(logits, targets)
    ```

    ## Fix safety
    Safe for `binary_cross_entropy` / `BCELoss`: the `_with_logits` form
    takes the same arguments (`weight`, `reduction`) and computes the same
    value, exactly where the original is accurate. A loss module bound to a
    name or member is renamed only when every use of it is a call fed a
    sigmoid; otherwise it is reported without a fix. Unsafe for a loss that
    applies its own sigmoid: dropping the extra sigmoid changes the loss
    (to the right one).

    ## Known limitations
    A sigmoid is followed into this module's functions and model classes and,
    through the project index, into the modules of the project it imports; one
    made by a model passed in as an argument, or by code outside the project,
    is not seen. Nor is a loss module received as an argument, built in a base
    class or bound more than once. Keras losses with `from_logits=False` (the
    default) fed a sigmoid are Keras's documented idiom and are left alone,
    though they clip at 1e-7 the same way.
    """

    code = "SL303"
    name = "bce-on-sigmoid"
    message = "`{expr}` takes a sigmoid output; the loss saturates at 100 and its gradient vanishes"
    fix_title = "Use the `_with_logits` loss on the logits"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.SAFE
    triggers = (vocab.loss_names(BCE, BCE_WITH_LOGITS), tuple(sorted(vocab.made_by("sigmoid"))))
    follows = ("sigmoid",)
    anchors = vocab.loss_names(BCE, BCE_WITH_LOGITS)  # reported at the loss, of a sigmoid
    across_modules = True

    flagged = (
        Flagged(
            """
            import torch
            import torch.nn.functional as F
            loss = F.binary_cross_entropy(torch.sigmoid(x), y)
            """,
            """
            import torch
            import torch.nn.functional as F
            loss = F.binary_cross_entropy_with_logits(x, y)
            """,
        ),
        Flagged(
            """
            import torch
            from torch import nn
            loss = nn.BCELoss(reduction='sum')(torch.sigmoid(logits), target)
            """,
            """
            import torch
            from torch import nn
            loss = nn.BCEWithLogitsLoss(reduction='sum')(logits, target)
            """,
        ),
        Flagged(
            """
            import torch.nn.functional as F
            loss = F.binary_cross_entropy(out.sigmoid(), y, weight=w)
            """,
            """
            import torch.nn.functional as F
            loss = F.binary_cross_entropy_with_logits(out, y, weight=w)
            """,
        ),
        Flagged(
            """
            import torch
            from torch import nn
            class M(nn.Module):
                def __init__(self):
                    self.criterion = nn.BCELoss()
                def forward(self, h, y):
                    return self.criterion(torch.sigmoid(h), y)
            """,
            """
            import torch
            from torch import nn
            class M(nn.Module):
                def __init__(self):
                    self.criterion = nn.BCEWithLogitsLoss()
                def forward(self, h, y):
                    return self.criterion(h, y)
            """,
        ),
        Flagged(
            """
            import torch
            import torch.nn.functional as F
            loss = F.binary_cross_entropy_with_logits(torch.sigmoid(x), y)
            """,
            """
            import torch
            import torch.nn.functional as F
            loss = F.binary_cross_entropy_with_logits(x, y)
            """,
        ),
        Flagged(
            """
            import jax
            import optax
            loss = optax.sigmoid_binary_cross_entropy(jax.nn.sigmoid(logits), labels)
            """,
            """
            import jax
            import optax
            loss = optax.sigmoid_binary_cross_entropy(logits, labels)
            """,
        ),
        Flagged(
            """
            import tensorflow as tf
            loss = tf.keras.losses.BinaryCrossentropy(from_logits=True)(y, tf.sigmoid(z))
            """,
            """
            import tensorflow as tf
            loss = tf.keras.losses.BinaryCrossentropy(from_logits=True)(y, z)
            """,
        ),
        Flagged(
            """
            import torch
            from torch import nn
            class M(nn.Module):
                def __init__(self):
                    self.crit = nn.BCELoss()
                def forward(self, a, p, y):
                    return self.crit(torch.sigmoid(a), y) + self.crit(p, y)
            """
        ),
    )
    clean = (
        Clean(
            """
            import torch.nn.functional as F
            loss = F.binary_cross_entropy_with_logits(x, y)
            """
        ),
        Clean(
            """
            import torch.nn.functional as F
            def f(model, x, y):
                return F.binary_cross_entropy(model(x), y)
            """
        ),
        Clean(
            """
            import tensorflow as tf
            loss = tf.keras.losses.BinaryCrossentropy()(y, tf.sigmoid(z))
            """
        ),
        Clean(
            """
            import optax
            loss = optax.sigmoid_binary_cross_entropy(logits, labels)
            """
        ),
        Clean(
            """
            from torch import nn
            loss = nn.BCEWithLogitsLoss(pos_weight=w)(logits, y)
            """
        ),
        Clean(
            """
            import torch
            import torch.nn.functional as F
            loss = F.binary_cross_entropy(p, torch.sigmoid(t))
            """
        ),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        # Calls of a BCE module bound to a name or member, by constructor: the
        # constructor is rewritten only if every use is a call fed a sigmoid.
        self._bound: dict[cst.Call, list[tuple[Loss, facts.Sigmoid | None]]] = {}

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        loss = ctx.loss(node)
        if loss is None or loss.kind not in (BCE, BCE_WITH_LOGITS):
            return
        sigmoid = patterns.sigmoid_fed(ctx, loss)
        if sigmoid is None:
            found = patterns.fed_origin(ctx, loss, "sigmoid")
            if found is not None and found.crossed:
                self.report(node, trace=found.steps)
                return
        if loss.kind == BCE and loss.module is not None and loss.module is not node.func:
            self._bound.setdefault(loss.module, []).append((loss, sigmoid))
        elif sigmoid is not None and loss.kind == BCE:
            # `F.binary_cross_entropy(...)` or `nn.BCELoss()(...)`: rename that callee.
            named = loss.module or node
            self.report(node, fix=self._with_logits(named, loss.twin, [(loss, sigmoid)]))
        elif sigmoid is not None:
            edit = patterns.drop_activation(ctx, loss, sigmoid.op.call, sigmoid.argument, sigmoid.negated)
            message = f"`{ctx.short(node)}` applies sigmoid twice; the loss is squashed into (0.31, 1.31)"
            fix = None if edit is None else FixSpec(
                f"Pass `{patterns.one_line(edit.content)}` instead of its sigmoid", Applicability.UNSAFE,
                (edit,))
            self.report(node, message, fix)

    def leave_Module(self, original_node: cst.Module) -> None:
        for constructor, calls in self._bound.items():
            fed = [(loss, sigmoid) for loss, sigmoid in calls if sigmoid is not None]
            if not fed:
                continue
            fix = None
            if len(fed) == len(calls) and self._only_called(calls):
                fix = self._with_logits(constructor, calls[0][0].twin, fed)  # type: ignore[arg-type]
            for loss, _ in fed:
                self.report(loss.call, fix=fix)

    def _only_called(self, calls: list[tuple[Loss, facts.Sigmoid | None]]) -> bool:
        """Is every read of the module's name or member one of these calls?"""
        ctx, funcs = self.ctx, {loss.call.func for loss, _ in calls}
        func = calls[0][0].call.func
        if isinstance(func, cst.Name):
            reads: set[cst.CSTNode] | None = ctx.accesses(func)
        elif isinstance(func, cst.Attribute):
            found = ctx.member_reads(func)
            reads = set(found) if found is not None else None
        else:
            reads = None
        return reads is not None and reads == funcs

    def _with_logits(self, named: cst.Call, twin: str | None,
                     fed: list[tuple[Loss, facts.Sigmoid]]) -> FixSpec | None:
        """Rename the callee of `named` (the loss function, or the module's class) to its
        `_with_logits` twin and pass each sigmoid's input instead of its output."""
        ctx = self.ctx
        edits: list[Replace | InsertLine] = []
        for loss, sigmoid in fed:
            edit = patterns.drop_activation(ctx, loss, sigmoid.op.call, sigmoid.argument, sigmoid.negated)
            if edit is None:
                return None
            edits.append(edit)
        assert twin is not None
        func = named.func
        if isinstance(func, cst.Attribute):
            name = twin.rsplit(".", 1)[1]
            edits.append(Replace(func.attr, name))
        else:
            name, imports = ctx.spelling.callee(twin)
            edits.extend((Replace(func, name), *imports))
        return FixSpec(f"Use `{name}` on the logits", self.applicability, tuple(edits))
