"""Statement trees reused across versions (`scorelint.engine.reparse`): the module made of
pieces is LibCST's own parse of the whole text, node for node, and the findings of a
document checked version after version are those of a fresh check of its last text."""

from __future__ import annotations

import ast
import sysconfig
from pathlib import Path

import libcst as cst
import pytest

from scorelint.base import limits
from scorelint.engine import narrowing, reparse
from scorelint.frontends import api


def pieces(text: str, reuse: reparse.Reuse | None = None) -> cst.Module | None:
    return (reuse or reparse.Reuse()).parse(text, ast.parse(text))


def assert_same(text: str, reuse: reparse.Reuse | None = None) -> None:
    made = pieces(text, reuse)
    assert made is not None
    whole = cst.parse_module(text)
    assert made.code == whole.code  # (the text itself, but where LibCST drops a lone CR)
    assert made.deep_equals(whole), text
    assert_unique(made)


def assert_unique(module: cst.Module) -> None:
    """No node object stands twice in the tree (positions and parents are by identity)."""
    seen: set[int] = set()
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        assert id(node) not in seen, node
        seen.add(id(node))
        stack.extend(node.children)


CLASS = """\
'''A module.'''
# a comment before the imports

import numpy as np  # trailing
import torch; import math


@decorator(
    arg=1,
)
class Scorer(Base,
             metaclass=Meta):  # the header
    # before the first member
    eps = 1e-8

    @staticmethod
    def f(p):
        return np.log(np.prod(p))
        # indented as f's body: f's footer

    # indented as the members: the next member's
# at column 0, inside the class
    def g(self, x):
        if x:
            return 1
        else:
            return 2
    async def h(self):
        try:
            pass
        except ValueError:
            pass
        finally:
            pass

        # after the last member, indented
    # at the members' indent
# at column 0 after the class

def tail():
    '''doc
at column 0
    '''
    return 1
# the module's footer

"""


@pytest.mark.parametrize("text", [
    CLASS,
    CLASS.replace("\n", "\r\n"),
    CLASS.rstrip("\n"),  # no newline at the end
    CLASS.replace("\n", "\r"),
    "x = 1\n",
    "\n\n# only a header\nx = 1\n",
    "def f():\n  return 1\nclass A:\n      a = 1\n      b = 2\n",  # two- then six-space indents
    "if x: y = 1\nelse:\n   z = 2\nclass A:\n    def f(self): pass\n    def g(self): pass\n",
    "class A:\n    x = 1\n    y = 2\n\n\n\n",
    "class A:\n    x = 1\n    y = 2\n    # the last line, no newline",
    "class A: x = 1\nclass B:\n    '''doc'''\n    def f(self): return 1\n",
    ("@d\nclass A:\n    @p\n    @q\n    def f(self):\n        pass\n"
     "    @r\n    def g(self):\n        pass\n"),
    # Narrowing's blanking: a dropped method is `pass` on its `def` row, the rest spaces.
    ("class A:\n    x = 1\n      \n    pass           \n                \n    def g(self):\n"
     "        return x / x.sum()\n"),
    "x = (1,\n# in the brackets\n     2)\ny = '''\n\nz'''\n",
    "class A:\n\tdef f(self):\n\t\treturn 1\n\t# tab\n\tdef g(self):\n\t\treturn 2\n",
    "def f():\n\treturn 1\nclass A:\n    x = 1\n    y = '''\n\t\tin a string\n'''\n",
])
def test_the_pieces_make_libcsts_own_tree(text: str) -> None:
    assert_same(text)


@pytest.mark.parametrize("text", [
    "x = 1\n\x0cy = 2\n",  # a form feed
    "x = 1\n\\\ny = 2\n",  # a line continued onto the next statement
    "match x:\n    case 1:\n        pass\n",
    "# nothing but a comment\n",
])
def test_what_the_split_is_not_sure_of_is_left_to_the_whole_parse(text: str) -> None:
    assert pieces(text) is None


def _blanked(text: str, first: int, last: int, stand_in: int | None = None) -> str:
    """Rows `first`..`last` blanked as narrowing blanks them, `pass` on row `stand_in`."""
    lines = text.splitlines(keepends=True)
    for row in range(first, last + 1):
        line = lines[row - 1]
        lines[row - 1] = " " * len(line.rstrip("\n")) + "\n"
        if row == stand_in:
            indent = len(line) - len(line.lstrip())
            lines[row - 1] = " " * indent + "pass" + lines[row - 1][indent + 4:]
    return "".join(lines)


def test_narrowings_text_without_its_blanked_lines_from_pieces() -> None:
    """LibCST parses narrowing's text less the lines it blanked (`Narrowed.parsed`); the
    statements are found on the rows of the text before (`Narrowed.text`)."""
    rows = CLASS.splitlines()
    g = rows.index("    def g(self, x):") + 1
    tail = rows.index("def tail():") + 1
    masked = _blanked(_blanked(CLASS, g, g + 4, stand_in=g), tail, tail + 5)
    squeezed = narrowing.squeezed(CLASS, masked)
    assert squeezed.count("\n") < masked.count("\n")
    made = reparse.Reuse().parse(squeezed, ast.parse(CLASS), masked)
    assert made is not None
    whole = cst.parse_module(squeezed)
    assert made.code == squeezed and made.deep_equals(whole)
    assert_unique(made)


def test_identical_pieces_get_their_own_nodes() -> None:
    method = "    def f(self):\n        return 1\n\n"
    text = "class A:\n" + method * 3 + "class B:\n" + method * 2 + "x = 1\n"
    reuse = reparse.Reuse()
    assert_same(text, reuse)
    assert_same(text, reuse)  # again: the same trees, each used once per module


def test_an_edit_parses_only_the_piece_it_changed() -> None:
    reuse = reparse.Reuse()
    assert_same(CLASS, reuse)
    before = reuse.parsed
    edited = CLASS.replace("            return 1\n", "            return 1  # edited\n")
    assert_same(edited, reuse)
    assert reuse.parsed == before + 1  # `g` alone
    assert_same(CLASS, reuse)  # and back: every piece was kept
    assert reuse.parsed == before + 1


def test_the_trees_kept_are_bounded() -> None:
    reuse = reparse.Reuse(max_chars=200)
    for n in range(20):
        assert_same(f"class A{n}:\n    x = {n}\n    y = {n}\n", reuse)
    assert reuse._chars <= 200 + 100  # the newest piece is always kept


def _stdlib_sample() -> list[Path]:
    files = sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))
    return files[::8]  # about 25 files of every shape, from a few lines to thousands


@pytest.mark.slow
@pytest.mark.parametrize("path", _stdlib_sample(), ids=lambda p: p.name)
def test_stdlib_files_parse_the_same_from_pieces(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        limits.cpython_check(text)
        whole = limits.on_deep_stack(cst.parse_module, text)
    except Exception:  # noqa: BLE001  (not ours to parse)
        pytest.skip("not parsed whole")
    made = limits.on_deep_stack(pieces, text)
    if made is not None:
        assert made.deep_equals(whole) and made.code == text
    assert reparse.parse_module(text).deep_equals(whole)


FIXTURES = sorted((Path(__file__).resolve().parent.parent / "fixtures").rglob("*.py"))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_parse_without_node_validation_is_libcsts_validated_parse(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    limits.cpython_check(text)
    unvalidated = reparse.parse_module(text)
    assert unvalidated.deep_equals(cst.parse_module(text)) and unvalidated.code == text


def test_nodes_made_outside_a_parse_still_validate_themselves() -> None:
    reparse.parse_module("x = 1\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")
    with pytest.raises(cst.CSTValidationError):  # also on the deep-stack thread
        limits.on_deep_stack(cst.Name, "")


# Findings, through narrowing (whose blanked text is what LibCST parses), version
# after version with reuse on, against a fresh check of the same text.

def document_versions() -> list[str]:
    """A document as it is typed: findings come and go, a line is added, a method goes."""
    base = "import numpy as np\nimport torch\n\n\nclass Model:\n    eps = 1e-8\n\n" + "".join(
        f"    def m{i}(self, p, logits):\n        q = p * {i}\n        return q\n\n"
        for i in range(8)) + "def score(p):\n    return np.log(np.prod(p, axis=-1))\n"
    versions = [base]
    # A finding typed into a method, one more line, the finding taken out, a method gone.
    versions.append(versions[-1].replace("        return q\n\n    def m3",
                                         "        return np.log(np.prod(q))\n\n    def m3"))
    versions.append(versions[-1].replace("    def m5(", "    # typed\n    def m5("))
    versions.append(versions[-1].replace(
        "        q = p * 6\n",
        "        q = logits / logits.sum(-1, keepdims=True)\n"))
    versions.append(versions[-1].replace("np.log(np.prod(q))", "q"))
    versions.append(versions[-1].replace(
        "    def m1(self, p, logits):\n        q = p * 1\n        return q\n\n", ""))
    return versions


def _findings(text: str, path: str) -> list[tuple[object, ...]]:
    result = limits.on_deep_stack(api.check_source, text, path)
    return [(f.code, f.start, f.end, f.message, f.fix) for f in result.findings]


def test_findings_version_after_version_are_those_of_a_fresh_check(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = str(tmp_path / "model.py")
    versions = document_versions()
    fresh = [_findings(text, path) for text in versions]
    assert any(fresh) and len({tuple(f) for f in fresh}) > 2  # the edits change findings
    reuse = reparse.Reuse()
    monkeypatch.setattr(reparse, "_active", reuse)
    assert [_findings(text, path) for text in versions] == fresh
    assert reuse.reused > 0  # the pieces were reused, not parsed again
