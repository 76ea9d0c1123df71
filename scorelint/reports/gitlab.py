"""GitLab's Code Quality report (a subset of Code Climate's issue format).

Each finding is an object with GitLab's fields: `description`, `check_name`,
`fingerprint` (unique and stable across edits above the finding), `severity`
(info, minor, major, critical or blocker), `location.path` relative to the
repository root, and `location.lines.begin`/`end`. Fixes are not carried:
the format has no place for them. Suppressed findings are left out. A
notebook finding's rows count within a cell, not in the file's JSON, so it is
placed on line 1 and its description names the cell and line.
"""

from __future__ import annotations

import json
from typing import Any

from scorelint.base.findings import ERROR_CODE, Finding
from scorelint.reports import Report, posix

_SEVERITY = {"error": "major", "warning": "minor"}  # anything else is info


def severity(finding: Finding) -> str:
    if finding.code == ERROR_CODE:
        return "critical"  # a file that was not checked at all hides every bug in it
    return _SEVERITY.get(finding.severity, "info")


def issue(finding: Finding, fingerprint: str) -> dict[str, Any]:
    description = f"{finding.code} {finding.message}"
    lines = {"begin": finding.start.row, "end": finding.last_row}
    if finding.cell is not None:
        description = f"{finding.code} cell {finding.cell}, line {finding.start.row}: {finding.message}"
        lines = {"begin": 1, "end": 1}
    return {
        "description": description,
        "check_name": finding.code,
        "fingerprint": fingerprint,
        "severity": severity(finding),
        "location": {"path": posix(finding.path), "lines": lines},
    }


def render(report: Report) -> str:
    issues = [issue(f, fp) for f, fp in report.fingerprints(report.active)]
    return json.dumps(issues, indent=2) + "\n"
