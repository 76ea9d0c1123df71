"""`--changed-since REV`: keep only findings on lines changed since a git revision.

The changed lines are those `git diff --unified=0 REV` adds or rewrites in
the working tree (staged or not), plus every line of untracked files that
are not ignored. A finding is kept when any row it covers changed. Findings
that stand for a file that could not be checked (SL000, SL001) are always
kept: they are errors, not review comments. A notebook's diff is a diff of
its JSON, so any change to a notebook keeps all of its findings.

Like the baseline, this decides only what is reported: `--fix` still fixes
the whole file. For a pull request, pass the merge base
(`$(git merge-base origin/main HEAD)`) so that commits that landed on the
base branch meanwhile do not count as yours.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from scorelint.base.findings import ERROR_CODE, INTERNAL_CODE, FileOutcome, Finding
from scorelint.run import gitsafe
from scorelint.run.gitsafe import GitError, GitTimeout

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class ChangedLines:
    """Changed rows per file (by real path); None means every row (an untracked file)."""

    files: dict[str, frozenset[int] | None]

    def touches(self, finding: Finding) -> bool:
        """Does any row of the finding lie on a changed line?"""
        if finding.code in (ERROR_CODE, INTERNAL_CODE):
            return True
        rows = self.files.get(os.path.realpath(finding.path), frozenset())
        if rows is None:
            return True
        if finding.cell is not None:
            # A notebook's diff rows are rows of its JSON, not of its cells: any
            # change to the notebook keeps all of its findings.
            return bool(rows)
        return any(row in rows for row in range(finding.start.row, finding.last_row + 1))


def _git(args: Sequence[str], cwd: str, filters: bool = False) -> str:
    try:
        done = gitsafe.run(args, cwd, env={"LC_ALL": "C"}, filters=filters)
    except FileNotFoundError:
        raise GitError("--changed-since needs git, and git is not installed") from None
    if done.returncode != 0:
        raise GitError(done.stderr.decode("utf-8", "replace").strip() or f"git {args[0]} failed")
    return done.stdout.decode("utf-8", "surrogateescape")


def changed_since(rev: str, folder: str = ".") -> ChangedLines:
    """The lines changed in the work tree holding `folder` since revision `rev`."""
    try:
        top = _git(["rev-parse", "--show-toplevel"], folder).strip()
    except GitTimeout:
        raise
    except GitError as exc:
        raise GitError(f"--changed-since needs a git work tree: {exc}") from None
    if rev.startswith("-"):
        raise GitError(f"unknown git revision {rev!r}")
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], top)
    except GitTimeout:
        raise
    except GitError:
        raise GitError(f"unknown git revision {rev!r} in {top}") from None
    excludes, unread = gitsafe.standard_excludes(top)
    attributes = gitsafe.git_path("info/attributes", top)
    if attributes is not None and gitsafe.not_regular(attributes):
        unread.append(attributes)
    if unread:
        # `git diff REV` reads them whatever it is told (info/exclude to protect ignored
        # files), so it would block: say so at once.
        raise GitError(f"{unread[0]} is not a regular file: git would wait on it forever, "
                       "so --changed-since cannot ask git what changed")
    diff = _git(["-c", "core.quotePath=false", "diff", "--no-color", "--no-ext-diff",
                 "--no-textconv", "--unified=0", "--src-prefix=a/", "--dst-prefix=b/", rev, "--"],
                top, filters=True)
    files: dict[str, frozenset[int] | None] = {}
    for path, rows in _parse_diff(diff).items():
        files[os.path.realpath(os.path.join(top, path))] = frozenset(rows)
    untracked = _git(["ls-files", "-z", "--others", *excludes], top)
    for path in filter(None, untracked.split("\0")):
        files[os.path.realpath(os.path.join(top, path))] = None
    return ChangedLines(files)


def _parse_diff(diff: str) -> dict[str, set[int]]:
    """New-side rows each file's hunks add or rewrite."""
    result: dict[str, set[int]] = {}
    current: set[int] | None = None
    header = False  # between `diff --git` and the first hunk: `+++` names the file
    for line in diff.splitlines():
        if line.startswith("diff --git "):
            header, current = True, None
        elif header and line.startswith("+++ "):
            target = line[4:]
            if target == "/dev/null":
                current = None  # a deleted file has no lines to comment on
                continue
            name = _unquote(target)
            current = result.setdefault(name[2:] if name.startswith("b/") else name, set())
        elif line.startswith("@@"):
            header = False
            match = _HUNK.match(line)
            if match and current is not None:
                start, count = int(match.group(1)), int(match.group(2) or 1)
                current.update(range(start, start + count))
    return result


def _unquote(name: str) -> str:
    """Undo git's C-style quoting of unusual path names (`"b/a\\tb.py"`)."""
    if not (name.startswith('"') and name.endswith('"')):
        return name
    raw = codecs.escape_decode(name[1:-1].encode("utf-8", "surrogateescape"))[0]
    return raw.decode("utf-8", "surrogateescape")  # type: ignore[union-attr]


def keep_changed(outcomes: Sequence[FileOutcome], changed: ChangedLines) -> int:
    """Drop findings on unchanged lines from each outcome; returns how many were dropped."""
    dropped = 0
    for outcome in outcomes:
        kept = [f for f in outcome.findings if changed.touches(f)]
        dropped += len(outcome.findings) - len(kept)
        outcome.findings = kept
    return dropped
