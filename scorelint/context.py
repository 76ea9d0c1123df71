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
from libcst._nodes.internal import CodegenState  # LibCST's own renderer (see `render`)
from libcst.metadata import Assignment, ClassScope, FunctionScope, QualifiedNameSource, Scope

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
    trace: tuple[tuple[cst.CSTNode, str], ...] = ()  # (node, note): the lines the finding rests on


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
        # `self.x = v` in the methods of a class: (class, "x") -> every value
        # bound (None for a binding we cannot read, such as `self.x += 1`).
        self.members: dict[tuple[cst.ClassDef, str], list[cst.BaseExpression | None]] = {}
        self._loops: list[cst.CSTNode] = []
        self._defs: list[cst.ClassDef | cst.FunctionDef] = []

    def _record(self, target: cst.BaseExpression, stmt: cst.CSTNode,
                value: cst.BaseExpression | None) -> None:
        if isinstance(target, cst.Name):
            loop = self._loops[-1] if self._loops else None
            self.bindings[target] = Binding(stmt, value, loop)
        elif isinstance(target, cst.Attribute):
            self._record_member(target, value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                if isinstance(element.value, cst.Attribute):
                    self._record_member(element.value, None)

    def _record_member(self, target: cst.Attribute, value: cst.BaseExpression | None) -> None:
        """`self.x = v` directly in a method binds the member; any other `<name>.x = ...`
        inside the class (a closure, another object) makes `x` unknown."""
        classes = [d for d in self._defs if isinstance(d, cst.ClassDef)]
        if not classes or not isinstance(target.value, cst.Name):
            return
        owner, method = classes[-1], self._defs[-1]
        direct = (isinstance(method, cst.FunctionDef) and len(self._defs) >= 2
                  and self._defs[-2] is owner and self_parameter(method) == target.value.value)
        self.members.setdefault((owner, target.attr.value), []).append(value if direct else None)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._defs.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._defs.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._defs.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._defs.pop()

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
    _losses: dict[cst.Call, vocab.Loss | None] = field(default_factory=dict)
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

    def assigned_values(self, name: cst.Name) -> list[cst.BaseExpression]:
        """The values of the plain assignments among a name's bindings, when it has several
        (`x = relu(h)` ... `x = x / x.sum()`): any of them may be what reaches a use."""
        scope = self.scopes.get(name)
        if scope is None:
            return []
        found = (self.recorder.bindings.get(a.node) for a in scope[name.value]  # type: ignore[arg-type]
                 if isinstance(a, Assignment))
        return [b.value for b in found if b is not None and b.value is not None]

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

    def portable(self, node: cst.BaseExpression) -> bool:
        """Can `node`'s code be repeated later in its scope and mean the same value?

        True for literals and for names, attributes, subscripts and arithmetic
        made of them (`x`, `out.logits[:, -1]`, `-x`, `s - t`) whose names are
        bound at most once; never for a call, which may be costly or random
        (`model(x)`).
        """
        if isinstance(node, (cst.Integer, cst.Float, cst.SimpleString, cst.Ellipsis)):
            return True
        if isinstance(node, cst.Name):
            scope = self.scopes.get(node)
            return scope is not None and len(scope[node.value]) <= 1
        if isinstance(node, cst.Attribute):
            return self.portable(node.value)
        if isinstance(node, cst.UnaryOperation):
            return self.portable(node.expression)
        if isinstance(node, cst.BinaryOperation):  # `s - t`, `x / T`: arithmetic on such values
            return self.portable(node.left) and self.portable(node.right)
        if isinstance(node, (cst.Tuple, cst.List)):
            return all(self.portable(e.value) for e in node.elements)
        if isinstance(node, cst.Subscript):
            return self.portable(node.value) and all(
                isinstance(e.slice, cst.Index) and self.portable(e.slice.value)
                or isinstance(e.slice, cst.Slice) and all(
                    part is None or self.portable(part)
                    for part in (e.slice.lower, e.slice.upper, e.slice.step))
                for e in node.slice
            )
        return False

    def repeatable(self, call: cst.Call) -> bool:
        """Can a call of a pure operation (`F.softmax(x, dim=-1)`, `x.softmax(-1)`) be
        written again elsewhere in its scope? Its callee and arguments must be `portable`."""
        return self.portable(call.func) and all(self.portable(a.value) for a in call.args)

    @staticmethod
    def contains(root: cst.CSTNode, node: cst.CSTNode) -> bool:
        """Is `node` `root` itself or inside it (rather than reached through a name)?"""
        stack = [root]
        while stack:
            current = stack.pop()
            if current is node:
                return True
            stack.extend(current.children)
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
        owner = self._owner(node.value)
        if owner is None:
            return None
        values = [*self.recorder.members.get((owner, node.attr.value), ()),
                  *_class_attributes(owner, node.attr.value)]
        return values[0] if len(values) == 1 else None

    def member_reads(self, node: cst.Attribute) -> list[cst.Attribute] | None:
        """Every read of the member `self.x` in its class (None when `node` is not a member)."""
        owner = self._owner(node.value) if isinstance(node.value, cst.Name) else None
        if owner is None:
            return None
        finder = _MemberReads(node.attr.value)
        owner.visit(finder)
        return finder.reads

    def _owner(self, name: cst.Name) -> cst.ClassDef | None:
        """The class `name` is an instance of: the first parameter of one of its methods."""
        scope = self.scopes.get(name)
        if scope is None:
            return None
        found = list(scope[name.value])
        if len(found) != 1 or not isinstance(found[0], Assignment) \
                or not isinstance(found[0].node, cst.Param):
            return None
        method_scope = found[0].scope
        if not isinstance(method_scope, FunctionScope) or not isinstance(method_scope.parent, ClassScope):
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
        # LibCST indents a line continued inside brackets by the enclosing blocks' indent
        # tokens; `Module.code_for_node` starts from none, so pass them in ourselves.
        state = CodegenState(default_indent=self.module.default_indent,
                             default_newline=self.module.default_newline,
                             indent_tokens=self._indent_tokens(at))
        node._codegen(state)
        return "".join(state.tokens)

    def _indent_tokens(self, node: cst.CSTNode) -> list[str]:
        """The indentation of each block enclosing `node`, outermost first."""
        stack: list[tuple[cst.CSTNode, list[str]]] = [(self.module, [])]
        while stack:
            current, indents = stack.pop()
            if current is node:
                return indents
            if isinstance(current, cst.IndentedBlock):
                indents = [*indents, self.module.default_indent if current.indent is None
                           else current.indent]
            stack.extend((child, indents) for child in current.children)
        return []

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


def _class_attributes(owner: cst.ClassDef, name: str) -> list[cst.BaseExpression | None]:
    """What `name = ...` statements directly in the class body bind it to."""
    found: list[cst.BaseExpression | None] = []
    for stmt in owner.body.body:
        for small in getattr(stmt, "body", ()) if isinstance(stmt, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.Assign) and any(
                    isinstance(t.target, cst.Name) and t.target.value == name for t in small.targets):
                found.append(small.value if len(small.targets) == 1 else None)
            elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) \
                    and small.target.value == name:
                found.append(small.value)
    return found


def self_parameter(function: cst.FunctionDef) -> str | None:
    """The name a method calls its instance by (`self`), None for a static method."""
    if any(isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod"
           for d in function.decorators):
        return None
    params = [*function.params.posonly_params, *function.params.params]
    return params[0].name.value if params else None


class _MemberReads(cst.CSTVisitor):
    """Reads of `self.<attr>` in one class's methods and their closures, not nested classes."""

    def __init__(self, attr: str) -> None:
        super().__init__()
        self.attr = attr
        self.reads: list[cst.Attribute] = []
        self._selves: list[str | None] = []
        self._classes = 0
        self._writes: set[cst.CSTNode] = set()

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self._classes += 1
        return self._classes == 1

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes -= 1

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        # A method names its instance; a closure inside it sees the same name.
        self._selves.append(self._selves[-1] if self._selves else self_parameter(node))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._selves.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._write(target.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._write(node.target)

    def _write(self, target: cst.BaseExpression) -> None:
        self._writes.add(target)
        if isinstance(target, (cst.Tuple, cst.List)):
            self._writes.update(e.value for e in target.elements)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if (self._selves and node.attr.value == self.attr and node not in self._writes
                and isinstance(node.value, cst.Name) and node.value.value == self._selves[-1]):
            self.reads.append(node)
