"""The results cache: a file whose content, settings and scorelint are unchanged is not
checked again.

One entry per checked file, in `.scorelint_cache/` (or `--cache-dir`), named by a
hash of everything the outcome depends on: the file's path and bytes, the run's
options for it (selected rules, fix settings), the Python version, and scorelint
itself (its version and a fingerprint of its installed source files, so a changed
rule never reads an old result). The folder holds a `.gitignore` that ignores it
whole, as Ruff's does. Only check runs use it: `--fix` and `--diff` write or print
edits, and a file that could not be checked is checked again next time.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import pickle
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from scorelint.version import __version__

if TYPE_CHECKING:
    from scorelint.findings import FileOutcome
    from scorelint.pipeline import Options

DEFAULT_DIR = ".scorelint_cache"
# Set by the test suite (one folder per test) or a user who wants one place for every run.
ENV_DIR = "SCORELINT_CACHE_DIR"
_FORMAT = 1  # bumped when the entries' layout changes
_GITIGNORE = "# Automatically created by scorelint.\n*\n"


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


class Cache:
    """Outcomes stored by key, one small file each, under `root/<version>/`."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.folder = self.root / __version__
        self._ready = False

    def key(self, path: str, raw: bytes, options: Options) -> str | None:
        """The entry's name for this file's bytes and options; None when not cacheable."""
        if options.fix or options.diff or not options.write:
            return None
        settings = dataclasses.replace(options, tree=None)
        digest = hashlib.sha256(fingerprint().encode())
        digest.update(repr((os.path.abspath(path), path, settings)).encode())
        digest.update(hashlib.sha256(raw).digest())
        return digest.hexdigest()

    def _entry(self, key: str) -> Path:
        return self.folder / key[:2] / key

    def get(self, key: str) -> FileOutcome | None:
        """The stored outcome, or None (absent, unreadable, or from another layout)."""
        try:
            with open(self._entry(key), "rb") as handle:
                return pickle.load(handle)  # our own folder, our own entries
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError,
                TypeError, ValueError):
            return None

    def put(self, key: str, outcome: FileOutcome) -> None:
        """Store an outcome; a cache that cannot be written is only slower, never an error."""
        try:
            self._prepare()
            entry = self._entry(key)
            entry.parent.mkdir(exist_ok=True)
            # Written whole, then renamed: a concurrent run never reads half an entry.
            handle, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-")
            with os.fdopen(handle, "wb") as out:
                pickle.dump(dataclasses.replace(outcome, text=None), out,
                            protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, entry)
        except OSError:
            pass

    def _prepare(self) -> None:
        if self._ready:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        ignore = self.root / ".gitignore"
        if not ignore.exists():
            ignore.write_text(_GITIGNORE)
        self._ready = True


def default_dir() -> str:
    return os.environ.get(ENV_DIR) or DEFAULT_DIR


def clean(root: str | os.PathLike[str]) -> bool:
    """Remove a cache folder; False if there was none. Refuses a folder that is not one."""
    folder = Path(root)
    if not folder.is_dir():
        return False
    ignore = folder / ".gitignore"
    if not (ignore.is_file() and ignore.read_text().startswith("# Automatically created by "
                                                               "scorelint")):
        raise OSError(f"{folder} does not look like a scorelint cache; not removed")
    shutil.rmtree(folder)
    return True
