"""The context of a snippet and the expression a test asks about: the argument of the
snippet's last `use(...)` call (shared by the value-layer and roles tests)."""

from __future__ import annotations

import textwrap

import libcst as cst

from scorelint.model.context import FileContext
from scorelint.model.semantic import Semantic
from scorelint.model.summaries import MemberRecorder


def used(code: str) -> tuple[FileContext, cst.BaseExpression]:
    """The context of `code` and the argument of its last `use(...)` call."""
    module = cst.parse_module(textwrap.dedent(code))
    members = MemberRecorder()
    ctx = FileContext(module, module.code, "m.py", Semantic(module), members)
    cst.visit_batched(module, [members])
    found: list[cst.BaseExpression] = []

    class Finder(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            if isinstance(node.func, cst.Name) and node.func.value == "use":
                found.append(node.args[0].value)

    module.visit(Finder())
    return ctx, found[-1]
