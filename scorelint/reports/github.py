"""GitHub Actions workflow commands: one `::error file=...,line=...::message` per finding.

Escaping follows the Actions toolkit: `%`, CR and LF in the message; those and
`:` and `,` in property values. Columns are given only for a finding on one
line, as GitHub's annotations support them only then. GitHub shows at most
`ANNOTATION_LIMIT` annotations of each level per step (and 50 per job) and
drops the rest silently, so when there are more a `::notice` and a plain line
say how many and where to see them all. A notebook finding is annotated on the
file without a line (its row counts within a cell, not in the file's JSON);
the message names the cell. Suppressed findings are not annotated.
"""

from __future__ import annotations

from collections import Counter

from scorelint.base.findings import Finding
from scorelint.reports import Report, location, posix

ANNOTATION_LIMIT = 10
_LEVELS = {"error": "error", "warning": "warning"}  # anything else is a notice


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, **properties: object) -> str:
    """One workflow command line, escaped."""
    props = ",".join(f"{k}={escape_property(str(v))}" for k, v in properties.items())
    return f"::{level}{' ' + props if props else ''}::{escape_data(message)}"


def level(finding: Finding) -> str:
    return _LEVELS.get(finding.severity, "notice")


def annotation(finding: Finding) -> str:
    path = posix(finding.path)
    where: dict[str, object] = {"file": path}
    # A notebook's rows count within a cell, not in the .ipynb file: no line then.
    if finding.cell is None:
        where.update(line=finding.start.row, endLine=finding.end.row)
        if finding.start.row == finding.end.row:  # GitHub takes columns on one line only
            where.update(col=finding.start.column, endColumn=finding.end.column)
    # The message repeats the location so the step's log reads on its own.
    message = f"{location(finding)}: {finding.code} {finding.message}"
    if finding.fix is not None:
        message += f"\nFix ({finding.fix.applicability.value}): {finding.fix.title}"
    return command(level(finding), message, title=f"scorelint {finding.code} ({finding.name})",
                   **where)


def render(report: Report) -> str:
    findings = report.active
    lines = [annotation(f) for f in findings]
    counts = Counter(level(f) for f in findings)
    over = {lvl: n for lvl, n in sorted(counts.items()) if n > ANNOTATION_LIMIT}
    if over:
        parts = ", ".join(f"{n} {lvl}s" for lvl, n in over.items())
        text = (f"scorelint reported {len(findings)} findings ({parts}); GitHub shows only "
                f"{ANNOTATION_LIMIT} annotations of each level per step, so the rest are "
                "listed only in this step's log")
        lines.append(command("notice", text, title="scorelint: more findings than annotations"))
        lines.append(text)
    return "".join(f"{line}\n" for line in lines)
