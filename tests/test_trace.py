""""Why" traces: the lines a flow finding rests on, from the engine to every output.

A rule hands the engine (node, note) pairs on its `RawFinding`; `_Locator`
places them like findings and stores them in `Finding.extra["trace"]`. Here
the pairs are built by hand from a real parsed module (no rule produces them
yet), the findings for the reporters are built by hand too, and each output
is checked against its consumer's schema where there is one.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import ByteSpanPositionProvider, MetadataWrapper
from test_reporters import (
    NOTEBOOK,
    SCHEMAS,
    _markdown_tokens,
    _rdjson_offset,
    _rdjson_validators,
    _sarif_validator,
    _suggestions_by_file,
)

from scorelint import reports as reporters
from scorelint.base.findings import (
    Applicability,
    Edit,
    FileOutcome,
    Finding,
    Fix,
    Position,
    TraceStep,
)
from scorelint.base.source import LineIndex
from scorelint.engine import linter as engine
from scorelint.engine import suppressions
from scorelint.engine.linter import SlotRecorder
from scorelint.engine.registry import find_rule
from scorelint.model.proposal import RawFinding
from scorelint.reports import Report
from scorelint.run import baseline, pipeline

# `h` is made on row 5 after non-ASCII text (é is two bytes in UTF-8),
# reshaped on row 6, consumed on row 7.
SOURCE = (
    "import torch\n"
    "\n"
    "\n"
    "def score(z):\n"
    "    é = 1.0; h = torch.softmax(z, -1)\n"
    "    flat = h.view(-1)\n"
    "    return torch.log(flat)\n"
)
MADE = "`h` is a softmax here"
STEPS = (
    TraceStep(Position(5, 14), Position(5, 38), MADE),
    TraceStep(Position(6, 12), Position(6, 22), "reshaped here"),
    TraceStep(Position(7, 22), Position(7, 26), "consumed here"),
)


def _nodes(module: cst.Module) -> dict[str, cst.CSTNode]:
    """The nodes of SOURCE a rule would name in its trace."""
    func = module.body[1]
    assert isinstance(func, cst.FunctionDef)
    first, second, third = func.body.body  # type: ignore[misc]
    made = first.body[1]  # `h = torch.softmax(z, -1)`, after `é = 1.0;`
    view = second.body[0].value  # `h.view(-1)`
    log = third.body[0].value  # `torch.log(flat)`
    return {"made": made, "view": view, "log": log, "flat": log.args[0].value}


def _locator(text: str) -> tuple[cst.Module, engine._Locator]:
    module = cst.parse_module(text)
    return module, engine._Locator(module, text)


# Parentheses a span stops inside (`(x)`, `((a + b))`), decorators, non-ASCII text,
# tabs, CRLF, a form feed, comments in brackets, f-strings, `except X :` (LibCST drops
# the space), a match statement, a lambda, walrus, star args and a class.
SPAN_SOURCES = (
    SOURCE,
    "@dec(1)\nclass C((Base)):\n\tdef f(self, *a, **k):\n\t\treturn ((a[0] + k['é']))\n",
    "x = (  # why\n    1 +\n    2)\r\ny = f'{x!r:>{w}}' if (z := x) else lambda q=(1): q\r\n",
    "try:\n    pass\nexcept ValueError :\n    raise\n\x0cdef g():\n    yield from (h)\n",
    "match p:\n    case [1, *rest] if rest:\n        print('ü', *rest, sep='')\n",
)


@pytest.mark.parametrize("text", SPAN_SOURCES)
def test_locator_spans_are_libcsts_byte_spans_in_characters(text: str) -> None:
    """One codegen pass gives the locator every span: each the character form of what
    LibCST's `ByteSpanPositionProvider` gives the node."""
    module = cst.parse_module(text)
    locator = engine._Locator(module, text)
    spans = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ByteSpanPositionProvider)
    code = module.code
    encoded = code.encode("utf-8")

    def chars(offset: int) -> int:
        return len(encoded[:offset].decode("utf-8"))

    assert locator.exact == (code == text)
    assert len(spans) > 10
    for node, span in spans.items():
        assert locator.spans[id(node)] == (chars(span.start), chars(span.start + span.length))


# --- the engine places the steps ----------------------------------------------------


def test_locator_places_steps_in_source_order_and_drops_what_it_cannot_place() -> None:
    module, locator = _locator(SOURCE)
    nodes = _nodes(module)
    foreign = cst.parse_module("x = 1\n").body[0]  # a node of another tree: no place here
    rule = find_rule("SL203")
    assert rule is not None
    raw = RawFinding(rule, nodes["log"], "`torch.log` of a softmax", None, trace=(
        (nodes["view"], "reshaped here"),
        (foreign, "not in this file"),
        (nodes["made"], MADE),
        (nodes["flat"], "consumed\n   here"),  # a note is one line
        (nodes["view"], "reshaped here"),  # the same step twice is shown once
    ))
    finding = locator.finding("model.py", raw, SlotRecorder())
    assert (finding.start, finding.end) == (Position(7, 12), Position(7, 27))
    assert finding.extra["trace"] == [
        {"row": 5, "column": 14, "end_row": 5, "end_column": 38, "note": MADE},
        {"row": 6, "column": 12, "end_row": 6, "end_column": 22, "note": "reshaped here"},
        {"row": 7, "column": 22, "end_row": 7, "end_column": 26, "note": "consumed here"},
    ]
    assert finding.trace == STEPS
    assert finding.extra["url"] == rule.url()


def test_locator_leaves_trace_out_when_there_is_none() -> None:
    module, locator = _locator(SOURCE)
    rule = find_rule("SL203")
    assert rule is not None
    finding = locator.finding("m.py", RawFinding(rule, _nodes(module)["log"], "m", None),
                              SlotRecorder())
    assert "trace" not in finding.extra and finding.trace == ()


def test_locator_keeps_the_first_and_last_steps_of_a_long_trace() -> None:
    text = "".join(f"a{i} = {i}\n" for i in range(12))
    module, locator = _locator(text)
    rule = find_rule("SL203")
    assert rule is not None
    steps = tuple((stmt.body[0], f"step {i}") for i, stmt in enumerate(module.body))
    raw = RawFinding(rule, module.body[-1], "m", None, trace=tuple(reversed(steps)))
    finding = locator.finding("m.py", raw, SlotRecorder())
    rows = [step.start.row for step in finding.trace]
    assert len(rows) == engine.MAX_TRACE_STEPS == 8
    assert rows == [1, 2, 3, 4, 9, 10, 11, 12]
    assert [s.note for s in finding.trace][:2] == ["step 0", "step 1"]


def test_locator_maps_steps_where_libcst_rewrote_the_text() -> None:
    # LibCST drops the space in `except X :` (LibCST #1457): spans are aligned back.
    text = ("try:\n    pass\nexcept ValueError :\n    pass\n"
            "h = softmax(z)\ny = log(h)\n")
    module, locator = _locator(text)
    assert not locator.exact
    rule = find_rule("SL203")
    assert rule is not None
    made, use = module.body[1].body[0], module.body[2].body[0]
    finding = locator.finding("m.py", RawFinding(rule, use.value, "m", None,
                                                 trace=((made, MADE),)), SlotRecorder())
    (step,) = finding.trace
    assert (step.start, step.end) == (Position(5, 1), Position(5, 15))
    assert text.splitlines()[4] == "h = softmax(z)"


# --- identity: suppressions, baseline and fingerprints ignore the trace ------------


def _plain() -> Finding:
    return Finding("model.py", "SL203", "log-of-softmax", "`torch.log` of a softmax",
                   Position(7, 12), Position(7, 27), noqa_row=7)


def _traced(path: str = "model.py") -> Finding:
    plain = _plain()
    return Finding(path, plain.code, plain.name, plain.message, plain.start, plain.end,
                   fix=_fix(), noqa_row=7,
                   extra={"url": "https://example.invalid/SL203",
                          "trace": [s.to_dict() for s in STEPS]})


def _fix() -> Fix:
    index = LineIndex(SOURCE)
    start = index.line_start(7) + 11
    end = start + len("torch.log(flat)")
    edit = Edit(start, end, "torch.log_softmax(z, -1).view(-1)", Position(7, 12),
                Position(7, 27))
    return Fix("Replace with `torch.log_softmax(z, -1)`", Applicability.SAFE, (edit,))


def test_findings_that_differ_only_in_trace_are_the_same_finding(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    plain, traced = _plain(), dataclasses.replace(_traced(), fix=None)
    assert plain == traced and hash(plain) == hash(traced) and traced.trace

    def outcome(finding: Finding) -> FileOutcome:
        return FileOutcome("model.py", [finding], text=SOURCE)

    # Fingerprints (SARIF, GitLab) and baseline keys.
    (_, with_trace), = Report([outcome(traced)]).fingerprints([traced])
    (_, without), = Report([outcome(plain)]).fingerprints([plain])
    assert with_trace == without
    folder = str(tmp_path)
    assert ([k for _, k in baseline.keyed([outcome(traced)], folder)]
            == [k for _, k in baseline.keyed([outcome(plain)], folder)])
    (tmp_path / "model.py").write_text(SOURCE, encoding="utf-8")
    path = str(tmp_path / "baseline.json")
    baseline.write(path, [outcome(plain)])
    later = outcome(traced)
    assert baseline.apply([later], baseline.load(path)) == (1, 0)
    (kept,) = later.findings
    assert kept.suppressed and kept.trace == STEPS  # suppressing keeps the trace

    # A `# noqa` comment on the finding's line suppresses it, trace and all.
    quiet = SOURCE.replace("torch.log(flat)\n", "torch.log(flat)  # noqa: SL203\n")
    (marked,) = suppressions.apply("model.py", quiet, [traced], {"SL203"})
    assert marked.suppressed and marked.extra["suppressed_by"] == "comment"
    assert marked.trace == STEPS


# --- notebooks: steps keep their own cell -----------------------------------------


def test_notebook_steps_are_mapped_to_their_own_cells(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    data = {**NOTEBOOK, "cells": [
        *NOTEBOOK["cells"][:2],
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["%matplotlib inline\n", "h = softmax(z)\n"]},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["y = np.log(\n", "    h)\n"]},
    ]}
    (tmp_path / "nb.ipynb").write_text(json.dumps(data, indent=1), encoding="utf-8")
    # Joined source: cell 1 is row 1, a boundary row 2, cell 3 rows 3-4, a boundary
    # row 5, cell 4 rows 6-7 (the markdown cell 2 is not in it).
    seen: list[str] = []

    def lint(text: str, path: str, rules: object) -> list[Finding]:
        seen.append(text)
        steps = [TraceStep(Position(4, 1), Position(4, 15), MADE),
                 TraceStep(Position(4, 5), Position(6, 1), "runs into the next cell"),
                 TraceStep(Position(7, 5), Position(7, 6), "consumed here")]
        return [Finding(path, "SL203", "log-of-softmax", "m", Position(6, 5), Position(7, 7),
                        noqa_row=6, extra={"trace": [s.to_dict() for s in steps]})]

    monkeypatch.setattr(engine, "lint", lint)
    checked = pipeline.check_file("nb.ipynb", pipeline.Options(codes=("SL203",)))
    assert seen and seen[0].splitlines()[3] == "h = softmax(z)"
    (finding,) = checked.findings
    assert (finding.cell, finding.start, finding.end) == (4, Position(1, 5), Position(2, 7))
    assert finding.trace == (
        TraceStep(Position(2, 1), Position(2, 15), MADE, cell=3),
        # An end in another cell than the start collapses onto the start, as for findings.
        TraceStep(Position(2, 5), Position(2, 5), "runs into the next cell", cell=3),
        TraceStep(Position(2, 5), Position(2, 6), "consumed here", cell=4),
    )
    assert finding.extra["trace"][0] == {"row": 2, "column": 1, "end_row": 2,
                                         "end_column": 15, "note": MADE, "cell": 3}

    report = Report([FileOutcome("nb.ipynb", list(checked.findings), cells=checked.cells)])
    text = reporters.render("text", report)
    assert f"  = note: cell 3:2:1: {MADE}\n" in text
    assert "  = note: 2:5: consumed here\n" in text  # the finding's own cell goes unnamed

    log = json.loads(reporters.render("sarif", report))
    _sarif_validator().validate(log)
    (result,) = log["runs"][0]["results"]
    first = result["relatedLocations"][0]
    assert "region" not in first["physicalLocation"]
    assert first["message"]["text"] == f"cell 3, line 2: {MADE}"
    assert first["properties"] == {"notebookCell": 3, "cellLine": 2, "cellColumn": 1}

    result_validator, _ = _rdjson_validators()
    document = json.loads(reporters.render("rdjson", report))
    result_validator.validate(document)
    related = document["diagnostics"][0]["related_locations"]
    assert related[0] == {"message": f"cell 3, line 2: {MADE}", "location": {"path": "nb.ipynb"}}

    (item,) = json.loads(reporters.render("json", report))
    assert [s["cell"] for s in item["trace"]] == [3, 3, 4]
    assert "- cell 3, line 2: " in reporters.render("review", report)


# --- every output ------------------------------------------------------------------


@pytest.fixture
def traced_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Report:
    """model.py with a traced SL203 finding (row 7) and an untraced one (row 5)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.py").write_text(SOURCE, encoding="utf-8")
    untraced = Finding("model.py", "SL102", "softmax-without-max-subtraction", "overflows",
                       Position(5, 18), Position(5, 38), noqa_row=5)
    return Report([FileOutcome("model.py", [_traced(), untraced], text=SOURCE)])


def test_text_lists_the_steps_under_the_excerpt_before_the_fix(traced_report: Report) -> None:
    text = reporters.render("text", traced_report)
    block = text.split("\n\n")[1]  # the findings are sorted: row 5's first
    assert block.splitlines() == [
        "model.py:7:12: SL203 `torch.log` of a softmax",
        "  |",
        "7 |     return torch.log(flat)",
        "  |            ^^^^^^^^^^^^^^^",
        f"  = note: 5:14: {MADE}",
        "  = note: 6:12: reshaped here",
        "  = note: 7:22: consumed here",
        "  = fix (safe): Replace with `torch.log_softmax(z, -1)`",
    ]
    assert "note" not in text.split("\n\n")[0]
    assert "\033[" not in text
    coloured = reporters.render("text", Report(traced_report.outcomes, color=True))
    assert f"  = \033[36mnote\033[0m: 5:14: {MADE}" in coloured


def test_concise_is_one_line_per_finding_trace_or_not(traced_report: Report) -> None:
    lines = reporters.render("concise", traced_report).splitlines()
    assert lines[:2] == ["model.py:5:18: SL102 overflows",
                         "model.py:7:12: SL203 [*] `torch.log` of a softmax"]
    untraced = Report([FileOutcome("model.py", [_plain(), *traced_report.findings[:1]],
                                   text=SOURCE)])
    assert reporters.render("concise", untraced).splitlines()[1] == lines[1].replace(" [*]", "")


def test_json_adds_a_trace_key_with_ruff_style_locations(traced_report: Report) -> None:
    untraced, traced = json.loads(reporters.render("json", traced_report))
    assert untraced["trace"] == []
    assert traced["trace"] == [
        {"cell": None, "location": {"row": 5, "column": 14},
         "end_location": {"row": 5, "column": 38}, "message": MADE},
        {"cell": None, "location": {"row": 6, "column": 12},
         "end_location": {"row": 6, "column": 22}, "message": "reshaped here"},
        {"cell": None, "location": {"row": 7, "column": 22},
         "end_location": {"row": 7, "column": 26}, "message": "consumed here"},
    ]
    # Ruff's own keys are untouched.
    assert traced["location"] == {"row": 7, "column": 12} and traced["code"] == "SL203"
    lines = reporters.render("json-lines", traced_report).splitlines()
    assert [json.loads(line) for line in lines] == [untraced, traced]


def test_sarif_related_locations_validate_and_point_at_the_steps(traced_report: Report) -> None:
    log = json.loads(reporters.render("sarif", traced_report))
    errors = sorted(_sarif_validator().iter_errors(log), key=str)
    assert not errors, "\n".join(e.message for e in errors[:5])
    untraced, traced = log["runs"][0]["results"]
    assert "relatedLocations" not in untraced
    artifact = traced["locations"][0]["physicalLocation"]["artifactLocation"]
    related = traced["relatedLocations"]
    assert [r["id"] for r in related] == [1, 2, 3]
    for location, step in zip(related, STEPS, strict=True):
        physical = location["physicalLocation"]
        assert physical["artifactLocation"] == artifact
        assert physical["region"] == {"startLine": step.start.row,
                                      "startColumn": step.start.column,
                                      "endLine": step.end.row, "endColumn": step.end.column}
        assert location["message"] == {"text": step.note}
    index = LineIndex(SOURCE)
    region = related[0]["physicalLocation"]["region"]
    start = index.line_start(region["startLine"]) + region["startColumn"] - 1
    end = index.line_start(region["endLine"]) + region["endColumn"] - 1
    assert SOURCE[start:end] == "h = torch.softmax(z, -1)"  # code points, as `columnKind`


def test_rdjson_related_locations_validate_with_byte_columns(traced_report: Report) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    result_validator, diagnostic_validator = _rdjson_validators()
    schema_path = SCHEMAS / "rdjson" / "RelatedLocation.json"
    related_validator = jsonschema.Draft4Validator(
        json.loads(schema_path.read_text(encoding="utf-8")))
    document = json.loads(reporters.render("rdjson", traced_report))
    result_validator.validate(document)
    untraced, traced = document["diagnostics"]
    diagnostic_validator.validate(traced)
    assert "related_locations" not in untraced
    related = traced["related_locations"]
    index = LineIndex(SOURCE)
    for location, step in zip(related, STEPS, strict=True):
        related_validator.validate(location)
        assert location["message"] == step.note
        assert location["location"]["path"] == "model.py"
        span = location["location"]["range"]
        assert (index.position(_rdjson_offset(index, span["start"])),
                index.position(_rdjson_offset(index, span["end"]))) == (step.start, step.end)
    # `é` before `h` on row 5 takes two bytes: character column 14 is byte column 15.
    assert related[0]["location"]["range"]["start"] == {"line": 5, "column": 15}


def test_review_has_a_why_list_and_keeps_its_suggestions(traced_report: Report) -> None:
    markdown = reporters.render("review", traced_report)
    assert (f"Why:\n- line 5: {MADE}\n- line 6: reshaped here\n- line 7: consumed here"
            in markdown)
    tokens = _markdown_tokens(markdown)
    items = [t.content for i, t in enumerate(tokens)
             if t.type == "inline" and tokens[i - 1].type == "paragraph_open"
             and i >= 2 and tokens[i - 2].type == "list_item_open"]
    assert items == [f"line 5: {MADE}", "line 6: reshaped here", "line 7: consumed here"]
    (block,) = _suggestions_by_file(markdown)["model.py"]
    assert block[:2] == (7, 7) and "log_softmax" in block[2]
    # The list sits between the finding's heading and its fix.
    why, heading = markdown.index("Why:"), markdown.index("SL203")
    assert heading < why < markdown.index("Safe fix")
    assert len(re.findall(r"^Why:$", markdown, flags=re.M)) == 1  # the untraced one has none


def test_github_and_gitlab_are_unchanged_by_a_trace(traced_report: Report) -> None:
    untraced = [dataclasses.replace(f, extra={k: v for k, v in f.extra.items() if k != "trace"})
                for f in traced_report.findings]
    plain = Report([FileOutcome("model.py", untraced, text=SOURCE)])
    for name in ("github", "gitlab", "concise"):
        assert reporters.render(name, plain) == reporters.render(name, traced_report), name


def test_every_format_renders_a_traced_finding(traced_report: Report) -> None:
    for name in reporters.FORMATS:
        assert reporters.render(name, traced_report)
