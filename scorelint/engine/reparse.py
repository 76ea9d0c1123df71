"""LibCST trees of unchanged statements reused across versions of a document.

An editor sends the whole text after every keystroke, and most of it is as it was:
the language server turns this on (`reuse`) so that LibCST parses only the top-level
statements, and the members of top-level classes, whose text changed. `parse` splits
the text at statement boundaries into pieces, parses each piece inside a fixed frame
that puts the parser in the state it is in at that point of the whole file, and
assembles the pieces' nodes into a module equal, node for node (`deep_equals`), to
`libcst.parse_module` of the whole text (`tests/test_reparse.py` compares the two).

What LibCST's parser decides for a piece depends only on:

- the piece's own text (a statement, the blank and comment lines after it);
- the file's default newline (the end of its first line) and default indent (that of
  its first indented block): nodes that match them store None. The frame's first
  block pins both, as in the whole file;
- the indentation of what follows the piece: which trailing comment lines go to the
  footer of the piece's last block, and which to the next statement, depends on it.
  The frame ends the piece with a `pass` at that indentation.

A piece's tree is keyed by the exact text handed to LibCST (piece and frame), the only
input of the parse, so an edit anywhere in it is a different key. A piece that occurs
twice in one text (two identical blanked methods) gets a tree per occurrence: a node
is never in one module twice. Whatever the split is not sure of
(a form feed, a BOM, a `match` statement, a line holding only a backslash...) returns
None, and the caller parses the text whole.
"""

from __future__ import annotations

import ast
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
from libcst._nodes.base import CSTNode

from scorelint.base import limits

# Source text kept in parsed pieces (about 20 bytes of LibCST nodes per character:
# some 80 MB at most), least recently used dropped first.
MAX_CHARS = 4 * 1024 * 1024
# A class is split into its members only when it has at least this many.
MIN_MEMBERS = 2

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
# Lines LibCST and CPython could see otherwise than this module does.
_UNSURE = re.compile(r"\f|\ufeff|(?:^|[\r\n])[ \t]*\\(?:\r\n|\r|\n)")
_BLOCKS = ("body", "handlers", "orelse", "finalbody")


# Every LibCST node validates itself when made (`CSTNode.__post_init__`): a fifth of a
# parse, spent again on what LibCST's own parser built from a text CPython accepted.
# While this thread parses, a node skips it; everywhere else it still validates.
_validate_node = CSTNode.__post_init__
_parsing = threading.local()


def _post_init(node: CSTNode) -> None:
    if not getattr(_parsing, "on", False):
        _validate_node(node)


CSTNode.__post_init__ = _post_init  # type: ignore[method-assign]


def parse_module(text: str) -> cst.Module:
    """`libcst.parse_module` of a text CPython accepted (the caller checks it), without
    each node validating itself: the parser's output is valid by construction
    (`tests/test_reparse.py` compares it with a validated parse). On the deep stack."""
    return limits.on_deep_stack(_parse_unvalidated, text)


def _parse_unvalidated(text: str) -> cst.Module:
    _parsing.on = True  # on the thread that parses
    try:
        return cst.parse_module(text)
    finally:
        _parsing.on = False


@dataclass(frozen=True)
class _Unit:
    """A top-level statement (or statements sharing lines) from row `first` on; a class
    split into members has the rows its members start on."""

    first: int
    members: tuple[int, ...] = ()
    member_indent: str = ""


class Reuse:
    """Parsed pieces by the text LibCST parsed, least recently used dropped first."""

    def __init__(self, max_chars: int = MAX_CHARS) -> None:
        self.max_chars = max_chars
        self._trees: OrderedDict[str, list[cst.Module]] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()
        self.parsed = 0  # pieces parsed, and reused, since the start (for tests)
        self.reused = 0

    def parse(self, text: str, tree: ast.Module, rows: str | None = None) -> cst.Module | None:
        """The LibCST module of `text`, or None if it cannot be split exactly. `tree` is
        the CPython tree of a text with the rows of `rows` (by default `text` itself):
        narrowing's text before the lines it blanked were dropped from it."""
        if _UNSURE.search(text):
            return None
        parsed = _LINE.findall(text)
        lines = parsed if rows is None or rows == text else _by_row(parsed, _LINE.findall(rows))
        if not parsed or lines is None:
            return None
        units = _units(tree, lines)
        if not units:
            return None
        newline = parsed[0][len(parsed[0].rstrip("\r\n")):] or "\n"
        indent = _first_indent(tree, lines)
        if indent is None:
            return None
        try:
            return _Assembly(self, lines, newline, indent).module(units)
        except (cst.ParserSyntaxError, cst.CSTValidationError, RecursionError,
                _Unexpected):
            return None  # the whole parse says what is wrong, or parses what this cannot

    def tree(self, source: str, taken: set[int]) -> cst.Module:
        """The parse of `source`: one made before that is not in `taken` (the trees one
        module is being made of), else a new one."""
        with self._lock:
            pool = self._trees.get(source)
            if pool is not None:
                self._trees.move_to_end(source)
                for module in pool:
                    if id(module) not in taken:
                        taken.add(id(module))
                        self.reused += 1
                        return module
        limits.check_time()
        module = parse_module(source)
        taken.add(id(module))
        with self._lock:
            self.parsed += 1
            self._trees.setdefault(source, []).append(module)
            self._chars += len(source)
            while self._chars > self.max_chars and len(self._trees) > 1:
                dropped, pool = self._trees.popitem(last=False)
                self._chars -= len(dropped) * len(pool)
        return module


class _Unexpected(Exception):
    """A piece did not parse into the statements its frame should give."""


class _Assembly:
    """One text's module, made of its pieces' nodes."""

    def __init__(self, reuse: Reuse, lines: list[str], newline: str, indent: str) -> None:
        self.reuse = reuse
        self.lines = lines
        self.newline = newline
        self.frame = f"if 1:{newline}{indent}pass{newline}"  # pins the defaults
        self.indent = indent
        self.taken: set[int] = set()  # no node may stand twice in one module

    def text(self, first: int, end: int) -> str:
        """Rows `first` up to `end` (1-based, `end` excluded)."""
        return "".join(self.lines[first - 1:end - 1])

    def parsed(self, source: str) -> cst.Module:
        return self.reuse.tree(source, self.taken)

    def module(self, units: list[_Unit]) -> cst.Module:
        end_row = len(self.lines) + 1
        header: Sequence[cst.EmptyLine] = ()
        leading: Sequence[cst.EmptyLine] = ()
        if units[0].first > 1:  # comments and blank lines before the first statement
            head = self.parsed(self.text(1, units[0].first) + "pass" + self.newline)
            header, leading = head.header, _only(head.body).leading_lines
        body: list[cst.BaseStatement] = []
        ends = [unit.first for unit in units[1:]] + [end_row]
        for unit, end in zip(units, ends):
            split = self.split_class if unit.members else self.statement
            statements, final = split(unit, end, end == end_row)
            statements[0] = statements[0].with_changes(leading_lines=leading)
            body.extend(statements)
            leading = final.leading_lines if isinstance(final, cst.BaseStatement) else ()
        # The last piece ends the text: its module's footer and final newline are the text's.
        assert isinstance(final, cst.Module)
        return cst.Module(body=tuple(body), header=header, footer=final.footer, encoding="utf-8",
                          default_indent=self.indent, default_newline=self.newline,
                          has_trailing_newline=final.has_trailing_newline)

    def statement(self, unit: _Unit, end: int, last: bool
                  ) -> tuple[list[cst.BaseStatement], cst.BaseStatement | cst.Module]:
        """The statements of a piece and what follows them: the stand-in for the next
        statement (whose leading lines are that statement's), or the last piece's module."""
        source = self.frame + self.text(unit.first, end) + ("" if last else f"pass{self.newline}")
        parsed = self.parsed(source)
        statements = list(parsed.body[1:])
        after: cst.BaseStatement | cst.Module = parsed if last else statements.pop()
        if not statements:
            raise _Unexpected
        return statements, after

    def split_class(self, unit: _Unit, end: int, last: bool
                    ) -> tuple[list[cst.BaseStatement], cst.BaseStatement | cst.Module]:
        """A class made of its shell (decorators, header, lines before the first member)
        and its members, each parsed inside a stand-in class at the members' indent."""
        nl = self.newline
        stand_in = f"{unit.member_indent}pass{nl}"
        shell = _only(self.parsed(self.frame + self.text(unit.first, unit.members[0])
                                  + stand_in).body[1:])
        if not isinstance(shell, cst.ClassDef) or not isinstance(shell.body, cst.IndentedBlock):
            raise _Unexpected
        leading = _only(shell.body.body).leading_lines
        wrapper = self.frame + f"class _:{nl}{stand_in}"
        members: list[cst.BaseStatement] = []
        ends = [*unit.members[1:], end]
        for first, stop in zip(unit.members, ends):
            final = stop == end
            follows = (stand_in if not final else "") + ("" if last or not final else f"pass{nl}")
            parsed = self.parsed(wrapper + self.text(first, stop) + follows)
            if len(parsed.body) != (3 if final and not last else 2):
                raise _Unexpected
            block = parsed.body[1]
            if not isinstance(block, cst.ClassDef) or not isinstance(block.body,
                                                                      cst.IndentedBlock):
                raise _Unexpected
            statements = list(block.body.body[1:])
            after = statements.pop() if not final else None
            if not statements:
                raise _Unexpected
            statements[0] = statements[0].with_changes(leading_lines=leading)
            members.extend(statements)
            if after is not None:
                leading = after.leading_lines
        cls = shell.with_changes(body=shell.body.with_changes(body=tuple(members),
                                                              footer=block.body.footer))
        return [cls], (parsed if last else parsed.body[2])


def _by_row(parsed: list[str], rows: list[str]) -> list[str] | None:
    """The lines of `parsed` at the rows of `rows`, "" at a row dropped from it (a line
    of only whitespace); None if `parsed` is not `rows` less such lines."""
    lines: list[str] = []
    at = 0
    for line in rows:
        if at < len(parsed) and line == parsed[at]:
            lines.append(line)
            at += 1
        elif line.isspace():
            lines.append("")
        else:
            return None
    return lines if at == len(parsed) else None


def _only(body: Sequence[cst.BaseStatement]) -> cst.BaseStatement:
    if len(body) != 1:
        raise _Unexpected
    return body[0]


def _blank(line: str) -> bool:
    return not line.strip(" \t\r\n")


def _span(stmt: ast.stmt) -> tuple[int, int]:
    """The rows of a statement, its decorators included."""
    decorators = getattr(stmt, "decorator_list", ())
    return min([stmt.lineno, *(d.lineno for d in decorators)]), stmt.end_lineno or stmt.lineno


def _groups(body: list[ast.stmt]) -> list[tuple[int, int, list[ast.stmt]]]:
    """Statements that share rows (`a = 1; b = 2`), as (first row, last row, statements)."""
    groups: list[tuple[int, int, list[ast.stmt]]] = []
    for stmt in body:
        first, last = _span(stmt)
        if groups and first <= groups[-1][1]:
            groups[-1] = (groups[-1][0], max(last, groups[-1][1]), [*groups[-1][2], stmt])
        else:
            groups.append((first, last, [stmt]))
    return groups


def _start(first: int, last: int, lines: list[str]) -> int | None:
    """The first row in `first`..`last` that is not blank (the text may have blanked
    what narrowing dropped); None if all are."""
    for row in range(first, last + 1):
        if not _blank(lines[row - 1]):
            return row
    return None


def _units(tree: ast.Module, lines: list[str]) -> list[_Unit] | None:
    units: list[_Unit] = []
    for first, last, stmts in _groups(tree.body):
        if isinstance(stmts[0], ast.Match):
            return None  # `case` lines: left to the whole parse
        start = _start(first, last, lines)
        if start is None:
            continue  # blanked: its rows are blank lines before the next statement
        if start != first:
            return None
        units.append(_class_unit(stmts[0], start, lines) if len(stmts) == 1 else _Unit(start))
    return units


def _class_unit(stmt: ast.stmt, start: int, lines: list[str]) -> _Unit:
    """A class with its members' first rows, when they stand on their own rows at one
    indent (else the class is one piece)."""
    whole = _Unit(start)
    if not isinstance(stmt, ast.ClassDef):
        return whole
    members: list[int] = []
    indent = None
    for first, last, stmts in _groups(stmt.body):
        row = _start(first, last, lines)
        if row is None:
            continue
        line = lines[row - 1]
        here = line[:len(line) - len(line.lstrip(" \t"))]
        # The member's first row (or, for a method narrowing replaced by `pass`, its
        # `def` row) and nothing of the class header on it.
        if row not in (first, stmts[0].lineno) or not here or (indent not in (None, here)):
            return whole
        if row == stmts[0].lineno and row != first and not isinstance(
                stmts[0], (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return whole
        indent = here
        members.append(row)
    if len(members) < MIN_MEMBERS or indent is None or members[0] <= stmt.lineno:
        return whole
    return _Unit(start, tuple(members), indent)


def _first_indent(tree: ast.Module, lines: list[str]) -> str | None:
    """The file's default indent as LibCST takes it: that of its first indented block
    (the first row that starts a nested statement); four spaces if none. None when
    unsure (a `match`)."""
    stack: list[tuple[ast.AST, bool]] = [(stmt, False) for stmt in reversed(tree.body)]
    while stack:
        node, nested = stack.pop()
        if isinstance(node, (ast.Match, ast.match_case)):
            return None
        if nested and isinstance(node, ast.stmt):
            line = lines[node.lineno - 1]
            if _blank(line):
                continue  # blanked, with all it holds
            here = line[:len(line) - len(line.lstrip(" \t"))]
            if here and len(here) == node.col_offset:
                return here
        children = [child for name in _BLOCKS for child in getattr(node, name, ())]
        stack.extend((child, True) for child in reversed(children))
    return "    "


# The one `Reuse` of this process, when on.
_active: Reuse | None = None


def reuse(max_chars: int = MAX_CHARS) -> Reuse:
    """Reuse pieces' trees from now on in this process (a long-lived one: the server)."""
    global _active
    if _active is None:
        _active = Reuse(max_chars)
    return _active


def parse(text: str, tree: ast.Module, rows: str | None = None) -> cst.Module | None:
    """`text` parsed from reused pieces, when reuse is on and the text can be split."""
    return _active.parse(text, tree, rows) if _active is not None else None
