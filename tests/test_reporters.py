"""Each output format checked against its consumer's definition.

Findings come from the real engine run on small sample files (never hand-made
dicts): SARIF and rdjson are validated against the schemas in
`tests/data/schemas/` (vendored), `github` lines against GitHub's workflow-command
grammar, `gitlab` against GitLab's Code Quality fields, and `review` is
parsed as markdown and its suggestion blocks applied to the file.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from scorelint import reports as reporters
from scorelint.base.findings import Applicability, Finding
from scorelint.base.source import LineIndex
from scorelint.engine import fixes
from scorelint.engine.registry import find_rule
from scorelint.reports import FORMATS, Report, github, review
from scorelint.run.pipeline import Options, check_file

SCHEMAS = Path(__file__).resolve().parent / "data" / "schemas"  # vendored, with their licences
CODES = ("SL101", "SL102", "SL201")  # the rules these samples are written for

SAMPLES = {
    # SL201 (safe, one edit), SL201 in a loop (safe, three edits on three
    # lines), SL101 (unsafe), and a finding after non-ASCII text on its line.
    "pkg/model.py": (
        "import math\n"
        "import numpy as np\n"
        "\n"
        "\n"
        "def score(probs):\n"
        "    return np.log(np.prod(probs, axis=-1))\n"
        "\n"
        "\n"
        "def loop(steps):\n"
        "    p = 1.0\n"
        "    for step in steps:\n"
        "        p *= step.prob\n"
        "    return math.log(p)\n"
        "\n"
        "\n"
        "def norm(logits):\n"
        "    return logits / logits.sum(axis=-1, keepdims=True)\n"
        "\n"
        "\n"
        'label = "ünï𐐀"; total = np.log(np.prod(weights))\n'
    ),
    # Two fixes (one safe, one unsafe) that both add `import jax.nn` on line 2.
    "pkg/jaxy.py": (
        "import jax.numpy as jnp\n"
        "def f(scores):\n"
        "    return scores / jnp.sum(scores, axis=1, keepdims=True)\n"
        "def g(x):\n"
        "    return jnp.exp(x) / jnp.exp(x).sum()\n"
    ),
    # A finding that spans two lines.
    "multi.py": "import numpy as np\nt = np.log(np.prod(\n    q, axis=-1))\n",
    "broken.py": "def broken(:  # w / np.sum(w)\n",  # a trigger: parsed (see test_gate)
}


def _outcomes(paths: list[str]):
    return [check_file(p, Options(codes=CODES)) for p in paths]


@pytest.fixture
def sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name, text in SAMPLES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def _report(unsafe_fixes: bool = False, paths: list[str] | None = None) -> Report:
    return Report(_outcomes(sorted(paths or SAMPLES)), unsafe_fixes=unsafe_fixes)


def _offset(index: LineIndex, row: int, column: int) -> int:
    return index.line_start(row) + column - 1


# --- every format ---------------------------------------------------------------


def test_formats_are_modules_with_render(sample: Path) -> None:
    report = _report()
    assert len(report.findings) >= 7
    for name in FORMATS:
        assert reporters.render(name, report)
        assert isinstance(reporters.render(name, Report([])), str)


# --- text and concise ------------------------------------------------------------


def test_text_shows_fix_and_safety_and_colours_only_when_asked(sample: Path) -> None:
    plain = reporters.render("text", _report())
    assert "\033[" not in plain
    assert "pkg/model.py:6:12: SL201 " in plain
    assert "= fix (safe): " in plain and "= fix (unsafe): " in plain
    assert "hidden fixes can be enabled with the `--unsafe-fixes` option" in plain
    coloured = reporters.render("text", Report(_report().outcomes, color=True))
    assert "\033[31mSL201\033[0m" in coloured


def test_text_marks_every_line_of_a_multi_line_span(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    from scorelint.frontends.cli import main

    path = tmp_path / "m.py"
    path.write_text("import numpy as np\n\n\ndef score(p):\n    return np.log(\n"
                    "        np.prod(p,\n                axis=-1)\n    )\n")
    main(["check", "--no-cache", str(path)])
    out = capsys.readouterr().out
    assert "SL201 `np.log(np.prod(p, axis=-1))` " in out  # one line, no space inside brackets
    assert ("5 |     return np.log(\n  |            ^^^^^^^\n"
            "6 |         np.prod(p,\n  |         ^^^^^^^^^^\n"
            "7 |                 axis=-1)\n  |                 ^^^^^^^^\n"
            "8 |     )\n  |     ^\n") in out


def test_text_shows_the_ends_of_a_long_span(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    from scorelint.frontends.cli import main

    path = tmp_path / "m.py"
    path.write_text("import numpy as np\n\n\ndef score(p):\n    return np.log(np.prod(\n"
                    + "".join(f"        p{i} +\n" for i in range(10)) + "        p, axis=-1))\n")
    main(["check", "--no-cache", str(path)])
    out = capsys.readouterr().out
    assert " 5 |     return np.log(np.prod(\n" in out and "   | ...\n" in out
    assert "16 |         p, axis=-1))\n   |         ^^^^^^^^^^^^\n" in out
    assert " 9 |" not in out  # the middle is left out


@pytest.mark.skipif(os.name != "posix", reason="needs a pseudo-terminal")
@pytest.mark.parametrize("no_color", ["", "1"])
def test_cli_colours_a_terminal_unless_no_color(sample: Path, no_color: str) -> None:
    from terminal import run_on_terminal

    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    if no_color:
        env["NO_COLOR"] = no_color
    code, raw = run_on_terminal(["check", "multi.py"], env=env)
    assert code == 1
    out = raw.decode()
    assert "SL201" in out
    assert ("\033[" in out) is (not no_color)


def test_concise_one_line_per_finding_with_fix_mark(sample: Path) -> None:
    for unsafe in (False, True):
        report = _report(unsafe)
        lines = reporters.render("concise", report).splitlines()
        pattern = re.compile(r"^(\S+):(\d+):(\d+): (SL\d{3})( \[\*\])? (.+)$")
        rows = [m for line in lines if (m := pattern.match(line))]
        assert len(rows) == len(report.findings)
        for match, finding in zip(rows, report.findings):
            assert match.group(1, 2, 3, 4) == (finding.path, str(finding.start.row),
                                               str(finding.start.column), finding.code)
            assert bool(match.group(5)) == fixes.applicable(finding.fix, unsafe)


def test_json_lines_are_the_json_objects(sample: Path) -> None:
    report = _report()
    whole = json.loads(reporters.render("json", report))
    lines = reporters.render("json-lines", report).splitlines()
    assert [json.loads(line) for line in lines] == whole
    assert len(lines) == len(report.findings)


# --- SARIF -----------------------------------------------------------------------


def _sarif_validator():
    jsonschema = pytest.importorskip("jsonschema")
    path = SCHEMAS / "sarif-schema-2.1.0.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _apply_sarif_fix(text: str, fix: dict) -> str:
    index = LineIndex(text)
    (change,) = fix["artifactChanges"]
    spans = []
    for rep in change["replacements"]:
        region = rep["deletedRegion"]
        spans.append((_offset(index, region["startLine"], region["startColumn"]),
                      _offset(index, region["endLine"], region["endColumn"]),
                      rep.get("insertedContent", {}).get("text", "")))
    for start, end, content in sorted(spans, reverse=True):
        text = text[:start] + content + text[end:]
    return text


def test_sarif_validates_and_carries_rules_fixes_and_fingerprints(sample: Path) -> None:
    validator = _sarif_validator()
    report = _report()
    log = json.loads(reporters.render("sarif", report))
    errors = sorted(validator.iter_errors(log), key=str)
    assert not errors, "\n".join(e.message for e in errors[:5])

    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "scorelint" and driver["version"] and driver["informationUri"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == sample.as_uri() + "/"
    assert run["columnKind"] == "unicodeCodePoints"
    rules = driver["rules"]
    assert len({r["id"] for r in rules}) == len(rules)
    for descriptor in rules:
        rule = find_rule(descriptor["id"])
        if rule is None:
            assert descriptor["id"] == "SL000"
            continue
        assert descriptor["name"] == rule.name
        assert descriptor["helpUri"] == rule.url()
        assert descriptor["help"]["markdown"] == rule.docs()
        assert descriptor["shortDescription"]["text"] and descriptor["fullDescription"]["text"]

    results = run["results"]
    assert len(results) == len(report.findings)
    fingerprints = [r["partialFingerprints"]["scorelintFindingHash/v1"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)
    for result, finding in zip(results, report.findings):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == finding.code
        (location,) = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact == {"uri": finding.path, "uriBaseId": "%SRCROOT%"}
        region = location["physicalLocation"]["region"]
        assert (region["startLine"], region["startColumn"]) == (finding.start.row,
                                                                finding.start.column)
        assert (region["endLine"], region["endColumn"]) == (finding.end.row, finding.end.column)
        if finding.fix is None:
            assert "fixes" not in result
            continue
        (fix,) = result["fixes"]
        text = report.text_of(finding.path)
        assert _apply_sarif_fix(text, fix) == fixes.apply_edits(text, finding.fix.edits)
        assert fix["properties"]["applicability"] == finding.fix.applicability.value
        marked = "unsafe fix" in fix["description"]["text"]
        assert marked is (finding.fix.applicability is Applicability.UNSAFE)
    assert any(r.get("fixes") for r in results)
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is False  # broken.py


def test_sarif_gives_files_outside_the_working_directory_as_file_uris(
        sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    validator = _sarif_validator()
    (sample / "inside").mkdir()
    monkeypatch.chdir(sample / "inside")
    report = Report(_outcomes(["../multi.py"]))
    log = json.loads(reporters.render("sarif", report))
    validator.validate(log)
    (result,) = log["runs"][0]["results"]
    artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": (sample / "multi.py").as_uri()}


def test_fingerprints_survive_lines_inserted_above(sample: Path) -> None:
    before = json.loads(reporters.render("gitlab", _report()))
    path = sample / "pkg" / "model.py"
    path.write_text("# a new header\n\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    after = json.loads(reporters.render("gitlab", _report()))
    moved = {i["fingerprint"]: i["location"]["lines"]["begin"] for i in after}
    for issue in before:
        shift = 2 if issue["location"]["path"] == "pkg/model.py" else 0
        assert moved[issue["fingerprint"]] == issue["location"]["lines"]["begin"] + shift


def test_identical_findings_get_distinct_fingerprints(sample: Path) -> None:
    (sample / "twice.py").write_text(
        "import numpy as np\na = np.log(np.prod(p))\na = np.log(np.prod(p))\n", encoding="utf-8")
    issues = json.loads(reporters.render("gitlab", _report(paths=["twice.py"])))
    assert len(issues) == 2
    assert issues[0]["fingerprint"] != issues[1]["fingerprint"]


# --- rdjson ----------------------------------------------------------------------


def _rdjson_validators():
    jsonschema = pytest.importorskip("jsonschema")
    referencing = pytest.importorskip("referencing")
    from referencing.jsonschema import DRAFT4

    folder = SCHEMAS / "rdjson"
    # The schemas may refer to each other by file name: register them all.
    registry = referencing.Registry().with_resources(
        (p.name, DRAFT4.create_resource(json.loads(p.read_text(encoding="utf-8"))))
        for p in folder.glob("*.json")
    )
    validator = jsonschema.Draft4Validator
    return (validator({"$ref": "DiagnosticResult.json"}, registry=registry),
            validator({"$ref": "Diagnostic.json"}, registry=registry))


def _rdjson_offset(index: LineIndex, position: dict) -> int:
    """Undo rdjson's UTF-8 byte column."""
    line = index.line(position["line"]).encode("utf-8")
    return index.line_start(position["line"]) + len(line[: position["column"] - 1].decode("utf-8"))


@pytest.mark.parametrize("unsafe", [False, True])
def test_rdjson_validates_with_byte_columns_and_gated_suggestions(sample: Path,
                                                                 unsafe: bool) -> None:
    result_validator, diagnostic_validator = _rdjson_validators()
    report = _report(unsafe)
    document = json.loads(reporters.render("rdjson", report))
    result_validator.validate(document)
    diagnostics = document["diagnostics"]
    assert len(diagnostics) == len(report.findings)
    for diagnostic, finding in zip(diagnostics, report.findings):
        diagnostic_validator.validate(diagnostic)
        assert diagnostic["location"]["path"] == finding.path
        assert diagnostic["code"]["value"] == finding.code
        text = report.text_of(finding.path)
        if finding.code == "SL000":
            continue
        index = LineIndex(text)
        span = diagnostic["location"]["range"]
        start, end = _rdjson_offset(index, span["start"]), _rdjson_offset(index, span["end"])
        assert (index.position(start), index.position(end)) == (finding.start, finding.end)
        assert diagnostic["code"]["url"] == find_rule(finding.code).url()
        if not fixes.applicable(finding.fix, unsafe):
            assert "suggestions" not in diagnostic
            continue
        edited = text
        spans = [(_rdjson_offset(index, s["range"]["start"]),
                  _rdjson_offset(index, s["range"]["end"]), s["text"])
                 for s in diagnostic["suggestions"]]
        for a, b, content in sorted(spans, reverse=True):
            edited = edited[:a] + content + edited[b:]
        assert edited == fixes.apply_edits(text, finding.fix.edits)
    # After `label = "ünï𐐀"; total = ` the finding starts at character 25, which
    # is byte 30: ü and ï take two bytes in UTF-8, 𐐀 four.
    (late,) = [(d, f) for d, f in zip(diagnostics, report.findings) if f.start.row == 20]
    assert late[1].start.column == 25
    assert late[0]["location"]["range"]["start"]["column"] == 30
    has_unsafe = any(d.get("suggestions") for d, f in zip(diagnostics, report.findings)
                     if f.fix and f.fix.applicability is Applicability.UNSAFE)
    assert has_unsafe is unsafe


# --- github ----------------------------------------------------------------------

# GitHub's workflow command: `::name key=value,key=value::data`. Property values
# escape % CR LF : and , ; data escapes % CR LF (actions/toolkit `command.ts`).
_COMMAND = re.compile(r"^::(error|warning|notice)(?: ([^:\r\n]*))?::([^\r\n]*)$")
_PROPERTY = re.compile(r"^(title|file|line|endLine|col|endColumn)=((?:[^,:%\r\n]|%(?:25|0D|0A|3A|2C))*)$")
_DATA = re.compile(r"^(?:[^%\r\n]|%(?:25|0D|0A))*$")
_UNESCAPE = {"%25": "%", "%0D": "\r", "%0A": "\n", "%3A": ":", "%2C": ","}


def _unescape(text: str) -> str:
    return re.sub(r"%(?:25|0D|0A|3A|2C)", lambda m: _UNESCAPE[m.group()], text)


def _parse_command(line: str) -> tuple[str, dict[str, str], str]:
    match = _COMMAND.match(line)
    assert match, f"not a workflow command: {line!r}"
    props: dict[str, str] = {}
    for item in (match.group(2) or "").split(","):
        prop = _PROPERTY.match(item)
        assert prop, f"bad property {item!r} in {line!r}"
        props[prop.group(1)] = _unescape(prop.group(2))
    assert _DATA.match(match.group(3)), f"bad data in {line!r}"
    return match.group(1), props, _unescape(match.group(3))


def test_github_escaping_round_trips() -> None:
    nasty = "100% of p: a, b\r\nnext line %0A"
    line = github.command("error", nasty, title=nasty, file="a,b:c%.py", line=3)
    assert "\n" not in line and "\r" not in line
    level, props, data = _parse_command(line)
    assert (level, data, props["title"], props["file"], props["line"]) == (
        "error", nasty, nasty, "a,b:c%.py", "3")


def test_github_lines_match_the_workflow_command_grammar(sample: Path) -> None:
    odd = sample / "odd,na:me 100%.py"
    odd.write_text("import numpy as np\nz = np.log(np.prod(w))\n", encoding="utf-8")
    report = _report(paths=[*SAMPLES, odd.name])
    lines = reporters.render("github", report).splitlines()
    assert len(lines) == len(report.findings)
    for line, finding in zip(lines, report.findings):
        level, props, data = _parse_command(line)
        assert level == "error"
        assert props["file"] == finding.path
        assert int(props["line"]) == finding.start.row
        assert int(props["endLine"]) == finding.end.row
        assert props["title"] == f"scorelint {finding.code} ({finding.name})"
        if finding.start.row == finding.end.row:
            assert (int(props["col"]), int(props["endColumn"])) == (finding.start.column,
                                                                    finding.end.column)
        else:  # GitHub takes columns only for a one-line annotation
            assert "col" not in props and "endColumn" not in props
        assert data.startswith(f"{finding.path}:{finding.start.row}:{finding.start.column}: "
                               f"{finding.code} {finding.message}")
        if finding.fix is not None:
            assert data.endswith(f"\nFix ({finding.fix.applicability.value}): {finding.fix.title}")
    assert any(f.start.row != f.end.row for f in report.findings)
    assert any(f.path == odd.name for f in report.findings)


def test_github_says_when_findings_exceed_the_annotation_limit(sample: Path) -> None:
    limit = github.ANNOTATION_LIMIT
    body = "".join(f"a{i} = np.log(np.prod(p{i}))\n" for i in range(limit + 1))
    (sample / "many.py").write_text("import numpy as np\n" + body, encoding="utf-8")
    lines = reporters.render("github", _report(paths=["many.py"])).splitlines()
    assert len(lines) == limit + 3
    level, props, data = _parse_command(lines[-2])
    assert level == "notice" and f"{limit + 1} errors" in data
    assert not lines[-1].startswith("::") and f"{limit + 1} findings" in lines[-1]
    under = reporters.render("github", _report(paths=["pkg/model.py"])).splitlines()
    assert all(_parse_command(line)[0] == "error" for line in under)


# --- gitlab ----------------------------------------------------------------------


def test_gitlab_has_code_quality_fields(sample: Path) -> None:
    report = _report()
    issues = json.loads(reporters.render("gitlab", report))
    assert isinstance(issues, list) and len(issues) == len(report.findings)
    for issue, finding in zip(issues, report.findings):
        assert isinstance(issue["description"], str) and finding.message in issue["description"]
        assert issue["check_name"] == finding.code
        assert isinstance(issue["fingerprint"], str) and issue["fingerprint"]
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        location = issue["location"]
        assert location["path"] == finding.path and not os.path.isabs(location["path"])
        lines = location["lines"]
        assert isinstance(lines["begin"], int) and lines["begin"] == finding.start.row
        assert isinstance(lines["end"], int) and lines["end"] >= lines["begin"]
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    (multi,) = [i for i in issues if i["location"]["path"] == "multi.py"]
    assert (multi["location"]["lines"]["begin"], multi["location"]["lines"]["end"]) == (2, 3)


# --- review ----------------------------------------------------------------------

_ROWS = re.compile(r"Suggested change to lines? (\d+)(?:-(\d+))?:$")


def _markdown_tokens(text: str):
    markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py is in the test extra")
    return markdown_it.MarkdownIt("commonmark").parse(text)


def _check_fences_closed(text: str, tokens) -> None:
    """markdown-it lets an unclosed fence run to the end: check each has its closing line."""
    lines = text.splitlines()
    for token in tokens:
        if token.type == "fence":
            closing = lines[token.map[1] - 1].strip()
            assert closing.startswith(token.markup) and set(closing) == {token.markup[0]}, \
                f"fence opened on line {token.map[0] + 1} is not closed"


def _suggestions_by_file(text: str) -> dict[str, list[tuple[int, int, str]]]:
    tokens = _markdown_tokens(text)
    _check_fences_closed(text, tokens)
    found: dict[str, list[tuple[int, int, str]]] = {}
    path, last_inline = None, ""
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h3":
            (code,) = [c for c in tokens[i + 1].children if c.type == "code_inline"]
            path = code.content
            found[path] = []
        elif token.type == "inline":
            last_inline = token.content
        elif token.type == "fence":
            assert token.info == "suggestion" and path is not None
            rows = _ROWS.search(last_inline)
            assert rows, f"no line range before a suggestion: {last_inline!r}"
            first = int(rows.group(1))
            found[path].append((first, int(rows.group(2) or first), token.content))
    return found


def _apply_suggestions(text: str, blocks: list[tuple[int, int, str]]) -> str:
    """Replace whole lines as GitHub applies a suggestion."""
    lines = text.splitlines(keepends=True)
    for first, last, content in sorted(blocks, reverse=True):
        ending = lines[last - 1][len(lines[last - 1].rstrip("\r\n")):]
        new = content[:-1] if content.endswith("\n") else content  # markdown-it's final LF
        lines[first - 1:last] = [new + ending] if (new or content) else []
    return "".join(lines)


@pytest.mark.parametrize("unsafe", [False, True])
def test_review_suggestions_applied_give_the_fixed_file(sample: Path, unsafe: bool) -> None:
    report = _report(unsafe)
    text = reporters.render("review", report)
    tokens = _markdown_tokens(text)
    links = {t.attrGet("href") for tok in tokens if tok.type == "inline"
             for t in tok.children if t.type == "link_open"}
    for finding in report.findings:
        rule = find_rule(finding.code)
        assert rule is None or rule.url() in links
        assert finding.message in text
    suggested = _suggestions_by_file(text)
    assert set(suggested) == {f.path for f in report.findings}
    for path, blocks in suggested.items():
        original = report.text_of(path)
        if original is None or path == "broken.py":
            assert not blocks
            continue
        fixed = fixes.fix_text(original, path, [find_rule(c) for c in CODES], unsafe).text
        # Suggestions are per finding; the clean-up after all the fixes (an import they
        # leave unread) is not one of them (scorelint.engine.tidy).
        assert fixes.tidy_text(original, _apply_suggestions(original, blocks), path) == fixed, \
            path
    assert ("same as suggested above" in text) is unsafe  # the shared `import jax.nn`
    assert ("suggested only when scorelint runs with `--unsafe-fixes`" in text) is not unsafe


def test_review_stops_within_the_size_limit(sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(review, "MAX_CHARS", 1200)
    report = _report()
    text = reporters.render("review", report)
    assert len(text) <= 1200 + 200
    assert re.search(r"\d+ more findings? not shown", text)
    _suggestions_by_file(text)  # still valid, with every fence closed


def test_review_code_span_and_fence_survive_backticks() -> None:
    assert review.code_span("a`b") == "``a`b``"
    assert review.fence("x = '```'", "suggestion").startswith("````suggestion\n")
    tokens = _markdown_tokens(review.fence("x = '```'\ny = 1", "suggestion") + "\n")
    (fence,) = [t for t in tokens if t.type == "fence"]
    assert fence.content == "x = '```'\ny = 1\n"


def test_review_without_findings() -> None:
    assert "No findings." in reporters.render("review", Report([]))


def test_samples_produce_the_findings_the_tests_rely_on(sample: Path) -> None:
    report = _report()
    by_path: dict[str, list[Finding]] = {}
    for finding in report.findings:
        by_path.setdefault(finding.path, []).append(finding)
    assert [f.code for f in by_path["pkg/model.py"]] == ["SL201", "SL201", "SL101", "SL201"]
    assert sorted(f.code for f in by_path["pkg/jaxy.py"]) == ["SL101", "SL102"]
    assert [f.code for f in by_path["broken.py"]] == ["SL000"]
    loop = by_path["pkg/model.py"][1]
    assert loop.fix is not None and len({e.start_pos.row for e in loop.fix.edits}) == 3


# --- notebooks and suppressed findings ------------------------------------------

NOTEBOOK = {
    "cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["import numpy as np\n"]},
        {"cell_type": "markdown", "metadata": {}, "source": ["# Scores"]},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["%matplotlib inline\n", "s = np.log(np.prod(p, axis=-1))\n"]},
    ],
    "metadata": {"language_info": {"name": "python"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def test_notebook_findings_name_the_cell_and_claim_no_file_lines(sample: Path) -> None:
    (sample / "nb.ipynb").write_text(json.dumps(NOTEBOOK, indent=1), encoding="utf-8")
    report = _report(paths=["nb.ipynb"])
    (finding,) = report.findings
    assert (finding.cell, finding.start.row, finding.start.column) == (3, 2, 5)

    text = reporters.render("text", report)
    assert "nb.ipynb:cell 3:2:5: SL201 " in text and "2 | s = np.log(np.prod(p, axis=-1))" in text
    assert reporters.render("concise", report).startswith("nb.ipynb:cell 3:2:5: SL201 [*] ")

    (line,) = reporters.render("github", report).splitlines()
    _, props, data = _parse_command(line)
    assert props.keys() == {"title", "file"} and data.startswith("nb.ipynb:cell 3:2:5: SL201")

    (issue,) = json.loads(reporters.render("gitlab", report))
    assert issue["location"]["lines"] == {"begin": 1, "end": 1}
    assert "cell 3, line 2" in issue["description"]

    validator = _sarif_validator()
    log = json.loads(reporters.render("sarif", report))
    validator.validate(log)
    (result,) = log["runs"][0]["results"]
    assert "region" not in result["locations"][0]["physicalLocation"] and "fixes" not in result
    assert result["properties"] == {"notebookCell": 3, "cellLine": 2, "cellColumn": 5}

    result_validator, _ = _rdjson_validators()
    document = json.loads(reporters.render("rdjson", report))
    result_validator.validate(document)
    (diagnostic,) = document["diagnostics"]
    assert diagnostic["location"] == {"path": "nb.ipynb"} and "suggestions" not in diagnostic
    assert diagnostic["message"].startswith("cell 3, line 2: ")

    markdown = reporters.render("review", report)
    assert "at cell 3, line 2, column 5" in markdown
    assert _suggestions_by_file(markdown) == {"nb.ipynb": []}


def test_suppressed_findings_are_marked_in_sarif_and_left_out_of_review_outputs(
        sample: Path) -> None:
    (sample / "quiet.py").write_text(
        "import numpy as np\n"
        "a = np.log(np.prod(p))  # noqa: SL201\n"
        "b = np.log(np.prod(p))\n", encoding="utf-8")
    outcomes = _outcomes(["quiet.py"])
    shown, hidden = Report(outcomes, show_suppressed=True), Report(outcomes)
    assert [f.suppressed for f in shown.findings] == [True, False]

    log = json.loads(reporters.render("sarif", shown))
    _sarif_validator().validate(log)
    quiet, loud = log["runs"][0]["results"]
    assert quiet["suppressions"] == [{"kind": "inSource", "justification": "suppressed by comment"}]
    assert "suppressions" not in loud
    # Showing the suppressed finding changes no other finding's fingerprint.
    unshown = json.loads(reporters.render("sarif", hidden))["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in unshown] == [loud["partialFingerprints"]]

    for name in ("github", "gitlab", "rdjson", "review"):
        assert reporters.render(name, shown) == reporters.render(name, hidden), name
    assert "[suppressed by comment]" in reporters.render("concise", shown)
