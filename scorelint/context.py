"""The per-file context every rule reads through: operations, names, fixes.

One `FileContext` is built per parsed file and shared by all rules, so
qualified names, def-use facts and import tables are computed once and only
for the nodes a rule actually asks about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import Assignment, QualifiedNameSource, Scope

from scorelint import vocabulary as vocab
from scorelint.findings import Applicability
from scorelint.spelling import Spelling

if TYPE_CHECKING:
    from scorelint.rule import Rule

_SPACE = re.compile(r"\s+")
# Module prefixes whose local aliases (`xp = np`) we follow.
_ARRAY_MODULES = ("numpy", "jax.numpy", "torch", "tensorflow", "math", "scipy.special")


@dataclass(frozen=True)
class Replace:
    """Replace a node's source (its own parentheses included) with `content`."""

    node: cst.CSTNode
    content: str


@dataclass(frozen=True)
class InsertLine:
    """Insert a whole line before (or after) the line(s) of a statement."""

    anchor: cst.CSTNode | None  # None: at the very start of the file
    content: str
    after: bool = False


@dataclass(frozen=True)
class FixSpec:
    title: str
    applicability: Applicability
    edits: tuple[Replace | InsertLine, ...]


@dataclass
class RawFinding:
    rule: type[Rule]
    node: cst.CSTNode
    message: str
    fix: FixSpec | None


@dataclass
class Binding:
    """One statement that binds a name: what it assigns and inside which loop."""

    statement: cst.CSTNode
    value: cst.BaseExpression | None
    loop: cst.CSTNode | None


class BindingRecorder(cst.BatchableCSTVisitor):
    """Runs first in the batched traversal and records what each assignment binds."""

    def __init__(self) -> None:
        super().__init__()
        self.bindings: dict[cst.Name, Binding] = {}
        # Expressions that stand alone (an assigned value, a call argument...):
        # a replacement there needs no parentheses of its own.
        self.free_slots: set[cst.CSTNode] = set()
        self._loops: list[cst.CSTNode] = []

    def _record(self, target: cst.BaseExpression, stmt: cst.CSTNode,
                value: cst.BaseExpression | None) -> None:
        if isinstance(target, cst.Name):
            loop = self._loops[-1] if self._loops else None
            self.bindings[target] = Binding(stmt, value, loop)

    def visit_Assign(self, node: cst.Assign) -> None:
        self.free_slots.add(node.value)
        for target in node.targets:
            self._record(target.target, node, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self.free_slots.add(node.value)
        self._record(node.target, node, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.free_slots.add(node.value)
        self._record(node.target, node, None)

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None:
            self.free_slots.add(node.value)

    def visit_Expr(self, node: cst.Expr) -> None:
        self.free_slots.add(node.value)

    def visit_Arg(self, node: cst.Arg) -> None:
        self.free_slots.add(node.value)

    def visit_Element(self, node: cst.Element) -> None:
        self.free_slots.add(node.value)

    def visit_For(self, node: cst.For) -> None:
        self._record(node.target, node, None)
        self._loops.append(node)

    def leave_For(self, original_node: cst.For) -> None:
        self._loops.pop()

    def visit_While(self, node: cst.While) -> None:
        self._loops.append(node)

    def leave_While(self, original_node: cst.While) -> None:
        self._loops.pop()


@dataclass
class FileContext:
    module: cst.Module
    text: str
    path: str
    scopes: dict[cst.CSTNode, Scope]
    recorder: BindingRecorder
    findings: list[RawFinding] = field(default_factory=list)
    _ops: dict[cst.Call, vocab.Op | None] = field(default_factory=dict)
    _spelling: Spelling | None = None

    # -- reading code -----------------------------------------------------
    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def short(self, node: cst.CSTNode, limit: int = 60) -> str:
        """The node's code on one line, shortened for a message."""
        text = _SPACE.sub(" ", self.code(node)).strip()
        return text if len(text) <= limit else text[: limit - 3] + "..."

    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        """Names `node` refers to through imports or builtins (`numpy.exp` for `np.exp`)."""
        scope = self.scopes.get(node)
        if scope is None:
            return set()
        return {
            q.name
            for q in scope.get_qualified_names_for(node)
            if q.source in (QualifiedNameSource.IMPORT, QualifiedNameSource.BUILTIN)
        }

    # -- names bound once ---------------------------------------------------
    def bindings(self, name: cst.Name) -> list[Binding] | None:
        """Every binding of `name` visible where it is used, or None if one is not an assignment."""
        scope = self.scopes.get(name)
        if scope is None:
            return None
        found = []
        for assignment in scope[name.value]:
            if not isinstance(assignment, Assignment):
                return None
            binding = self.recorder.bindings.get(assignment.node)  # type: ignore[arg-type]
            if binding is None:
                return None
            found.append(binding)
        return found

    def accesses(self, name: cst.Name) -> set[cst.CSTNode]:
        """Every place that reads a value bound to `name` where it is used."""
        scope = self.scopes.get(name)
        if scope is None:
            return set()
        return {access.node for a in scope[name.value] for access in a.references}

    def value(self, node: cst.BaseExpression) -> cst.BaseExpression | None:
        """The expression a name bound exactly once stands for, else None."""
        if not isinstance(node, cst.Name):
            return None
        found = self.bindings(node)
        if found and len(found) == 1 and found[0].value is not None:
            return found[0].value
        return None

    def resolve(self, node: cst.BaseExpression, depth: int = 8) -> cst.BaseExpression:
        """Follow names bound once to the expression they stand for."""
        while depth and (value := self.value(node)) is not None:
            node, depth = value, depth - 1
        return node

    def same(self, a: cst.BaseExpression, b: cst.BaseExpression) -> bool:
        """Do two expressions denote the same value (same code after following names)?"""
        if _norm(self.code(a)) == _norm(self.code(b)):
            return True
        return _norm(self.code(self.resolve(a))) == _norm(self.code(self.resolve(b)))

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
                return None
        elif not isinstance(call.func, cst.Name):
            return None
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
            return vocab.method_op(call)
        return None

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
        return self.spelling.file_dialect

    @property
    def spelling(self) -> Spelling:
        if self._spelling is None:
            self._spelling = Spelling(self.module, self._names_in_use())
        return self._spelling

    def _names_in_use(self) -> set[str]:
        """Every name assigned or read in any scope: a new import must not take one."""
        names: set[str] = set()
        for scope in set(self.scopes.values()):
            names.update(a.name for a in scope.assignments)
            names.update(a.node.value for a in scope.accesses if isinstance(a.node, cst.Name))
        return names

    def replacement(self, node: cst.CSTNode, code: str, applicability: Applicability,
                    extra: tuple[InsertLine, ...] = ()) -> FixSpec:
        """A fix replacing `node` with `code`, titled with the replacement itself."""
        title = _SPACE.sub(" ", code)
        title = title if len(title) <= 70 else title[:67] + "..."
        return FixSpec(f"Replace with `{title}`", applicability, (Replace(node, code), *extra))

    # -- reporting ---------------------------------------------------------
    def add_finding(self, rule: Rule, node: cst.CSTNode, message: str,
                    fix: FixSpec | None) -> None:
        self.findings.append(RawFinding(type(rule), node, message, fix))


def _norm(code: str) -> str:
    return _SPACE.sub("", code)
