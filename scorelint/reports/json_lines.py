"""JSON Lines: one finding per line, each the same object as in the `json` format."""

from __future__ import annotations

import json

from scorelint.reports import Report
from scorelint.reports.json import finding_to_dict


def render(report: Report) -> str:
    return "".join(json.dumps(finding_to_dict(f)) + "\n"
                   for f in report.findings)
