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
import time
import tokenize
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the byte comparison alone guards
    fcntl = None  # type: ignore[assignment]

from scorelint.base.findings import Position

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


# The temporary files `write_atomic` makes: mkstemp's 8 random characters between these.
_TEMP_PREFIX, _TEMP_SUFFIX = ".scorelint-", ".tmp"
_OUR_TEMP = re.compile(r"\.scorelint-[a-z0-9_]{8}\.tmp\Z")
# A temporary file of ours untouched this long was left by a killed run (a write takes
# seconds at most), so the next write in its folder removes it.
STALE_TEMP_SECONDS = 3600
_swept: set[str] = set()  # folders whose stale temporary files this process removed
_CHANGED = "the file changed while it was being fixed; run again"


def write_atomic(path: str, data: bytes, expected: bytes | None = None,
                 tree: str | None = None) -> None:
    """Write through a temporary file in the same folder and rename, keeping mode and owner.

    A symbolic link is written through: the file it points to changes and the
    link stays a link, unless `tree` is given and the write would leave it, or
    leave the working directory the path was named in (`WriteRefused`).
    A file the user may not write is refused, as an in-place write would be,
    although renaming over it would succeed in a writable folder. With
    `expected` (the bytes the fix was computed from), the file is locked
    against other scorelint runs and compared and swapped: after the new bytes
    are written and synced (which can take seconds), immediately before the
    rename, the file must still be the one read, with the same size, mtime and
    bytes; an edit saved meanwhile is never overwritten (`WriteRefused`). One
    that reaches the old file in the instant between that compare and the
    rename is seen after it, and the old file's bytes are put back.
    Without `expected` the file may be new (a baseline). The temporary file is
    removed on every path, and stale ones a killed run left in the folder too.
    """
    target = os.path.realpath(path)
    if tree is not None and (why := _outside(path, target, tree)):
        raise WriteRefused(why, path)
    try:
        info: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        info = None
    if info is None and expected is not None:  # deleted since it was read
        raise WriteRefused(_CHANGED, path)
    if info is not None and not os.access(target, os.W_OK):
        raise PermissionError(errno.EACCES, "the file is read-only", path)
    folder = os.path.dirname(target)
    _remove_stale_temps(folder)
    with _locked(target) as handle:
        read = None if expected is None else _snapshot(handle, target, expected)
        if expected is not None and read is None:
            raise WriteRefused(_CHANGED, path)

        def unchanged() -> bool:  # the compare of the compare-and-swap
            return expected is None or _snapshot(handle, target, expected) == read

        ours = _swap(path, target, data, info, unchanged)
        if read is not None and handle is not None and _written_since(handle, read):
            # An edit reached the file we replaced after the compare, before the rename
            # (or through a handle an editor opened before it): put its bytes back.
            handle.seek(0)
            _swap(path, target, handle.read(), info, lambda: _is_file(target, ours))
            raise WriteRefused(_CHANGED, path)


def _swap(path: str, target: str, data: bytes, info: os.stat_result | None,
          unchanged: Callable[[], bool]) -> tuple[int, int]:
    """Write `data` to a temporary file beside `target`, sync it, give it the mode and
    owner of `info` (a new file's mode without), and rename it over `target` if
    `unchanged()` says so just before (else `WriteRefused`). The temporary file is
    removed on every path. Returns the device and inode of the file now at `target`."""
    fd, tmp = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=_TEMP_SUFFIX,
                               dir=os.path.dirname(target))
    renamed = False
    try:
        with _opened(fd) as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
            written = os.fstat(out.fileno())
        os.chmod(tmp, _new_file_mode() if info is None else stat.S_IMODE(info.st_mode))
        if info is not None and hasattr(os, "chown"):  # root fixing someone's file
            with contextlib.suppress(OSError):  # must not take it over
                os.chown(tmp, info.st_uid, info.st_gid)
        # Nothing slow (the sync above can take seconds) between this compare and the swap.
        if not unchanged():
            raise WriteRefused(_CHANGED, path)
        os.replace(tmp, target)
        renamed = True
    finally:
        if not renamed:  # any failure, a refusal, KeyboardInterrupt: no fixed text left
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return written.st_dev, written.st_ino


def _written_since(handle: BinaryIO, read: tuple[int, int, int, int]) -> bool:
    try:
        held = os.fstat(handle.fileno())
    except OSError:
        return False
    return (held.st_size, held.st_mtime_ns) != read[2:]


def _is_file(target: str, file: tuple[int, int]) -> bool:
    try:
        named = os.stat(target)
    except OSError:
        return False
    return (named.st_dev, named.st_ino) == file


def _opened(fd: int) -> BinaryIO:
    try:
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise


def _new_file_mode() -> int:
    """The mode `open` gives a new file: 0o666 less the umask (mkstemp's is 0o600)."""
    mask = os.umask(0o022)  # the umask can only be read by setting it
    os.umask(mask)
    return 0o666 & ~mask


def _outside(path: str, target: str, tree: str) -> str | None:
    """Why writing `path` (real path `target`) would leave the project, or None.

    The real path must lie in `tree`, the folder being checked; and a path
    named below the working directory must not leave it through a link on
    the way (`proj/vendor/v.py` with `vendor` a link out of the checkout).
    """
    if not _inside(target, tree):
        return f"it is a link to {target}, outside the folder being checked"
    cwd = os.getcwd()  # already a real path
    if not _inside(os.path.abspath(path), cwd) or _inside(target, os.path.realpath(cwd)):
        return None
    link = _first_link_out(path, cwd)
    return (f"{link} is a link to {os.path.realpath(link)}, outside the working directory "
            f"{cwd}; name the real path to write there")


def _first_link_out(path: str, cwd: str) -> str:
    """The first link on the way to `path` below `cwd` whose real path is out of `cwd`."""
    real_cwd = os.path.realpath(cwd)
    current = os.sep if os.path.isabs(path) else cwd
    for part in path.split(os.sep):
        if part in ("", "."):
            continue
        current = os.path.join(current, part)
        if (os.path.islink(current) and _inside(os.path.abspath(current), cwd)
                and not _inside(os.path.realpath(current), real_cwd)):
            return current
    return path


def _remove_stale_temps(folder: str) -> None:
    """Remove what a run killed mid-write left in `folder`: only names `write_atomic`
    makes, only regular files of this user, only once stale; once per folder per run."""
    if folder in _swept:
        return
    _swept.add(folder)
    now = time.time()
    try:
        listing = os.scandir(folder)
    except OSError:
        return
    with listing:
        for entry in listing:
            if not _OUR_TEMP.match(entry.name):
                continue
            with contextlib.suppress(OSError):
                info = entry.stat(follow_symlinks=False)
                mine = not hasattr(os, "getuid") or info.st_uid == os.getuid()
                if mine and stat.S_ISREG(info.st_mode) and now - info.st_mtime > STALE_TEMP_SECONDS:
                    os.unlink(entry.path)


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


def _snapshot(handle: BinaryIO | None, target: str,
              expected: bytes) -> tuple[int, int, int, int] | None:
    """The locked file's device, inode, size and mtime if it is still the file at `target`
    and holds `expected`; None if not (replaced, edited, gone)."""
    if handle is None:
        return None
    try:
        held, named = os.fstat(handle.fileno()), os.stat(target)
        if (held.st_dev, held.st_ino) != (named.st_dev, named.st_ino):
            return None  # saved through another file renamed over it
        handle.seek(0)
        if held.st_size != len(expected) or handle.read() != expected:
            return None
        return held.st_dev, held.st_ino, held.st_size, held.st_mtime_ns
    except OSError:
        return None


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
