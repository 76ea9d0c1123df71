"""Finding the files to check under the paths given on the command line.

Inside a folder, a file is skipped when an exclusion pattern matches it (the
configuration's `exclude`, by default `SKIP_DIRS`) or when `.gitignore` says
so: git itself is asked inside a git work tree (so `.git/info/exclude` and the
global excludes count too), elsewhere the `.gitignore` files are read with
`Patterns`. Files named on the command line are always checked, as in Ruff,
unless `force_exclude` is set and a pattern matches them.

Everything here is checkout-controlled input: patterns are matched in time
linear in the path (no backtracking regular expressions: `*a*a*a*a*aX`
against a long name would take minutes), ignore files are read only when
they are regular files and only up to `IGNORE_FILE_LIMIT` bytes (a FIFO
would block, a link to /dev/zero never end), and git runs through `gitsafe`.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from scorelint.run import gitsafe

# Folders that never hold code of the project itself.
SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "__pycache__", ".venv", "venv", ".tox", ".nox", "build", "dist",
    "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".scorelint_cache",
    "site-packages", ".eggs", ".ipynb_checkpoints",
})
PYTHON_SUFFIXES = (".py", ".pyi")
# Jupyter notebooks: their code cells are checked (scorelint.run.notebook).
NOTEBOOK_SUFFIXES = (".ipynb",)
CHECKED_SUFFIXES = PYTHON_SUFFIXES + NOTEBOOK_SUFFIXES
# Skipped whatever the configuration says.
VCS_DIRS = frozenset({".git", ".hg", ".svn"})

# (path, is_dir) -> should it be skipped?
Excluded = Callable[[str, bool], bool]
# Bytes of one ignore file read at most; git's own are far smaller.
IGNORE_FILE_LIMIT = 1024 * 1024


class Unreadable(Exception):
    """A file that is not read: not a regular file, or too large. The message says which."""


def read_bounded(path: str, limit: int) -> bytes:
    """The bytes of the regular file at `path`, of at most `limit` bytes.

    Opened without blocking (opening a FIFO waits for a writer) and checked
    after opening, so nothing swapped in between is read; never more than
    `limit` + 1 bytes are read (a link to /dev/zero has no end). Raises
    `OSError` when it cannot be opened, `Unreadable` when it is not read.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise Unreadable(f"not a regular file ({_kind(mode)})")
        chunks, size = [], 0
        while size <= limit and (chunk := os.read(fd, min(limit + 1 - size, 1 << 16))):
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise Unreadable(f"larger than {limit} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
             (stat.S_ISDIR, "a folder"), (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "not a file")


@dataclass(frozen=True)
class Candidate:
    """A file to check, or a path that could not be walked (`error` says why)."""

    path: str
    error: str | None = None
    # The real path of the folder it was found in (a named file: its own folder);
    # a fix never writes through a link out of it.
    tree: str | None = None
    # Why it is left out without failing the run (a dangling link found in a walk).
    skipped: str | None = None


def _is_virtualenv(path: str) -> bool:
    return os.path.exists(os.path.join(path, "pyvenv.cfg"))


def _skip_dir(entry: os.DirEntry[str]) -> bool:
    return (entry.name in SKIP_DIRS or entry.name.endswith(".egg-info")
            or _is_virtualenv(entry.path))


@dataclass(frozen=True)
class _Filter:
    excluded: Excluded | None  # None: the built-in SKIP_DIRS
    ignored: Excluded | None  # .gitignore

    def skip_dir(self, entry: os.DirEntry[str]) -> bool:
        if entry.name in VCS_DIRS or _is_virtualenv(entry.path):
            return True
        if self.excluded is None:
            if _skip_dir(entry):
                return True
        elif self.excluded(entry.path, True):
            return True
        return self.ignored is not None and self.ignored(entry.path, True)

    def skip_file(self, path: str) -> bool:
        return ((self.excluded is not None and self.excluded(path, False))
                or (self.ignored is not None and self.ignored(path, False)))


def iter_files(paths: Iterable[str], suffixes: tuple[str, ...] = CHECKED_SUFFIXES,
               excluded: Excluded | None = None, force_exclude: bool = False,
               respect_gitignore: bool = True) -> Iterator[Candidate]:
    """Files under `paths`, sorted per folder; explicitly named files are always included.

    `excluded` (the configuration's patterns) replaces the built-in `SKIP_DIRS`;
    with `force_exclude` it applies to the named paths too. Ignore files left
    unread come last, as skipped candidates (a note each).
    """
    for path in paths:
        if force_exclude and excluded is not None and excluded(path, os.path.isdir(path)):
            continue
        if os.path.isdir(path):
            root = os.path.realpath(path)
            unread: list[Candidate] = []
            ignored = gitignored(path, unread) if respect_gitignore else None
            yield from _walk(path, root, suffixes, _Filter(excluded, ignored))
            yield from unread
        elif os.path.exists(path) or os.path.islink(path):
            yield Candidate(path, tree=os.path.realpath(os.path.dirname(os.path.abspath(path))))
        else:
            yield Candidate(path, "no such file or directory")


def _walk(folder: str, root: str, suffixes: tuple[str, ...], skip: _Filter) -> Iterator[Candidate]:
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as exc:
        yield Candidate(folder, f"cannot read directory: {exc.strerror or exc}")
        return
    for entry in entries:
        if entry.is_symlink():
            # Never follow a link out of the tree being checked.
            target = os.path.realpath(entry.path)
            if not (target == root or target.startswith(root + os.sep)):
                continue
            if not os.path.exists(target):
                if entry.name.endswith(suffixes):
                    yield Candidate(entry.path, skipped="a dangling symbolic link")
                continue
            if os.path.isdir(target):
                continue  # a link to a folder inside the tree is walked there already
        if entry.is_dir(follow_symlinks=False):
            if not skip.skip_dir(entry):
                yield from _walk(entry.path, root, suffixes, skip)
        elif entry.name.endswith(suffixes) and not skip.skip_file(entry.path):
            yield Candidate(os.path.normpath(entry.path), tree=root)


def gitignored(folder: str, unread: list[Candidate] | None = None) -> Excluded:
    """What `.gitignore` ignores below `folder`: git's answer in a work tree, else the
    files read directly. Ignore files that are not read are added to `unread`."""
    notes = unread if unread is not None else []
    return _ignored_by_git(folder, notes) or _GitignoreFiles(folder, notes).ignored


_UNREAD = "not a regular file; git was told not to read it"


def _ignored_by_git(folder: str, unread: list[Candidate]) -> Excluded | None:
    """Ignored paths below `folder` from one `git ls-files`; None outside a work tree."""
    try:
        excludes, skipped = gitsafe.standard_excludes(folder)
        done = gitsafe.run(["ls-files", "-z", "--others", "--ignored", *excludes, "--directory"],
                           folder)
    except gitsafe.GitTimeout as exc:
        # A .gitignore git blocks on (a FIFO), or a huge tree: read the files directly.
        print(f"scorelint: note: {exc}; reading the .gitignore files directly",
              file=sys.stderr)
        return None
    except OSError:
        return None  # no git: read the .gitignore files instead
    unread.extend(Candidate(path, skipped=_UNREAD) for path in (*skipped, *done.unread))
    if done.returncode != 0:
        return None  # not in a work tree
    # Ignored folders come with a trailing slash and are not descended into.
    # "./" means the named folder is itself ignored: it was asked for, so walk it.
    listed = {os.fsdecode(p) for p in done.stdout.split(b"\0") if p} - {"./"}
    base = os.path.abspath(folder)

    def ignored(path: str, is_dir: bool) -> bool:
        rel = os.path.relpath(os.path.abspath(path), base).replace(os.sep, "/")
        return (rel + "/" if is_dir else rel) in listed

    return ignored


class _GitignoreFiles:
    """`.gitignore` files read directly, for trees git does not manage.

    Files from the project's top (the nearest folder above with `.git` or
    `pyproject.toml`) down to each entry's folder apply; the deepest file with
    a matching pattern decides, as in git. Only regular files of at most
    `IGNORE_FILE_LIMIT` bytes are read; the others go to `unread`.
    """

    def __init__(self, folder: str, unread: list[Candidate]) -> None:
        start = os.path.abspath(folder)
        self.top = start
        self.unread = unread
        probe = start
        while True:
            if any(os.path.exists(os.path.join(probe, m)) for m in (".git", "pyproject.toml")):
                self.top = probe
                break
            parent = os.path.dirname(probe)
            if parent == probe:
                break
            probe = parent
        self.specs: dict[str, Patterns | None] = {}

    def _spec(self, folder: str) -> Patterns | None:
        if folder not in self.specs:
            path = os.path.join(folder, ".gitignore")
            spec = None
            try:
                data = read_bounded(path, IGNORE_FILE_LIMIT)
                spec = Patterns.of(data.decode("utf-8", "surrogateescape").splitlines())
            except OSError as exc:
                if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
                    self.unread.append(Candidate(path, skipped=f"cannot read: {exc.strerror}"))
            except Unreadable as exc:
                self.unread.append(Candidate(path, skipped=f"{exc}; its patterns do not apply"))
            self.specs[folder] = spec
        return self.specs[folder]

    def ignored(self, path: str, is_dir: bool) -> bool:
        path = os.path.abspath(path)
        folder = os.path.dirname(path)
        while True:
            spec = self._spec(folder)
            if spec is not None:
                rel = os.path.relpath(path, folder).replace(os.sep, "/")
                decided = spec.check(rel, is_dir)
                if decided is not None:
                    return decided
            parent = os.path.dirname(folder)
            if folder == self.top or parent == folder:
                return False
            folder = parent


# -- gitignore-style patterns, matched in time linear in the path ----------------------


class PatternError(ValueError):
    """A pattern that cannot be used; the message says why (`[z-a]`: a backward range)."""


_STAR = "*"  # `*` in a name, `**` as a whole segment of a path (the same sentinel)
_ANY = "?"
# A token of one path component: _STAR, _ANY, a 1-character literal tuple ("=", c),
# or a class ("[", negated, ((lo, hi), ...)).
_Token = object


def _class(text: str, start: int, strict: bool) -> tuple[_Token, int] | None:
    """The bracket expression starting at `text[start]` and the index after it; None
    when it is not closed (then `[` is a literal, as in git)."""
    i = start + 1
    negated = i < len(text) and text[i] in "!^"
    i += negated
    ranges: list[tuple[str, str]] = []
    first = True
    while i < len(text):
        low = text[i]
        if low == "]" and not first:
            return ("[", negated, tuple(ranges)), i + 1
        first = False
        if low == "\\" and i + 1 < len(text):
            i += 1
            low = text[i]
        if i + 2 < len(text) and text[i + 1] == "-" and text[i + 2] != "]":
            high = text[i + 2]
            if high == "\\" and i + 3 < len(text):
                i += 1
                high = text[i + 2]
            if high < low:
                if strict:
                    raise PatternError(f"the character range {low}-{high} runs backwards")
                # git's wildmatch: a backward range matches nothing
            else:
                ranges.append((low, high))
            i += 3
        else:
            ranges.append((low, low))
            i += 1
    return None


class _Literal(str):
    """A name with no wildcard in it: matched by comparing (most patterns are names:
    `.venv`, `build`; matching them character by character was most of a warm run)."""


class _Suffix(str):
    """A name that is `*` and then no wildcard (`*.egg-info`): matched by its ending."""


def _segment(text: str, strict: bool) -> tuple[_Token, ...] | _Literal | _Suffix:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            tokens.append(("=", text[i + 1]))
            i += 2
        elif char == "*":
            while i < len(text) and text[i] == "*":
                i += 1  # a run of stars is one star
            tokens.append(_STAR)
        elif char == "?":
            tokens.append(_ANY)
            i += 1
        elif char == "[" and (bracket := _class(text, i, strict)) is not None:
            tokens.append(bracket[0])
            i = bracket[1]
        else:
            tokens.append(("=", char))
            i += 1
    literal = [type(token) is tuple and token[0] == "=" for token in tokens]
    if all(literal):
        return _Literal("".join(token[1] for token in tokens))  # type: ignore[index]
    if tokens[0] is _STAR and all(literal[1:]):
        return _Suffix("".join(token[1] for token in tokens[1:]))  # type: ignore[index]
    return tuple(tokens)


def _one_char(token: _Token, char: str) -> bool:
    if token is _ANY:
        return True
    if token[0] == "=":  # type: ignore[index]
        return token[1] == char  # type: ignore[index]
    _, negated, ranges = token  # type: ignore[misc]
    return any(low <= char <= high for low, high in ranges) != negated


def _wildmatch(tokens: Sequence[object], items: Sequence[str],
               one: Callable[[object, str], bool]) -> bool:
    """Do `tokens` match all of `items`, `_STAR` matching any run of items and every other
    token exactly one? Two pointers, going back only to the last star: at most
    len(tokens) * len(items) steps, never exponential."""
    t = n = 0
    star_t, star_n = -1, 0
    while n < len(items):
        if t < len(tokens) and tokens[t] is _STAR:
            star_t, star_n = t, n
            t += 1
        elif t < len(tokens) and one(tokens[t], items[n]):
            t += 1
            n += 1
        elif star_t >= 0:
            star_n += 1  # the last star takes one more item
            t, n = star_t + 1, star_n
        else:
            return False
    return all(token is _STAR for token in tokens[t:])


def _name_matches(segment: object, name: str) -> bool:
    # A folder path ends in an empty name (see `_Pattern.hit`): only `a/**` takes it.
    if type(segment) is _Literal:
        return segment == name
    if type(segment) is _Suffix:
        return name != "" and name.endswith(segment)
    return segment is _ANY or (name != "" and _wildmatch(segment, name, _one_char))  # type: ignore[arg-type]


@dataclass(frozen=True)
class _Pattern:
    text: str
    negated: bool
    dir_only: bool  # `name/`: folders only (and all below them)
    # _STAR for `**`, _ANY for any one name, else the tokens of one name
    segments: tuple[object, ...]

    def hit(self, parts: Sequence[str], is_dir: bool) -> int:
        """2: the path itself matches; 1: a folder above it does (a folder path is
        matched as pathspec matches `a/b/`: its own name is such a folder); 0: neither."""
        names = [*parts, ""] if is_dir else parts
        if len(self.segments) == 2 and self.segments[0] is _STAR \
                and self.segments[1] is not _STAR:  # a bare name: the last, or a folder's
            name = self.segments[1]
            if not self.dir_only and _name_matches(name, names[-1]):
                return 2
            return 1 if any(_name_matches(name, n) for n in names[:-1]) else 0
        if not self.dir_only and _wildmatch(self.segments, names, _name_matches):
            return 2
        if len(names) > 1 and _wildmatch((*self.segments, _STAR), names[:-1], _name_matches):
            return 1
        return 0


def _pattern(line: str, strict: bool) -> _Pattern | None:
    """One line of a `.gitignore` (git's syntax), or None for a blank line or a comment."""
    text = line.rstrip("\r\n")
    end = len(text)
    while end and text[end - 1] == " " and not (end > 1 and text[end - 2] == "\\"):
        end -= 1  # trailing spaces go, unless escaped
    text = text[:end]
    if not text or text.startswith("#"):
        return None
    negated = text.startswith("!")
    body = text[1:] if negated else text
    dir_only = body.endswith("/")
    body = body.rstrip("/")
    anchored = "/" in body  # a slash before the end: relative to the pattern's folder
    segments: list[object] = []
    for part in filter(None, body.split("/")):
        segment = _STAR if part == "**" else _segment(part, strict)
        if not (segment is _STAR and segments and segments[-1] is _STAR):
            segments.append(segment)
    if not segments:
        return None
    if len(segments) > 1 and segments[-1] is _STAR:
        segments[-1:] = [_ANY, _STAR]  # `a/**` (and `a/**/`): what is inside a/
        dir_only = False
    if not anchored and segments[0] is not _STAR:
        segments.insert(0, _STAR)  # a bare name matches at any depth
    return _Pattern(text, negated, dir_only, tuple(segments))


@dataclass(frozen=True)
class Patterns:
    """Gitignore-style patterns, as `pathspec.GitIgnoreSpec` reads them, matched without
    regular expressions. `strict`: a pattern that cannot be used raises `PatternError`
    (configuration); otherwise it matches nothing (a `.gitignore`, as git does)."""

    patterns: tuple[_Pattern, ...] = field(default=())

    @classmethod
    def of(cls, lines: Iterable[str], strict: bool = False) -> Patterns:
        return cls(tuple(p for p in (_pattern(line, strict) for line in lines) if p))

    def check(self, path: str, is_dir: bool = False) -> bool | None:
        """True: matched; False: matched by a `!` pattern; None: not matched. `path` is
        relative to the patterns' folder, `/`-separated.

        A pattern matching the path itself beats one matching it as a folder or a
        folder above it; among equals the last one decides (pathspec's `GitIgnoreSpec`)."""
        parts = [p for p in path.split("/") if p]
        decided: bool | None = None
        priority = 0
        for pattern in self.patterns:
            hit = pattern.hit(parts, is_dir)
            if hit and hit >= priority:
                decided, priority = not pattern.negated, hit
        return decided

    def match(self, path: str, is_dir: bool = False) -> bool:
        return bool(self.check(path, is_dir))
