"""JSON in Ruff's schema, so tools that read `ruff check --output-format json` read us."""

from __future__ import annotations

import json
import os
from typing import Any

from scorelint.findings import Finding, Position
from scorelint.reporters import Report


def _location(pos: Position) -> dict[str, int]:
    return {"row": pos.row, "column": pos.column}


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
        "url": finding.extra.get("url"),
        "noqa_row": finding.noqa_row,
    }


def render(report: Report) -> str:
    return json.dumps([finding_to_dict(f) for f in report.findings], indent=2) + "\n"
