"""The default output: `path:line:col: CODE message`, the source line with a caret, the fix.

A finding that rests on flow lists the lines that led to it under the excerpt,
one `= note: row:col: what happens there` each (`cell N:row:col` for a step in
another notebook cell than the finding's)."""

from __future__ import annotations

from scorelint.base.findings import Applicability, Finding, applicable
from scorelint.base.source import LineIndex
from scorelint.reports import Report, location

BOLD, RED, CYAN, GREEN, _RESET = "\033[1m", "\033[31m", "\033[36m", "\033[32m", "\033[0m"


def paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{_RESET}" if color else text


# A span over more lines than this shows its first and last lines around a `...`.
MAX_EXCERPT_ROWS = 6


def _excerpt(finding: Finding, index: LineIndex | None) -> list[str]:
    """The span's source lines, each with carets under its part of the span."""
    if index is None or finding.start.row > len(index.starts):
        return []
    last = min(max(finding.end.row, finding.start.row), len(index.starts))
    rows = list(range(finding.start.row, last + 1))
    if len(rows) > MAX_EXCERPT_ROWS:
        keep = MAX_EXCERPT_ROWS // 2
        rows = [*rows[:keep], 0, *rows[-keep:]]  # 0 stands for the elided middle
    pad = " " * len(str(last))
    out = [f"{pad} |"]
    for row in rows:
        if row == 0:
            out.append(f"{pad} | ...")
            continue
        line = index.line(row).expandtabs(1)
        first = finding.start.column - 1 if row == finding.start.row else len(line) - len(line.lstrip())
        end = finding.end.column - 1 if row == finding.end.row else len(line)
        out.append(f"{str(row).rjust(len(pad))} | {line}")
        out.append(f"{pad} | {' ' * first}{'^' * max(1, end - first)}")
    return out


def format_finding(finding: Finding, index: LineIndex | None, report: Report) -> str:
    head = (f"{paint(location(finding), BOLD, report.color)}: "
            f"{paint(finding.code, RED, report.color)} {finding.message}")
    if finding.suppressed:
        head += f" [suppressed by {finding.extra.get('suppressed_by', 'comment')}]"
    lines = [head, *_excerpt(finding, index)]
    for step in finding.trace:
        cell = f"cell {step.cell}:" if step.cell not in (None, finding.cell) else ""
        lines.append(f"  = {paint('note', CYAN, report.color)}: "
                     f"{cell}{step.start.row}:{step.start.column}: {step.note}")
    if finding.fix is not None:
        safety = finding.fix.applicability.value
        lines.append(f"  = {paint('fix', GREEN, report.color)} ({safety}): {finding.fix.title}")
    return "\n".join(lines)


def summary(report: Report) -> str:
    """The closing lines (none with `--quiet`)."""
    if report.quiet:
        return ""
    findings = [f for f in report.findings if not f.suppressed]
    fixed = sum(o.fixed for o in report.outcomes)
    if not findings:
        return f"Fixed {fixed} error{'s' * (fixed != 1)}." if fixed else "All checks passed!"
    parts = [f"Found {len(findings) + fixed} error{'s' * (len(findings) + fixed != 1)}"
             + (f" ({fixed} fixed, {len(findings)} remaining)." if fixed else ".")]
    safe = sum(1 for f in findings if applicable(f.fix, False))
    unsafe = sum(1 for f in findings
                 if f.fix is not None and f.fix.applicability is Applicability.UNSAFE)
    if safe or (unsafe and report.unsafe_fixes):
        count = safe + (unsafe if report.unsafe_fixes else 0)
        parts.append(f"[*] {count} fixable with the `--fix` option.")
    if unsafe and not report.unsafe_fixes:
        parts.append(f"{unsafe} hidden fix{'es' * (unsafe != 1)} can be enabled with the "
                     "`--unsafe-fixes` option.")
    return "\n".join(parts)


def render(report: Report) -> str:
    blocks = [format_finding(f, report.index(f.path, f.cell), report) for f in report.findings]
    body = "\n\n".join(blocks)
    if report.quiet:
        return body + "\n" if body else ""
    return (body + "\n\n" if body else "") + summary(report) + "\n"
