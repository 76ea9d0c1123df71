"""JSON in Ruff's schema, so tools that read `ruff check --output-format json` read us.

One key is ours: `trace`, the lines a flow finding rests on, each with Ruff's
`location`/`end_location` objects, a `message` and (in a notebook) its
`cell`; `[]` for other findings. Ruff's readers ignore keys they do not know."""

from __future__ import annotations

import json
import os
from typing import Any

from scorelint.base.findings import Finding, Position, TraceStep
from scorelint.reports import Report, url_of


def _location(pos: Position) -> dict[str, int]:
    return {"row": pos.row, "column": pos.column}


def _step(step: TraceStep) -> dict[str, Any]:
    return {"cell": step.cell, "location": _location(step.start),
            "end_location": _location(step.end), "message": step.note}


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    fix = None
    if finding.fix is not None:
        fix = {
            "applicability": finding.fix.applicability.value,
            "message": finding.fix.title,
            "edits": [
                {"content": e.content, "location": _location(e.start_pos),
                 "end_location": _location(e.end_pos)}
                for e in finding.fix.edits
            ],
        }
    return {
        "cell": finding.cell,
        "code": finding.code,
        "name": finding.name,
        "message": finding.message,
        "filename": os.path.abspath(finding.path),
        "location": _location(finding.start),
        "end_location": _location(finding.end),
        "fix": fix,
        "url": url_of(finding),
        "noqa_row": finding.noqa_row,
        "severity": finding.severity,  # Ruff's key: "error" for every finding, as Ruff's
        "trace": [_step(s) for s in finding.trace],
    }


def render(report: Report) -> str:
    return json.dumps([finding_to_dict(f) for f in report.findings], indent=2) + "\n"
