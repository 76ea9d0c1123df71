"""Fuzzing the engine (RELIABILITY.md, "Tests that keep them").

1. hypothesmith programs through `engine.lint` and `fixes.fix_text` (dry-run):
   nothing but `LintError` may come out.
2. A template fuzzer: every rule's flagged inline examples (`rule.flagged`)
   rewritten with other aliases, from-imports, nesting, extra parentheses,
   comments, line breaks inside calls, tabs and CR/CRLF/mixed newlines. The
   fix promises must hold on every variant: each edit replaces exactly one
   node's source (or inserts at a line start), the result re-parses and
   compiles, keeps the file's newline style, and fixing again changes nothing.
   For the rewrites that cannot change what a fix should do (aliases, an
   `if True:` block, indentation, uniform newlines) the fixed variant must be
   exactly the rewritten expected `fixed` source.
"""

from __future__ import annotations

import keyword
import random
import re
from dataclasses import dataclass

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from libcst.metadata import ByteSpanPositionProvider, MetadataWrapper

from scorelint.base.findings import Edit
from scorelint.engine import fixes
from scorelint.engine import linter as engine
from scorelint.engine.registry import all_rules
from scorelint.engine.rule import Flagged, Rule

RULES = all_rules()
PREFIX = "import numpy as np\nscore = np.log(np.prod(p, axis=-1))\n"


def fuzz_settings(examples: int) -> settings:
    """Small runs, no deadline (LibCST's first parse is slow), no health check on slow data."""
    return settings(max_examples=examples, deadline=None, suppress_health_check=[
        HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])


# -- 1. hypothesmith ------------------------------------------------------------


def _dry_run(text: str) -> None:
    """Lint and fix in memory; a fixed text must still parse."""
    try:
        engine.lint(text, "fuzz.py", RULES)
        result = fixes.fix_text(text, "fuzz.py", RULES, unsafe=True)
    except engine.LintError:
        return
    if result.text != text:
        assert fixes.reparses(result.text, must_compile=fixes.compiles(text))


@fuzz_settings(30)
@given(hypothesmith.from_grammar())
def test_grammar_programs_never_crash_the_engine(program: str) -> None:
    _dry_run(program)
    # With a finding up front the file passes the prefilter, so LibCST's
    # parse, the scopes and every rule also run over the generated code.
    _dry_run(PREFIX + program)


# -- 2. the template fuzzer -----------------------------------------------------


EXAMPLES = [(rule, example) for rule in RULES for example in rule.flagged]
_IMPORT = re.compile(r"^(import|from)\s")
_ALIAS = re.compile(r"^(?:import\s+[\w.]+|from\s+[\w.]+\s+import\s+.*?\b\w+)\s+as\s+(\w+)", re.M)


def _is_import(line: str) -> bool:
    return bool(_IMPORT.match(line))


def _depth(line: str) -> int:
    """Indentation level of an example line (the inline examples indent by 4 spaces)."""
    return (len(line) - len(line.lstrip(" "))) // 4


def rename_aliases(code: str, suffix: str) -> str:
    """`import numpy as np` -> `import numpy as np_z`, with every use of `np` renamed."""
    for alias in set(_ALIAS.findall(code)):
        code = re.sub(rf"(?<![\w.]){re.escape(alias)}\b", alias + suffix, code)
    return code


def from_imports(code: str) -> str:
    """`import numpy as np` + `np.exp(x)` -> `from numpy import exp` + `exp(x)`, where every
    use of the alias is a direct call of a name not otherwise used in the code."""
    for match in re.finditer(r"^import\s+([\w.]+)\s+as\s+(\w+)\s*$", code, re.M):
        module, alias = match.groups()
        uses = re.findall(rf"(?<![\w.]){alias}\b(\.\w+)?(\s*\()?", code)
        names = {attr[1:] for attr, call in uses[1:] if attr and call}
        if not names or any(not attr or not call for attr, call in uses[1:]):
            continue
        if any(re.search(rf"(?<![\w.]){n}\b", code) for n in names) or any(
                keyword.iskeyword(n) for n in names):
            continue
        code = code.replace(match.group(0), f"from {module} import {', '.join(sorted(names))}")
        return re.sub(rf"(?<![\w.]){alias}\.(\w+)", r"\1", code)
    return code


def nest(code: str, kind: str | None, indent: str) -> str:
    """Re-indent with `indent` and put everything but the top imports in a block."""
    header = {None: None, "if": "if True:", "def": "def _wrapper():", "class": "class _Wrapper:",
              "for": "for _step in range(1):", "with": "with open(__file__) as _f:"}[kind]
    lines = code.split("\n")
    top = 0
    while top < len(lines) and _is_import(lines[top]):
        top += 1
    extra = 1 if header else 0
    body = [indent * (_depth(line) + extra) + line.lstrip(" ") if line.strip() else line
            for line in lines[top:]]
    return "\n".join(lines[:top] + ([header] if header else []) + body)


def add_parentheses(code: str) -> str:
    """`x = EXPR` -> `x = (EXPR)` and `return EXPR` -> `return (EXPR)` on one-line statements."""
    def wrap(match: re.Match[str]) -> str:
        head, expr = match.groups()
        return f"{head}({expr})" if expr.count("(") == expr.count(")") else match.group(0)

    return re.sub(r"^(\s*(?:\w+ = |return ))(.+?)$", wrap, code, flags=re.M)


def wrap_in_lambda(code: str) -> str:
    """`x = EXPR` -> `x = (lambda: EXPR)()` on one-line module-level assignments."""
    def wrap(match: re.Match[str]) -> str:
        head, expr = match.groups()
        return f"{head}(lambda: {expr})()" if expr.count("(") == expr.count(")") else match.group(0)

    return re.sub(r"^(\w+ = )(.+?)$", wrap, code, flags=re.M)


def break_calls(code: str, indent: str) -> str:
    """A line break (and indentation) after every comma inside brackets."""
    if any(q in code for q in "'\"#"):
        return code  # no scanner for strings and comments here
    out, depth = [], 0
    for line in code.split("\n"):
        lead = line[: len(line) - len(line.lstrip())]
        chars = []
        for char in line:
            chars.append(char)
            depth += char in "([{"
            depth -= char in ")]}"
            if char == "," and depth > 0:
                chars.append("\n" + lead + indent * 2)
        out.append("".join(chars).replace(",\n" + lead + indent * 2 + " ", ",\n" + lead + indent * 2))
    return "\n".join(out)


def add_comments(code: str) -> str:
    """A trailing comment on every line and a comment line after every statement line."""
    out = []
    for line in code.split("\n"):
        if not line.strip():
            out.append(line)
            continue
        out.append(line + "  # note")
        if not line.rstrip().endswith((",", "(", "[", "{")):
            lead = line[: len(line) - len(line.lstrip())]
            out.append(lead + "# a comment line")
    return "\n".join(out)


def set_newlines(code: str, newline: str, rng: random.Random) -> str:
    if newline != "mixed":
        return code.replace("\n", newline)
    return "".join(part + (rng.choice(["\n", "\r\n", "\r"]) if i < code.count("\n") else "")
                   for i, part in enumerate(code.split("\n")))


@dataclass(frozen=True)
class Variant:
    rule: type[Rule]
    example: Flagged
    code: str
    expected: str | None  # the exact fixed text, for the rewrites that commute with the fix


@st.composite
def exact_variants(draw: st.DrawFn) -> Variant:
    """Rewrites that cannot change what the fix should produce."""
    rule, example = draw(st.sampled_from([e for e in EXAMPLES if e[1].fixed is not None]))
    suffix = draw(st.sampled_from(["", "_z", "2"]))
    kind = draw(st.sampled_from([None, "if"]))
    indent = draw(st.sampled_from(["    ", "\t", "  "]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))

    def rewrite(code: str) -> str:
        return set_newlines(nest(rename_aliases(code, suffix), kind, indent), newline, random)

    assert example.fixed is not None
    return Variant(rule, example, rewrite(example.code), rewrite(example.fixed))


@st.composite
def any_variants(draw: st.DrawFn) -> Variant:
    """Every rewrite, in any combination; only the promises are checked."""
    rule, example = draw(st.sampled_from(EXAMPLES))
    code = example.code
    if draw(st.booleans()):
        code = from_imports(code)
    if draw(st.booleans()):
        code = rename_aliases(code, draw(st.sampled_from(["_z", "2", "_alias"])))
    if draw(st.booleans()):
        code = wrap_in_lambda(code)
    if draw(st.booleans()):
        code = add_parentheses(code)
    indent = draw(st.sampled_from(["    ", "\t", "  "]))
    code = nest(code, draw(st.sampled_from([None, "if", "def", "class", "for", "with"])), indent)
    if draw(st.booleans()):
        code = break_calls(code, indent)
    if draw(st.booleans()):
        code = add_comments(code)
    newline = draw(st.sampled_from(["\n", "\r\n", "\r", "mixed"]))
    code = set_newlines(code, newline, random.Random(draw(st.integers(0, 2**16))))
    return Variant(rule, example, code, None)


def _node_spans(text: str) -> set[tuple[int, int]] | None:
    """The character span of every node LibCST sees, when its code is the text."""
    module = cst.parse_module(text)
    if module.code != text:
        return None
    spans = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ByteSpanPositionProvider)
    encoded = text.encode("utf-8")

    def chars(offset: int) -> int:
        return len(encoded[:offset].decode("utf-8"))

    return {(chars(s.start), chars(s.start + s.length)) for s in spans.values()}


def _line_start(text: str, offset: int) -> bool:
    return offset == 0 or text[offset - 1] in "\r\n"


def _newlines(text: str) -> set[str]:
    return set(re.findall(r"\r\n|\r|\n", text))


def check_fix_promises(text: str) -> str:
    """Fix `text` pass by pass as `fix_text` does, checking every edit; the fixed text."""
    assert fixes.compiles(text), "the rewrite itself must be valid Python"
    current = text
    for _ in range(fixes.MAX_PASSES):
        findings = engine.lint(current, "variant.py", RULES)
        assert not [f for f in findings if f.code in ("SL000", "SL001")], findings
        chosen, edits = fixes._choose(findings, unsafe=True)
        if not chosen:
            break
        spans = _node_spans(current)
        for edit in edits:
            _check_edit(current, edit, spans)
        current = fixes.apply_edits(current, edits)
        assert fixes.reparses(current, must_compile=True), current
        # After each pass, what its fixes left dead goes (scorelint.engine.tidy).
        current = fixes.tidy_text(text, current, "variant.py")
        assert fixes.reparses(current, must_compile=True), current
    result = fixes.fix_text(text, "variant.py", RULES, unsafe=True)
    assert result.refused is None, result.refused
    assert result.text == current
    if _newlines(text):
        assert _newlines(current) <= _newlines(text)  # no foreign line ending
    again = fixes.fix_text(current, "variant.py", RULES, unsafe=True)
    assert again.text == current and again.applied == []  # idempotent
    return current


def _check_edit(text: str, edit: Edit, spans: set[tuple[int, int]] | None) -> None:
    if edit.start == edit.end:  # an inserted line
        assert _line_start(text, edit.start)
        assert edit.content.endswith(("\n", "\r")) or edit.start == len(text)
        return
    segment = text[edit.start:edit.end]
    assert segment == segment.strip(), f"edit {segment!r} has whitespace at an edge"
    if spans is not None:
        start, end = edit.start, edit.end
        # A replacement may take the node's own parentheses with it (`-(f(x))`).
        while (start, end) not in spans and text[start] == "(" and text[end - 1] == ")":
            inner = text[start + 1:end - 1]
            start, end = start + 1 + len(inner) - len(inner.lstrip()), \
                end - 1 - (len(inner) - len(inner.rstrip()))
        assert (start, end) in spans, f"edit {segment!r} is not one node's source"


@fuzz_settings(80)
@given(exact_variants())
def test_aliases_blocks_indentation_and_newlines_do_not_change_the_fix(variant: Variant) -> None:
    check_fix_promises(variant.code)
    rules = [variant.rule]  # as the example's expected `fixed` is written
    assert variant.rule.code in [f.code for f in engine.lint(variant.code, "variant.py", rules)]
    assert fixes.fix_text(variant.code, "variant.py", rules, unsafe=True).text == \
        fixes.tidy_text(variant.code, variant.expected, "variant.py")


@fuzz_settings(100)
@given(any_variants())
def test_every_rewrite_keeps_the_fix_promises(variant: Variant) -> None:
    assume(variant.code.strip())
    check_fix_promises(variant.code)


@pytest.mark.parametrize("rewrite", [
    lambda c: from_imports(c), lambda c: rename_aliases(c, "_z"), wrap_in_lambda, add_parentheses,
    lambda c: nest(c, "class", "\t"), lambda c: break_calls(c, "    "), add_comments,
], ids=["from-imports", "aliases", "lambda", "parentheses", "class-tabs", "line-breaks",
        "comments"])
def test_each_rewrite_is_exercised_and_valid(rewrite) -> None:  # noqa: ANN001
    """The rewrites change some example and always give valid Python (a fuzzer check)."""
    changed = 0
    for _, example in EXAMPLES:
        code = rewrite(example.code)
        assert fixes.compiles(code), code
        changed += code != example.code
    assert changed > 0
