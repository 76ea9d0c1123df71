"""`--statistics`: one line per rule code, with how many findings and whether `--fix` fixes them.

The shape is Ruff's (and Flake8's before it): `count<TAB>code<TAB>[*] name`,
where `[*]` means every finding of the code is fixable with `--fix` (with
`--unsafe-fixes`, unsafe fixes count), `[-]` some of them, `[ ]` none; the
marks are left out when nothing at all is fixable. `--output-format json`
gives Ruff's JSON (`code`, `name`, `count`, `fixable`, `fixable_count`).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from scorelint.base.findings import applicable
from scorelint.reports import Report


@dataclass(frozen=True)
class Statistic:
    code: str
    name: str
    count: int
    fixable_count: int


def tally(report: Report) -> list[Statistic]:
    """Counts per code, most frequent first (then by code), suppressed findings left out."""
    counts: Counter[str] = Counter()
    fixable: Counter[str] = Counter()
    names: dict[str, str] = {}
    for finding in report.active:
        counts[finding.code] += 1
        names[finding.code] = finding.name
        fixable[finding.code] += applicable(finding.fix, report.unsafe_fixes)
    return [Statistic(code, names[code], count, fixable[code])
            for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def _mark(stat: Statistic) -> str:
    if stat.fixable_count == stat.count:
        return "[*] "
    return "[-] " if stat.fixable_count else "[ ] "


def render_text(report: Report) -> str:
    stats = tally(report)
    if not stats:
        return ""
    count_width = max(len(str(s.count)) for s in stats)
    code_width = max(len(s.code) for s in stats)
    marks = any(s.fixable_count for s in stats)
    return "".join(f"{s.count:>{count_width}}\t{s.code:<{code_width}}\t"
                   f"{_mark(s) if marks else ''}{s.name}\n" for s in stats)


def render_json(report: Report) -> str:
    rows = [{"code": s.code, "name": s.name, "count": s.count, "fixable": s.fixable_count > 0,
             "fixable_count": s.fixable_count} for s in tally(report)]
    return json.dumps(rows, indent=2) + "\n"
