"""`--show-fixes`: which findings `--fix` fixed (or, without `--fix`, would fix), per file.

The shape is Ruff's:

    Fixed 2 errors:
    - pkg/a.py:
        2 × SL201 (log-of-product)
"""

from __future__ import annotations

from collections import Counter

from scorelint.base.findings import applicable
from scorelint.reports import Report, relative


def render(report: Report) -> str:
    """The enumeration, or "" when nothing was (or would be) fixed."""
    lines: list[str] = []
    total = 0
    for outcome in sorted(report.outcomes, key=lambda o: o.path):
        if report.fix:
            fixed = [(f.code, f.name) for f in outcome.applied]
        else:
            fixed = [(f.code, f.name) for f in outcome.findings
                     if not f.suppressed and applicable(f.fix, report.unsafe_fixes)]
        if not fixed:
            continue
        lines.append(f"- {relative(outcome.path)}:")
        for (code, name), count in sorted(Counter(fixed).items()):
            lines.append(f"    {count} × {code} ({name})")
        total += len(fixed)
    if not total:
        return ""
    head = f"{'Fixed' if report.fix else 'Would fix'} {total} error{'s' * (total != 1)}:"
    return "\n".join([head, *lines]) + "\n\n"
