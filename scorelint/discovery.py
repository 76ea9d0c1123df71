"""Finding the files to check under the paths given on the command line.

Inside a folder, a file is skipped when an exclusion pattern matches it (the
configuration's `exclude`, by default `SKIP_DIRS`) or when `.gitignore` says
so: git itself is asked inside a git work tree (so `.git/info/exclude` and the
global excludes count too), elsewhere the `.gitignore` files are read with
`pathspec`. Files named on the command line are always checked, as in Ruff,
unless `force_exclude` is set and a pattern matches them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import pathspec

from scorelint import gitsafe

# Folders that never hold code of the project itself.
SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "__pycache__", ".venv", "venv", ".tox", ".nox", "build", "dist",
    "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".scorelint_cache",
    "site-packages", ".eggs", ".ipynb_checkpoints",
})
PYTHON_SUFFIXES = (".py", ".pyi")
# Jupyter notebooks: their code cells are checked (scorelint.notebook).
NOTEBOOK_SUFFIXES = (".ipynb",)
CHECKED_SUFFIXES = PYTHON_SUFFIXES + NOTEBOOK_SUFFIXES
# Skipped whatever the configuration says.
VCS_DIRS = frozenset({".git", ".hg", ".svn"})

# (path, is_dir) -> should it be skipped?
Excluded = Callable[[str, bool], bool]


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
    with `force_exclude` it applies to the named paths too.
    """
    for path in paths:
        if force_exclude and excluded is not None and excluded(path, os.path.isdir(path)):
            continue
        if os.path.isdir(path):
            root = os.path.realpath(path)
            ignored = gitignored(path) if respect_gitignore else None
            yield from _walk(path, root, suffixes, _Filter(excluded, ignored))
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


def gitignored(folder: str) -> Excluded:
    """What `.gitignore` ignores below `folder`: git's answer in a work tree, else pathspec's."""
    return _ignored_by_git(folder) or _GitignoreFiles(folder).ignored


def _ignored_by_git(folder: str) -> Excluded | None:
    """Ignored paths below `folder` from one `git ls-files`; None outside a work tree."""
    try:
        done = gitsafe.run(
            ["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"],
            folder)
    except OSError:
        return None  # no git: read the .gitignore files instead
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
    """`.gitignore` files read with pathspec, for trees git does not manage.

    Files from the project's top (the nearest folder above with `.git` or
    `pyproject.toml`) down to each entry's folder apply; the deepest file with
    a matching pattern decides, as in git.
    """

    def __init__(self, folder: str) -> None:
        start = os.path.abspath(folder)
        self.top = start
        probe = start
        while True:
            if any(os.path.exists(os.path.join(probe, m)) for m in (".git", "pyproject.toml")):
                self.top = probe
                break
            parent = os.path.dirname(probe)
            if parent == probe:
                break
            probe = parent
        self.specs: dict[str, pathspec.GitIgnoreSpec | None] = {}

    def _spec(self, folder: str) -> pathspec.GitIgnoreSpec | None:
        if folder not in self.specs:
            try:
                with open(os.path.join(folder, ".gitignore"), encoding="utf-8",
                          errors="surrogateescape") as handle:
                    self.specs[folder] = pathspec.GitIgnoreSpec.from_lines(handle)
            except OSError:
                self.specs[folder] = None
        return self.specs[folder]

    def ignored(self, path: str, is_dir: bool) -> bool:
        path = os.path.abspath(path)
        folder = os.path.dirname(path)
        while True:
            spec = self._spec(folder)
            if spec is not None:
                rel = os.path.relpath(path, folder).replace(os.sep, "/")
                decided = spec.check_file(rel + "/" if is_dir else rel).include
                if decided is not None:
                    return decided
            parent = os.path.dirname(folder)
            if folder == self.top or parent == folder:
                return False
            folder = parent
