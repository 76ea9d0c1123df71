"""The fix loop's cost and its promise together: the text a fix keeps is parsed whole by
LibCST (and compiled) once, and only it (RELIABILITY.md, promise 2); a pass's text is
parsed by CPython and re-linted. A text LibCST rejects is refused wherever it lies. Work is
counted with recorders on the engine, never timed."""

from __future__ import annotations

import ast
import gc
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

import libcst as cst
import pytest

from scorelint.base import limits
from scorelint.engine import fixes, tidy
from scorelint.engine import linter as engine
from scorelint.engine.registry import all_rules
from scorelint.run import runner

# The fix of `np.log(prod)` leaves `prod = ...` dead: the tidied text is not the fixed one.
TIDIED = ("import numpy as np\n\n\ndef score(p):\n    prod = np.prod(p, axis=-1)\n"
          "    return np.log(prod)\n")
FIXED_EXPRESSION = "np.sum(np.log(p), axis=-1)"
# A function no rule needs: the re-lint blanks it (narrowing), so only a parse of the
# whole text sees it.
UNRELATED = "\n\ndef unrelated(x):\n    return x\n"


def _fix(text: str) -> fixes.FixResult:
    return fixes.fix_text(text, "score.py", all_rules(), unsafe=False)


def _libcst_rejecting(monkeypatch: pytest.MonkeyPatch, rejects: Callable[[str], bool]
                      ) -> list[str]:
    """LibCST's parser, made to reject the texts `rejects` picks; returns the texts it is
    asked to parse."""
    real = cst.parse_module
    asked: list[str] = []

    def parse_module(text: str, *args: object, **kwargs: object) -> cst.Module:
        asked.append(text)
        if rejects(text):
            return real("def broken(:\n")  # raises LibCST's own ParserSyntaxError
        return real(text, *args, **kwargs)

    monkeypatch.setattr(cst, "parse_module", parse_module)
    return asked


def test_a_fixed_and_tidied_file_is_parsed_whole_by_libcst_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: the fixed text was parsed whole after its pass and the tidied text again;
    a 100 KB file costs ~0.15 s a parse. Only the text that is kept needs it."""
    asked = _libcst_rejecting(monkeypatch, lambda text: False)
    result = _fix(TIDIED + UNRELATED)
    assert FIXED_EXPRESSION in result.text and "prod =" not in result.text
    # The re-lints parse the text with `unrelated` blanked; a whole text has it.
    whole = [text for text in asked if "def unrelated" in text]
    assert whole == [result.text]


def test_a_text_libcst_rejects_outside_what_the_relint_keeps_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The narrowed lint of a text would never see `unrelated` (blanked): the re-lint of a
    fixed text parses it whole, and refuses a file LibCST would reject anywhere."""
    _libcst_rejecting(monkeypatch, lambda text: FIXED_EXPRESSION in text
                      and "def unrelated" in text)
    text = TIDIED + UNRELATED
    result = _fix(text)
    assert result.text == text and result.applied == []
    assert result.refused == "the fixed file would not parse"
    assert [f.message.endswith("(fix refused: the fixed file would not parse)")
            for f in result.remaining] == [True]


def test_a_pass_libcst_rejects_in_what_the_relint_keeps_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A pass's text is no longer parsed whole before its re-lint: LibCST rejecting the
    part the re-lint parses is a refused fix, as it was, not an SL000 for the file."""
    _libcst_rejecting(monkeypatch, lambda text: FIXED_EXPRESSION in text)
    result = _fix(TIDIED + UNRELATED)
    assert result.text == TIDIED + UNRELATED and result.applied == []
    assert result.refused == "the fixed file would not parse"


def test_the_untidied_text_is_kept_when_only_the_tidied_one_fails_to_parse(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Tidying is a courtesy: when LibCST rejects the tidied text, the fixed text is kept,
    and it is parsed whole before it is (it was never parsed whole in its pass)."""
    asked = _libcst_rejecting(monkeypatch, lambda text: "prod =" not in text)
    result = _fix(TIDIED)
    assert result.refused is None and len(result.applied) == 1
    assert FIXED_EXPRESSION in result.text and "prod = np.prod" in result.text
    assert result.text in asked


# The fix leaves nothing dead: the fixed text is the one kept.
PLAIN = "import numpy as np\n\n\ndef score(p):\n    return np.log(np.prod(p, axis=-1))\n"
# Module level: CPython parses it and LibCST too, `compile` rejects it.
NEVER_COMPILES = "\n\nx = (yield)\n"


def _recorded(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[object]:
    """The first argument of every call of `owner.name` (which still does its work)."""
    real = getattr(owner, name)
    seen: list[object] = []

    def recording(first: object, *args: object, **kwargs: object) -> object:
        seen.append(first)
        return real(first, *args, **kwargs)

    monkeypatch.setattr(owner, name, recording)
    return seen


@pytest.mark.parametrize("text", [PLAIN, TIDIED + UNRELATED], ids=["fixed", "tidied"])
def test_the_kept_text_is_parsed_by_cpython_once(monkeypatch: pytest.MonkeyPatch,
                                                 text: str) -> None:
    """Before: a pass's text was parsed by CPython for its check, again by its re-lint and
    again before LibCST's whole parse; the tidied text once for its check, once for its
    lint. One parse: its tree is what the re-lint reads."""
    parsed = _recorded(monkeypatch, limits, "cpython_check")
    result = _fix(text)
    assert FIXED_EXPRESSION in result.text and result.refused is None
    assert parsed.count(result.text) == 1


def test_the_original_is_compiled_only_when_a_fixed_text_is_not(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether the original compiles decides only whether a fixed text that does not
    compile is refused: a fixed text that compiles passes either way, so the original
    (a 100 KB file: ~10 ms) is not compiled for it. Where it is needed it is still asked:
    a file that never compiled is held to parsing only, as before."""
    compiled = _recorded(monkeypatch, fixes, "compiles")
    result = _fix(PLAIN)
    assert result.applied and PLAIN not in compiled
    assert compiled == [result.text]

    compiled.clear()
    result = _fix(PLAIN + NEVER_COMPILES)
    assert result.refused is None and len(result.applied) == 1
    assert compiled == [result.text, PLAIN + NEVER_COMPILES]


def test_tidying_parses_each_text_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """`name_repeats` and `tidy` read the same fixed text, and a tidy round's result is the
    next round's input: each text is parsed once for them (`tidy.Parses`), not once a
    reader. The tidied result is the same."""
    real = ast.parse
    by_tidy: list[str] = []

    def parse(text: str, *args: object, **kwargs: object) -> ast.Module:
        if sys._getframe(1).f_globals["__name__"] == tidy.__name__:
            by_tidy.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", parse)
    result = _fix(TIDIED)
    assert FIXED_EXPRESSION in result.text and "prod =" not in result.text
    assert sorted(by_tidy) == sorted(set(by_tidy))


def test_the_module_before_the_fixes_is_walked_only_when_an_import_may_have_died(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """What the module read before the fixes matters only for an import no longer read:
    while every import is still read (most fixes), the whole-module walk of the original
    is skipped. An import the fixes leave unread is still removed (test_fix_rendering)."""
    walked = _recorded(monkeypatch, tidy, "_global_reads")
    result = _fix(TIDIED)
    assert "prod =" not in result.text and "import numpy as np" in result.text
    original = ast.dump(ast.parse(TIDIED))
    assert walked and all(ast.dump(tree) != original for tree in walked)


def _collector_in_worker() -> tuple[int, int]:
    """In a pool worker: how many objects the collector leaves alone (frozen), and how
    many a collection of a cycle made here frees."""
    cycle: list[object] = []
    cycle.append(cycle)
    del cycle
    return gc.get_freeze_count(), gc.collect()


def test_a_worker_does_not_collect_what_it_inherited_but_collects_its_own() -> None:
    """A --diff run's workers are forked from a parent holding the engine and the cached
    outcome of every file: before, each full collection in a worker walked all of it again
    (~0.06 s each, a tenth of the workers' CPU on the corpus). Frozen at the worker's
    start; the collector still runs for what the worker makes (never disabled: a file's
    cycles must not pile up against the memory budget)."""
    inherited = [[i] for i in range(10_000)]  # noqa: F841  (held across the fork)
    with ProcessPoolExecutor(max_workers=1, initializer=runner._start_worker,
                             initargs=(None,)) as pool:
        frozen, freed = pool.submit(_collector_in_worker).result()
    assert frozen >= 10_000
    assert freed >= 1


def test_a_pass_lints_its_tidied_text_once_on_its_whole_parse(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: a pass re-linted its fixed text (narrowed, then parsed), the tidied text was
    linted again at the end, and the kept text parsed whole once more: three LibCST
    parses of a large file. A pass tidies what its fixes left dead first, and lints that
    text on its one whole parse (the rules cost less on it than narrowing and a second
    parse); the first check of the original is narrowed as always."""
    asked = _libcst_rejecting(monkeypatch, lambda text: False)
    calls: list[tuple[str, bool]] = []
    real = engine.lint

    def lint(text: str, path: str, rules: object, tree: object = None,
             whole: bool = False) -> list[object]:
        calls.append((text, whole))
        return real(text, path, rules, tree, whole)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "lint", lint)
    result = _fix(TIDIED + UNRELATED)
    assert "prod =" not in result.text and result.refused is None
    assert calls == [(TIDIED + UNRELATED, False), (result.text, True)]
    assert len(asked) == 2 and asked[1] == result.text  # the narrowed original, the kept
