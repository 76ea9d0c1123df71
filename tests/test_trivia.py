"""The rule pass does not enter whitespace, comments, operators and punctuation
(`scorelint.engine.linter.TRIVIA`) when no visitor handles one: two thirds of a tree's
nodes. Skipping them must change no call a visitor gets."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import libcst as cst
import pytest
from test_walk import ALL_SYNTAX
from test_walk import Spy as WalkSpy

from scorelint.base import limits
from scorelint.engine import linter as engine

ROOT = Path(__file__).resolve().parent.parent


def _texts() -> list[str]:
    stdlib = sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))[::40]
    fixtures = sorted((ROOT / "fixtures").rglob("*.py"))[::5]
    return [ALL_SYNTAX, *(p.read_text(encoding="utf-8", errors="replace")
                          for p in stdlib + fixtures)]


@pytest.fixture(scope="module")
def modules() -> list[cst.Module]:
    return [limits.on_deep_stack(cst.parse_module, text) for text in _texts()]


def test_trivia_holds_only_trivia(modules: list[cst.Module]) -> None:
    """Skipping a trivia node skips nothing else: whatever is under it is trivia too."""
    met: set[type] = set()
    for module in modules:
        stack: list[tuple[cst.CSTNode, bool]] = [(module, False)]
        while stack:
            node, inside = stack.pop()
            trivia = type(node) in engine.TRIVIA
            assert trivia or not inside, type(node).__name__
            if trivia:
                met.add(type(node))
            stack.extend((child, inside or trivia) for child in node.children)
    assert len(met) > 30  # the walk met most of them


class Spy(WalkSpy):
    """Records its calls: on the nodes rules handle, and on those that hold trivia."""

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        self.calls.append(("visit_BinaryOperation", id(node)))

    def visit_Arg(self, node: cst.Arg) -> None:
        self.calls.append(("visit_Arg", id(node)))

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.calls.append(("visit_IndentedBlock", id(node)))


class CommaSpy(Spy):
    """Handles a trivia class: then nothing may be skipped."""

    def visit_Comma(self, node: cst.Comma) -> None:
        self.calls.append(("visit_Comma", id(node)))


@pytest.mark.parametrize("spy", [Spy, CommaSpy])
def test_skipping_trivia_changes_no_call(modules: list[cst.Module], spy: type[Spy]) -> None:
    for module in modules:
        ours, theirs = spy(), spy()
        batch = engine._Batched([ours], [], [])
        skip = batch.skippable()
        assert skip == (engine.TRIVIA if spy is Spy else frozenset())
        limits.on_deep_stack(engine.visit, module, batch, skip)
        limits.on_deep_stack(module.visit, engine._Batched([theirs], [], []))
        assert ours.calls == theirs.calls
    assert any(name == "visit_Comma" for name, _ in ours.calls) == (spy is CommaSpy)


def test_the_rule_pass_skips_trivia(modules: list[cst.Module]) -> None:
    entered: list[type] = []

    class Counting(engine._Batched):
        def on_visit(self, node: cst.CSTNode) -> bool:
            entered.append(type(node))
            return super().on_visit(node)

    batch = Counting([Spy()], [], [])
    limits.on_deep_stack(engine.visit, modules[0], batch, batch.skippable())
    assert entered and not engine.TRIVIA & set(entered)
