"""The results cache: a file whose content, settings and scorelint are unchanged is not
checked again.

Where. By default outside the project, in the user's cache directory
(`$XDG_CACHE_HOME/scorelint`, else `~/.cache/scorelint`), one folder per project
(`projects/<hash of the project root>`): a checkout cannot bring a cache of its own.
`--cache-dir` or `$SCORELINT_CACHE_DIR` names another folder. A cache folder holds a
`.gitignore` that ignores it whole (as Ruff's), and one folder per scorelint version.

What. One entry per checked file, named by a hash of everything the outcome depends on:
the file's path and bytes, the run's options for it (selected rules, fix settings), the
Python version, and scorelint itself (its version and a fingerprint of its installed
source files, so a changed rule never reads an old result). An entry is data, never
code: JSON of the outcome, schema-checked on read, holding its own name, the file's path
and the sha256 of its bytes, behind an HMAC-SHA256 whose key (`key`, mode 0600, beside
the project folders) a checkout cannot know. A malformed, foreign, swapped, stale or
tampered entry is a miss: the file is checked again.

How. Never through a symbolic link: each folder is opened relative to its parent with
`O_NOFOLLOW`, so a link for the cache folder (said once on stderr: the cache is off for
the run), its version folder, its `.gitignore` or an entry is neither read nor written
through. An entry is written whole to a temporary file beside it, then renamed; the
temporary file is removed on every path, so a full disk leaves nothing half-written.
A cache that cannot be read or written is only slower, never an error.

A fix or diff run reads and fills the entries of its check, and fixes only the files
whose check has a fix to apply (`scorelint.run.runner`). For those it keeps the fix
loop's result too, in an entry of its own (`fix_key`): the fixed text and the findings
applied and remaining, never the patch or the outcome of a run (what is printed or
written is made from the result each time, by `scorelint.run.pipeline`). Its name adds
to the check's what only fixing reads: `--unsafe-fixes` and the line length the
wrapping of fixed lines reads from the project's Ruff configuration; the modules the
fix loop's lints read are checked as a check's are. A file that could not be checked is
checked again next time.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import json
import os
import secrets
import shutil
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scorelint.base.findings import (
    Applicability,
    Edit,
    FileOutcome,
    Finding,
    Fix,
    FixResult,
    Position,
    TraceStep,
)
from scorelint.engine import project
from scorelint.version import __version__

if TYPE_CHECKING:
    from scorelint.run.pipeline import Options

# Set by the test suite (one folder per test) or a user who wants one place for every run.
ENV_DIR = "SCORELINT_CACHE_DIR"
_FORMAT = 3  # bumped when the entries' layout changes (1 was pickle: never read again)
_KIND = "scorelint-cache"
_MARKER = "# Automatically created by scorelint"
_GITIGNORE = f"{_MARKER}.\n*\n"
_KEY_BYTES = 32
# An entry larger than this is not stored (nor read): JSON of ~200,000 findings.
MAX_ENTRY = 64 * 1024 * 1024
# A project's root is the nearest folder holding one of these (else the checked folder).
_PROJECT_MARKERS = ("pyproject.toml", ".git")

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_DIR_FLAGS = os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC
# Refusing links needs folders opened relative to their parent: without that (Windows),
# there is no cache rather than one a link could redirect.
SUPPORTED = bool(_NOFOLLOW and _DIRECTORY) and {os.open, os.mkdir, os.rename, os.unlink,
                                                os.link} <= os.supports_dir_fd


@functools.lru_cache(maxsize=1)
def fingerprint() -> str:
    """scorelint's version, the Python version, and the size and mtime of every installed
    source file of scorelint (and its rules): what a cached outcome was computed with."""
    digest = hashlib.sha256(f"{_FORMAT} {__version__} {sys.version}".encode())
    package = Path(__file__).resolve().parent
    roots = [package]
    rules = package / "rules"
    if not rules.is_dir():  # an editable install keeps the rules in the checkout's `rules/`
        import scorelint.rules

        roots += [Path(p) for p in scorelint.rules.__path__]
    for root in roots:
        for file in sorted(root.rglob("*.py")):
            info = file.stat()
            digest.update(f"{file}:{info.st_size}:{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def user_dir() -> Path | None:
    """The user's scorelint cache directory (XDG); None when there is no home to hold it."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):  # the XDG spec: a relative value is ignored
        return Path(xdg) / "scorelint"
    home = os.path.expanduser("~")
    return Path(home) / ".cache" / "scorelint" if os.path.isabs(home) else None


def project_root(start: str) -> str:
    """The folder a run's default cache is named after: the nearest folder from `start` up
    that holds `pyproject.toml` or `.git`; `start` itself when none does."""
    first = folder = os.path.realpath(start)
    while True:
        if any(os.path.lexists(os.path.join(folder, m)) for m in _PROJECT_MARKERS):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return first
        folder = parent


def default_dir(start: str = ".") -> str | None:
    """The cache folder of the project holding `start`: `$SCORELINT_CACHE_DIR`, else the
    project's folder in the user's cache directory (None when there is no such directory)."""
    if os.environ.get(ENV_DIR):
        return os.environ[ENV_DIR]
    base = user_dir()
    if base is None:
        return None
    name = hashlib.sha256(os.fsencode(project_root(start))).hexdigest()[:16]
    return str(base / "projects" / name)


@dataclasses.dataclass(frozen=True)
class Entry:
    """Where one file's outcome is stored, and what binds it to that file."""

    name: str  # the hash of everything the outcome depends on
    path: str  # the file, as the run names it
    where: str  # its absolute path
    digest: str  # the sha256 of its bytes


class Cache:
    """Outcomes stored by entry, one small file each, under `root/<version>/`."""

    def __init__(self, root: str | os.PathLike[str], key_file: Path | None = None) -> None:
        self.root = Path(root)
        self.folder = self.root / __version__
        base = user_dir()
        self._key_file = key_file or (base / "key" if base is not None else None)
        self._secret: bytes | None = None
        self._off = not SUPPORTED or self._key_file is None
        self._ignored = False  # `.gitignore` written (or found) this run

    def key(self, path: str, raw: bytes, options: Options) -> Entry | None:
        """The entry for this file's bytes and options; None when not cacheable."""
        if options.fix or options.diff or not options.write:
            return None
        # A check does not read `unsafe_fixes` (only fixing does): one entry serves both.
        settings = dataclasses.replace(options, tree=None, unsafe_fixes=False)
        where = os.path.abspath(path)
        content = hashlib.sha256(raw).hexdigest()
        digest = hashlib.sha256(fingerprint().encode())
        digest.update(repr((where, path, settings)).encode())
        digest.update(content.encode())
        return Entry(digest.hexdigest(), path, where, content)

    def fix_key(self, path: str, raw: bytes, options: Options,
                line_length: int) -> Entry | None:
        """The entry for the fix loop's result on this file's bytes with these options
        (fix or diff: the same result) and the project's line length; None when not
        cacheable."""
        check = dataclasses.replace(options, fix=False, diff=False)
        entry = self.key(path, raw, check)
        if entry is None:
            return None
        digest = hashlib.sha256(f"fix {entry.name} {options.unsafe_fixes} {line_length}"
                                .encode())
        return dataclasses.replace(entry, name=digest.hexdigest())

    def get_fix(self, entry: Entry) -> tuple[FixResult, tuple[tuple[str, str], ...]] | None:
        """The stored fix loop's result and the modules it rests on; None as `get`."""
        stored = self._stored(entry)
        found = _read_fix_entry(stored[1], stored[0], entry) if stored is not None else None
        if found is not None and project.changed(found[1]):
            return None
        return found

    def put_fix(self, entry: Entry, result: FixResult,
                depends: tuple[tuple[str, str], ...]) -> None:
        """Store the fix loop's result on the entry's file; as `put`."""
        secret = self._key(create=True)
        data = _fix_entry_bytes(secret, entry, result, depends) if secret is not None else None
        if data is not None:
            self._write(entry, data)

    def get(self, entry: Entry) -> FileOutcome | None:
        """The stored outcome, or None (absent, a link, foreign, tampered or malformed)."""
        stored = self._stored(entry)
        outcome = _read_entry(stored[1], stored[0], entry) if stored is not None else None
        # A result that rests on other modules' summaries is stale when one of them changed.
        if outcome is not None and project.changed(outcome.depends):
            return None
        return outcome

    def _stored(self, entry: Entry) -> tuple[bytes, bytes] | None:
        """The cache's secret and the entry's bytes; None when there is no key yet or the
        entry cannot be read (absent, a link, an error)."""
        secret = self._key(create=False)
        if secret is None:
            return None
        try:
            raw = self._read(entry)
        except OSError:
            return None
        return (secret, raw) if raw is not None else None

    def put(self, entry: Entry, outcome: FileOutcome) -> None:
        """Store an outcome; a cache that cannot be written is only slower, never an error."""
        secret = self._key(create=True)
        data = _entry_bytes(secret, entry, outcome) if secret is not None else None
        if data is not None:
            self._write(entry, data)

    def _write(self, entry: Entry, data: bytes) -> None:
        folders: list[int] = []
        try:
            root = self._open_root(create=True)
            if root is None:
                return
            folders.append(root)
            if not self._ignored:
                _create(root, ".gitignore", _GITIGNORE.encode())
                self._ignored = True
            folders.append(self._open_version(root, create=True))
            folders.append(_subfolder(folders[-1], entry.name[:2], create=True))
            _write_atomic(folders[-1], entry.name, data)
        except OSError:
            pass
        finally:
            for fd in folders:
                os.close(fd)

    def _read(self, entry: Entry) -> bytes | None:
        """The entry's bytes, read without following a link; None when there is none."""
        root = self._open_root(create=False)
        if root is None:
            return None
        folders = [root]
        try:
            folders.append(self._open_version(root, create=False))
            folders.append(_subfolder(folders[-1], entry.name[:2], create=False))
            fd = os.open(entry.name, os.O_RDONLY | _NOFOLLOW | _CLOEXEC, dir_fd=folders[-1])
            try:
                info = os.fstat(fd)
                if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY:
                    return None
                return _read_all(fd, MAX_ENTRY)
            finally:
                os.close(fd)
        finally:
            for fd in folders:
                os.close(fd)

    def _open_root(self, create: bool) -> int | None:
        """The cache folder, opened; None when absent (and not created) or a link (the
        cache is then off for this run, said once)."""
        if self._off:
            return None
        try:
            if create:
                self.root.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.mkdir(self.root, 0o700)
                except FileExistsError:
                    pass
            return os.open(self.root, _DIR_FLAGS)
        except FileNotFoundError:
            return None
        except OSError:
            if os.path.islink(self.root):
                self._refuse(self.root)
            raise

    def _open_version(self, root: int, create: bool) -> int:
        try:
            return _subfolder(root, self.folder.name, create)
        except OSError:
            if os.path.islink(self.folder):
                self._refuse(self.folder)
            raise

    def _refuse(self, link: Path) -> None:
        if not self._off:
            print(f"scorelint: note: the cache folder {link} is a symbolic link; not "
                  "following it, the cache is off for this run", file=sys.stderr)
        self._off = True

    def _key(self, create: bool) -> bytes | None:
        """The user's cache key (made on first use when `create`); None: no cache."""
        if self._secret is None and not self._off and self._key_file is not None:
            try:
                self._secret = _load_key(self._key_file)
                if self._secret is None and create:
                    self._secret = _make_key(self._key_file)
            except _Unsafe:
                print(f"scorelint: note: the cache key {self._key_file} is not a private "
                      "file of yours (mode 0600); the cache is off for this run",
                      file=sys.stderr)
                self._off = True
            except OSError:
                self._off = True  # no key can be kept: no cache, only slower
        return None if self._off else self._secret


def clean(root: str | os.PathLike[str]) -> bool:
    """Remove a cache folder; False if there was none. Refuses a link, or a folder that is
    not a cache."""
    folder = Path(root)
    if folder.is_symlink():
        raise OSError(f"{folder} is a symbolic link; not removed")
    if not folder.is_dir():
        return False
    try:
        fd = os.open(folder / ".gitignore", os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
        try:
            head = os.read(fd, len(_MARKER)) if stat.S_ISREG(os.fstat(fd).st_mode) else b""
        finally:
            os.close(fd)
    except OSError:
        head = b""
    if head != _MARKER.encode():
        raise OSError(f"{folder} does not look like a scorelint cache; not removed")
    shutil.rmtree(folder)  # removes links inside, never what they point to
    return True


# --- files, never through a link ---------------------------------------------------


def _subfolder(parent: int, name: str, create: bool) -> int:
    if create:
        try:
            os.mkdir(name, 0o700, dir_fd=parent)
        except FileExistsError:
            pass
    return os.open(name, _DIR_FLAGS, dir_fd=parent)


def _read_all(fd: int, limit: int) -> bytes | None:
    chunks, size = [], 0
    while chunk := os.read(fd, 1 << 20):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _write_atomic(folder: int, name: str, data: bytes) -> None:
    """Write `name` whole or not at all: a temporary file beside it, then a rename (which
    replaces a link at `name`, never its target); the temporary is removed on every path."""
    temporary = f".tmp-{os.getpid()}-{secrets.token_hex(8)}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC,
                 0o600, dir_fd=folder)
    try:
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
        os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        try:
            os.unlink(temporary, dir_fd=folder)
        except OSError:
            pass
        raise


def _create(folder: int, name: str, data: bytes) -> None:
    """Create `name` with `data` unless something (a file, a link) is there already."""
    try:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC,
                     0o644, dir_fd=folder)
    except FileExistsError:
        return
    try:
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
    except BaseException:
        os.unlink(name, dir_fd=folder)  # no half-written file left behind
        raise


class _Unsafe(Exception):
    """The key file exists but others could read or replace it."""


def _load_key(path: Path) -> bytes | None:
    """The key at `path`; None when there is none. A link, another owner's file, a file
    others can read or write, or one of the wrong size is not a key."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as error:
        if path.is_symlink():
            raise _Unsafe from error
        raise
    try:
        info = os.fstat(fd)
        if (not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid()
                or info.st_mode & 0o077 or info.st_size != _KEY_BYTES):
            raise _Unsafe
        key = _read_all(fd, _KEY_BYTES)
    finally:
        os.close(fd)
    if key is None or len(key) != _KEY_BYTES:
        raise _Unsafe
    return key


def _make_key(path: Path) -> bytes:
    """A new random key at `path`, mode 0600: written whole to a file of our own (O_EXCL),
    then linked into place, so a concurrent run reads a whole key or makes its own first;
    when another run linked first, its key is the one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(_KEY_BYTES)
    temporary = path.with_name(f".key-{os.getpid()}-{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o600)
    try:
        try:
            os.fchmod(fd, 0o600)  # whatever the umask
            _write_all(fd, key)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temporary, path)
        except FileExistsError:
            theirs = _load_key(path)
            if theirs is None:
                raise
            return theirs
        return key
    finally:
        try:
            os.unlink(temporary)
        except OSError:
            pass


# --- entries: outcomes as JSON, authenticated ---------------------------------------


def _mac(secret: bytes, body: bytes) -> bytes:
    return hmac.new(secret, body, hashlib.sha256).hexdigest().encode()


def _header(entry: Entry) -> dict[str, object]:
    """What binds an entry to its name and its file; all of it must match on read."""
    return {"kind": _KIND, "format": _FORMAT, "entry": entry.name, "path": entry.path,
            "where": entry.where, "digest": entry.digest}


def _entry_bytes(secret: bytes, entry: Entry, outcome: FileOutcome) -> bytes | None:
    """The entry's bytes: the MAC of the body, a newline, the body (JSON). None for an
    outcome the entry would not give back as it is (not stored: never a changed result)."""
    stored = dataclasses.replace(outcome, text=None)  # the text is the file: not stored
    data = {**_header(entry), "outcome": _outcome_data(stored)}
    try:
        body = json.dumps(data, separators=(",", ":"), allow_nan=False).encode()
        again = json.loads(body)
        if again != data or _outcome_data(_outcome(again["outcome"])) != data["outcome"]:
            return None  # a value JSON does not carry as it is (a tuple, a non-str key)
    except (TypeError, ValueError, RecursionError):
        return None
    if not _bound(stored, entry) or len(body) + 65 > MAX_ENTRY:
        return None
    return _mac(secret, body) + b"\n" + body


def _fix_entry_bytes(secret: bytes, entry: Entry, result: FixResult,
                     depends: tuple[tuple[str, str], ...]) -> bytes | None:
    """A fix entry's bytes, as `_entry_bytes`: the result with the text it started from
    (the file's: not stored) left out."""
    data = {**_header(entry), "fix": _fix_result_data(result, depends)}
    try:
        body = json.dumps(data, separators=(",", ":"), allow_nan=False).encode()
        again = json.loads(body)
        if again != data or _fix_result_data(*_fix_result(again["fix"])) != data["fix"]:
            return None
    except (TypeError, ValueError, RecursionError):
        return None
    if not _fix_bound(result, entry) or len(body) + 65 > MAX_ENTRY:
        return None
    return _mac(secret, body) + b"\n" + body


def _read_fix_entry(raw: bytes, secret: bytes, entry: Entry
                    ) -> tuple[FixResult, tuple[tuple[str, str], ...]] | None:
    """The fix loop's result an entry holds and the modules it rests on, as `_read_entry`."""
    try:
        data = _verified(raw, secret, entry, "fix")
        if data is None:
            return None
        result, depends = _fix_result(data)
    except (ValueError, TypeError, KeyError, RecursionError):
        return None
    return (result, depends) if _fix_bound(result, entry) else None


def _fix_bound(result: FixResult, entry: Entry) -> bool:
    return all(f.path == entry.path
               for f in (*result.applied, *result.remaining, *result.original))


def _fix_result_data(result: FixResult, depends: tuple[tuple[str, str], ...]
                     ) -> dict[str, object]:
    return {"text": result.text, "applied": [_finding_data(f) for f in result.applied],
            "remaining": [_finding_data(f) for f in result.remaining],
            "refused": result.refused, "original": [_finding_data(f) for f in result.original],
            "depends": [[path, digest] for path, digest in depends]}


def _fix_result(value: Any) -> tuple[FixResult, tuple[tuple[str, str], ...]]:
    data = _fields(value, {"text", "applied", "remaining", "refused", "original", "depends"})
    refused = data["refused"]
    return FixResult(
        _of(data["text"], str), [_finding(f) for f in _of(data["applied"], list)],
        [_finding(f) for f in _of(data["remaining"], list)],
        None if refused is None else _of(refused, str),
        [_finding(f) for f in _of(data["original"], list)],
    ), tuple((_of(p, str), _of(d, str)) for p, d in map(_pair, _of(data["depends"], list)))


def _read_entry(raw: bytes, secret: bytes, entry: Entry) -> FileOutcome | None:
    """The outcome an entry holds, if it is ours (the MAC), for this very entry and file,
    and well-formed; else None."""
    try:
        data = _verified(raw, secret, entry, "outcome")
        if data is None:
            return None
        outcome = _outcome(data)
    except (ValueError, TypeError, KeyError, RecursionError):
        return None
    return outcome if _bound(outcome, entry) else None


def _verified(raw: bytes, secret: bytes, entry: Entry, kind: str) -> Any:
    """The `kind` part of an entry's body, if the entry is ours (the MAC) and for this very
    entry (its header); else None. Raises what `json.loads` raises on a bad body."""
    mac, newline, body = raw.partition(b"\n")
    if not newline or not hmac.compare_digest(mac, _mac(secret, body)):
        return None
    data = json.loads(body)
    if type(data) is not dict or set(data) != {*_header(entry), kind}:
        return None
    if any(data[k] != v for k, v in _header(entry).items()):
        return None
    return data[kind]


def _bound(outcome: FileOutcome, entry: Entry) -> bool:
    """Is the outcome about the entry's file (it and every finding name that path)?"""
    return outcome.path == entry.path and all(
        f.path == entry.path for f in (*outcome.findings, *outcome.applied))


def _outcome_data(outcome: FileOutcome) -> dict[str, object]:
    return {"path": outcome.path, "findings": [_finding_data(f) for f in outcome.findings],
            "fixed": outcome.fixed, "diff": outcome.diff,
            "cells": [[index, text] for index, text in outcome.cells.items()],
            "applied": [_finding_data(f) for f in outcome.applied],
            "depends": [[path, digest] for path, digest in outcome.depends]}


def _finding_data(finding: Finding) -> dict[str, object]:
    return {"path": finding.path, "code": finding.code, "name": finding.name,
            "message": finding.message, "start": _position_data(finding.start),
            "end": _position_data(finding.end),
            "fix": _fix_data(finding.fix) if finding.fix is not None else None,
            "noqa_row": finding.noqa_row, "severity": finding.severity,
            "suppressed": finding.suppressed, "extra": finding.extra, "cell": finding.cell}


def _fix_data(fix: Fix) -> dict[str, object]:
    return {"title": fix.title, "applicability": fix.applicability.value,
            "edits": [{"start": e.start, "end": e.end, "content": e.content,
                       "start_pos": _position_data(e.start_pos),
                       "end_pos": _position_data(e.end_pos), "cell": e.cell}
                      for e in fix.edits]}


def _position_data(position: Position) -> list[int]:
    return [position.row, position.column]


class _Malformed(ValueError):
    pass


def _of(value: Any, kind: type) -> Any:
    """`value` if it is exactly of `kind` (a bool is not an int here)."""
    if type(value) is not kind:
        raise _Malformed(f"{kind.__name__} expected")
    return value


def _fields(value: Any, names: set[str]) -> dict[str, Any]:
    if type(value) is not dict or set(value) != names:
        raise _Malformed("other fields")
    return value


def _cell(value: Any) -> int | None:
    return None if value is None else _of(value, int)


def _pair(value: Any) -> tuple[Any, Any]:
    items = _of(value, list)
    if len(items) != 2:
        raise _Malformed("a pair expected")
    return items[0], items[1]


def _position(value: Any) -> Position:
    row, column = _pair(value)
    return Position(_of(row, int), _of(column, int))


def _outcome(value: Any) -> FileOutcome:
    data = _fields(value, {"path", "findings", "fixed", "diff", "cells", "applied", "depends"})
    cells: dict[int, str] = {}
    for pair in _of(data["cells"], list):
        index, text = _pair(pair)
        cells[_of(index, int)] = _of(text, str)
    return FileOutcome(
        _of(data["path"], str), [_finding(f) for f in _of(data["findings"], list)],
        _of(data["fixed"], int), _of(data["diff"], str), None, cells,
        [_finding(f) for f in _of(data["applied"], list)],
        tuple((_of(p, str), _of(d, str)) for p, d in map(_pair, _of(data["depends"], list))))


def _finding(value: Any) -> Finding:
    data = _fields(value, {"path", "code", "name", "message", "start", "end", "fix",
                           "noqa_row", "severity", "suppressed", "extra", "cell"})
    return Finding(
        _of(data["path"], str), _of(data["code"], str), _of(data["name"], str),
        _of(data["message"], str), _position(data["start"]), _position(data["end"]),
        _fix(data["fix"]) if data["fix"] is not None else None, _of(data["noqa_row"], int),
        _of(data["severity"], str), _of(data["suppressed"], bool), _extra(data["extra"]),
        _cell(data["cell"]))


def _fix(value: Any) -> Fix:
    data = _fields(value, {"title", "applicability", "edits"})
    edits = []
    for item in _of(data["edits"], list):
        edit = _fields(item, {"start", "end", "content", "start_pos", "end_pos", "cell"})
        edits.append(Edit(_of(edit["start"], int), _of(edit["end"], int),
                          _of(edit["content"], str), _position(edit["start_pos"]),
                          _position(edit["end_pos"]), _cell(edit["cell"])))
    return Fix(_of(data["title"], str), Applicability(_of(data["applicability"], str)),
               tuple(edits))


def _extra(value: Any) -> dict[str, object]:
    """A finding's extra data: JSON values; the known keys of the shape their readers
    expect (a trace as `TraceStep.to_dict` writes it)."""
    extra = _of(value, dict)
    for key in ("url", "suppressed_by"):
        if key in extra:
            _of(extra[key], str)
    if "trace" in extra:
        steps = _of(extra["trace"], list)
        if any(not isinstance(s, Mapping) or TraceStep.from_dict(s) is None for s in steps):
            raise _Malformed("trace")
    return extra
