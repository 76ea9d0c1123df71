"""The per-file context every rule reads through: operations, names, fixes.

One `FileContext` is built per parsed file and shared by all rules, so
qualified names, def-use facts and import tables are computed once and only
for the nodes a rule actually asks about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from scorelint.base.findings import Applicability
from scorelint.model import vocabulary as vocab
from scorelint.model import walk
from scorelint.model.dataflow import ASSIGN, DataFlow, Definition
from scorelint.model.proposal import FixSpec, InsertLine, RawFinding, Replace, Reporter
from scorelint.model.semantic import CLASS, FUNCTION, Semantic
from scorelint.model.spelling import Spelling
from scorelint.model.summaries import (
    MemberReads,
    MemberRecorder,
    class_attributes,
    self_parameter,
)

_SPACE = re.compile(r"\s+")


def _one_space(run: re.Match[str]) -> str:
    """A run of white space on one line: one space, or none for a line break just inside
    brackets (`log(\n    x\n)` reads `log(x)`)."""
    text, start, end = run.string, run.start(), run.end()
    inside = (start > 0 and text[start - 1] in "([{") or (end < len(text) and text[end] in ")]}")
    return "" if inside and "\n" in run.group() else " "
# Module prefixes whose local aliases (`xp = np`) we follow.
_ARRAY_MODULES = ("numpy", "jax.numpy", "torch", "tensorflow", "math", "scipy.special")


@dataclass
class FileContext:
    module: cst.Module
    text: str
    path: str
    semantic: Semantic  # of the module the engine narrowed (the statements rules visit)
    recorder: MemberRecorder
    findings: list[RawFinding] = field(default_factory=list)
    flow: DataFlow = field(init=False)
    _ops: dict[cst.Call, vocab.Op | None] = field(default_factory=dict)
    _losses: dict[cst.Call, vocab.Loss | None] = field(default_factory=dict)
    _spelling: Spelling | None = None
    # The indents of the blocks around each node (see `_indent_tokens`), built on first use.
    _blocks: dict[cst.CSTNode, tuple[str, ...]] | None = None
    _names_modules: bool | None = None
    # The value layer's per-file cache (`scorelint.model.values`), made on first use.
    value_cache: object = None
    # The project index (`scorelint.engine.project.Index`): what imported names make; None: unknown.
    index: object = None

    def __post_init__(self) -> None:
        self.flow = DataFlow(self.semantic)

    # -- reading code -----------------------------------------------------
    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def short(self, node: cst.CSTNode, limit: int = 60) -> str:
        """The node's code on one line, shortened for a message."""
        text = _SPACE.sub(_one_space, self.code(node)).strip()
        return text if len(text) <= limit else text[: limit - 3] + "..."

    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        """Names `node` refers to through imports or builtins (`numpy.exp` for `np.exp`)."""
        return self.semantic.qualified_names(node)

    # -- names: reaching definitions (scorelint.model.dataflow) -----------------------
    def definitions(self, name: cst.Name) -> tuple[Definition, ...] | None:
        """The definitions that may reach this read of `name`; None when unknown."""
        return self.flow.definitions(name)

    def bindings(self, name: cst.Name) -> tuple[Definition, ...] | None:
        """Every definition of `name` in the scope that binds it, wherever it stands."""
        return self.flow.every(name)

    def bound_here(self, node: cst.CSTNode) -> tuple[tuple[cst.CSTNode, str], ...]:
        """The trace of a finding on `node` that read operations through names: where each
        name in it that holds an operation's result was bound (`e = np.exp(z)`)."""
        steps: list[tuple[cst.CSTNode, str]] = []
        seen: set[str] = set()
        stack: list[cst.CSTNode] = [node]
        while stack and len(steps) < 4:
            current = stack.pop()
            if isinstance(current, cst.Attribute):
                stack.append(current.value)
                continue
            if isinstance(current, cst.Name) and current.value not in seen:
                seen.add(current.value)
                found = self.definitions(current)
                for definition in found or ():
                    value = definition.value
                    if definition.kind == ASSIGN and isinstance(value, cst.Call) \
                            and self.op(value, follow=False) is not None:
                        steps.append((definition.statement, f"`{current.value}` is bound here"))
                continue
            stack.extend(reversed(walk.children(current)))
        return tuple(steps)

    def values(self, node: cst.BaseExpression) -> list[cst.BaseExpression] | None:
        """What a name may hold where it is read: the value of each reaching definition;
        None when one of them cannot be read (a parameter, a loop variable, `x += v`)."""
        if not isinstance(node, cst.Name):
            return None
        found = self.definitions(node)
        if not found or any(d.kind != ASSIGN or d.value is None for d in found):
            return None
        return [d.value for d in found]  # type: ignore[misc]

    def accesses(self, name: cst.Name) -> set[cst.CSTNode]:
        """Every place that reads a value bound to `name` where it is used."""
        return self.semantic.reads(name)

    def value(self, node: cst.BaseExpression) -> cst.BaseExpression | None:
        """The expression a name stands for where it is read, when exactly one assignment
        reaches it (`e = exp(z)` ... `e / e.sum()`, whatever `e` is bound to later)."""
        found = self.values(node)
        return found[0] if found is not None and len(found) == 1 else None

    def resolve(self, node: cst.BaseExpression, depth: int = 8) -> cst.BaseExpression:
        """Follow names to the one expression that reaches them."""
        while depth and (value := self.value(node)) is not None:
            node, depth = value, depth - 1
        return node

    def same(self, a: cst.BaseExpression, b: cst.BaseExpression) -> bool:
        """Do two expressions denote the same value (same code after following names)?"""
        if _norm(self.code(a)) == _norm(self.code(b)):
            return True
        return _norm(self.code(self.resolve(a))) == _norm(self.code(self.resolve(b)))

    def portable(self, node: cst.BaseExpression, at: cst.CSTNode) -> bool:
        """Can `node`'s code be written again at `at` and mean the same value there?

        True for literals and for names, attributes, subscripts and arithmetic
        made of them (`x`, `out.logits[:, -1]`, `-x`, `s - t`) whose every name
        has the same reaching definitions at `at` as where `node` reads it; never
        for a call, which may be costly or random (`model(x)`, `randn(n)`).
        """
        if isinstance(node, (cst.Integer, cst.Float, cst.SimpleString, cst.Ellipsis)):
            return True
        if isinstance(node, cst.Name):
            return self._same_reach(node, at)
        if isinstance(node, cst.Attribute):
            return self.portable(node.value, at)
        if isinstance(node, cst.UnaryOperation):
            return self.portable(node.expression, at)
        if isinstance(node, cst.BinaryOperation):  # `s - t`, `x / T`: arithmetic on such values
            return self.portable(node.left, at) and self.portable(node.right, at)
        if isinstance(node, (cst.Tuple, cst.List)):
            return all(self.portable(e.value, at) for e in node.elements)
        if isinstance(node, cst.Subscript):
            return self.portable(node.value, at) and all(
                isinstance(e.slice, cst.Index) and self.portable(e.slice.value, at)
                or isinstance(e.slice, cst.Slice) and all(
                    part is None or self.portable(part, at)
                    for part in (e.slice.lower, e.slice.upper, e.slice.step))
                for e in node.slice
            )
        return False

    def _same_reach(self, name: cst.Name, at: cst.CSTNode) -> bool:
        """Does `name` hold the same definitions at `at` as where it is read?"""
        if name.value in ("True", "False", "None"):
            return True
        here = self.flow.definitions(name)
        home, there_home = self.flow.home(name), self.flow.home(at)
        if here is None or home is None or there_home is None:
            return False
        if home is not there_home:  # another function: only names neither one binds
            return (name.value not in self.flow.flow(home).all
                    and name.value not in self.flow.flow(there_home).all)
        there = self.flow.reaching_at(name.value, at)
        return there is not None and (set(here) == there or name.value not in self.flow.flow(home).all)

    def repeatable(self, call: cst.Call, at: cst.CSTNode) -> bool:
        """Can a call of a pure operation (`F.softmax(x, dim=-1)`, `x.softmax(-1)`) be
        written again at `at`? Its callee and arguments must be `portable` there."""
        return self.portable(call.func, at) and all(self.portable(a.value, at) for a in call.args)

    def copyable(self, root: cst.CSTNode, *pieces: cst.BaseExpression | None) -> bool:
        """Can a fix replacing `root` repeat `pieces`: inside it, or the same value there?"""
        return all(p is None or self.contains(root, p) or self.portable(p, root) for p in pieces)

    @staticmethod
    def contains(root: cst.CSTNode, node: cst.CSTNode) -> bool:
        """Is `node` `root` itself or inside it (rather than reached through a name)?"""
        stack = [root]
        while stack:
            current = stack.pop()
            if current is node:
                return True
            stack.extend(walk.children(current))
        return False

    # -- operations -------------------------------------------------------
    def op(self, node: cst.BaseExpression | None, follow: bool = True) -> vocab.Op | None:
        """The operation `node` computes, seeing through names bound once."""
        if node is None:
            return None
        if follow:
            node = self.resolve(node)
        if not isinstance(node, cst.Call):
            return None
        if node not in self._ops:
            self._ops[node] = self._read_op(node)
        return self._ops[node]

    def _read_op(self, call: cst.Call) -> vocab.Op | None:
        # Cheap string check first; a bare name may be a from-import alias
        # (`from numpy import exp as e`), so names always go to qualified names.
        if isinstance(call.func, cst.Attribute):
            if call.func.attr.value not in vocab.CALL_NAMES:
                return self._module_op(call)  # `self.sm(x)` with `self.sm = nn.Softmax(1)`
        elif not isinstance(call.func, cst.Name):
            return self._module_op(call)  # `nn.Softmax(dim=1)(x)`
        if isinstance(call.func, cst.Attribute) and not isinstance(
            call.func.value, (cst.Name, cst.Attribute)
        ):
            return vocab.method_op(call)  # `np.exp(x).sum()`: a method of a computed value
        qualnames = self.qualified_names(call.func)
        for qualname in sorted(qualnames):
            if qualname in vocab.FUNCTIONS:
                kind, framework, spec = vocab.FUNCTIONS[qualname]
                return vocab.read_call(call, kind, framework, qualname, spec)
        if qualnames:
            return None  # an imported or builtin name outside the vocabulary
        if isinstance(call.func, cst.Attribute):
            aliased = self._module_alias(call.func.value)
            if aliased is not None:
                qualname = f"{aliased}.{call.func.attr.value}"
                if qualname in vocab.FUNCTIONS:
                    kind, framework, spec = vocab.FUNCTIONS[qualname]
                    return vocab.read_call(call, kind, framework, qualname, spec)
                return None
            return vocab.method_op(call) or self._module_op(call)
        return self._module_op(call)  # `sm(x)` with `sm = nn.Softmax(dim=1)`

    def _module_op(self, call: cst.Call) -> vocab.Op | None:
        constructor = self.module_constructor(call.func)
        if constructor is None:
            return None
        for qualname in sorted(self.qualified_names(constructor.func)):
            if qualname in vocab.MODULE_OPS:
                return vocab.module_op(call, constructor, qualname)
        return None

    def loss(self, call: cst.Call) -> vocab.Loss | None:
        """The loss `call` computes: a loss function (`F.cross_entropy(p, y)`) or a call of a
        loss module (`nn.CrossEntropyLoss()(p, y)`, `criterion(p, y)`, `self.criterion(p, y)`)."""
        if call not in self._losses:
            self._losses[call] = self._read_loss(call)
        return self._losses[call]

    def _read_loss(self, call: cst.Call) -> vocab.Loss | None:
        func = call.func
        if isinstance(func, cst.Name) or vocab.terminal_name(func) in vocab.LOSS_CALL_NAMES:
            for qualname in sorted(self.qualified_names(func)):
                if qualname in vocab.LOSS_FUNCTIONS:
                    return vocab.read_loss(call, qualname, vocab.LOSS_FUNCTIONS[qualname])
        constructor = self.module_constructor(func)
        if constructor is None:
            return None
        for qualname in sorted(self.qualified_names(constructor.func)):
            if qualname in vocab.LOSS_MODULES:
                return vocab.read_loss(call, qualname, vocab.LOSS_MODULES[qualname], constructor)
        return None

    def module_constructor(self, callee: cst.BaseExpression) -> cst.Call | None:
        """The call that built the module `callee` is: `nn.Softmax(dim=1)` itself, or what a
        name or a member `self.x` bound once holds (only calls that may build a module)."""
        if self._names_modules is None:  # no module class named here: nothing to trace
            self._names_modules = any(name in self.text for name in vocab.MODULE_NAMES)
        if not self._names_modules:
            return None
        built = self.trace(callee)
        if not isinstance(built, cst.Call):
            return None
        if isinstance(built.func, cst.Name) or vocab.terminal_name(built.func) in vocab.MODULE_NAMES:
            return built
        return None

    # -- members: `self.x` bound once in a class ------------------------------
    def member(self, node: cst.BaseExpression) -> cst.BaseExpression | None:
        """The value `self.x` stands for, when its class binds `x` exactly once: as
        `self.x = ...` in a method (`self.criterion = nn.CrossEntropyLoss()` in `__init__`)
        or as `x = ...` in the class body; else None."""
        if not isinstance(node, cst.Attribute) or not isinstance(node.value, cst.Name):
            return None
        owner = self.owner(node.value)
        if owner is None:
            return None
        values = self.member_values(owner, node.attr.value)
        return values[0] if len(values) == 1 else None

    def member_values(self, owner: cst.ClassDef, attr: str) -> list[cst.BaseExpression | None]:
        """Every value a class binds `self.<attr>` or its class attribute to (None: unreadable)."""
        return [*self.recorder.members.get((owner, attr), ()), *class_attributes(owner, attr)]

    def member_reads(self, node: cst.Attribute) -> list[cst.Attribute] | None:
        """Every read of the member `self.x` in its class (None when `node` is not a member)."""
        owner = self.owner(node.value) if isinstance(node.value, cst.Name) else None
        if owner is None:
            return None
        finder = MemberReads(node.attr.value)
        owner.visit(finder)
        return finder.reads

    def owner(self, name: cst.Name) -> cst.ClassDef | None:
        """The class `name` is an instance of: the first parameter of one of its methods."""
        scope = self.semantic.scope(name)
        if scope is None:
            return None
        found = scope.lookup(name.value)
        if len(found) != 1 or not isinstance(found[0].node, cst.Param):
            return None
        method_scope = found[0].scope
        if method_scope.kind != FUNCTION or method_scope.parent.kind != CLASS:
            return None
        method, owner = method_scope.node, method_scope.parent.node
        if not isinstance(method, cst.FunctionDef) or self_parameter(method) != name.value:
            return None
        return owner if isinstance(owner, cst.ClassDef) else None

    def trace(self, node: cst.BaseExpression, depth: int = 8) -> cst.BaseExpression:
        """Follow names bound once and members bound once to the expression they hold."""
        while depth:
            value = self.value(node) if isinstance(node, cst.Name) else self.member(node)
            if value is None:
                break
            node, depth = value, depth - 1
        return node

    def render(self, node: cst.CSTNode, at: cst.CSTNode) -> str:
        """The code of `node` (often one built for a fix) written where `at` stands: without
        outer parentheses (the engine adds them where needed), and with its continuation
        lines indented like the block around `at` (`code()` renders them unindented)."""
        if isinstance(node, cst.BaseExpression) and getattr(node, "lpar", None):
            node = node.with_changes(lpar=[], rpar=[])
        indents = self._indent_tokens(at)
        if not indents or not isinstance(node, cst.BaseExpression):
            return self.module.code_for_node(node)
        # LibCST indents a line continued inside brackets by the enclosing blocks' indent
        # tokens. With public API only: write the expression as a statement inside as many
        # `if _:` blocks, with those indents, and cut it out of the code.
        newline = self.module.default_newline
        inner: cst.BaseStatement = cst.SimpleStatementLine([cst.Expr(node)])
        for indent in reversed(indents):
            inner = cst.If(test=cst.Name("_"), body=cst.IndentedBlock([inner], indent=indent))
        code = self.module.with_changes(body=[inner], header=[], footer=[],
                                        has_trailing_newline=True).code
        header = sum(len("".join(indents[:depth])) + len("if _:") + len(newline)
                     for depth in range(len(indents)))
        return code[header + len("".join(indents)):len(code) - len(newline)]

    def _indent_tokens(self, node: cst.CSTNode) -> list[str]:
        """The indentation of each block enclosing `node`, outermost first (from a map of
        the module's blocks built once per file, on the first fix that needs it)."""
        if self._blocks is None:
            self._blocks = {}
            stack: list[tuple[cst.CSTNode, tuple[str, ...]]] = [(self.module, ())]
            while stack:
                current, indents = stack.pop()
                if isinstance(current, cst.IndentedBlock):
                    indents = (*indents, self.module.default_indent if current.indent is None
                               else current.indent)
                self._blocks[current] = indents
                stack.extend((child, indents) for child in walk.children(current))
        return list(self._blocks.get(node, ()))

    def _module_alias(self, node: cst.BaseExpression) -> str | None:
        """`xp` in `xp = np` (bound once) stands for the module `numpy`."""
        value = self.value(node) if isinstance(node, cst.Name) else None
        if value is None:
            names = self.qualified_names(node) if isinstance(node, (cst.Name, cst.Attribute)) else set()
            return next((n for n in sorted(names) if n in _ARRAY_MODULES), None)
        return self._module_alias(value)

    def axis(self, op: vocab.Op) -> tuple[bool, str | None]:
        """(known, axis code) of a reduction; axis None means every element."""
        if op.opaque:
            return False, None
        if op.axis is not None:
            return True, self.code(op.axis)
        if op.default_axis == vocab.ALL:
            return True, None
        if op.default_axis == vocab.LAST:
            return True, "-1"
        return False, None

    def division(
        self, node: cst.CSTNode
    ) -> tuple[cst.BaseExpression, cst.BaseExpression] | None:
        """(numerator, denominator) of `a / b`, `a /= b` or a framework `divide(a, b)`."""
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
            return node.left, node.right
        if isinstance(node, cst.AugAssign) and isinstance(node.operator, cst.DivideAssign):
            return node.target, node.value
        if isinstance(node, cst.Call):
            op = self.op(node, follow=False)
            if op is not None and op.kind == "divide" and op.operand is not None:
                other = op.positional(0) if op.is_method else op.positional(1)
                if other is not None:
                    return op.operand, other
        return None

    def dialect(self, *ops: vocab.Op | None) -> str:
        """The framework a fix should be written in: the ops' own, else the file's."""
        for op in ops:
            if op is None:
                continue
            if op.framework in vocab.DIALECTS:
                return op.framework
            if op.framework == "scipy":
                return "numpy"
        if self.spelling.file_dialect in ("paddle", "mlx"):
            return self.spelling.file_dialect  # their arrays have `.exp()` and `.log()` too
        if any(op is not None and op.is_method and op.call.func.attr.value  # type: ignore[attr-defined]
               in vocab.TENSOR_ONLY_METHODS for op in ops):
            return "torch"  # `x.exp()`, `p.log()`: only a torch tensor has these methods
        if any(op is not None and op.is_method and op.keyword("dim", "keepdim") is not None
               for op in ops):
            return "torch"  # `x.sum(dim=-1, keepdim=True)` is torch's spelling
        return self.spelling.file_dialect

    @property
    def spelling(self) -> Spelling:
        if self._spelling is None:
            self._spelling = Spelling(self.module, self._names_in_use())
        return self._spelling

    def _names_in_use(self) -> set[str]:
        """Every name assigned or read in any scope: a new import must not take one."""
        return self.semantic.names_in_use()

    def replacement(self, node: cst.CSTNode, code: str, applicability: Applicability,
                    extra: tuple[InsertLine, ...] = ()) -> FixSpec:
        """A fix replacing `node` with `code`, titled with the replacement itself."""
        title = _SPACE.sub(" ", code)
        title = title if len(title) <= 70 else title[:67] + "..."
        return FixSpec(f"Replace with `{title}`", applicability, (Replace(node, code), *extra))

    # -- reporting ---------------------------------------------------------
    def add_finding(self, rule: Reporter, node: cst.CSTNode, message: str, fix: FixSpec | None,
                    trace: tuple[tuple[cst.CSTNode, str], ...] = ()) -> None:
        self.findings.append(RawFinding(type(rule), node, message, fix, trace))


def _norm(code: str) -> str:
    return _SPACE.sub("", code)
