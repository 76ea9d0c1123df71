"""Reading a file's bytes into text and back, byte for byte.

The text we lint keeps its original line endings (no universal-newline
translation) so that an edit's offsets map straight back to the file.
"""

from __future__ import annotations

import bisect
import codecs
import io
import re
import tokenize
from dataclasses import dataclass

from scorelint.findings import Position

_NEWLINE = re.compile(r"\r\n|\r|\n")


class SourceError(Exception):
    """A file that cannot be turned into text; the message is the reason shown to users."""


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
    return Source(text=text, encoding=encoding, bom=bom)


def read(path: str) -> Source:
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except IsADirectoryError:
        raise SourceError("is a directory") from None
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}") from None
    return decode(raw)


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
