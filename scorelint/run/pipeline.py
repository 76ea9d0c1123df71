"""One file's road: read → source kind → lint, or fix until stable → diff or write → outcome.

A Python file, a Jupyter notebook and a buffer (standard input, an editor's
text) take the same steps, in `check_file`. What differs is only the source
kind: how the file's content becomes the one text the engine reads, how
findings on that text map back to the file, and how a fixed text goes back to
the file's own form. A Python file is its text; a notebook is its code cells
joined into one source (`scorelint.run.notebook` maps them and back), as Ruff's
`SourceKind` does. So every promise holds for every kind through the same
code: an SL000 with the reason for what cannot be read or parsed,
suppression comments, a fix that never writes what it cannot re-parse, and
the same safe write.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scorelint.base import limits, source
from scorelint.base.findings import FileOutcome, Finding, FixResult, error_finding
from scorelint.engine import narrowing, project, recovery, registry, suppressions
from scorelint.run import notebook

if TYPE_CHECKING:
    from scorelint.engine import fixes
    from scorelint.engine import linter as engine


@dataclass(frozen=True)
class Options:
    codes: tuple[str, ...]  # the selected rules by code, and SL002 if selected (picklable)
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False  # compute fixes, print the patch, write nothing
    # False: fix in memory only (stdin, editors): the outcome's text is the fixed text.
    write: bool = True
    # The real path of the folder being checked: a fix never writes through a link out of it.
    tree: str | None = None
    # Seconds the file may take; None: `limits.time_budget()` ($SCORELINT_TIME_BUDGET).
    time_budget: float | None = None


@dataclass(frozen=True)
class PythonSource:
    """A Python file or buffer: the engine reads its text as it is."""

    src: source.Source
    errors: tuple[Finding, ...] = ()  # a Python file's syntax errors are the engine's to find

    @property
    def code(self) -> str:
        return self.src.text

    @property
    def text(self) -> str:
        return self.src.text

    @property
    def cells(self) -> dict[int, str]:
        return {}

    def findings(self, found: Sequence[Finding]) -> list[Finding]:
        return list(found)

    def error(self, path: str, exc: engine.LintError) -> Finding:
        return error_finding(path, str(exc), exc.row, exc.column)

    def fixed(self, text: str) -> PythonSource:
        return PythonSource(dataclasses.replace(self.src, text=text))

    def to_bytes(self) -> bytes:
        return self.src.to_bytes()

    def diff(self, path: str, fixed: PythonSource) -> str:
        # The file's own bytes (encoding, BOM), so the patch applies to it.
        return unified_diff(path, self.src.to_bytes(), fixed.src.to_bytes())


@dataclass(frozen=True)
class NotebookSource:
    """A Jupyter notebook: its code cells joined into one source."""

    notebook: notebook.Notebook  # as read
    layout: notebook.Layout
    code: str  # the joined cells (any a cell CPython rejects on its own blanked)
    errors: tuple[Finding, ...]  # an SL000 for each such cell: the notebook is not fixed
    data: bytes  # the file's bytes (after a fix: the bytes to write)

    @classmethod
    def read(cls, path: str, data: bytes) -> NotebookSource | None:
        """The notebook in `data`; None if it is in another language (not checked, as Ruff).
        Raises `notebook.NotebookError`."""
        loaded = notebook.load(data)
        if not loaded.is_python:
            return None
        layout = notebook.Layout(loaded.cells)
        code, errors = layout.checkable(path)
        return cls(loaded, layout, code, tuple(errors), data)

    @property
    def text(self) -> None:
        return None  # the findings' rows refer to the cells

    @property
    def cells(self) -> dict[int, str]:
        return self.layout.texts

    def findings(self, found: Sequence[Finding]) -> list[Finding]:
        return list(self.layout.findings(found))

    def error(self, path: str, exc: engine.LintError) -> Finding:
        return self.layout.error(path, str(exc), exc.row, exc.column)

    def fixed(self, text: str) -> NotebookSource:
        """The notebook with its cells fixed; raises `notebook.Refused` if they cannot be
        written back safely."""
        from scorelint.engine import fixes  # only a fixed notebook gets here

        cells = self.layout.split(text)
        for old, new in zip(self.layout.cells, cells):
            # The kernel runs each cell alone: `(` closed in the next cell parses only joined.
            if new.code != old.code and not fixes.reparses(new.code, fixes.compiles(old.code)):
                raise notebook.Refused(f"cell {new.index} would not parse on its own")
        layout = notebook.Layout(cells)
        return NotebookSource(self.notebook, layout, layout.joined, (), self.notebook.dump(cells))

    def to_bytes(self) -> bytes:
        return self.data

    def diff(self, path: str, fixed: NotebookSource) -> str:
        return "".join(unified_diff(path, _utf8(old.text), _utf8(new.text), cell=new.index)
                       for old, new in zip(self.layout.cells, fixed.layout.cells)
                       if new.text != old.text)


SourceKind = PythonSource | NotebookSource


def read(path: str, given: bytes | str | None = None) -> SourceKind | None:
    """The file at `path` as its source kind, or `given` (a buffer: always Python).

    None for a notebook in another language than Python. Raises
    `source.SourceError` (a `notebook.NotebookError` for a notebook) with the reason.
    """
    if isinstance(given, str):
        return PythonSource(source.Source(given))
    if given is not None:
        return PythonSource(source.decode(given))
    data = source.read_bytes(path)
    if notebook.is_notebook(path):
        return NotebookSource.read(path, data)
    return PythonSource(source.decode(data))


def check_file(path: str, options: Options, given: bytes | str | None = None,
               checked: FileOutcome | None = None, fixed: FixResult | None = None
               ) -> FileOutcome:
    """Lint one file; with `fix`, fix it and write it, with `diff`, print the patch instead.

    `given` is the content when it does not come from the file at `path`
    (standard input's bytes, an editor's text); it is read as Python and, with
    `options.write` off, fixed in memory: the outcome's text is the fixed text.
    `checked` is a check of the file with the same settings (from the cache): when the
    file still holds its text, its findings are the fix loop's first lint. `fixed` is the
    fix loop's result with the same settings (from the cache): when the file still holds
    the text it started from, it is the fix (no lint, no parse: `_fixed_outcome` diffs or
    writes it).
    Never raises: whatever stops the file's check (bad input, nesting deeper than
    any stack, the time budget, memory, a bug of ours) is one SL000 for it, and
    the other files go on. Every stage runs here, on the deep stack, in one guard.
    """
    try:
        return limits.on_deep_stack(_within_budget, path, options, given, checked, fixed)
    except limits.OverBudget as exc:
        why = str(exc)
    except RecursionError:
        why = "too deeply nested to analyse"
    except MemoryError:
        why = "out of memory while checking it"
    except Exception as exc:  # noqa: BLE001  (promise 7: one file's failure stays its own)
        why = f"internal error while checking it: {type(exc).__name__}: {exc}"
    # Nothing was written: a fix is written last, after every analysis.
    return FileOutcome(path, [error_finding(path, why)])


def _within_budget(path: str, options: Options, given: bytes | str | None,
                   checked: FileOutcome | None, fixed: FixResult | None = None) -> FileOutcome:
    budget = options.time_budget if options.time_budget is not None else limits.time_budget()
    with limits.deadline(budget), limits.collector_paused():
        return _check(path, options, given, checked, fixed)


def _check(path: str, options: Options, given: bytes | str | None,
           checked: FileOutcome | None = None, fixed: FixResult | None = None) -> FileOutcome:
    project.begin()
    outcome = _check_read(path, options, given, checked, fixed)
    # The modules the project index read: a cached outcome is stale when one changes.
    outcome.depends = project.used()
    return outcome


def _check_read(path: str, options: Options, given: bytes | str | None,
                checked: FileOutcome | None = None, fixed: FixResult | None = None
                ) -> FileOutcome:
    try:
        kind = read(path, given)
    except source.SourceError as exc:
        return FileOutcome(path, [error_finding(path, str(exc), exc.row, exc.column)])
    if kind is None:
        return FileOutcome(path)
    if (fixed is not None and (options.fix or options.diff) and isinstance(kind, PythonSource)
            and fixed.source == kind.code):
        return _fixed_outcome(path, kind, options, fixed)
    narrowing.reached("1 read", kind.code)
    wanted = set(options.codes)
    post = apply_suppressions(path, options)
    if not kind.errors and not _may_match(kind.code, wanted):
        found = post(kind.code, [])  # only unused suppressions can be reported
        if not (options.fix or options.diff) or not any(f.fix for f in found):
            return _outcome(path, kind, kind.findings(found))
    from scorelint.engine import fixes
    from scorelint.engine import (  # LibCST and the rules: only for text they may match
        linter as engine,
    )

    rules = [r for r in registry.all_rules() if r.code in wanted]

    def lint() -> list[Finding]:
        return post(kind.code, engine.lint(kind.code, path, rules))

    try:
        if kind.errors:  # parts that cannot be checked: lint the rest, fix nothing
            found = kind.findings(recovery.without_fixes(lint()))
            return _outcome(path, kind, _in_order([*found, *kind.errors]))
        if not (options.fix or options.diff):
            return _outcome(path, kind, kind.findings(lint()))
        # A Python file's check is its findings as they are (a notebook's are mapped to cells).
        first = (checked.findings if checked is not None and checked.text == kind.code
                 and isinstance(kind, PythonSource) else None)
        result = fixes.fix_text(kind.code, path, rules, options.unsafe_fixes, post, first)
    except engine.LintError as exc:
        return _outcome(path, kind, _in_order([kind.error(path, exc), *kind.errors]))
    outcome = _fixed_outcome(path, kind, options, result)
    if isinstance(kind, PythonSource):  # for the cache (a notebook's is not kept)
        outcome.fix_loop = result
    return outcome


def _fixed_outcome(path: str, kind: SourceKind, options: Options,
                   result: FixResult) -> FileOutcome:
    """The outcome of the fix loop's `result`: the patch (`diff`), or the fixed file written
    (`write`), or the fixed text in memory."""
    applied = kind.findings(result.applied)
    if result.text == kind.code:  # nothing to fix, or the fixes were refused
        return _outcome(path, kind, kind.findings(result.remaining), applied)
    try:
        fixed = kind.fixed(result.text)
    except notebook.Refused as exc:
        from scorelint.engine import fixes

        return _outcome(path, kind, kind.findings(fixes.withdraw_fixes(result.original, str(exc))))
    if options.diff:  # the patch, and the findings as they stand in the file
        return _outcome(path, kind, kind.findings(result.original), applied,
                        kind.diff(path, fixed))  # type: ignore[arg-type]
    if options.write:
        try:
            source.write_atomic(path, fixed.to_bytes(), expected=kind.to_bytes(),
                                tree=options.tree)
        except OSError as exc:
            why = f"cannot write the fixed file: {exc.strerror or exc}"
            return _outcome(path, kind, [*kind.findings(result.original), error_finding(path, why)])
    return _outcome(path, fixed, fixed.findings(result.remaining), applied)


def _outcome(path: str, kind: SourceKind, findings: list[Finding],
             applied: Sequence[Finding] = (), diff: str = "") -> FileOutcome:
    """The outcome of `kind`: its findings' positions refer to its text, or its cells."""
    return FileOutcome(path, findings, fixed=len(applied), diff=diff, text=kind.text,
                       cells=kind.cells, applied=list(applied))


def _may_match(text: str, codes: set[str]) -> bool:
    """Does `text` hold every trigger group of some selected rule? Else no rule can find
    anything in it, and the engine (LibCST, the rules) need not even be imported."""
    selected = [r for r in registry.index() if r.code in codes]
    tokens = narrowing.text_tokens(text, selected)
    if narrowing.candidates(selected, tokens):
        return True
    # A trigger may be lent by an imported module (the project index, in the engine).
    return "import" in text and any(narrowing.partly(r, tokens) for r in selected)


def _in_order(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: f.sort_key)


def apply_suppressions(path: str, options: Options) -> fixes.Postprocess:
    """Suppression comments applied to a file's findings after every lint (and every fix
    pass): the one place they are applied."""
    return functools.partial(suppressions.apply, path, selected=options.codes)


def unified_diff(path: str, before: bytes, after: bytes, cell: int | None = None) -> str:
    """The patch from `before` to `after`, the bytes of the file at `path`.

    The patch is bytes, as `patch` and `git apply` read it: the lines are the
    file's own (a latin-1 file's patch is latin-1), and the file name is
    written as git writes it (C-quoted if it must be, a tab after one with a
    space). It is returned as text decoded from UTF-8 with `surrogateescape`
    (as `os.fsdecode` does for names): the same text as before for a UTF-8
    file, and `patch_bytes` gives the bytes back. A notebook's `cell` is named
    `path:cell N` (for people: `patch` cannot apply a cell).
    """
    name = os.fsencode(_display(path))
    tab = b"\t" if b" " in name else b""  # as git: `patch` reads a name up to a tab
    if cell is not None:
        name, tab = name + b":cell %d" % cell, b""
    lines = difflib.diff_bytes(difflib.unified_diff, _patch_lines(before), _patch_lines(after),
                               fromfile=_quoted(b"a/" + name) + tab,
                               tofile=_quoted(b"b/" + name) + tab)
    patch = b"".join(line if line.endswith(b"\n") else line + b"\n\\ No newline at end of file\n"
                     for line in lines)
    return patch.decode("utf-8", "surrogateescape")


def patch_bytes(patch: str) -> bytes:
    """The bytes of a patch `unified_diff` made."""
    return patch.encode("utf-8", "surrogateescape")


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # a notebook's JSON may hold lone surrogates


def _patch_lines(data: bytes) -> list[bytes]:
    """Lines as `patch` and `git apply` count them: only LF ends one (not CR, form feed,
    U+2028 as `str.splitlines` has it), so the patch applies to the file's bytes."""
    parts = data.split(b"\n")
    return [part + b"\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


# What git's quote_c_style escapes in a path (with core.quotePath, its default):
# control characters, `"`, `\`, DEL and every byte of a non-ASCII name.
_C_ESCAPES = {0x07: b"\\a", 0x08: b"\\b", 0x09: b"\\t", 0x0A: b"\\n", 0x0B: b"\\v",
              0x0C: b"\\f", 0x0D: b"\\r", 0x22: b'\\"', 0x5C: b"\\\\"}


def _quoted(name: bytes) -> bytes:
    """`name` as git writes it in a patch header: as is, or C-quoted between `"`."""
    escaped = [_C_ESCAPES.get(byte) or (b"\\%03o" % byte if byte < 0x20 or byte >= 0x7F
                                        else bytes([byte])) for byte in name]
    if all(len(part) == 1 for part in escaped):
        return name
    return b'"' + b"".join(escaped) + b'"'


def _display(path: str) -> str:
    rel = os.path.relpath(path)
    return path.lstrip("/") if rel.startswith("..") else rel
