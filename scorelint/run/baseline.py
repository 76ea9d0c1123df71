"""`--baseline FILE`: record today's findings, and later report only new ones.

A finding is keyed by its identity (`scorelint.base.identity`): its path relative
to the baseline's folder, its code, a hash of the flagged lines' text with
whitespace collapsed, and its place among findings with that same key (0, 1,
...). The row is not in the key, so lines added or removed elsewhere in the
file do not make old findings new. A baseline-matched finding is marked suppressed (`suppressed_by: baseline`):
it is shown only with `--show-suppressed` and does not fail the run. The
baseline decides only what is reported: `--fix` still fixes every finding.

The file is JSON, sorted, one entry per finding; `line` and `message` are for
people reading it and play no part in matching.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from scorelint.base import source
from scorelint.base.findings import ERROR_CODE, INTERNAL_CODE, FileOutcome, Finding
from scorelint.base.identity import Texts, identify
from scorelint.engine.suppressions import suppress
from scorelint.run import discovery

VERSION = 1
# A baseline is one short JSON entry per finding; anything this big is not one.
MAX_BYTES = 256 * 2**20


class BaselineError(Exception):
    """A baseline file that cannot be read or written; the message says why."""


@dataclass(frozen=True, order=True)
class Key:
    path: str  # relative to the baseline's folder, with forward slashes
    code: str
    digest: str  # hash of the flagged lines' normalized text
    index: int  # which of the findings with the same (path, code, digest)


@dataclass(frozen=True)
class Baseline:
    path: str
    keys: frozenset[Key]

    @property
    def folder(self) -> str:
        return os.path.dirname(os.path.abspath(self.path))


def _counts(finding: Finding) -> bool:
    """Findings a baseline can hold: not suppressed, and not a file that failed to check."""
    return not finding.suppressed and finding.code not in (ERROR_CODE, INTERNAL_CODE)


def relative_to(path: str, folder: str) -> str:
    """`path` relative to `folder`, with forward slashes."""
    return PurePath(os.path.relpath(os.path.abspath(path), folder)).as_posix()


def keyed(outcomes: Sequence[FileOutcome], folder: str) -> list[tuple[Finding, Key]]:
    """Every finding a baseline can hold, with its key (in file and position order)."""
    counted = [f for o in outcomes for f in o.findings if _counts(f)]
    return [(f, Key(i.path, i.code, i.digest, i.index))
            for f, i in identify(counted, Texts(outcomes), lambda p: relative_to(p, folder))]


def load(path: str) -> Baseline:
    """Read a baseline file written by `write`."""
    return Baseline(path, frozenset(Key(e["path"], e["code"], e["hash"], e["index"])
                                    for e in _entries(path)))


def _entries(path: str) -> list[dict[str, Any]]:
    """The entries of a baseline file, checked for shape."""
    try:
        raw = discovery.read_bounded(path, MAX_BYTES)
        if not raw:
            raise BaselineError(f"baseline {path} is empty (a write that did not finish?); "
                                f"write it again with `--baseline {path} --write-baseline`")
        data = json.loads(raw)
    except discovery.Unreadable as exc:  # a FIFO or /dev/zero would never end
        raise BaselineError(f"baseline {path} is {exc}") from None
    except FileNotFoundError:
        raise BaselineError(f"baseline {path} does not exist; create it with "
                            f"`--baseline {path} --write-baseline`") from None
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise BaselineError(f"baseline {path} is not valid JSON: {exc}") from None
    except RecursionError:
        raise BaselineError(f"baseline {path} is not a scorelint baseline: nested too deeply") from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise BaselineError(f"baseline {path} is not a scorelint baseline")
    if data.get("version") != VERSION:
        raise BaselineError(f"baseline {path} has version {data.get('version')!r}; "
                            f"this scorelint reads version {VERSION}")
    fields = {"path": str, "code": str, "hash": str, "index": int}
    for entry in data["findings"]:
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(name), kind) for name, kind in fields.items()
        ):
            raise BaselineError(f"baseline {path} has a malformed entry: {entry!r}")
    return data["findings"]


def apply(outcomes: Sequence[FileOutcome], baseline: Baseline) -> tuple[int, int]:
    """Mark findings the baseline holds as suppressed.

    Returns (matched, stale): how many findings it matched, and how many of its
    entries for the files checked now match nothing (fixed since it was written).
    """
    matched = {id(f) for f, key in keyed(outcomes, baseline.folder) if key in baseline.keys}
    for outcome in outcomes:
        if any(id(f) in matched for f in outcome.findings):
            outcome.findings = [suppress(f, "baseline") if id(f) in matched else f
                                for f in outcome.findings]
    checked = {relative_to(o.path, baseline.folder) for o in outcomes}
    relevant = sum(1 for k in baseline.keys if k.path in checked)
    return len(matched), relevant - len(matched)


def write(path: str, outcomes: Sequence[FileOutcome]) -> int:
    """Write the baseline of `outcomes`; returns how many findings it holds.

    Entries of an existing baseline for files not checked in this run are
    kept while those files exist, so a run over part of a tree updates only
    that part.
    """
    folder = os.path.dirname(os.path.abspath(path))
    entries = [_entry(f, key) for f, key in keyed(outcomes, folder)]
    if _holds_something(path):
        checked = {relative_to(o.path, folder) for o in outcomes}
        entries += [e for e in _entries(path) if e["path"] not in checked
                    and os.path.exists(os.path.join(folder, e["path"]))]
    entries.sort(key=lambda e: (e["path"], e["code"], e["hash"], e["index"]))
    data = json.dumps({"version": VERSION, "tool": "scorelint", "findings": entries},
                      indent=2, ensure_ascii=False) + "\n"
    try:  # atomic: a full disk or a kill leaves the old baseline (or none), never a part
        source.write_atomic(path, data.encode("utf-8"), tree=os.path.realpath(folder))
    except OSError as exc:
        raise BaselineError(f"cannot write baseline {path}: {exc.strerror or exc}") from None
    return len(entries)


def _holds_something(path: str) -> bool:
    """Is there a baseline to keep entries of? An empty file (a write cut short by an
    older scorelint) holds nothing, and is replaced rather than an error forever."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return False
    except OSError:
        return True  # `_entries` says what is wrong with it
    return not (stat.S_ISREG(info.st_mode) and info.st_size == 0)


def _entry(finding: Finding, key: Key) -> dict[str, Any]:
    return {"path": key.path, "code": key.code, "hash": key.digest, "index": key.index,
            "line": finding.start.row, "message": finding.message}
