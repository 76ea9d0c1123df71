"""SL301 softmax-into-cross-entropy."""

from __future__ import annotations

import libcst as cst

from scorelint.base.findings import Applicability, FixAvailability
from scorelint.engine.rule import Clean, Flagged, Rule
from scorelint.model import patterns
from scorelint.model import vocabulary as vocab
from scorelint.model.proposal import FixSpec
from scorelint.model.vocabulary import CROSS_ENTROPY


class SoftmaxIntoCrossEntropy(Rule):
    """
    ## What it does
    Finds a softmax output passed to a cross-entropy that applies its own
    softmax: `F.cross_entropy(F.softmax(x, -1), y)`, `nn.CrossEntropyLoss()`
    (inline, or bound once as `criterion` or `self.criterion`) fed a softmax,
    `tf.nn.softmax_cross_entropy_with_logits(logits=tf.nn.softmax(z))`, Keras
    cross-entropies with `from_logits=True`, and optax's
    `softmax_cross_entropy(jax.nn.softmax(z), labels)`.

    ## Why is this bad?
    These losses compute `-log softmax(u)_y = -u_y + log sum_j exp(u_j)` from
    logits `u`. Fed probabilities `p = softmax(u)` they compute
    `-p_y + log sum_j exp(p_j)`: a softmax of values squeezed into [0, 1],
    which is nearly uniform. The loss cannot exceed `log(C - 1 + e)` for `C`
    classes, and its gradient is damped by the first softmax's Jacobian, so
    training stalls while looking stable. For `u = [10., 0., -10.]` and the
    target class 2, the loss is `1.551` instead of `20.000`; with the right
    class 0 it is `0.551` instead of `0.0000454`.

    ## Example
    ```python
    loss = F.cross_entropy(F.softmax(logits, dim=-1), targets)
    ```

    ## Use instead
    ```python
    loss = F.cross_entropy(logits, targets)
    ```

    ## Fix safety
    Unsafe: dropping the softmax changes the loss value and its gradients
    (to the right ones). Where the softmax was bound to a name and its input
    is not a plain name (a model call), no fix is offered.

    ## Known limitations
    A softmax applied inside another function (a model whose last layer is
    `nn.Softmax`) is not seen, nor a loss module received as an argument,
    built in a base class, or bound more than once. Keras losses without
    `from_logits=True` expect probabilities and are correct.
    `F.cross_entropy(F.log_softmax(x), y)` is harmless (log-softmax is
    idempotent) and a softmax passed as soft targets is correct; both are
    left alone.
    """

    code = "SL301"
    name = "softmax-into-cross-entropy"
    message = "`{expr}` applies softmax twice; the loss is squashed and its gradients vanish"
    fix_title = "Pass the logits, not their softmax"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE
    triggers = (vocab.loss_names(CROSS_ENTROPY), tuple(sorted(vocab.made_by("softmax"))))
    follows = ("softmax",)
    anchors = vocab.loss_names(CROSS_ENTROPY)  # reported at the loss, of a softmax
    across_modules = True

    flagged = (
        Flagged(
            """
            import torch.nn.functional as F
            loss = F.cross_entropy(F.softmax(logits, dim=-1), y)
            """,
            """
            import torch.nn.functional as F
            loss = F.cross_entropy(logits, y)
            """,
        ),
        Flagged(
            """
            import torch
            from torch import nn
            def f(out, y):
                probs = torch.softmax(out, 1)
                return nn.CrossEntropyLoss()(probs, y)
            """,
            """
            import torch
            from torch import nn
            def f(out, y):
                probs = torch.softmax(out, 1)
                return nn.CrossEntropyLoss()(out, y)
            """,
        ),
        Flagged(
            """
            from torch import nn
            class Model(nn.Module):
                def __init__(self):
                    self.criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
                def loss(self, h, y):
                    return self.criterion(h.softmax(-1), y)
            """,
            """
            from torch import nn
            class Model(nn.Module):
                def __init__(self):
                    self.criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
                def loss(self, h, y):
                    return self.criterion(h, y)
            """,
        ),
        Flagged(
            """
            import tensorflow as tf
            loss = tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=tf.nn.softmax(z))
            """,
            """
            import tensorflow as tf
            loss = tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=z)
            """,
        ),
        Flagged(
            """
            import tensorflow as tf
            loss = tf.keras.losses.CategoricalCrossentropy(from_logits=True)(y, tf.nn.softmax(z))
            """,
            """
            import tensorflow as tf
            loss = tf.keras.losses.CategoricalCrossentropy(from_logits=True)(y, z)
            """,
        ),
        Flagged(
            """
            import jax
            import optax
            loss = optax.softmax_cross_entropy(jax.nn.softmax(logits), labels)
            """,
            """
            import jax
            import optax
            loss = optax.softmax_cross_entropy(logits, labels)
            """,
        ),
        Flagged(
            """
            from tensorflow import keras
            import tensorflow as tf
            def f(y, z):
                p = tf.nn.softmax(z, axis=-1)
                return keras.losses.sparse_categorical_crossentropy(y, p, from_logits=True)
            """,
            """
            from tensorflow import keras
            import tensorflow as tf
            def f(y, z):
                p = tf.nn.softmax(z, axis=-1)
                return keras.losses.sparse_categorical_crossentropy(y, z, from_logits=True)
            """,
        ),
        Flagged(
            """
            import torch.nn.functional as F
            def f(model, x, y):
                probs = F.softmax(model(x), -1)
                return F.cross_entropy(probs, y)
            """
        ),
    )
    clean = (
        Clean(
            """
            import torch.nn.functional as F
            loss = F.cross_entropy(logits, y)
            """
        ),
        Clean(
            """
            import torch.nn.functional as F
            loss = F.cross_entropy(F.log_softmax(x, -1), y)
            """
        ),
        Clean(
            """
            import tensorflow as tf
            loss = tf.keras.losses.CategoricalCrossentropy()(y, tf.nn.softmax(z))
            """
        ),
        Clean(
            """
            import optax
            loss = optax.softmax_cross_entropy(logits, labels)
            """
        ),
        Clean(
            """
            import torch.nn.functional as F
            kd = F.cross_entropy(student, F.softmax(teacher / T, dim=-1))
            """
        ),
        Clean(
            """
            import torch
            import torch.nn.functional as F
            def f(x, y):
                probs = F.softmax(x, -1)
                acc = (probs.argmax(-1) == y).float().mean()
                return F.cross_entropy(x, y), acc
            """
        ),
        Clean(
            """
            import tensorflow as tf
            loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=z)
            """
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        loss = self.ctx.loss(node)
        if loss is None or loss.kind != CROSS_ENTROPY:
            return
        op = patterns.softmax_fed(self.ctx, loss)
        if op is None or op.operand is None:
            found = patterns.fed_origin(self.ctx, loss, "softmax")
            if found is not None:
                self.report(node, trace=found.steps)
            return
        edit = patterns.drop_activation(self.ctx, loss, op.call, op.operand)
        fix = None if edit is None else FixSpec(
            f"Pass `{self.ctx.short(op.operand, 40)}` instead of its softmax",  # type: ignore[arg-type]
            self.applicability, (edit,))
        self.report(node, fix=fix)
