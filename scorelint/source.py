"""Reading a file's bytes into text and back, byte for byte, and writing them safely.

The text we lint keeps its original line endings (no universal-newline
translation) so that an edit's offsets map straight back to the file. A
fixed file goes back to disk only through `write_atomic`.
"""

from __future__ import annotations

import bisect
import codecs
import contextlib
import errno
import io
import os
import re
import stat
import tempfile
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the byte comparison alone guards
    fcntl = None  # type: ignore[assignment]

from scorelint.findings import Position

_NEWLINE = re.compile(r"\r\n|\r|\n")


class SourceError(Exception):
    """A file that cannot be turned into text; the message is the reason shown to users,
    `row` and `column` where in the file it lies (1, 1 for the file as a whole)."""

    def __init__(self, message: str, row: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.row, self.column = row, column


@dataclass(frozen=True)
class Source:
    """A file's text plus what is needed to write it back unchanged."""

    text: str
    encoding: str = "utf-8"
    bom: bool = False

    def to_bytes(self, text: str | None = None) -> bytes:
        body = (self.text if text is None else text).encode(self.encoding)
        return codecs.BOM_UTF8 + body if self.bom else body


def decode(raw: bytes) -> Source:
    """Decode a Python file as the interpreter would (BOM, coding cookie, else UTF-8)."""
    if b"\0" in raw:
        raise SourceError("binary file (contains a NUL byte)")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as exc:
        if "invalid or missing encoding declaration" in str(exc):
            encoding = "utf-8"  # undecodable first lines: report the bad byte below
        else:
            raise SourceError(f"bad encoding declaration: {exc}") from None
    bom = raw.startswith(codecs.BOM_UTF8)
    if bom:
        raw, encoding = raw[len(codecs.BOM_UTF8) :], "utf-8"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"not valid {encoding} (byte {exc.start}: {raw[exc.start:exc.start + 1]!r})"
        ) from None
    except LookupError:
        raise SourceError(f"unknown encoding {encoding!r}") from None
    # A fix is written back by encoding the text, so only a codec that gives the
    # same bytes back keeps every byte outside the edits (utf-7, unicode_escape
    # and some cp932 characters do not). Valid UTF-8 always does.
    if encoding != "utf-8" and not _round_trips(text, encoding, raw):
        raise SourceError(f"{encoding} text does not encode back to the same bytes")
    return Source(text=text, encoding=encoding, bom=bom)


def _round_trips(text: str, encoding: str, raw: bytes) -> bool:
    try:
        return text.encode(encoding) == raw
    except UnicodeError:
        return False


def read(path: str) -> Source:
    """Read and decode a Python file."""
    return decode(read_bytes(path))


def read_bytes(path: str) -> bytes:
    """A file's bytes. Only a regular file is opened: a FIFO named `x.py` would block
    the whole run waiting for a writer."""
    try:
        if not stat.S_ISREG(mode := os.stat(path).st_mode) and not stat.S_ISDIR(mode):
            raise SourceError("not a regular file")
        with open(path, "rb") as handle:
            return handle.read()
    except IsADirectoryError:
        raise SourceError("is a directory") from None
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}") from None


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


class LineIndex:
    """Maps character offsets in a text to 1-based (row, column) and back."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]

    def position(self, offset: int) -> Position:
        row = bisect.bisect_right(self.starts, offset) - 1
        return Position(row + 1, offset - self.starts[row] + 1)

    def line_start(self, row: int) -> int:
        return self.starts[min(row, len(self.starts)) - 1]

    def line(self, row: int) -> str:
        """The text of a 1-based row without its line ending."""
        start = self.line_start(row)
        end = self.starts[row] if row < len(self.starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    def newline(self) -> str:
        """The file's first line ending, used for lines a fix inserts."""
        match = _NEWLINE.search(self.text)
        return match.group() if match else "\n"


@dataclass(frozen=True)
class Alignment:
    """Maps offsets in a text regenerated with some whitespace dropped back to the original.

    LibCST's `Module.code` is not always the text it parsed (it drops the space
    in `except X :` and a form feed that starts a line), and its positions
    count in that regenerated text. Searching for a node's code near where it
    should be picks the wrong copy when the same code repeats nearby, so we
    align the two texts instead: `shifts[k]` is added to every offset from
    `starts[k]` on.
    """

    starts: tuple[int, ...]
    shifts: tuple[int, ...]

    @classmethod
    def of(cls, original: str, derived: str) -> Alignment | None:
        """The alignment, or None if `derived` is not `original` minus some whitespace."""
        starts, shifts = [0], [0]
        i = j = 0
        while True:
            run = _common_prefix(original, i, derived, j)
            i, j = i + run, j + run
            if j == len(derived):
                return cls(tuple(starts), tuple(shifts))
            k = original.find(derived[j], i + 1)
            if k < 0 or not original[i:k].isspace():
                return None
            i = k
            starts.append(j)
            shifts.append(i - j)

    def offset(self, derived: int) -> int:
        """Where the character at `derived` in the regenerated text is in the original."""
        return derived + self.shifts[bisect.bisect_right(self.starts, derived) - 1]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of a derived span; dropped whitespace at its edges stays out."""
        if end <= start:
            first = self.offset(start)
            return first, first
        return self.offset(start), self.offset(end - 1) + 1


def _common_prefix(a: str, i: int, b: str, j: int) -> int:
    """Length of the common prefix of `a[i:]` and `b[j:]`, by galloping slice compares."""
    limit = min(len(a) - i, len(b) - j)
    step, good = 64, 0
    while good < limit:  # grow while whole chunks match
        size = min(step, limit - good)
        if a[i + good : i + good + size] != b[j + good : j + good + size]:
            break
        good, step = good + size, step * 2
    else:
        return good
    lo, hi = good, min(good + step, limit)  # the first mismatch is in [lo, hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if a[i + lo : i + mid] == b[j + lo : j + mid]:
            lo = mid
        else:
            hi = mid
    return lo
