"""Finding the files to check under the paths given on the command line."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# Folders that never hold code of the project itself.
SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "__pycache__", ".venv", "venv", ".tox", ".nox", "build", "dist",
    "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".scorelint_cache",
    "site-packages", ".eggs", ".ipynb_checkpoints",
})
PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass(frozen=True)
class Candidate:
    """A file to check, or a path that could not be walked (`error` says why)."""

    path: str
    error: str | None = None


def _is_virtualenv(path: str) -> bool:
    return os.path.exists(os.path.join(path, "pyvenv.cfg"))


def _skip_dir(entry: os.DirEntry[str]) -> bool:
    return (entry.name in SKIP_DIRS or entry.name.endswith(".egg-info")
            or _is_virtualenv(entry.path))


def iter_files(paths: Iterable[str], suffixes: tuple[str, ...] = PYTHON_SUFFIXES) -> Iterator[Candidate]:
    """Files under `paths`, sorted per folder; explicitly named files are always included."""
    for path in paths:
        if os.path.isdir(path):
            root = os.path.realpath(path)
            yield from _walk(path, root, suffixes)
        elif os.path.exists(path) or os.path.islink(path):
            yield Candidate(path)
        else:
            yield Candidate(path, "no such file or directory")


def _walk(folder: str, root: str, suffixes: tuple[str, ...]) -> Iterator[Candidate]:
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
            if os.path.isdir(target):
                continue  # a link to a folder inside the tree is walked there already
        if entry.is_dir(follow_symlinks=False):
            if not _skip_dir(entry):
                yield from _walk(entry.path, root, suffixes)
        elif entry.name.endswith(suffixes):
            yield Candidate(os.path.normpath(entry.path))
