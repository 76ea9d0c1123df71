"""RELIABILITY.md promises 1, 2 and 5: no crash, a fix never breaks a file, one
rule's bug stays its own; plus the PR-sized sample of the stdlib sweep.

Bad inputs are made in a temporary folder; where root could read or write
what a normal user cannot (CI runs as root), the failure is injected with
monkeypatch instead of chmod.
"""

from __future__ import annotations

import ast
import errno
import importlib.util
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import libcst as cst
import pytest

from scorelint.base import limits, source
from scorelint.base.findings import Applicability, FixAvailability
from scorelint.engine import fixes
from scorelint.engine import linter as engine
from scorelint.engine.registry import all_rules
from scorelint.engine.rule import Clean, Flagged, Rule
from scorelint.frontends.cli import main
from scorelint.model.context import FileContext
from scorelint.model.proposal import FixSpec, Replace
from scorelint.run import discovery, pipeline

ROOT = Path(__file__).resolve().parent.parent
BUGGY = "import numpy as np\n\ndef score(p):\n    return np.log(np.prod(p, axis=-1))\n"
FIXED = "import numpy as np\n\ndef score(p):\n    return np.sum(np.log(p), axis=-1)\n"


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict]]:
    """Run the CLI in this process (so monkeypatches apply) and read its JSON report."""
    code = main(["check", "--output-format", "json", "-j", "1", *args])
    return code, json.loads(capsys.readouterr().out)


def not_checked(found: list[dict]) -> dict[str, str]:
    return {Path(f["filename"]).name: f["message"] for f in found if f["code"] == "SL000"}


# -- promise 1: no crash ------------------------------------------------------


@pytest.fixture
def bad_tree(tmp_path: Path) -> Path:
    """Good files next to every kind of file that cannot be checked."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "good.py").write_text(BUGGY)
    # The comment holds a trigger: a file without one is not parsed at all (see test_gate).
    (tree / "syntax.py").write_text("import numpy as np  # w / np.sum(w)\nx = 1\ndef broken(:\n"
                                    "    pass\ny = 2\n")
    (tree / "latin.py").write_bytes(b"import numpy as np\nname = 'caf\xe9'\n")
    (tree / "binary.py").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00")
    (tree / "cookie.py").write_bytes(b"# -*- coding: klingon -*-\nx = 1\n")
    (tree / "utf7.py").write_bytes(b"# coding: utf-7\nx = '+AOk-'\n")  # not byte-reversible
    (tree / "mixed_strings.py").write_text("import numpy as np\nx = u'a' b'b'\n" + BUGGY[19:])
    (tree / "deep.py").write_text(BUGGY + "x = " + "-" * 5000 + "1\n")
    (tree / "dangling.py").symlink_to(tree / "missing.py")
    (tree / "locked.py").write_text(BUGGY)
    if hasattr(os, "mkfifo"):
        os.mkfifo(tree / "pipe.py")  # opening it would block until a writer comes
    (tree / "folder.py").mkdir()  # a folder named like a module is walked, not read
    (tree / "folder.py" / "inner.py").write_text(BUGGY)
    (tree / "sub").mkdir()
    (tree / "sub" / "hidden.py").write_text(BUGGY)
    return tree


def test_bad_files_among_good_ones_are_sl000_with_the_reason(
    bad_tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    locked, sub = str(bad_tree / "locked.py"), str(bad_tree / "sub")

    def denied_open(path: object, *args: object, **kwargs: object) -> object:
        if str(path) == locked:  # chmod 000 does not stop root: deny it here
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return open(path, *args, **kwargs)  # noqa: SIM115

    real_scandir = os.scandir

    def denied_scandir(path: str) -> object:
        if str(path) == sub:
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(source, "open", denied_open, raising=False)
    monkeypatch.setattr(discovery.os, "scandir", denied_scandir)
    code, found = run_json([str(bad_tree)], capsys)
    assert code == 2
    errors = not_checked(found)
    assert errors == {
        "syntax.py": "syntax error at line 3: invalid syntax",
        "latin.py": "not valid utf-8 (byte 30: b'\\xe9')",
        "binary.py": "binary file (contains a NUL byte)",
        "cookie.py": "bad encoding declaration: unknown encoding: klingon",
        "utf7.py": "utf-7 text does not encode back to the same bytes",
        "mixed_strings.py": "syntax error at line 2: cannot mix bytes and nonbytes literals",
        "deep.py": "too deeply nested: CPython's parser rejects it "
                   "(maximum recursion depth exceeded during ast construction)",
        "locked.py": "cannot read: Permission denied",
        "sub": "cannot read directory: Permission denied",
        **({"pipe.py": "not a regular file"} if hasattr(os, "mkfifo") else {}),
    }
    syntax = next(f for f in found if f["filename"].endswith("syntax.py"))
    assert syntax["location"] == {"row": 3, "column": 12}  # where CPython points
    # The good files are still checked and still report, and so do the parts of a
    # file that parse around a syntax error; a dangling link is skipped (test_trust).
    reported = {(Path(f["filename"]).name, f["code"]) for f in found if f["code"] != "SL000"}
    assert reported == {("good.py", "SL201"), ("inner.py", "SL201"),
                        ("mixed_strings.py", "SL201")}


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root reads a chmod-000 file; the injected PermissionError covers it")
def test_chmod_000_file_is_sl000(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locked = tmp_path / "locked.py"
    locked.write_text(BUGGY)
    locked.chmod(0)
    try:
        code, found = run_json([str(tmp_path)], capsys)
    finally:
        locked.chmod(0o644)
    assert code == 2
    assert not_checked(found) == {"locked.py": "cannot read: Permission denied"}


@pytest.mark.parametrize("text, message", [
    # LibCST parses this, then rejects it with CSTValidationError; CPython, which
    # now parses first, rejects it already.
    ("x = u'a' b'b'\n", "syntax error at line 1: cannot mix bytes and nonbytes literals"),
    # A lone surrogate cannot come from a decoded file, but can from a
    # notebook's JSON; LibCST's UnicodeEncodeError used to escape too.
    ("x = 1\ny = '\ud800'\n", "not valid Unicode at line 2: surrogates not allowed"),
], ids=["cst-validation", "lone-surrogate"])
def test_odd_parser_failures_are_lint_errors_not_crashes(text: str, message: str) -> None:
    with pytest.raises(engine.LintError) as caught:
        engine.parse(text)
    assert str(caught.value) == message
    assert not fixes.reparses(text, must_compile=False)
    try:  # also through the whole funnel, with a candidate: an error or an SL000, no fix
        result = fixes.fix_text(BUGGY + text, "odd.py", all_rules(), unsafe=True)
    except engine.LintError:
        return
    assert result.text == BUGGY + text and result.applied == []
    assert "SL000" in [f.code for f in result.remaining]


def test_too_deeply_nested_for_cpython_is_a_lint_error() -> None:
    text = "import numpy as np\nscore = np.log(np.prod(p, axis=-1))\nx = " + "-" * 5000 + "1\n"
    with pytest.raises(engine.LintError) as caught:
        fixes.fix_text(text, "deep.py", all_rules(), unsafe=True)
    assert str(caught.value).startswith("too deeply nested: CPython's parser rejects it")


@pytest.mark.parametrize("code", [
    "x = " + "[" * 190 + "]" * 190 + "\n",
    "x = " + " + ".join(["a"] * 323) + "\n",
], ids=["lists-190", "sum-323"])
def test_what_cpython_accepts_is_checked_however_deep(code: str) -> None:
    # LibCST's visitors used to run out of stack on these ("too deeply nested"). The
    # pipeline runs each file's whole check on the deep stack, as here.
    text = "import numpy as np\nscore = np.log(np.prod(p, axis=-1))\n" + code
    result = limits.on_deep_stack(fixes.fix_text, text, "deep.py", all_rules(), True)
    assert [f.code for f in result.applied] == ["SL201"]
    assert result.text.startswith("import numpy as np\nscore = np.sum(np.log(p), axis=-1)\n")


# -- promise 5: one rule's bug stays its own -----------------------------------


@pytest.fixture
def make_rule() -> Iterator[Callable[..., type[Rule]]]:
    """Registers throwaway rules (the registry is global) and removes them afterwards."""
    made: list[str] = []

    def make(code: str, methods: dict[str, Callable[..., None]],
             triggers: tuple[tuple[str, ...], ...] = (("log",),)) -> type[Rule]:
        namespace = {
            "__doc__": "\n".join(f"## {s}\nText." for s in (
                "What it does", "Why is this bad?", "Example", "Use instead", "Fix safety",
                "Known limitations")),
            "code": code,
            "name": f"throwaway-{code.lower()}",
            "message": "throwaway `{expr}`",
            "fix_title": "Throwaway fix",
            "fix_availability": FixAvailability.SOMETIMES,
            "applicability": Applicability.SAFE,
            "triggers": triggers,
            "flagged": (Flagged("log(1)"),) * 3,
            "clean": (Clean("x = 1"),) * 3,
            **{name: _named(name, method) for name, method in methods.items()},
        }
        made.append(code)
        return type(f"Throwaway{code}", (Rule,), namespace)

    yield make
    for code in made:
        Rule._registry.pop(code, None)


def _named(name: str, method: Callable[..., None]) -> Callable[..., None]:
    """LibCST finds visitor methods by their function's `__name__`, not the attribute."""

    def visit(self: Rule, node: cst.CSTNode) -> None:
        method(self, node)

    visit.__name__ = visit.__qualname__ = name
    return visit


def _explode(self: Rule, node: cst.Call) -> None:
    raise ZeroDivisionError("boom")


def test_a_rule_that_raises_becomes_sl001_and_the_others_still_report(
    make_rule: Callable[..., type[Rule]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_rule("SL990", {"visit_Call": _explode})
    make_rule("SL991", {"leave_Call": _explode})
    (tmp_path / "a.py").write_text(BUGGY)
    code, found = run_json([str(tmp_path)], capsys)
    assert code == 1
    internal = sorted(f["message"] for f in found if f["code"] == "SL001")
    assert internal == [  # one per broken rule, naming it
        "rule SL990 (throwaway-sl990) failed on this file: ZeroDivisionError: boom",
        "rule SL991 (throwaway-sl991) failed on this file: ZeroDivisionError: boom",
    ]
    assert "SL201" in {f["code"] for f in found}  # the real rule still reports in the same file


def test_a_rule_reporting_a_node_not_in_the_file_becomes_sl001(
    make_rule: Callable[..., type[Rule]]
) -> None:
    def ghost(self: Rule, node: cst.Call) -> None:
        self.report(cst.Name("ghost"))  # a node the engine cannot place

    rule = make_rule("SL992", {"visit_Call": ghost})
    findings = engine.lint(BUGGY, "a.py", [rule, *all_rules()])
    codes = [f.code for f in findings]
    assert "SL201" in codes
    assert codes.count("SL001") == 1  # once per rule, not once per bad report
    assert next(f for f in findings if f.code == "SL001").message.startswith("rule SL992")


# -- promise 2: a fix never breaks a file ------------------------------------


@pytest.mark.parametrize("breakage, why", [
    (lambda code: code + ")", "unbalanced parenthesis: LibCST rejects it"),
    (lambda code: "(yield)", "LibCST parses it, CPython's compile rejects it at module level"),
], ids=["unparseable", "does-not-compile"])
def test_a_fix_that_would_break_the_file_is_refused_whole(
    breakage: Callable[[str], str], why: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_add = FileContext.add_finding

    def add_broken(self: FileContext, rule: Rule, node: cst.CSTNode, message: str,
                   fix: FixSpec | None, trace: tuple = ()) -> None:
        if fix is not None:
            fix = FixSpec(fix.title, fix.applicability, tuple(
                Replace(e.node, breakage(e.content)) if isinstance(e, Replace) else e
                for e in fix.edits))
        real_add(self, rule, node, message, fix, trace)

    monkeypatch.setattr(FileContext, "add_finding", add_broken)
    target = tmp_path / "a.py"
    # Module level, so `(yield)` is an error for compile and not for LibCST.
    text = "import numpy as np\nscore = np.log(np.prod(p, axis=-1))\n"
    target.write_text(text)
    before = target.stat()
    code, found = run_json(["--fix", str(target)], capsys)
    assert code == 1, why
    assert target.read_text() == text and target.stat().st_mtime_ns == before.st_mtime_ns
    [finding] = found
    assert finding["code"] == "SL201"
    assert finding["message"].endswith("(fix refused: the fixed file would not parse)")
    assert finding["fix"] is None


def _bump(self: Rule, node: cst.Integer) -> None:
    """A fix that always makes a new fixable finding: 1 -> 2 -> 3 -> ..."""
    fix = FixSpec("bump", Applicability.SAFE, (Replace(node, str(int(node.value) + 1)),))
    self.report(node, fix=fix)


def _same(self: Rule, node: cst.Integer) -> None:
    """A fix that replaces a node with its own code: it would be applied forever."""
    self.report(node, fix=FixSpec("same", Applicability.SAFE, (Replace(node, node.value),)))


@pytest.mark.parametrize("method, why", [
    (_bump, f"fixes did not settle in {fixes.MAX_PASSES} passes"),
    (_same, "a fix changed nothing"),
], ids=["never-settles", "changes-nothing"])
def test_fixes_that_do_not_converge_are_reverted_and_reported(
    method: Callable[..., None], why: str, make_rule: Callable[..., type[Rule]], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_rule("SL993", {"visit_Integer": method}, triggers=(("bump",),))
    text = "# a comment\nvalue = bump(1)\r\n"
    result = fixes.fix_text(text, "a.py", all_rules(), unsafe=False)
    assert result.text == text and result.applied == [] and result.refused == why
    target = tmp_path / "a.py"
    target.write_bytes(text.encode())
    code, found = run_json(["--fix", "--select", "SL993", str(target)], capsys)
    assert code == 1
    assert target.read_bytes() == text.encode()
    assert [f["message"] for f in found] == [f"throwaway `1` (fix refused: {why})"]


def test_a_fix_that_settles_in_the_last_pass_is_kept(
    make_rule: Callable[..., type[Rule]]
) -> None:
    def bump_until(self: Rule, node: cst.Integer) -> None:
        if int(node.value) < fixes.MAX_PASSES:
            _bump(self, node)

    make_rule("SL994", {"visit_Integer": bump_until}, triggers=(("bump",),))
    result = fixes.fix_text("bump(0)\n", "a.py", all_rules(), unsafe=False)
    assert result.refused is None
    assert result.text == f"bump({fixes.MAX_PASSES})\n"
    assert len(result.applied) == fixes.MAX_PASSES


# -- the real-code sweep: a PR-sized sample of the stdlib ---------------------


def _load_sweep() -> object:
    spec = importlib.util.spec_from_file_location(
        "stdlib_sweep", ROOT / "benchmarks" / "stdlib_sweep.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("stdlib_sweep", module)
    spec.loader.exec_module(module)
    return module


SWEEP = _load_sweep()
# Known invalid inputs kept in the stdlib's own tests (present on CPython 3.10-3.12).
_INVALID = re.compile(r"(badsyntax_|bad_coding|py2_test_grammar)\w*\.py$")


def _sample() -> tuple[list[str], set[str]]:
    """About 60 files: PR-sized ones some rule could match, others, and known invalid ones."""
    files = SWEEP.stdlib_files()  # type: ignore[attr-defined]
    rules = all_rules()
    # PR-sized files (the whole sweep has the big ones), spread over those some
    # rule could match, so LibCST and every rule run on them.
    small = [p for p in files if os.path.getsize(p) <= 30_000]
    candidates = SWEEP.sample([p for p in small if _has_candidates(p, rules)], 40)  # type: ignore[attr-defined]
    others = SWEEP.sample([p for p in small if p not in candidates], 56 - len(candidates))  # type: ignore[attr-defined]
    invalid = [p for p in files if _INVALID.search(p)][:4]
    return sorted(set(candidates + others + invalid)), set(candidates)


def _has_candidates(path: str, rules: list[type[Rule]]) -> bool:
    from scorelint.engine import narrowing

    try:
        text = source.read(path).text
    except source.SourceError:
        return False
    chosen = narrowing.candidates(rules, narrowing.text_tokens(text, rules))
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return bool(chosen)  # LibCST has the last word on these
    # Both stages of the engine's funnel: only these files reach LibCST.
    return bool(narrowing.candidates(chosen, set().union(*narrowing.statement_tokens(tree))))


def test_stdlib_sample_has_no_internal_error_and_unparseable_files_are_sl000() -> None:
    paths, candidates = _sample()
    assert len(paths) >= 50 and len(candidates) >= 10
    results = [SWEEP.check(p) for p in paths]  # type: ignore[attr-defined]
    broken = [(r.path, r.crash or r.internal or r.bad_fix) for r in results if r.broken]
    assert broken == []
    for r in results:
        try:
            text = source.read(r.path).text
        except source.SourceError as exc:
            assert r.not_checked == str(exc)
            continue
        try:
            ast.parse(text)
        except SyntaxError:
            assert r.not_checked, r.path  # invalid for CPython: reported, never passed
        if r.path not in candidates:
            continue  # no rule could match: the engine rightly never parses it with LibCST
        try:
            cst.parse_module(text)
        except (cst.ParserSyntaxError, SyntaxError, RecursionError):
            assert r.not_checked, r.path  # LibCST cannot parse it: reported as SL000
    # The sample does reach the parser and the rules.
    assert sum(r.not_checked is None for r in results) >= 50


def test_a_finding_beside_deep_nesting_is_on_its_own_row() -> None:
    # 86f2f71 put this SL201 on row 2, the blank line above it.
    path = Path(__file__).parent / "data" / "edge_cases" / "deeply_nested_lists.py"
    outcome = pipeline.check_file(str(path), pipeline.Options(codes=("SL201",)))
    assert [(f.code, f.start.row, f.start.column) for f in outcome.findings] == [("SL201", 3, 9)]
