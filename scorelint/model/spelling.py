"""Writing an operation back in a file's own dialect, with the import it needs.

The reverse of `scorelint.model.vocabulary`: from (kind, dialect) to code such as
`torch.log_softmax(x, dim=-1)` or `scipy.special.logsumexp(x, axis=-1)`,
reusing the file's own aliases (`np`, `F`, `jnp`, `tf`) and adding an import
only when none is there, never under a name the file already uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from scorelint.model import walk
from scorelint.model.proposal import InsertLine
from scorelint.model.vocabulary import FUNCTIONS


@dataclass(frozen=True)
class Spell:
    """How a dialect spells one operation and names its axis arguments."""

    qualname: str
    axis_kw: str | None = None
    keepdims_kw: str | None = None
    # How to reduce over every element: "omit" the axis, pass "None",
    # "flatten" the operand and reduce its axis 0, or "" where the function cannot.
    all_axes: str = ""
    # Arguments that come before the operand: `np.logaddexp(0, x)` is softplus.
    leading: tuple[str, ...] = ()
    # Spelled as `-f(-x)`: `log_sigmoid(x) = -logaddexp(0, -x)`.
    reflect: bool = False


def _table() -> dict[tuple[str, str], Spell]:
    table: dict[tuple[str, str], Spell] = {}
    for kind in ("exp", "log", "log1p", "expm1", "logaddexp", "abs"):
        table["numpy", kind] = Spell(f"numpy.{kind}")
        table["jax", kind] = Spell(f"jax.numpy.{kind}")
        table["torch", kind] = Spell(f"torch.{kind}")
    for kind in ("exp", "log", "log1p", "expm1", "abs"):
        table["tf", kind] = Spell(f"tensorflow.math.{kind}")
        table["math", kind] = Spell(f"math.{'fabs' if kind == 'abs' else kind}")
    for kind, name in (("sum", "sum"), ("max", "max"), ("prod", "prod"), ("mean", "mean")):
        table["numpy", kind] = Spell(f"numpy.{name}", "axis", "keepdims", "omit")
        table["jax", kind] = Spell(f"jax.numpy.{name}", "axis", "keepdims", "omit")
        # torch reduces every element when `dim` is left out, like numpy.
        table["torch", kind] = Spell(f"torch.{'amax' if kind == 'max' else name}", "dim",
                                     "keepdim", "omit")
        table["tf", kind] = Spell(f"tensorflow.math.reduce_{name}", "axis", "keepdims", "omit")
    table["math", "sum"] = Spell("math.fsum")
    table["math", "prod"] = Spell("math.prod")
    table["numpy", "softmax"] = Spell("scipy.special.softmax", "axis", None, "omit")
    table["numpy", "log_softmax"] = Spell("scipy.special.log_softmax", "axis", None, "omit")
    table["numpy", "logsumexp"] = Spell("scipy.special.logsumexp", "axis", "keepdims", "omit")
    table["numpy", "sigmoid"] = Spell("scipy.special.expit")
    table["numpy", "log_sigmoid"] = Spell("scipy.special.log_expit")
    table["numpy", "softplus"] = Spell("numpy.logaddexp", leading=("0",))
    table["torch", "softmax"] = Spell("torch.softmax", "dim")
    table["torch", "log_softmax"] = Spell("torch.log_softmax", "dim")
    # torch.logsumexp insists on a dim: every element is `x.flatten()` along 0.
    table["torch", "logsumexp"] = Spell("torch.logsumexp", "dim", "keepdim", "flatten")
    table["torch", "sigmoid"] = Spell("torch.sigmoid")
    table["torch", "log_sigmoid"] = Spell("torch.nn.functional.logsigmoid")
    table["torch", "softplus"] = Spell("torch.nn.functional.softplus")
    table["jax", "softmax"] = Spell("jax.nn.softmax", "axis", None, "None")
    table["jax", "log_softmax"] = Spell("jax.nn.log_softmax", "axis", None, "None")
    table["jax", "logsumexp"] = Spell("jax.nn.logsumexp", "axis", "keepdims", "omit")
    table["jax", "sigmoid"] = Spell("jax.nn.sigmoid")
    table["jax", "log_sigmoid"] = Spell("jax.nn.log_sigmoid")
    table["jax", "softplus"] = Spell("jax.nn.softplus")
    table["tf", "softmax"] = Spell("tensorflow.nn.softmax", "axis")
    table["tf", "log_softmax"] = Spell("tensorflow.nn.log_softmax", "axis")
    table["tf", "logsumexp"] = Spell("tensorflow.math.reduce_logsumexp", "axis", "keepdims", "omit")
    table["tf", "sigmoid"] = Spell("tensorflow.math.sigmoid")
    table["tf", "log_sigmoid"] = Spell("tensorflow.math.log_sigmoid")
    table["tf", "softplus"] = Spell("tensorflow.math.softplus")
    for kind in ("exp", "log", "log1p", "expm1", "logaddexp", "abs", "sigmoid", "log_sigmoid",
                 "softplus"):
        table["keras", kind] = Spell(f"keras.ops.{kind}")
    for kind in ("sum", "max", "prod", "mean", "logsumexp"):
        table["keras", kind] = Spell(f"keras.ops.{kind}", "axis", "keepdims", "omit")
    table["keras", "softmax"] = Spell("keras.ops.softmax", "axis")
    table["keras", "log_softmax"] = Spell("keras.ops.log_softmax", "axis")
    # PaddlePaddle: `paddle.*` with `axis=` / `keepdim=`, activations in `paddle.nn.functional`.
    for kind in ("exp", "log", "log1p", "expm1", "abs", "logsumexp", "sum", "max", "prod", "mean"):
        reduces = kind in ("logsumexp", "sum", "max", "prod", "mean")
        table["paddle", kind] = (Spell(f"paddle.{kind}", "axis", "keepdim", "omit") if reduces
                                 else Spell(f"paddle.{kind}"))
    table["paddle", "sigmoid"] = Spell("paddle.nn.functional.sigmoid")
    table["paddle", "log_sigmoid"] = Spell("paddle.nn.functional.log_sigmoid")
    table["paddle", "softplus"] = Spell("paddle.nn.functional.softplus")
    table["paddle", "softmax"] = Spell("paddle.nn.functional.softmax", "axis")
    table["paddle", "log_softmax"] = Spell("paddle.nn.functional.log_softmax", "axis")
    _mlx(table)
    return table


def _mlx(table: dict[tuple[str, str], Spell]) -> None:
    """Apple's MLX: `mlx.core` with `axis=` / `keepdims=`, activations in `mlx.nn`."""
    for kind in ("exp", "log", "log1p", "expm1", "logaddexp", "abs", "sigmoid"):
        table["mlx", kind] = Spell(f"mlx.core.{kind}")
    for kind in ("sum", "max", "prod", "mean", "logsumexp"):
        table["mlx", kind] = Spell(f"mlx.core.{kind}", "axis", "keepdims", "omit")
    table["mlx", "softmax"] = Spell("mlx.core.softmax", "axis", None, "omit")
    table["mlx", "log_softmax"] = Spell("mlx.nn.log_softmax", "axis")
    table["mlx", "log_sigmoid"] = Spell("mlx.nn.log_sigmoid")
    table["mlx", "softplus"] = Spell("mlx.nn.softplus")


SPELLINGS: dict[tuple[str, str], Spell] = _table()

# numpy files that do not import scipy get numpy's own form of the same
# function, so a fix never adds a dependency the file does not have.
NUMPY_ONLY: dict[str, Spell] = {
    "logsumexp": Spell("numpy.logaddexp.reduce", "axis", "keepdims", "None"),
    "log_sigmoid": Spell("numpy.logaddexp", leading=("0",), reflect=True),
}

# Elementwise operations numpy computes on Python scalars as `math` would: a file that
# imports numpy gets them for its `math` code (a softmax of a list would not work).
_SCALAR_SAFE = frozenset({"logaddexp", "softplus", "log_sigmoid", "sigmoid"})

# Which module's import makes a file speak which dialect, strongest first.
_DIALECT_MODULES = (("paddle", "paddle"), ("torch", "torch"), ("jax", "jax"), ("tensorflow", "tf"), ("keras", "keras"),
                    ("numpy", "numpy"), ("scipy", "numpy"), ("math", "math"))
_DIALECT_MODULES = (("mlx", "mlx"), *_DIALECT_MODULES)  # an MLX file speaks MLX


def is_atom(code: str) -> bool:
    """Can `code` stand as an operand or receiver without parentheses?"""
    try:
        node = cst.parse_expression(code)
    except cst.ParserSyntaxError:
        return False
    if node.lpar:
        return True
    return isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer,
                             cst.Float, cst.SimpleString, cst.List, cst.Tuple, cst.Dict))


def paren(code: str) -> str:
    return code if is_atom(code) else f"({code})"


def negate(code: str) -> str:
    """`-x` for `x`, `x` for `-x`, `-(a + b)` for `a + b`."""
    try:
        node = cst.parse_expression(code)
    except cst.ParserSyntaxError:
        return f"-({code})"
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus) \
            and not node.lpar:
        return cst.Module([]).code_for_node(node.expression)
    return f"-{paren(code)}"


def with_keyword(call: cst.Call, keyword: str, value: str) -> cst.Call:
    """`call` with `keyword=value`: an existing value replaced, else the argument added
    after the positional ones. The new argument takes over the comma of the one before
    it, so a trailing comma or a comment after it stays at the end of the line."""
    new_value = cst.parse_expression(value)
    args = list(call.args)
    for i, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value == keyword:
            args[i] = arg.with_changes(value=new_value)
            return call.with_changes(args=args)
    index = max((i + 1 for i, a in enumerate(args) if a.keyword is None and a.star != "**"),
                default=0)
    no_space = cst.SimpleWhitespace("")
    added = cst.Arg(new_value, keyword=cst.Name(keyword),
                    equal=cst.AssignEqual(whitespace_before=no_space, whitespace_after=no_space))
    if index > 0:
        before = args[index - 1]
        added = added.with_changes(comma=before.comma)
        args[index - 1] = before.with_changes(
            comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    args.insert(index, added)
    return call.with_changes(args=args)


class Spelling:
    """The imports of one file, and how to call an operation from it."""

    def __init__(self, module: cst.Module, names_in_use: set[str]) -> None:
        self.module = module
        self.modules: dict[str, str] = {}  # qualified module -> local name
        self.names: dict[str, str] = {}  # qualified name -> local name
        self.words = names_in_use
        self.anchor: cst.CSTNode | None = None  # statement new imports go after
        self.before: cst.CSTNode | None = None  # ... or before, when there is no import
        self._pending: dict[str, tuple[str, InsertLine]] = {}
        for stmt in _top_level_statements(module):
            for small in getattr(stmt, "body", ()):
                if isinstance(small, (cst.Import, cst.ImportFrom)):
                    self._read_import(small)
                    if stmt in module.body:
                        self.anchor = stmt
        self.before = _first_code_statement(module)
        # Packages imported only inside a function (or a nested block): often optional
        # dependencies, so a fix must not add a top-level import of one.
        self.nested: set[str] = set()
        for node in _imports(module):
            if isinstance(node, cst.Import):
                self.nested.update(_dotted(a.name).split(".")[0] for a in node.names)
            elif node.module is not None and not node.relative:
                self.nested.add(_dotted(node.module).split(".")[0])

    def _read_import(self, node: cst.Import | cst.ImportFrom) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                dotted = _dotted(alias.name)
                if alias.asname is not None:
                    self.modules[dotted] = _dotted(alias.asname.name)
                else:
                    parts = dotted.split(".")
                    for i in range(1, len(parts) + 1):
                        self.modules[".".join(parts[:i])] = ".".join(parts[:i])
        elif node.module is not None and not node.relative and not isinstance(node.names, cst.ImportStar):
            base = _dotted(node.module)
            for alias in node.names:
                name = _dotted(alias.name)
                local = _dotted(alias.asname.name) if alias.asname else name
                self.names[f"{base}.{name}"] = local
                self.modules[f"{base}.{name}"] = local

    @property
    def file_dialect(self) -> str:
        imported = {q.split(".")[0] for q in (*self.modules, *self.names)}
        return next((d for m, d in _DIALECT_MODULES if m in imported), "numpy")

    def imports(self, top: str) -> bool:
        return any(q.split(".")[0] == top for q in (*self.modules, *self.names))

    def callee(self, qualname: str) -> tuple[str, tuple[InsertLine, ...]]:
        """Code that names `qualname` here, plus the import line to add if needed."""
        if qualname in self.names:
            return self.names[qualname], ()
        qualname = self._compat(qualname)
        parts = qualname.split(".")
        for i in range(len(parts) - 1, 0, -1):
            prefix = ".".join(parts[:i])
            if prefix in self.modules:
                return ".".join([self.modules[prefix], *parts[i:]]), ()
        if qualname in self._pending:
            code, edit = self._pending[qualname]
            return code, (edit,)
        module, attr = qualname.rsplit(".", 1)
        while module in FUNCTIONS:  # `numpy.logaddexp.reduce`: an attribute of a function
            module, head = module.rsplit(".", 1)
            attr = f"{head}.{attr}"
        if parts[0] not in self.words:
            code, line = qualname, f"import {module}"
        else:
            name, _, rest = attr.partition(".")
            local = name
            while local in self.words:
                local = f"_{local}"
            self.words.add(local)  # a second import in this pass must not take it too
            code = f"{local}.{rest}" if rest else local
            line = f"from {module} import {name}" + (f" as {local}" if local != name else "")
        anchor = self.anchor or self.before
        edit = InsertLine(anchor, line, after=self.anchor is not None)
        self._pending[qualname] = (code, edit)
        return code, (edit,)

    def _compat(self, qualname: str) -> str:
        """`tensorflow.math.log` as `tensorflow.compat.v1.math.log` in a file that imports
        `tensorflow.compat.v1 as tf` and not tensorflow itself (the compat modules carry
        the same `math`, `nn` and `reduce_*` functions)."""
        if not qualname.startswith("tensorflow.") or qualname.startswith("tensorflow.compat.") \
                or "tensorflow" in self.modules:
            return qualname
        for version in ("v1", "v2"):
            if f"tensorflow.compat.{version}" in self.modules:
                return f"tensorflow.compat.{version}.{qualname[len('tensorflow.'):]}"
        return qualname

    def call(
        self,
        kind: str,
        dialect: str,
        operand: str,
        *,
        axis: str | None = None,
        keepdims: bool = False,
        extra: tuple[str, ...] = (),
    ) -> tuple[str, tuple[InsertLine, ...]] | None:
        """`kind(operand, axis)` in `dialect`; None where that dialect cannot say it.

        `axis=None` means "every element": only offered where omitting the
        axis reduces over everything in that dialect.
        """
        spell = self.spell(kind, dialect)
        if spell is None:
            return None
        if axis is None and spell.axis_kw is not None and not spell.all_axes:
            return None
        if axis is None and spell.all_axes == "flatten":
            if keepdims:
                return None  # the flattened reduction cannot keep the original's dims
            operand, axis = f"{paren(operand)}.flatten()", "0"
        top = spell.qualname.split(".")[0]
        if top in self.nested and not self.imports(top):
            return None  # imported only locally: a new top-level import could break the file
        if spell.reflect:
            operand = negate(operand)
        callee, edits = self.callee(spell.qualname)
        args = [*spell.leading, operand, *extra]
        if axis is None and spell.all_axes == "None":
            args.append(f"{spell.axis_kw}=None")
        elif axis is not None and spell.axis_kw:
            args.append(f"{spell.axis_kw}={axis}")
        elif axis is not None:
            return None  # the dialect's function takes no axis
        if keepdims and spell.keepdims_kw:
            args.append(f"{spell.keepdims_kw}=True")
        elif keepdims and axis is not None:
            return None
        code = f"{callee}({', '.join(args)})"
        return (f"-{code}" if spell.reflect else code), edits

    def spell(self, kind: str, dialect: str) -> Spell | None:
        """How this file spells `kind` in `dialect` (numpy without scipy keeps to numpy)."""
        if dialect == "numpy" and kind in NUMPY_ONLY and not self.imports("scipy"):
            return NUMPY_ONLY[kind]
        if dialect == "math" and (dialect, kind) not in SPELLINGS and kind in _SCALAR_SAFE \
                and self.imports("numpy"):
            # `math` has no logaddexp; numpy's, on Python floats, gives a float64 (a float).
            return self.spell(kind, "numpy")
        return SPELLINGS.get((dialect, kind))

    def softmax(self, dialect: str, operand: str, axis: str | None,
                log: bool = False) -> tuple[str, tuple[InsertLine, ...]] | None:
        """A softmax (or log-softmax) of `operand`. Numpy files without scipy get the inlined
        max-shifted form, never a new dependency on scipy: an operand with a call in it
        (which the inlined form would repeat) gets no fix at all (None)."""
        kind = "log_softmax" if log else "softmax"
        if dialect != "numpy" or self.imports("scipy"):
            return self.call(kind, dialect, operand, axis=axis)
        if not _is_name_chain(operand) and _has_call(operand):
            return None
        shape = f"axis={axis}, keepdims=True" if axis is not None else ""
        max_, e1 = self.callee("numpy.max")
        exp, e2 = self.callee("numpy.exp")
        sum_, e3 = self.callee("numpy.sum")
        shifted = f"{paren(operand)} - {max_}({operand}{', ' + shape if shape else ''})"
        total = f"{sum_}({exp}({shifted}){', ' + shape if shape else ''})"
        if log:
            log_, e4 = self.callee("numpy.log")
            return f"{shifted} - {log_}({total})", (*e1, *e2, *e3, *e4)
        return f"{exp}({shifted}) / {total}", (*e1, *e2, *e3)


def _has_call(code: str) -> bool:
    """Does the expression call anything (which repeating it would call again)?"""
    try:
        stack: list[cst.CSTNode] = [cst.parse_expression(code)]
    except cst.ParserSyntaxError:
        return True
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call):
            return True
        stack.extend(walk.children(node))
    return False


def _is_name_chain(code: str) -> bool:
    """`x`, `self.logits`, `out.logits[0]`: cheap to repeat, no calls."""
    try:
        node = cst.parse_expression(code)
    except cst.ParserSyntaxError:
        return False
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        if isinstance(node, cst.Subscript) and any(
            isinstance(e.slice, cst.Index) and isinstance(e.slice.value, cst.Call)
            for e in node.slice
        ):
            return False
        node = node.value
    return isinstance(node, cst.Name)


def _imports(module: cst.Module) -> list[cst.Import | cst.ImportFrom]:
    """Every import statement in the module, nested ones too. Our field walk, not
    `libcst.matchers.findall`: that is LibCST's rebuilding traversal, and importing the
    matchers took 0.4 s of a run's first fix."""
    found: list[cst.Import | cst.ImportFrom] = []
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Import, cst.ImportFrom)):
            found.append(node)
        else:
            stack.extend(walk.children(node))
    return found


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _top_level_statements(module: cst.Module) -> list[cst.CSTNode]:
    """Top-level simple statements, including those inside a top-level try/if."""
    found: list[cst.CSTNode] = []
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            found.append(stmt)
        elif isinstance(stmt, (cst.Try, cst.If)):
            found.extend(s for s in stmt.body.body if isinstance(s, cst.SimpleStatementLine))
    return found


def _first_code_statement(module: cst.Module) -> cst.CSTNode | None:
    """The first statement after the docstring and `from __future__` imports."""
    for index, stmt in enumerate(module.body):
        if isinstance(stmt, cst.SimpleStatementLine):
            small = stmt.body[0]
            if index == 0 and isinstance(small, cst.Expr) and isinstance(
                small.value, (cst.SimpleString, cst.ConcatenatedString)
            ):
                continue
            if isinstance(small, cst.ImportFrom) and _dotted(small.module or cst.Name("x")) == "__future__":
                continue
        return stmt
    return None

