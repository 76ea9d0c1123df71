"""The first gate: a text without a trigger is not parsed at all, and the trigger scan
finds exactly what the old call-shaped regex found."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from scorelint.base import limits
from scorelint.engine import linter as engine
from scorelint.engine import narrowing
from scorelint.engine.registry import all_rules

ROOT = Path(__file__).resolve().parent.parent
RULES = all_rules()
TEXTS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "fixtures").rglob("*.py"))] + [
    "y = np.log (p)\nz = xlog(p)\nw = log_softmax(x)\n",
    "from torch import softmax as sm\nq = sm(x)\n",
    "from torch import softmax as sm\nq = sm\n",
    "import numpy as np\nnp_exp(x)\n_exp(x)\nα_log(x)\nélog(x)\n",
    "log(\nexp\t(",
    "x.sum (axis=0)/ 2",
    # Names inside names: each is searched for only when those inside it are present.
    "tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=z)\n",
    "F.binary_cross_entropy_with_logits(x, y)\nnp.log10(p)\ncumsum(x)\n",
    "from jax.nn import log_sigmoid as ls\nls(x)\nexpit (x)\n",
]


def _old_text_tokens(text: str) -> set[str]:
    """The regex scan the gate replaced (scorelint 0.1.0 before issue 9)."""
    names = narrowing.trigger_names(RULES)
    alternatives = "|".join(sorted(map(re.escape, names), key=len, reverse=True))
    tokens = set(re.findall(rf"\b({alternatives})\s*\(", text))
    if " as " in text:
        for original, alias in re.findall(r"\b([A-Za-z_]\w*)\s+as\s+([A-Za-z_]\w*)", text):
            if original in names and original not in tokens and re.search(
                    rf"\b{re.escape(alias)}\s*\(", text):
                tokens.add(original)
    tokens.update(op for op in narrowing.OPERATORS if op in text)
    return tokens


@pytest.mark.parametrize("text", TEXTS)
def test_the_fast_scan_finds_what_the_regex_found(text: str) -> None:
    assert narrowing.text_tokens(text, RULES) == _old_text_tokens(text)


def test_a_text_without_triggers_is_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(text: str) -> None:
        raise AssertionError("parsed")

    monkeypatch.setattr(limits, "cpython_check", refuse)
    # Not even a syntax error is reported: a file without a trigger cannot have a finding.
    assert engine.lint("def broken(:\n    logging.info(x)\n", "t.py", RULES) == []


def test_a_text_with_a_trigger_still_reports_its_syntax_error() -> None:
    found = engine.lint("def broken(: return np.log(np.prod(p))\n", "t.py", RULES)
    assert [(f.code, f.message) for f in found] == [
        ("SL000", "syntax error at line 1: invalid syntax")]


@pytest.mark.parametrize("text", [
    "import numpy as np\ny = (np.exp)(x)\n",
    "import numpy as np\ny = np.exp \\\n    (x)\n",
    "import numpy as np\ny = f(np.exp  # why not\n      (x))\n",
])
def test_every_call_cpython_sees_is_one_the_gate_sees(text: str) -> None:
    """The gate must be a superset of what narrowing's `ast` walk finds: a call's name
    in parentheses, or split from its `(` by a line continuation or a comment."""
    seen = set().union(*narrowing.statement_tokens(ast.parse(text)))
    assert seen & narrowing.trigger_names(RULES) <= narrowing.text_tokens(text, RULES)
    assert "exp" in narrowing.text_tokens(text, RULES)
