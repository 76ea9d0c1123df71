"""SARIF 2.1.0, for GitHub code scanning and SARIF viewers.

Carries rule metadata (summary, the docs page as help, its URL), results with
relative URIs under `%SRCROOT%`, regions in Unicode code points (the run's
`columnKind`), a `partialFingerprints` entry that survives edits above the
finding, and `fixes` for fixable findings. Every fix says its applicability in
`properties.applicability`; unsafe and display-only fixes also say so in their
description, since a viewer shows that text when it offers to apply the fix.
A suppressed finding (listed with `--show-suppressed`) carries `suppressions`:
`inSource` for a comment, `external` for the baseline. A notebook finding has
no region and no fix, since its rows count within a cell and not in the
file's JSON: the cell and row are in its message and `properties`. A finding
that rests on flow lists the lines that led to it as `relatedLocations`, each
with its note as the message (in a notebook, again without a region).

A path that does not exist or a file that could not be read (SL000 with no
text behind it) is not a result: there is no line to put it on. It becomes a
`toolExecutionNotification` of the invocation, which then says it did not
succeed. A file that was read but does not parse stays a result at the line
of the syntax error.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from scorelint.base.findings import (
    ERROR_CODE,
    INTERNAL_CODE,
    Applicability,
    Edit,
    Finding,
    Fix,
    Position,
    TraceStep,
)
from scorelint.engine.registry import find_rule
from scorelint.reports import (
    TOOL_NAME,
    Report,
    cwd_uri,
    docs,
    homepage,
    is_below_cwd,
    posix,
)
from scorelint.version import __version__

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT = "scorelintFindingHash/v1"
_LEVELS = {"error": "error", "warning": "warning"}  # anything else is a note
# SL000 and SL001 are not rules, but their results need a descriptor all the same.
_PSEUDO_RULES = {
    ERROR_CODE: "The file could not be checked (unreadable, undecodable or unparseable).",
    INTERNAL_CODE: "A rule raised an exception on this file; the other rules still ran.",
}
_MARKERS = {
    Applicability.UNSAFE: " (unsafe fix: changes what is computed; review before applying)",
    Applicability.DISPLAY: " (display-only fix: scorelint never applies it)",
}


def _artifact(path: str) -> dict[str, str]:
    if is_below_cwd(path):
        # A name that is not UTF-8 holds surrogates: percent-encode its own bytes.
        return {"uri": quote(posix(path), errors="surrogateescape"), "uriBaseId": SRCROOT}
    return {"uri": Path(path).resolve().as_uri()}


def _region(start: Position, end: Position) -> dict[str, int]:
    # SARIF's endColumn is exclusive, as our end positions are.
    return {"startLine": start.row, "startColumn": start.column,
            "endLine": end.row, "endColumn": end.column}


def _replacement(edit: Edit) -> dict[str, Any]:
    return {"deletedRegion": _region(edit.start_pos, edit.end_pos),
            "insertedContent": {"text": edit.content}}


def _fix(path: str, fix: Fix) -> dict[str, Any]:
    return {
        "description": {"text": fix.title + _MARKERS.get(fix.applicability, "")},
        "artifactChanges": [{"artifactLocation": _artifact(path),
                             "replacements": [_replacement(e) for e in fix.edits]}],
        "properties": {"applicability": fix.applicability.value},
    }


def _related(path: str, step: TraceStep, number: int) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": _artifact(path)}
    related: dict[str, Any] = {"id": number, "physicalLocation": physical}
    if step.cell is None:
        physical["region"] = _region(step.start, step.end)
        related["message"] = {"text": step.note}
    else:
        related["message"] = {"text": f"cell {step.cell}, line {step.start.row}: {step.note}"}
        related["properties"] = {"notebookCell": step.cell, "cellLine": step.start.row,
                                 "cellColumn": step.start.column}
    return related


def _descriptor(code: str, name: str) -> dict[str, Any]:
    rule = find_rule(code)
    if rule is None:
        text = _PSEUDO_RULES.get(code, name)
        return {"id": code, "name": name, "shortDescription": {"text": text},
                "defaultConfiguration": {"level": "error"}}
    page = rule.docs()
    what = docs.section(rule, "What it does")
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": docs.summary(rule)},
        "fullDescription": {"text": " ".join(what.split()), "markdown": what},
        "help": {"text": page, "markdown": page},
        "helpUri": rule.url(),
        "defaultConfiguration": {"level": "error"},
        "properties": {"fixAvailability": rule.fix_availability.value,
                       "applicability": docs.safety(rule)},
    }


def _result(finding: Finding, fingerprint: str, rule_index: int) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": _artifact(finding.path)}
    message = finding.message
    if finding.cell is not None:
        message = f"cell {finding.cell}, line {finding.start.row}: {message}"
    else:
        physical["region"] = _region(finding.start, finding.end)
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": _LEVELS.get(finding.severity, "note"),
        "message": {"text": message},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {FINGERPRINT: fingerprint},
    }
    if finding.trace:
        result["relatedLocations"] = [_related(finding.path, step, number)
                                      for number, step in enumerate(finding.trace, 1)]
    if finding.cell is not None:
        result["properties"] = {"notebookCell": finding.cell, "cellLine": finding.start.row,
                                "cellColumn": finding.start.column}
    elif finding.fix is not None and finding.fix.edits:
        result["fixes"] = [_fix(finding.path, finding.fix)]
    if finding.suppressed:
        by = finding.extra.get("suppressed_by", "comment")
        result["suppressions"] = [{"kind": "external" if by == "baseline" else "inSource",
                                   "justification": f"suppressed by {by}"}]
    return result


def _unread(report: Report, finding: Finding) -> bool:
    """An SL000 for a file whose text was never read: missing, unreadable, undecodable."""
    return finding.code == ERROR_CODE and report.text_of(finding.path) is None


def _notification(finding: Finding) -> dict[str, Any]:
    notification: dict[str, Any] = {
        "level": "error",
        "message": {"text": f"{posix(finding.path)}: {finding.message}"},
        "descriptor": {"id": ERROR_CODE},
    }
    if os.path.lexists(finding.path):  # never point at a file that does not exist
        notification["locations"] = [{"physicalLocation": {
            "artifactLocation": _artifact(finding.path)}}]
    return notification


def to_sarif(report: Report) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dict."""
    unread = [f for f in report.findings if _unread(report, f)]
    fingerprinted = report.fingerprints([f for f in report.findings if not _unread(report, f)])
    codes = sorted({f.code: f.name for f, _ in fingerprinted}.items())
    rule_index = {code: i for i, (code, _) in enumerate(codes)}
    run = {
        "tool": {"driver": {
            "name": TOOL_NAME,
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": homepage(),
            "rules": [_descriptor(code, name) for code, name in codes],
        }},
        "invocations": [{
            "executionSuccessful": not any(o.failed for o in report.outcomes),
            "toolExecutionNotifications": [_notification(f) for f in unread],
        }],
        "originalUriBaseIds": {SRCROOT: {"uri": cwd_uri()}},
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, fp, rule_index[f.code]) for f, fp in fingerprinted],
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render(report: Report) -> str:
    return json.dumps(to_sarif(report), indent=2) + "\n"
