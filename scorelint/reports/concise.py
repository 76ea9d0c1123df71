"""One line per finding, `path:line:col: CODE [*] message`, as Ruff's concise output.

`[*]` marks a finding that `--fix` would fix (with `--unsafe-fixes`, unsafe
fixes count too). In a notebook the place is `path:cell N:line:col`. The
summary lines are the text format's.
"""

from __future__ import annotations

from scorelint.base.findings import Finding, applicable
from scorelint.reports import Report, location
from scorelint.reports.text import BOLD, CYAN, RED, paint, summary


def format_finding(finding: Finding, unsafe_fixes: bool, color: bool = False) -> str:
    fixable = applicable(finding.fix, unsafe_fixes) and not finding.suppressed
    mark = f" {paint('[*]', CYAN, color)}" if fixable else ""
    message = " ".join(finding.message.splitlines())  # one line per finding, always
    line = (f"{paint(location(finding), BOLD, color)}: {paint(finding.code, RED, color)}{mark} "
            f"{message}")
    if finding.suppressed:
        line += f" [suppressed by {finding.extra.get('suppressed_by', 'comment')}]"
    return line


def render(report: Report) -> str:
    lines = [format_finding(f, report.unsafe_fixes, report.color) for f in report.findings]
    body = "".join(f"{line}\n" for line in lines)
    return body if report.quiet else body + summary(report) + "\n"
