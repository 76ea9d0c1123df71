"""Jupyter notebooks: an `.ipynb` file's code cells as one Python source, and back.

The kernel runs every code cell in one namespace, so the cells are joined into
one source: a name imported in cell 1 is known in cell 3. Cells that are not
Python at all (`%%bash`, an automagic `pip install x`) are left out, as Ruff
does; other IPython lines (`%magic`, `!shell`, `x = !cmd`, `name?`, the
first line of `%%time`) are replaced line for line by a `pass` placeholder,
so rows keep their numbers. A comment line marks each boundary between
cells, so the fixed source splits back into cells without tracking offsets
through the fix passes.

Findings name the cell as Ruff and the Jupyter UI count them (1-based, over
all cells, markdown included) and the row in that cell. A fix is written back
into the changed cells' `source` only: a file in nbformat's own serialization
(or one of its usual variants) is re-serialized the same way, any other file
has just the changed `source` values replaced in its raw text.

This module only maps; the pipeline (`scorelint.run.pipeline`) lints, fixes and
writes a notebook through the same steps as any Python file.
"""

from __future__ import annotations

import ast
import bisect
import codecs
import dataclasses
import io
import json
import math
import re
import tokenize
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from json.decoder import scanstring
from typing import Any

from scorelint.base import limits
from scorelint.base.findings import (
    INTERNAL_CODE,
    Edit,
    Finding,
    Fix,
    Position,
    TraceStep,
    error_finding,
)
from scorelint.base.source import LineIndex, SourceError
from scorelint.engine import recovery
from scorelint.run.discovery import NOTEBOOK_SUFFIXES

# Stands in for one line of IPython syntax: a statement no rule can match.
PLACEHOLDER = "pass  # scorelint-ipython-magic"
# Separates cells in the joined source; a comment, so it changes nothing the rules see.
BOUNDARY = "# ---- scorelint-cell-boundary ----\n"

# Cell magics whose body is Python run in the kernel's namespace (as Ruff keeps them).
TRANSPARENT_CELL_MAGICS = frozenset({
    "capture", "debug", "prun", "pypy", "python", "python3", "time", "timeit",
})
# IPython line magics that also work without the `%` (automagic); the list Ruff uses.
AUTOMAGICS = frozenset({
    "alias", "alias_magic", "autoawait", "autocall", "automagic", "bookmark", "cd",
    "code_wrap", "colors", "conda", "config", "debug", "dhist", "dirs", "doctest_mode",
    "edit", "env", "gui", "history", "killbgscripts", "load", "load_ext", "loadpy",
    "logoff", "logon", "logstart", "logstate", "logstop", "lsmagic", "macro", "magic",
    "mamba", "matplotlib", "micromamba", "notebook", "page", "pastebin", "pdb", "pdef",
    "pdoc", "pfile", "pinfo", "pinfo2", "pip", "popd", "pprint", "precision", "prun",
    "psearch", "psource", "pushd", "pwd", "pycat", "pylab", "quickref", "recall",
    "rehashx", "reload_ext", "rerun", "reset", "reset_selective", "run", "save", "sc",
    "set_env", "sx", "system", "tb", "time", "timeit", "unalias", "unload_ext", "who",
    "who_ls", "whos", "xdel", "xmode",
})

# A line and its ending, with the newlines `source.LineIndex` counts (not str.splitlines').
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_NEWLINE = re.compile(r"\r\n|\r|\n")
# `%magic`, `%%magic`, `!cmd`, `?name` at the start of a statement.
_ESCAPE = re.compile(r"\s*[%!?]")
# `files = !ls`, `t = %timeit -o f()`.
_ASSIGNED_ESCAPE = re.compile(r"\s*[\w.]+(?:\s*,\s*[\w.]+)*\s*=\s*[%!]")
# `np.exp?`, `obj.method??`, `np.*exp*?`.
_HELP = re.compile(r"\s*[\w.*]+\s*\?{1,2}\s*\Z")
_LAYOUT_TOKENS = frozenset({tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT,
                            tokenize.ENDMARKER})
_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def is_notebook(path: str) -> bool:
    """Is `path` a Jupyter notebook, read cell by cell rather than as Python?"""
    return path.endswith(NOTEBOOK_SUFFIXES)


class NotebookError(SourceError):
    """The file is not a notebook scorelint can read; the message says why."""


class Refused(Exception):
    """The fixed cells cannot be written back safely; the message says why."""


@dataclass(frozen=True)
class Cell:
    """One code cell: its source as stored and the Python the engine reads."""

    index: int  # 1-based position among all the notebook's cells
    text: str  # the source as stored ("source" lists joined)
    code: str  # `text` with IPython lines masked, ending with a newline
    magics: tuple[str, ...]  # the lines the placeholders stand for, in order

    @property
    def rows(self) -> int:
        return len(_NEWLINE.findall(self.code))


@dataclass(frozen=True)
class Notebook:
    """A parsed notebook plus what is needed to write it back unchanged elsewhere."""

    raw: str  # the file's text (without a BOM)
    data: dict[str, Any]
    cells: tuple[Cell, ...]  # the code cells
    bom: bool = False

    @property
    def is_python(self) -> bool:
        """Does the notebook declare Python (or no language)? Others are not checked, as Ruff."""
        metadata = self.data.get("metadata")
        if not isinstance(metadata, dict):
            return True
        info, spec = metadata.get("language_info"), metadata.get("kernelspec")
        name = (info.get("name") if isinstance(info, dict) else None) or (
            spec.get("language") if isinstance(spec, dict) else None)
        return not isinstance(name, str) or name.lower() in ("python", "python3")

    def dump(self, fixed: Sequence[Cell]) -> bytes:
        """The file with the changed cells' sources replaced and every other byte kept."""
        sources = {new.index: new.text
                   for old, new in zip(self.cells, fixed) if new.text != old.text}
        expected = dict(self.data)
        expected["cells"] = [
            {**cell, "source": _source_value(cell["source"], sources[number])}
            if number in sources else cell
            for number, cell in enumerate(self.data["cells"], 1)
        ]
        style = self._style()
        if style is not None:
            indent, ensure_ascii, ending = style
            text = json.dumps(expected, indent=indent, ensure_ascii=ensure_ascii) + ending
        else:
            text = self._spliced(sources)
        # A last guard: never write what we did not mean (compared as canonical JSON, NaN-safe).
        if json.dumps(json.loads(text)) != json.dumps(expected):
            raise Refused("the notebook could not be written back exactly")
        return (codecs.BOM_UTF8 if self.bom else b"") + text.encode("utf-8")

    def _style(self) -> tuple[int, bool, str] | None:
        """The `json.dumps` settings that reproduce the file byte for byte, if any do.

        nbformat writes `indent=1, ensure_ascii=False` plus a newline; other
        tools vary the indent and the escaping.
        """
        for indent in (1, 2, 4):
            for ensure_ascii in (False, True):
                dumped = json.dumps(self.data, indent=indent, ensure_ascii=ensure_ascii)
                if self.raw.startswith(dumped) and self.raw[len(dumped):] in ("", "\n"):
                    return indent, ensure_ascii, self.raw[len(dumped):]
        return None

    def _spliced(self, sources: dict[int, str]) -> str:
        """Replace only the changed cells' `source` values in the raw JSON text."""
        spans = _source_spans(self.raw)
        ensure_ascii = self.raw.isascii()  # keep an ASCII file ASCII
        out, last = [], 0
        for number in sorted(sources):
            start, end = spans[number]
            out += [self.raw[last:start], _render_source(self.raw, start, end, sources[number],
                                                         ensure_ascii)]
            last = end
        return "".join([*out, self.raw[last:]])


def load(data: bytes) -> Notebook:
    """Parse a notebook file (nbformat 4); raises `NotebookError` with the reason."""
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        raw = data[len(codecs.BOM_UTF8) if bom else 0:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotebookError(f"not a notebook: not valid UTF-8 (byte {exc.start})") from None
    try:
        nb = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"not a notebook: invalid JSON at line {exc.lineno} column "
                            f"{exc.colno}: {exc.msg}", exc.lineno, exc.colno) from None
    except RecursionError:
        raise NotebookError("not a notebook: JSON nested too deeply") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookError('not a notebook: no "cells" list')
    if nb.get("nbformat", 4) != 4:
        raise NotebookError(f"unsupported notebook format {nb['nbformat']!r} "
                            "(scorelint reads nbformat 4)")
    cells = []
    for number, cell in enumerate(nb["cells"], 1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise NotebookError(f"not a notebook: cell {number} has no cell_type")
        if cell["cell_type"] != "code":
            continue
        source = cell.get("source")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise NotebookError(f"not a notebook: the source of cell {number} is not text")
        code_cell = read_cell(number, source)
        if code_cell is not None:
            cells.append(code_cell)
    return Notebook(raw, nb, tuple(cells), bom)


def read_cell(index: int, text: str) -> Cell | None:
    """A code cell with its IPython lines masked, or None if it is not Python at all."""
    masked = _mask(_LINE.findall(text))
    if masked is None:
        return None
    code = "".join(masked[0])
    return Cell(index, text, code if code.endswith("\n") else code + "\n", tuple(masked[1]))


def _split_ending(line: str) -> tuple[str, str]:
    body = line.rstrip("\r\n")
    return body, line[len(body):]


def _mask(lines: list[str]) -> tuple[list[str], list[str]] | None:
    """Replace the lines that are IPython syntax: (lines, the replaced lines), or None.

    None for a cell that is not Python at all: a cell magic such as `%%bash`
    (IPython reads it only on the first line), or an automagic command.
    """
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return lines, []
    head = lines[first].strip()
    transparent = None
    if head.startswith("%%"):
        name = head[2:].split(maxsplit=1)[0] if head[2:].strip() else ""
        if name not in TRANSPARENT_CELL_MAGICS:
            return None
        transparent = first  # only the magic's own line is not Python
    elif _is_automagic(head):
        return None
    heads = {i for i, line in enumerate(lines)
             if i == transparent or _is_ipython(_split_ending(line)[0])}
    # A line that looks like IPython is one only where a statement starts, not
    # inside a string or brackets (`% b` continuing `(a`). Whether it does
    # depends on the lines above, so mask every candidate, tokenize once, and
    # put back the first one found inside something; repeat until none is.
    while True:
        out, magics, masked = _masked(lines, heads)
        starts, known_until = _statement_rows("".join(out))
        wrong = next((i for i in sorted(masked) if i != transparent
                      and i + 1 not in starts and i + 1 <= known_until), None)
        if wrong is None:
            return out, magics
        heads.discard(wrong)


def _masked(lines: list[str], heads: set[int]) -> tuple[list[str], list[str], list[int]]:
    """Lines with each head (and its backslash continuations) replaced by a placeholder."""
    out: list[str] = []
    magics: list[str] = []
    masked: list[int] = []
    indent: str | None = None  # set while masking a magic's backslash continuations
    for i, line in enumerate(lines):
        body, ending = _split_ending(line)
        if indent is None:
            if i not in heads:
                out.append(line)
                continue
            indent = body[: len(body) - len(body.lstrip())]
            masked.append(i)
        out.append(indent + PLACEHOLDER + ending)
        magics.append(body)
        if not body.endswith("\\"):  # a trailing backslash continues the magic
            indent = None
    return out, magics, masked


def _is_ipython(body: str) -> bool:
    return bool(_ESCAPE.match(body) or _ASSIGNED_ESCAPE.match(body) or _HELP.match(body))


def _is_automagic(head: str) -> bool:
    """`pip install x`: a magic's name without `%`, on a line that is not Python."""
    if head.split(maxsplit=1)[0] not in AUTOMAGICS:
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(head)
    except (SyntaxError, ValueError):
        return True
    return False  # `time = 3` is Python


def _statement_rows(code: str) -> tuple[set[int], float]:
    """The rows where a statement starts, and the last row that is known about.

    Past a tokenize error for bad indentation nothing is known (the cell will
    not parse anyway); an unclosed string or bracket runs to the end.
    """
    rows: set[int] = set()
    depth, fresh = 0, True  # `fresh`: the next token starts a statement
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.OP and tok.string in ("(", "[", "{"):
                depth += 1
            elif tok.type == tokenize.OP and tok.string in (")", "]", "}"):
                depth = max(0, depth - 1)
            if tok.type == tokenize.NEWLINE or (tok.type == tokenize.NL and depth == 0):
                fresh = True
            elif tok.type not in _LAYOUT_TOKENS and fresh:
                rows.add(tok.start[0])
                fresh = False
    except tokenize.TokenError:
        pass  # an unclosed string or bracket: the rows after it continue it
    except SyntaxError as exc:
        return rows, (exc.lineno or 1) - 1
    return rows, math.inf


def _source_value(old: object, text: str) -> str | list[str]:
    """`text` stored the way the cell stored its source (nbformat: a list of lines)."""
    return text.splitlines(keepends=True) if isinstance(old, list) else text


class Layout:
    """Maps the joined source's rows to (cell, row in the cell) and back."""

    def __init__(self, cells: Sequence[Cell]) -> None:
        self.cells = list(cells)
        self.joined = BOUNDARY.join(cell.code for cell in self.cells)
        self.starts: list[int] = []
        row = 1
        for cell in self.cells:
            self.starts.append(row)
            row += cell.rows + 1  # the boundary comment takes one row
        self.indexes = [LineIndex(cell.text) for cell in self.cells]

    @property
    def texts(self) -> dict[int, str]:
        return {cell.index: cell.text for cell in self.cells}

    def locate(self, pos: Position) -> tuple[int, Position]:
        """(position in `cells`, position in that cell) of a joined-source position."""
        k = max(0, bisect.bisect_right(self.starts, pos.row) - 1)
        return k, Position(pos.row - self.starts[k] + 1, pos.column)

    def offset(self, k: int, pos: Position) -> int:
        """A cell position as a character offset in the cell's stored text."""
        index = self.indexes[k]
        if pos.row > len(index.starts):  # just past a cell with no final newline
            return len(index.text)
        return min(index.line_start(pos.row) + pos.column - 1, len(index.text))

    def findings(self, found: Sequence[Finding]) -> tuple[Finding, ...]:
        return tuple(sorted((self.finding(f) for f in found), key=lambda f: f.sort_key))

    def finding(self, finding: Finding) -> Finding:
        if not self.cells or finding.code == INTERNAL_CODE:
            return finding  # a rule's crash concerns the whole notebook, not a line
        k, start = self.locate(finding.start)
        end_k, end = self.locate(finding.end)
        if end_k != k:
            end = start
        _, noqa = self.locate(Position(finding.noqa_row or finding.start.row, 1))
        fix = finding.fix
        if fix is not None:
            fix = Fix(fix.title, fix.applicability, tuple(self.edit(e) for e in fix.edits))
        extra = finding.extra
        if finding.trace:
            extra = {**extra, "trace": [self.step(s).to_dict() for s in finding.trace]}
        return dataclasses.replace(finding, start=start, end=end, noqa_row=noqa.row, fix=fix,
                                   cell=self.cells[k].index, extra=extra)

    def step(self, step: TraceStep) -> TraceStep:
        # A value made in one cell and used in another is the point of a notebook's
        # trace: every step keeps its own cell, which may not be the finding's.
        k, start = self.locate(step.start)
        end_k, end = self.locate(step.end)
        return TraceStep(start, end if end_k == k else start, step.note, self.cells[k].index)

    def edit(self, edit: Edit) -> Edit:
        # An edit may lie in another cell than its finding (an import added in cell 1).
        k, start = self.locate(edit.start_pos)
        end_k, end = self.locate(edit.end_pos)
        if end_k != k:
            end = start
        return Edit(self.offset(k, start), self.offset(k, end), edit.content, start, end,
                    cell=self.cells[k].index)

    def error(self, path: str, message: str, row: int, column: int) -> Finding:
        """The SL000 finding for a notebook whose joined cells do not parse (`message`, at
        `row` and `column` of the joined source)."""
        where = f"at line {row}"
        if not self.cells or where not in message:
            return error_finding(path, message)
        k, pos = self.locate(Position(row, column))
        number = self.cells[k].index
        message = message.replace(where, f"in cell {number} at line {pos.row}", 1)
        return dataclasses.replace(error_finding(path, message, pos.row, pos.column),
                                   cell=number)

    def checkable(self, path: str) -> tuple[str, list[Finding]]:
        """The joined source to lint, and an SL000 for each cell CPython rejects on its own.

        Such a cell is blanked in the source (its rows kept), so the others are
        still linted; the caller fixes nothing in a notebook that does not run
        as a whole.
        """
        rejected = self._rejected()
        errors = []
        for k, exc in sorted(rejected.items()):
            number, row = self.cells[k].index, min(max(exc.lineno or 1, 1), self.cells[k].rows)
            message = f"syntax error in cell {number} at line {row}: {exc.msg}"
            errors.append(dataclasses.replace(
                error_finding(path, message, row, max(1, exc.offset or 1)), cell=number))
        if not rejected:
            return self.joined, errors
        return BOUNDARY.join(recovery.blank(cell.code) if k in rejected else cell.code
                             for k, cell in enumerate(self.cells)), errors

    def _rejected(self) -> dict[int, SyntaxError]:
        """Cells CPython rejects on their own, by position in `cells`; computed only
        when the joined cells do not parse."""
        try:
            limits.cpython_parse(self.joined)
            return {}
        except SyntaxError:
            pass
        except (ValueError, RecursionError, MemoryError):
            return {}  # the engine reports it for the whole notebook
        bad = {}
        for k, cell in enumerate(self.cells):
            try:
                limits.cpython_parse(cell.code)
            except SyntaxError as exc:
                bad[k] = exc
            except (ValueError, RecursionError, MemoryError):
                pass
        return bad

    def split(self, text: str) -> list[Cell]:
        """The cells of a fixed joined source, IPython lines restored; raises `Refused`.
        Whether each changed cell parses on its own is the caller's to check."""
        parts = text.split(BOUNDARY)
        if len(parts) != len(self.cells) or not all(p.endswith("\n") for p in parts):
            raise Refused("the fixed cells could not be told apart")
        cells = []
        for cell, part in zip(self.cells, parts):
            if part == cell.code:
                cells.append(cell)
                continue
            text = _unmask(part, cell.magics)
            if not cell.text.endswith("\n"):
                text = text[:-1]  # drop the newline `read_cell` added
            cells.append(dataclasses.replace(cell, text=text, code=part))
        return cells


def _unmask(code: str, magics: Sequence[str]) -> str:
    """Put the IPython lines back in place of their placeholders, in order."""
    out, pending = [], list(reversed(magics))
    for line in _LINE.findall(code):
        body, ending = _split_ending(line)
        if body.strip() == PLACEHOLDER:
            if not pending:
                raise Refused("the fix moved an IPython line")
            body = pending.pop()
        out.append(body + ending)
    if pending:
        raise Refused("the fix removed an IPython line")
    return "".join(out)


def _skip_space(raw: str, i: int) -> int:
    match = _JSON_SPACE.match(raw, i)
    assert match is not None  # the pattern matches the empty string
    return match.end()


def _object_spans(raw: str, i: int) -> dict[str, tuple[int, int]]:
    """Where each member's value of the JSON object starting at `raw[i]` lies."""
    spans: dict[str, tuple[int, int]] = {}
    i = _skip_space(raw, i + 1)
    while raw[i] != "}":
        key, i = scanstring(raw, i + 1)
        i = _skip_space(raw, _skip_space(raw, i) + 1)  # past the colon
        _, end = _DECODER.raw_decode(raw, i)
        spans[key] = (i, end)  # a repeated key: the last wins, as in json.loads
        i = _skip_space(raw, end)
        if raw[i] == ",":
            i = _skip_space(raw, i + 1)
    return spans


def _array_spans(raw: str, i: int) -> list[tuple[int, int]]:
    """Where each item of the JSON array starting at `raw[i]` lies."""
    spans = []
    i = _skip_space(raw, i + 1)
    while raw[i] != "]":
        _, end = _DECODER.raw_decode(raw, i)
        spans.append((i, end))
        i = _skip_space(raw, end)
        if raw[i] == ",":
            i = _skip_space(raw, i + 1)
    return spans


def _source_spans(raw: str) -> dict[int, tuple[int, int]]:
    """Where each cell's `source` value lies in the file's text, by 1-based cell index.

    The file is known to be valid JSON here; the standard library's decoder
    measures each value, so only the structure is walked by hand.
    """
    top = _object_spans(raw, _skip_space(raw, 0))
    spans = {}
    for number, (start, _) in enumerate(_array_spans(raw, top["cells"][0]), 1):
        members = _object_spans(raw, start)
        if "source" in members:
            spans[number] = members["source"]
    return spans


def _render_source(raw: str, start: int, end: int, text: str, ensure_ascii: bool) -> str:
    """A new `source` value in the layout of the old one at `raw[start:end]`."""
    if raw[start] == '"':
        return json.dumps(text, ensure_ascii=ensure_ascii)
    items = _array_spans(raw, start)
    lines = [json.dumps(line, ensure_ascii=ensure_ascii) for line in text.splitlines(keepends=True)]
    if not items or not lines:
        return "[" + ", ".join(lines) + "]"
    opening = raw[start + 1 : items[0][0]]
    closing = raw[items[-1][1] : end - 1]
    between = raw[items[0][1] : items[1][0]] if len(items) > 1 else "," + opening
    return "[" + opening + between.join(lines) + closing + "]"
