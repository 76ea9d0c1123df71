"""What one module says about its own classes: members of `self` bound in one method and
read in another, computed during the engine's single traversal."""

from __future__ import annotations

import libcst as cst


class MemberRecorder(cst.BatchableCSTVisitor):
    """Runs in the batched traversal and records what `self.x = v` binds, per class.

    `members[(class, "x")]` lists every value bound (None for a binding we
    cannot read, such as `self.x += 1` or `other.x = v` inside the class).
    """

    def __init__(self) -> None:
        super().__init__()
        self.members: dict[tuple[cst.ClassDef, str], list[cst.BaseExpression | None]] = {}
        self._defs: list[cst.ClassDef | cst.FunctionDef] = []

    def _record(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        if isinstance(target, cst.Attribute):
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
        for target in node.targets:
            self._record(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._record(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._record(node.target, None)

    def visit_For(self, node: cst.For) -> None:
        self._record(node.target, None)


def class_attributes(owner: cst.ClassDef, name: str) -> list[cst.BaseExpression | None]:
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


class MemberReads(cst.CSTVisitor):
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
