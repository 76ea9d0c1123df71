"""The fix loop's cost and its promise together: the text a fix keeps is parsed whole by
LibCST (and compiled) once, and only it (RELIABILITY.md, promise 2); a pass's text is
parsed by CPython and re-linted. A text LibCST rejects is refused wherever it lies. Work is
counted with recorders on the engine, never timed."""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst
import pytest

from scorelint.engine import fixes
from scorelint.engine.registry import all_rules

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
    """The re-lint's LibCST parse never sees `unrelated` (blanked): the one parse of the
    whole kept text must still refuse a file LibCST would reject."""
    asked = _libcst_rejecting(monkeypatch, lambda text: FIXED_EXPRESSION in text
                              and "def unrelated" in text)
    text = TIDIED + UNRELATED
    result = _fix(text)
    assert any(FIXED_EXPRESSION in t and "def unrelated" not in t for t in asked)  # re-lint
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
