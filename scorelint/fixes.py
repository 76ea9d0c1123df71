"""Applying fixes: text edits, re-lint until stable, re-parse, atomic writes.

A fix is a set of text edits on the node's own source span, so every byte
outside the edits is kept (encoding, BOM, line endings, comments). The file
is re-linted after each pass, at most `MAX_PASSES` times; a result that does
not parse, or that never settles, is thrown away whole.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import os
import stat
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the byte comparison alone guards
    fcntl = None  # type: ignore[assignment]

from scorelint import engine, recovery
from scorelint.findings import ERROR_CODE, Applicability, Edit, Finding, Fix
from scorelint.rule import Rule

MAX_PASSES = 10

# Called on every pass's findings (the runner marks suppressed ones and adds
# unused-suppression reports): (text, findings) -> findings.
Postprocess = Callable[[str, list[Finding]], list[Finding]]


@dataclass
class FixResult:
    text: str  # the fixed text (the original when nothing applied or a fix was refused)
    applied: list[Finding] = field(default_factory=list)
    remaining: list[Finding] = field(default_factory=list)
    refused: str | None = None  # why the fixes were thrown away, if they were
    original: list[Finding] = field(default_factory=list)  # the findings before any fix


def applicable(fix: Fix | None, unsafe: bool) -> bool:
    if fix is None or not fix.edits:
        return False
    if fix.applicability is Applicability.SAFE:
        return True
    return unsafe and fix.applicability is Applicability.UNSAFE


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """Apply non-overlapping edits, back to front so offsets stay valid."""
    out = text
    # Back to front; insertions at one point end up in ascending order of content.
    for edit in sorted(edits, key=lambda e: (e.start, e.end, e.content), reverse=True):
        out = out[: edit.start] + edit.content + out[edit.end :]
    return out


def _choose(findings: Sequence[Finding], unsafe: bool) -> tuple[list[Finding], list[Edit]]:
    """Fixes that do not overlap each other; the rest wait for the next pass."""
    chosen: list[Finding] = []
    taken: list[Edit] = []
    for finding in findings:
        if finding.suppressed or not applicable(finding.fix, unsafe):
            continue
        assert finding.fix is not None
        new = [e for e in finding.fix.edits if e not in taken]
        if any(_overlaps(a, b) for a in new for b in taken):
            continue
        chosen.append(finding)
        taken.extend(new)
    return chosen, taken


def _overlaps(a: Edit, b: Edit) -> bool:
    """Do two edits touch the same text? Insertions (whole import lines) never collide
    with each other: several at one point are all applied, in a fixed order."""
    if a.start == a.end and b.start == b.end:
        return False
    return a.start < b.end and b.start < a.end


def compiles(text: str) -> bool:
    """Does CPython accept the text? (`compile` only; nothing is executed.)"""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "<scorelint>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def reparses(text: str, must_compile: bool) -> bool:
    try:
        engine.parse(text)
    except engine.LintError:
        return False
    return compiles(text) if must_compile else True


def _lint(text: str, path: str, rules: Sequence[type[Rule]],
          postprocess: Postprocess | None) -> list[Finding]:
    findings = engine.lint(text, path, rules)
    return postprocess(text, findings) if postprocess is not None else findings


def fix_text(text: str, path: str, rules: Sequence[type[Rule]], unsafe: bool,
             postprocess: Postprocess | None = None) -> FixResult:
    """Fix `text` until no applicable fix is left; raises `engine.LintError` if unparseable.

    Suppressed findings (as `postprocess` marks them) are never fixed.
    """
    original = findings = _lint(text, path, rules, postprocess)
    if any(f.code == ERROR_CODE for f in original):
        # Part of the file does not parse (scorelint.recovery): a fix could not be re-checked.
        return FixResult(text, [], recovery.without_fixes(original), original=original)
    must_compile = compiles(text)
    current, applied = text, []
    for _ in range(MAX_PASSES):
        chosen, edits = _choose(findings, unsafe)
        if not chosen:
            return FixResult(current, applied, findings, original=original)
        candidate = apply_edits(current, edits)
        if candidate == current:  # a fix that changes nothing would never settle
            return _refused(text, original, "a fix changed nothing")
        if not reparses(candidate, must_compile):
            return _refused(text, original, "the fixed file would not parse")
        current = candidate
        applied.extend(chosen)
        findings = _lint(current, path, rules, postprocess)
    if any(applicable(f.fix, unsafe) and not f.suppressed for f in findings):
        return _refused(text, original, f"fixes did not settle in {MAX_PASSES} passes")
    return FixResult(current, applied, findings, original=original)


def withdraw_fixes(findings: Sequence[Finding], why: str) -> list[Finding]:
    """The findings with their fixes withdrawn and the reason in the message."""
    return [dataclasses.replace(f, message=f"{f.message} (fix refused: {why})", fix=None)
            if f.fix else f for f in findings]


def _refused(text: str, original: list[Finding], why: str) -> FixResult:
    return FixResult(text, [], withdraw_fixes(original, why), refused=why, original=original)


class WriteRefused(OSError):
    """A fixed file that must not be written; `strerror` says why."""

    def __init__(self, why: str, path: str) -> None:
        super().__init__(errno.EPERM, why, path)


def write_atomic(path: str, data: bytes, expected: bytes | None = None,
                 tree: str | None = None) -> None:
    """Write through a temporary file in the same folder and rename, keeping mode and owner.

    A symbolic link is written through: the file it points to changes and the
    link stays a link, unless `tree` is given and the target lies outside it.
    A file the user may not write is refused, as an in-place write would be,
    although renaming over it would succeed in a writable folder. With
    `expected` (the bytes the fix was computed from), the file is locked
    against other scorelint runs and compared just before the rename: an edit
    saved meanwhile is never overwritten (`WriteRefused`).
    """
    target = os.path.realpath(path)
    if tree is not None and not _inside(target, tree):
        raise WriteRefused(f"it is a link to {target}, outside the folder being checked", path)
    if not os.access(target, os.W_OK):
        raise PermissionError(errno.EACCES, "the file is read-only", path)
    info = os.stat(target)
    with _locked(target) as handle:
        if expected is not None and not _unchanged(handle, target, expected):
            raise WriteRefused("the file changed while it was being fixed; run again", path)
        fd, tmp = tempfile.mkstemp(prefix=".scorelint-", suffix=".tmp",
                                   dir=os.path.dirname(target))
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, stat.S_IMODE(info.st_mode))
            if hasattr(os, "chown"):  # root fixing someone's file must not take it over
                with contextlib.suppress(OSError):
                    os.chown(tmp, info.st_uid, info.st_gid)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def _inside(target: str, tree: str) -> bool:
    return target == tree or target.startswith(tree.rstrip(os.sep) + os.sep)


@contextlib.contextmanager
def _locked(target: str) -> Iterator[BinaryIO | None]:
    """The file open for reading and, where the system has `flock`, locked exclusively:
    two scorelint runs fixing one file take turns (editors take no such lock)."""
    try:
        handle = open(target, "rb")  # noqa: SIM115  (closed below)
    except OSError:
        yield None
        return
    with handle:
        if fcntl is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield handle


def _unchanged(handle: BinaryIO | None, target: str, expected: bytes) -> bool:
    """Does the file still hold `expected`, and is it still the file we locked?"""
    if handle is None:
        return False
    try:
        same_file = os.fstat(handle.fileno()).st_ino == os.stat(target).st_ino
        return same_file and handle.read() == expected
    except OSError:
        return False
