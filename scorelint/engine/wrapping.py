"""A line the fixes made too long is broken inside its brackets, as Black would.

The limit is the project's: `line-length` of the nearest Ruff configuration
(`ruff.toml`, `.ruff.toml`, or `pyproject.toml` with a `[tool.ruff]` table, found as
Ruff finds it), else Ruff's default of 88. Breaking follows Black's right-hand
split: the last bracket pair that is not nested in another opens a block whose
contents go on lines of their own, one indent deeper; contents still too long are
split at their commas, then again at their own brackets. A newline inside
brackets never changes what Python reads, so only where the text breaks changes.
"""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

DEFAULT_LINE_LENGTH = 88
_OPEN, _CLOSE = "([{", ")]}"
INDENT = "    "


def line_length(path: str) -> int:
    """The line length Ruff would use for the file at `path` (which need not exist)."""
    folder = Path(path or ".").resolve().parent if path not in ("", "-") else Path.cwd()
    return _line_length_in(folder)


def _line_length_in(folder: Path) -> int:
    # Not cached: read only for a file that was fixed, and a server or `--watch` must
    # see the configuration as it is now.
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    for directory in (folder, *folder.parents):
        for name in (".ruff.toml", "ruff.toml", "pyproject.toml"):
            candidate = directory / name
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            table = data.get("tool", {}).get("ruff") if name == "pyproject.toml" else data
            if table is None:
                continue  # a pyproject.toml without [tool.ruff]: Ruff looks further up
            value = table.get("line-length", DEFAULT_LINE_LENGTH)
            return value if isinstance(value, int) and value > 0 else DEFAULT_LINE_LENGTH
    return DEFAULT_LINE_LENGTH


def fit(prefix: str, content: str, suffix: str, limit: int, newline: str = "\n") -> str:
    """`content`, to stand between `prefix` (its line up to it) and `suffix` (the rest
    of its line), with line breaks inside its own brackets so the lines fit in `limit`
    characters where they can. Unchanged when it fits, or when it spans lines already."""
    if "\n" in content or len(prefix) + len(content) + len(suffix) <= limit:
        return content
    marks = _marks(content)
    if marks is None:
        return content
    indent = prefix[:len(prefix) - len(prefix.lstrip())]
    lines = _Splitter(content, marks, limit).split(0, len(content), prefix, suffix, indent)
    if len(lines) == 1 or any(len(line) > limit for line in lines):
        return content  # a break that does not make it fit only makes it harder to read
    joined = newline.join(lines)
    assert joined.startswith(prefix) and joined.endswith(suffix)
    return joined[len(prefix):len(joined) - len(suffix)]


def _marks(content: str) -> dict[int, tuple[str, int]] | None:
    """Bracket and comma positions: offset -> (character, offset of the matching bracket,
    or -1). None if the content does not tokenize."""
    marks: dict[int, tuple[str, int]] = {}
    stack: list[int] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(content).readline):
            if token.type != tokenize.OP or token.start[0] != 1:
                continue
            offset, char = token.start[1], token.string
            if char in _OPEN:
                stack.append(offset)
                marks[offset] = (char, -1)
            elif char in _CLOSE and stack:
                opened = stack.pop()
                marks[opened] = (marks[opened][0], offset)
                marks[offset] = (char, opened)
            elif char == ",":
                marks[offset] = (char, -1)
    except (tokenize.TokenError, SyntaxError):
        return None
    return None if stack else marks


class _Splitter:
    def __init__(self, text: str, marks: dict[int, tuple[str, int]], limit: int) -> None:
        self.text, self.marks, self.limit = text, marks, limit

    def _top(self, start: int, end: int, kind: str) -> list[int]:
        """Offsets in [start, end) of opening brackets (kind "open") or commas (",") that
        no bracket inside the range encloses."""
        found, depth = [], 0
        for offset in sorted(o for o in self.marks if start <= o < end):
            char, match = self.marks[offset]
            if char in _OPEN:
                if depth == 0 and kind == "open" and start <= match < end and match > offset + 1:
                    found.append(offset)
                if start <= match < end:
                    depth += 1
            elif char in _CLOSE:
                if start <= match < end:
                    depth -= 1
            elif depth == 0 and kind == ",":
                found.append(offset)
        return found

    def split(self, start: int, end: int, prefix: str, suffix: str, indent: str) -> list[str]:
        one = prefix + self.text[start:end].strip() + suffix
        if len(one) <= self.limit:
            return [one]
        # Every outermost bracket pair is a candidate; the fewest lines that fit win
        # (as Black, a short trailer such as `.sum(-1)` stays whole on the last line).
        best: list[str] | None = None
        for opened in reversed(self._top(start, end, "open")):
            closed = self.marks[opened][1]
            lines = [*self.split(start, opened + 1, prefix, "", indent),
                     *self.body(opened + 1, closed, indent + INDENT),
                     *self.split(closed, end, indent, suffix, indent)]
            fits = all(len(line) <= self.limit for line in lines)
            if fits and (best is None or len(lines) <= len(best)):  # ties: the outer one
                best = lines
        return best or [one]

    def body(self, start: int, end: int, indent: str) -> list[str]:
        one = indent + self.text[start:end].strip()
        if len(one) <= self.limit:
            return [one]
        commas = self._top(start, end, ",")
        if not commas:
            return self.split(start, end, indent, "", indent)
        lines: list[str] = []
        bounds = [start, *(c + 1 for c in commas)]
        for i, item_start in enumerate(bounds):
            item_end = commas[i] if i < len(commas) else end
            if not self.text[item_start:item_end].strip():
                continue  # a trailing comma's empty item
            # One item a line ends each with a comma, the last too (Black's magic
            # trailing comma); with two items or more it changes nothing Python reads.
            comma = ","
            lines.extend(self.split(item_start, item_end, indent, comma, indent))
        return lines


def wrap_long_lines(before: str, after: str, limit: int) -> str:
    """`after` with each one-line statement the fixes made longer than `limit` broken
    inside its brackets, its comment kept at the end. A line that was too long before
    the fixes is left as its author wrote it."""
    lines = after.splitlines(keepends=True)
    made = _made_too_long(before.splitlines(), [line.rstrip("\r\n") for line in lines], limit)
    if not made:
        return after
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(after).readline))
    except (tokenize.TokenError, SyntaxError):
        return after
    first_row: int | None = None
    comment: dict[int, int] = {}
    single: list[int] = []  # rows that hold one whole logical line
    for token in tokens:
        if token.type in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT,
                          tokenize.ENCODING):
            if token.type == tokenize.COMMENT:
                comment[token.start[0]] = token.start[1]
            continue
        if first_row is None:
            first_row = token.start[0]
        if token.type == tokenize.NEWLINE:
            if token.start[0] == first_row and token.end[0] == first_row:
                single.append(first_row)
            first_row = None
        elif token.type == tokenize.STRING and token.start[0] != token.end[0]:
            first_row = -1  # a string over several lines: leave the statement alone
    for row in single:
        if row - 1 not in made:
            continue
        line = lines[row - 1]
        body = line.rstrip("\r\n")
        end = comment.get(row, len(body))
        code = body[:end].rstrip()
        indent = code[:len(code) - len(code.lstrip())]
        content = code[len(indent):]
        wrapped = fit(indent, content, body[len(code):], limit, line[len(body):] or "\n")
        if wrapped != content:
            lines[row - 1] = indent + wrapped + body[len(code):] + line[len(body):]
    return "".join(lines)


def _made_too_long(before: list[str], after: list[str], limit: int) -> set[int]:
    """The 0-based rows of `after` over the limit that replace rows of `before` which
    were all within it."""
    import difflib

    rows: set[int] = set()
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or any(len(line) > limit for line in before[i1:i2]):
            continue
        rows.update(j for j in range(j1, j2) if len(after[j]) > limit)
    return rows
