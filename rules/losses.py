"""SL3: losses fed the wrong thing (probabilities where they expect logits or log-probabilities)."""

from __future__ import annotations

import libcst as cst

from scorelint import facts
from scorelint import vocabulary as vocab
from scorelint.context import FileContext, FixSpec, InsertLine, Replace
from scorelint.findings import Applicability, FixAvailability
from scorelint.rule import Clean, Flagged, Rule
from scorelint.spelling import negate
from scorelint.vocabulary import BCE, BCE_WITH_LOGITS, CROSS_ENTROPY, NLL, Loss, Op

_SOFTMAX_CALLS = ("softmax", *vocab.module_names("softmax"))
# `exp` for a sigmoid written out, `1 / (1 + exp(-x))`.
_SIGMOID_CALLS = ("sigmoid", "expit", "exp", *vocab.module_names("sigmoid"))


def softmax_fed(ctx: FileContext, loss: Loss) -> Op | None:
    """The softmax whose output is the loss's prediction, seen through names bound once
    and epsilon guards (`p + 1e-9`, `p.clamp(min=eps)`)."""
    if loss.prediction is None:
        return None
    op = ctx.op(facts.without_epsilon(ctx, loss.prediction))
    return op if op is not None and op.kind == "softmax" and op.operand is not None else None


def sigmoid_fed(ctx: FileContext, loss: Loss) -> facts.Sigmoid | None:
    """The sigmoid (a framework call or `1 / (1 + exp(-x))`) whose output is the prediction."""
    if loss.prediction is None:
        return None
    return facts.sigmoid_of(ctx, facts.without_epsilon(ctx, loss.prediction))


def drop_activation(ctx: FileContext, loss: Loss, call: cst.Call, argument: cst.BaseExpression,
                    negated: bool = False) -> Replace | None:
    """Pass the activation's input where its output `call` was passed, if that input can
    be written at the loss (it is inline there, or a plain name or attribute)."""
    assert loss.prediction is not None
    if not ctx.contains(loss.prediction, call) and not ctx.portable(argument):
        return None
    code = ctx.render(argument, loss.prediction)
    return Replace(loss.prediction, negate(code) if negated else code)


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
    triggers = (vocab.loss_names(CROSS_ENTROPY), _SOFTMAX_CALLS)

    flagged = (
        Flagged("import torch.nn.functional as F\nloss = F.cross_entropy(F.softmax(logits, dim=-1), y)\n",
                "import torch.nn.functional as F\nloss = F.cross_entropy(logits, y)\n"),
        Flagged("import torch\nfrom torch import nn\ndef f(out, y):\n    probs = torch.softmax(out, 1)\n"
                "    return nn.CrossEntropyLoss()(probs, y)\n",
                "import torch\nfrom torch import nn\ndef f(out, y):\n    probs = torch.softmax(out, 1)\n"
                "    return nn.CrossEntropyLoss()(out, y)\n"),
        Flagged("from torch import nn\nclass Model(nn.Module):\n    def __init__(self):\n"
                "        self.criterion = nn.CrossEntropyLoss(label_smoothing=0.1)\n"
                "    def loss(self, h, y):\n        return self.criterion(h.softmax(-1), y)\n",
                "from torch import nn\nclass Model(nn.Module):\n    def __init__(self):\n"
                "        self.criterion = nn.CrossEntropyLoss(label_smoothing=0.1)\n"
                "    def loss(self, h, y):\n        return self.criterion(h, y)\n"),
        Flagged("import tensorflow as tf\n"
                "loss = tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=tf.nn.softmax(z))\n",
                "import tensorflow as tf\n"
                "loss = tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=z)\n"),
        Flagged("import tensorflow as tf\n"
                "loss = tf.keras.losses.CategoricalCrossentropy(from_logits=True)(y, tf.nn.softmax(z))\n",
                "import tensorflow as tf\n"
                "loss = tf.keras.losses.CategoricalCrossentropy(from_logits=True)(y, z)\n"),
        Flagged("import jax\nimport optax\n"
                "loss = optax.softmax_cross_entropy(jax.nn.softmax(logits), labels)\n",
                "import jax\nimport optax\nloss = optax.softmax_cross_entropy(logits, labels)\n"),
        Flagged("from tensorflow import keras\nimport tensorflow as tf\ndef f(y, z):\n"
                "    p = tf.nn.softmax(z, axis=-1)\n"
                "    return keras.losses.sparse_categorical_crossentropy(y, p, from_logits=True)\n",
                "from tensorflow import keras\nimport tensorflow as tf\ndef f(y, z):\n"
                "    p = tf.nn.softmax(z, axis=-1)\n"
                "    return keras.losses.sparse_categorical_crossentropy(y, z, from_logits=True)\n"),
        Flagged("import torch.nn.functional as F\ndef f(model, x, y):\n"
                "    probs = F.softmax(model(x), -1)\n    return F.cross_entropy(probs, y)\n"),
    )
    clean = (
        Clean("import torch.nn.functional as F\nloss = F.cross_entropy(logits, y)\n"),
        Clean("import torch.nn.functional as F\nloss = F.cross_entropy(F.log_softmax(x, -1), y)\n"),
        Clean("import tensorflow as tf\n"
              "loss = tf.keras.losses.CategoricalCrossentropy()(y, tf.nn.softmax(z))\n"),
        Clean("import optax\nloss = optax.softmax_cross_entropy(logits, labels)\n"),
        Clean("import torch.nn.functional as F\n"
              "kd = F.cross_entropy(student, F.softmax(teacher / T, dim=-1))\n"),
        Clean("import torch\nimport torch.nn.functional as F\ndef f(x, y):\n"
              "    probs = F.softmax(x, -1)\n    acc = (probs.argmax(-1) == y).float().mean()\n"
              "    return F.cross_entropy(x, y), acc\n"),
        Clean("import tensorflow as tf\n"
              "loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=z)\n"),
    )

    def visit_Call(self, node: cst.Call) -> None:
        loss = self.ctx.loss(node)
        if loss is None or loss.kind != CROSS_ENTROPY:
            return
        op = softmax_fed(self.ctx, loss)
        if op is None or op.operand is None:
            return
        edit = drop_activation(self.ctx, loss, op.call, op.operand)
        fix = None if edit is None else FixSpec(
            f"Pass `{self.ctx.short(op.operand, 40)}` instead of its softmax",  # type: ignore[arg-type]
            self.applicability, (edit,))
        self.report(node, fix=fix)


class NllOnProbabilities(Rule):
    """
    ## What it does
    Finds `F.nll_loss` or `nn.NLLLoss` (inline, or bound once as `criterion`
    or `self.criterion`) fed the output of a softmax instead of a
    log-softmax.

    ## Why is this bad?
    `nll_loss(a, y)` is `-a_y`: it assumes `a = log softmax(u)`, so that the
    loss is the negative log-likelihood `-log Pr(y)`. Fed probabilities it
    computes `-Pr(y)`, a loss bounded in [-1, 0] whose gradient does not grow
    as the model grows confidently wrong; the reported value is not a
    log-likelihood, so perplexities and comparisons built on it are
    meaningless. For `u = [10., 0., -10.]` and target class 2 the loss is
    `-2.06e-09` where the negative log-likelihood is `20.000`.

    ## Example
    ```python
    loss = F.nll_loss(F.softmax(logits, dim=1), targets)
    ```

    ## Use instead
    ```python
    loss = F.nll_loss(F.log_softmax(logits, dim=1), targets)
    ```

    ## Fix safety
    Unsafe: the loss and its gradients change (to the right ones). The fix
    keeps the softmax call's spelling and arguments and calls `log_softmax`
    instead; an epsilon guard (`+ 1e-9`, `.clamp(min=eps)`) around the
    softmax is dropped, since `log_softmax` needs none. An `nn.Softmax`
    module becomes `torch.log_softmax` over its `dim`, and is left without a
    fix when it has none.

    ## Known limitations
    A softmax applied in another function, a loss module received as an
    argument or bound more than once, and probabilities that come from a
    model's output directly are not seen. `nll_loss(torch.log(p), y)` is
    correct here (SL203 finds the `log(softmax)` in it).
    """

    code = "SL302"
    name = "nll-on-probabilities"
    message = "`{expr}` gets probabilities, not log-probabilities; it minimizes `-p`, not `-log p`"
    fix_title = "Use `log_softmax` in place of `softmax`"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.UNSAFE
    triggers = (vocab.loss_names(NLL), _SOFTMAX_CALLS)

    flagged = (
        Flagged("import torch.nn.functional as F\nloss = F.nll_loss(F.softmax(x, dim=1), y)\n",
                "import torch.nn.functional as F\nloss = F.nll_loss(F.log_softmax(x, dim=1), y)\n"),
        Flagged("import torch\nfrom torch import nn\ndef f(out, y):\n    probs = torch.softmax(out, -1)\n"
                "    return nn.NLLLoss()(probs, y)\n",
                "import torch\nfrom torch import nn\ndef f(out, y):\n    probs = torch.softmax(out, -1)\n"
                "    return nn.NLLLoss()(torch.log_softmax(out, -1), y)\n"),
        Flagged("from torch import nn\nclass M(nn.Module):\n    def __init__(self):\n"
                "        self.criterion = nn.NLLLoss(ignore_index=-100)\n"
                "    def loss(self, h, y):\n        return self.criterion(h.softmax(-1), y)\n",
                "from torch import nn\nclass M(nn.Module):\n    def __init__(self):\n"
                "        self.criterion = nn.NLLLoss(ignore_index=-100)\n"
                "    def loss(self, h, y):\n        return self.criterion(h.log_softmax(-1), y)\n"),
        Flagged("from torch.nn.functional import nll_loss, softmax\nloss = nll_loss(softmax(z, 1), t)\n",
                "from torch.nn.functional import nll_loss, softmax\nimport torch.nn.functional\n"
                "loss = nll_loss(torch.nn.functional.log_softmax(z, 1), t)\n"),
        Flagged("import torch.nn.functional as F\n"
                "loss = F.nll_loss(F.softmax(x, 1).clamp(min=1e-8), y)\n",
                "import torch.nn.functional as F\nloss = F.nll_loss(F.log_softmax(x, 1), y)\n"),
        Flagged("import torch\nimport torch.nn.functional as F\nfrom torch import nn\n"
                "class M(nn.Module):\n    def __init__(self):\n        self.sm = nn.Softmax(dim=1)\n"
                "    def loss(self, h, y):\n        return F.nll_loss(self.sm(h), y)\n",
                "import torch\nimport torch.nn.functional as F\nfrom torch import nn\n"
                "class M(nn.Module):\n    def __init__(self):\n        self.sm = nn.Softmax(dim=1)\n"
                "    def loss(self, h, y):\n        return F.nll_loss(torch.log_softmax(h, dim=1), y)\n"),
        Flagged("import torch.nn.functional as F\ndef f(model, x, y):\n"
                "    p = F.softmax(model(x), 1)\n    return F.nll_loss(p, y)\n"),
    )
    clean = (
        Clean("import torch.nn.functional as F\nloss = F.nll_loss(F.log_softmax(x, 1), y)\n"),
        Clean("import torch\nimport torch.nn.functional as F\ndef f(x, y):\n"
              "    p = F.softmax(x, 1)\n    return F.nll_loss(torch.log(p + 1e-9), y)\n"),
        Clean("import torch.nn.functional as F\nloss = F.poisson_nll_loss(F.softmax(x, 1), y)\n"),
        Clean("from torch import nn\nloss = nn.GaussianNLLLoss()(mu, y, var)\n"),
        Clean("from torch import nn\nclass M(nn.Module):\n    def __init__(self):\n"
              "        self.logp = nn.LogSoftmax(dim=1)\n"
              "    def loss(self, h, y):\n        return nn.NLLLoss()(self.logp(h), y)\n"),
        Clean("import torch\nimport torch.nn.functional as F\n"
              "logp = torch.log_softmax(out, -1)\nloss = F.nll_loss(logp, y)\n"),
    )

    def visit_Call(self, node: cst.Call) -> None:
        loss = self.ctx.loss(node)
        if loss is None or loss.kind != NLL:
            return
        op = softmax_fed(self.ctx, loss)
        if op is None:
            return
        message = None
        if op.module is not None and not self.ctx.axis(op)[0]:
            message = (f"`{self.ctx.short(node)}` gets probabilities, not log-probabilities;"
                       " no fix, as its `nn.Softmax` has no `dim`")
        self.report(node, message, self._fix(loss, op))

    def _fix(self, loss: Loss, op: Op) -> FixSpec | None:
        ctx = self.ctx
        assert loss.prediction is not None and op.operand is not None
        if not ctx.contains(loss.prediction, op.call) and not ctx.repeatable(op.call):
            return None  # the softmax's input is computed elsewhere (`model(x)`)
        imports: tuple[InsertLine, ...] = ()
        if op.module is not None:  # `self.sm(h)` with `self.sm = nn.Softmax(dim=1)`
            known, axis = ctx.axis(op)
            operand = ctx.render(op.operand, loss.prediction)
            spelled = ctx.spelling.call("log_softmax", "torch", operand, axis=axis) \
                if known and axis is not None else None
            if spelled is None:
                return None
            code, imports = spelled
        else:
            code, imports = self._log_softmax(op, loss.prediction)
        return FixSpec(f"Replace with `{_one_line(code)}`", self.applicability,
                       (Replace(loss.prediction, code), *imports))

    def _log_softmax(self, op: Op, at: cst.CSTNode) -> tuple[str, tuple[InsertLine, ...]]:
        """The softmax call, spelled the same way, calling `log_softmax`."""
        ctx, func = self.ctx, op.call.func
        if isinstance(func, cst.Attribute):
            call = op.call.with_changes(func=func.with_changes(attr=cst.Name("log_softmax")))
            return ctx.render(call, at), ()
        assert op.qualname is not None
        callee, imports = ctx.spelling.callee(op.qualname.rsplit(".", 1)[0] + ".log_softmax")
        return ctx.render(op.call.with_changes(func=cst.parse_expression(callee)), at), imports


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
    A sigmoid applied in another function (a model ending in `nn.Sigmoid`),
    a loss module received as an argument, built in a base class or bound
    more than once are not seen. Keras losses with `from_logits=False` (the
    default) fed a sigmoid are Keras's documented idiom and are left alone,
    though they clip at 1e-7 the same way.
    """

    code = "SL303"
    name = "bce-on-sigmoid"
    message = "`{expr}` takes a sigmoid output; the loss saturates at 100 and its gradient vanishes"
    fix_title = "Use the `_with_logits` loss on the logits"
    fix_availability = FixAvailability.SOMETIMES
    applicability = Applicability.SAFE
    triggers = (vocab.loss_names(BCE, BCE_WITH_LOGITS), _SIGMOID_CALLS)

    flagged = (
        Flagged("import torch\nimport torch.nn.functional as F\n"
                "loss = F.binary_cross_entropy(torch.sigmoid(x), y)\n",
                "import torch\nimport torch.nn.functional as F\n"
                "loss = F.binary_cross_entropy_with_logits(x, y)\n"),
        Flagged("import torch\nfrom torch import nn\n"
                "loss = nn.BCELoss(reduction='sum')(torch.sigmoid(logits), target)\n",
                "import torch\nfrom torch import nn\n"
                "loss = nn.BCEWithLogitsLoss(reduction='sum')(logits, target)\n"),
        Flagged("import torch.nn.functional as F\n"
                "loss = F.binary_cross_entropy(out.sigmoid(), y, weight=w)\n",
                "import torch.nn.functional as F\n"
                "loss = F.binary_cross_entropy_with_logits(out, y, weight=w)\n"),
        Flagged("import torch\nfrom torch import nn\nclass M(nn.Module):\n    def __init__(self):\n"
                "        self.criterion = nn.BCELoss()\n    def forward(self, h, y):\n"
                "        return self.criterion(torch.sigmoid(h), y)\n",
                "import torch\nfrom torch import nn\nclass M(nn.Module):\n    def __init__(self):\n"
                "        self.criterion = nn.BCEWithLogitsLoss()\n    def forward(self, h, y):\n"
                "        return self.criterion(h, y)\n"),
        Flagged("import torch\nimport torch.nn.functional as F\n"
                "loss = F.binary_cross_entropy_with_logits(torch.sigmoid(x), y)\n",
                "import torch\nimport torch.nn.functional as F\n"
                "loss = F.binary_cross_entropy_with_logits(x, y)\n"),
        Flagged("import jax\nimport optax\n"
                "loss = optax.sigmoid_binary_cross_entropy(jax.nn.sigmoid(logits), labels)\n",
                "import jax\nimport optax\nloss = optax.sigmoid_binary_cross_entropy(logits, labels)\n"),
        Flagged("import tensorflow as tf\n"
                "loss = tf.keras.losses.BinaryCrossentropy(from_logits=True)(y, tf.sigmoid(z))\n",
                "import tensorflow as tf\n"
                "loss = tf.keras.losses.BinaryCrossentropy(from_logits=True)(y, z)\n"),
        Flagged("import torch\nfrom torch import nn\nclass M(nn.Module):\n    def __init__(self):\n"
                "        self.crit = nn.BCELoss()\n    def forward(self, a, p, y):\n"
                "        return self.crit(torch.sigmoid(a), y) + self.crit(p, y)\n"),
    )
    clean = (
        Clean("import torch.nn.functional as F\nloss = F.binary_cross_entropy_with_logits(x, y)\n"),
        Clean("import torch.nn.functional as F\ndef f(model, x, y):\n"
              "    return F.binary_cross_entropy(model(x), y)\n"),
        Clean("import tensorflow as tf\nloss = tf.keras.losses.BinaryCrossentropy()(y, tf.sigmoid(z))\n"),
        Clean("import optax\nloss = optax.sigmoid_binary_cross_entropy(logits, labels)\n"),
        Clean("from torch import nn\nloss = nn.BCEWithLogitsLoss(pos_weight=w)(logits, y)\n"),
        Clean("import torch\nimport torch.nn.functional as F\n"
              "loss = F.binary_cross_entropy(p, torch.sigmoid(t))\n"),
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
        sigmoid = sigmoid_fed(ctx, loss)
        if loss.kind == BCE and loss.module is not None and loss.module is not node.func:
            self._bound.setdefault(loss.module, []).append((loss, sigmoid))
        elif sigmoid is not None and loss.kind == BCE:
            # `F.binary_cross_entropy(...)` or `nn.BCELoss()(...)`: rename that callee.
            named = loss.module or node
            self.report(node, fix=self._with_logits(named, loss.twin, [(loss, sigmoid)]))
        elif sigmoid is not None:
            edit = drop_activation(ctx, loss, sigmoid.op.call, sigmoid.argument, sigmoid.negated)
            message = f"`{ctx.short(node)}` applies sigmoid twice; the loss is squashed into (0.31, 1.31)"
            fix = None if edit is None else FixSpec(
                f"Pass `{_one_line(edit.content)}` instead of its sigmoid", Applicability.UNSAFE,
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
            edit = drop_activation(ctx, loss, sigmoid.op.call, sigmoid.argument, sigmoid.negated)
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


def _one_line(code: str) -> str:
    text = " ".join(code.split())
    return text if len(text) <= 60 else text[:57] + "..."
