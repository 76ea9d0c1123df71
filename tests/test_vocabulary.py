"""Direct tests of the operation vocabulary and the spelling layer, and a round trip
between them: whatever `scorelint.model.spelling` writes, `FileContext.op` reads back."""

from __future__ import annotations

import libcst as cst
import pytest
from libcst import matchers as m

from scorelint.model import vocabulary as vocab
from scorelint.model.context import FileContext
from scorelint.model.semantic import Semantic
from scorelint.model.spelling import NUMPY_ONLY, SPELLINGS, Spelling
from scorelint.model.summaries import MemberRecorder


def _context(code: str) -> FileContext:
    """A context built the way `engine._run_rules` builds one (the whole module kept)."""
    module = cst.parse_module(code)
    return FileContext(module, code, "example.py", Semantic(module), MemberRecorder())


def _last_call(code: str) -> tuple[FileContext, vocab.Op | None]:
    """The operation of the outermost call on the module's last line."""
    ctx = _context(code)
    last = ctx.module.body[-1]
    calls = m.findall(last, m.Call())
    outer = max(calls, key=lambda c: len(ctx.code(c)))
    return ctx, ctx.op(outer, follow=False)  # type: ignore[arg-type]


def _import_line(qualname: str) -> str:
    module = qualname.rsplit(".", 1)[0]
    while module in vocab.FUNCTIONS:  # `numpy.logaddexp.reduce`
        module = module.rsplit(".", 1)[0]
    return f"import {module}"


def _spelled(kind: str, dialect: str) -> str:
    """`kind` written by the spelling layer in `dialect`, with the import it needs."""
    # A numpy file that imports scipy gets the table's own spelling (see NUMPY_ONLY).
    spelling = Spelling(cst.parse_module("import scipy\n"), {"scipy"})
    spell = SPELLINGS[dialect, kind]
    axis = "-1" if spell.axis_kw is not None else None
    spelled = spelling.call(kind, dialect, "x", axis=axis,
                            extra=("y",) if kind == "logaddexp" else ())
    assert spelled is not None, (kind, dialect)
    code, _ = spelled  # written fully qualified: only `import scipy` is in the module
    return "\n".join([_import_line(spell.qualname), f"out = {code}", ""])


def _read_as(dialect: str, kind: str) -> str:
    """The kind a spelled call reads back as: numpy's softplus is `np.logaddexp(0, x)`
    and a Python sum is `math.fsum`, each read as the function it is."""
    return {("numpy", "softplus"): "logaddexp", ("math", "sum"): "fsum"}.get((dialect, kind), kind)


@pytest.mark.parametrize("kind", sorted(NUMPY_ONLY))
def test_numpy_only_spellings_read_back(kind: str) -> None:
    spelling = Spelling(cst.parse_module("import numpy\n"), {"numpy"})
    code, _ = spelling.call(kind, "numpy", "x", axis="-1" if kind == "logsumexp" else None)
    _, op = _last_call(f"import numpy\nout = {code}\n")
    assert op is not None
    if NUMPY_ONLY[kind].reflect:  # `-np.logaddexp(0, -x)` is log_sigmoid(x)
        assert op.kind == "logaddexp" and code.startswith("-")
    else:
        assert op.kind == kind


@pytest.mark.parametrize("key", sorted(SPELLINGS), ids=lambda k: f"{k[0]}-{k[1]}")
def test_every_spelling_reads_back_as_its_kind(key: tuple[str, str]) -> None:
    dialect, kind = key
    code = _spelled(kind, dialect)
    ctx, op = _last_call(code)
    if SPELLINGS[key].reflect:  # `-f(-x)`: the call itself is the reflected function
        return
    assert op is not None, code
    assert op.kind == _read_as(dialect, kind), code
    if SPELLINGS[key].axis_kw is not None:
        assert op.axis is not None and ctx.code(op.axis) == "-1", code


_DIALECT_OF = {"scipy": "numpy"}
ROUND_TRIP = sorted(
    (qualname, kind, _DIALECT_OF.get(framework, framework))
    for qualname, (kind, framework, _) in vocab.FUNCTIONS.items()
    if (_DIALECT_OF.get(framework, framework), kind) in SPELLINGS
)


@pytest.mark.parametrize("case", ROUND_TRIP, ids=lambda c: c[0])
def test_every_vocabulary_name_spells_and_reads_back(case: tuple[str, str, str]) -> None:
    qualname, kind, dialect = case
    ctx, op = _last_call(f"{_import_line(qualname)}\nout = {qualname}(x)\n")
    assert op is not None and op.kind == kind and op.qualname == qualname
    spelled = _spelled(kind, dialect)
    _, back = _last_call(spelled)
    if not SPELLINGS[dialect, kind].reflect:
        assert back is not None and back.kind == _read_as(dialect, kind), spelled


@pytest.mark.parametrize(("code", "kind", "framework"), [
    ("import numpy as xp\nxp.exp(x)", "exp", "numpy"),
    ("from torch.nn import functional as F\nF.softmax(x, dim=1)", "softmax", "torch"),
    ("from numpy import exp as e\ne(x)", "exp", "numpy"),
    ("import tensorflow.compat.v1 as tf\ntf.log(x)", "log", "tf"),
    ("import tensorflow.compat.v1 as tf\ntf.div(a, b)", "divide", "tf"),
    ("import tensorflow as tf\ntf.einsum('ij,jk->ik', a, b)", "matmul", "tf"),
    ("import tensorflow as tf\ntf.truediv(a, b)", "divide", "tf"),
    ("import tensorflow as tf\ntf.math.divide(a, b)", "divide", "tf"),
    ("import paddle\npaddle.logsumexp(x, axis=-1)", "logsumexp", "paddle"),
    ("import paddle.nn.functional as F\nF.log_softmax(x)", "log_softmax", "paddle"),
    ("import paddle.nn.functional as F\nF.log_sigmoid(x)", "log_sigmoid", "paddle"),
    ("try:\n    import torch\nexcept ImportError:\n    torch = None\ntorch.exp(x)", "exp", "torch"),
    ("if flag:\n    import jax.numpy as jnp\njnp.log(x)", "log", "jax"),
    ("def f(x):\n    import numpy as np\n    return np.prod(x)", "prod", "numpy"),
    ("x.exp().add(1)", "add", "array"),
])
def test_spellings_read_as_operations(code: str, kind: str, framework: str) -> None:
    _, op = _last_call(code + "\n")
    assert op is not None and (op.kind, op.framework) == (kind, framework)


def test_paddle_reductions_read_axis_and_keepdim() -> None:
    ctx, op = _last_call("import paddle\npaddle.sum(x, -1, True)\n")
    assert op is not None and op.kind == "sum" and op.keeps_dims
    assert op.axis is not None and ctx.code(op.axis) == "-1"
    _, op = _last_call("import paddle.nn.functional as F\nF.softmax(x)\n")
    assert op is not None and op.default_axis == vocab.LAST


def test_paddle_cross_entropy_takes_probabilities_with_use_softmax_false() -> None:
    qualname = "paddle.nn.functional.cross_entropy"
    spec = vocab.LOSS_FUNCTIONS[qualname]
    logits = cst.parse_expression("F.cross_entropy(x, y)")
    probabilities = cst.parse_expression("F.cross_entropy(p, y, use_softmax=False)")
    assert vocab.read_loss(logits, qualname, spec) is not None  # type: ignore[arg-type]
    assert vocab.read_loss(probabilities, qualname, spec) is None  # type: ignore[arg-type]


def test_tf_compat_v1_file_spells_through_its_alias() -> None:
    spelling = Spelling(cst.parse_module("import tensorflow.compat.v1 as tf\n"), {"tf"})
    spelled = spelling.call("logsumexp", "tf", "x", axis="-1")
    assert spelled == ("tf.math.reduce_logsumexp(x, axis=-1)", ())


def test_paddle_file_speaks_paddle() -> None:
    spelling = Spelling(cst.parse_module("import paddle\nimport numpy as np\n"), {"paddle", "np"})
    assert spelling.file_dialect == "paddle"
    assert spelling.call("log_softmax", "paddle", "x", axis="-1")[0] == \
        "paddle.nn.functional.log_softmax(x, axis=-1)"  # type: ignore[index]


def test_a_package_imported_only_in_a_function_gets_no_new_top_level_import() -> None:
    code = "def f(x):\n    import jax.numpy as jnp\n    return jnp.log(x)\n"
    spelling = Spelling(cst.parse_module(code), {"f", "x", "jax", "jnp"})
    assert spelling.call("log_sigmoid", "jax", "x") is None
    assert spelling.call("log_sigmoid", "torch", "x") is not None


def test_method_calls_on_loggers_are_not_operations() -> None:
    assert vocab.method_op(cst.parse_expression("self.log('loss', v)")) is None  # type: ignore[arg-type]
    assert vocab.method_op(cst.parse_expression("run.log(v)")) is None  # type: ignore[arg-type]
    op = vocab.method_op(cst.parse_expression("x.sum(-1, keepdim=True)"))  # type: ignore[arg-type]
    assert op is not None and op.kind == "sum" and op.keeps_dims
