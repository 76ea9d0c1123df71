"""reviewdog's Diagnostic Format (rdjson), for `reviewdog -f=rdjson`.

Positions are as rdjson defines them: 1-based lines, 1-based columns counted
in UTF-8 bytes, exclusive ends. Fixes become `suggestions` (one per edit) only
when `--fix` would apply them: safe fixes, and unsafe ones too when the run was
given `--unsafe-fixes`; display-only fixes never. reviewdog posts suggestions
as review suggestions that a click commits, so an unsafe fix is not offered
unless asked for. A notebook finding has no range and no suggestions (its rows
count within a cell, not in the file's JSON); its message names the cell.
Suppressed findings are left out. A finding that rests on flow lists the
lines that led to it as `related_locations`, each with its note as message.
"""

from __future__ import annotations

import json
from typing import Any

from scorelint.base.findings import Finding, Position, TraceStep, applicable
from scorelint.base.source import LineIndex
from scorelint.reports import TOOL_NAME, Report, homepage, relative, url_of

_SEVERITY = {"error": "ERROR", "warning": "WARNING", "info": "INFO"}


def position(pos: Position, index: LineIndex | None) -> dict[str, int]:
    """A row and character column as rdjson's line and UTF-8 byte column."""
    if index is None or pos.row > len(index.starts):
        return {"line": pos.row, "column": pos.column}
    before = index.line(pos.row)[: pos.column - 1]
    return {"line": pos.row, "column": len(before.encode("utf-8")) + 1}


def _range(start: Position, end: Position, index: LineIndex | None) -> dict[str, Any]:
    return {"start": position(start, index), "end": position(end, index)}


def _related(path: str, step: TraceStep, index: LineIndex | None) -> dict[str, Any]:
    location: dict[str, Any] = {"path": relative(path)}
    if step.cell is not None:  # rows within a cell: no range in the file
        return {"message": f"cell {step.cell}, line {step.start.row}: {step.note}",
                "location": location}
    location["range"] = _range(step.start, step.end, index)
    return {"message": step.note, "location": location}


def diagnostic(finding: Finding, report: Report) -> dict[str, Any]:
    # A notebook's rows count within a cell, not in the .ipynb file's JSON.
    in_cell = finding.cell is not None
    location: dict[str, Any] = {"path": relative(finding.path)}
    result: dict[str, Any] = {
        "message": (f"cell {finding.cell}, line {finding.start.row}: {finding.message}"
                    if in_cell else finding.message),
        "location": location,
        "severity": _SEVERITY.get(finding.severity, "UNKNOWN_SEVERITY"),
        "source": {"name": TOOL_NAME, "url": homepage()},
        "code": {"value": finding.code},
    }
    if url_of(finding):
        result["code"]["url"] = url_of(finding)
    index = None if in_cell else report.index(finding.path)
    if finding.trace:
        result["related_locations"] = [_related(finding.path, step, index)
                                       for step in finding.trace]
    if in_cell:
        return result
    location["range"] = _range(finding.start, finding.end, index)
    if finding.fix is not None and applicable(finding.fix, report.unsafe_fixes):
        result["suggestions"] = [
            {"range": _range(e.start_pos, e.end_pos, index), "text": e.content}
            for e in finding.fix.edits
        ]
    return result


def render(report: Report) -> str:
    document = {
        "source": {"name": TOOL_NAME, "url": homepage()},
        "diagnostics": [diagnostic(f, report) for f in report.active],
    }
    return json.dumps(document, indent=2) + "\n"
