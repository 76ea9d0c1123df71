"""Fixes a reviewer would commit: after `--fix`, Ruff finds nothing the fixes made.

The engine clears what a fix leaves behind (scorelint.engine.tidy: bindings and imports
left unread), breaks the lines it makes too long (scorelint.engine.wrapping), and drops
parentheses left around a name or a call. The last test runs the real `ruff` on
every fixture before and after `check --fix --unsafe-fixes`.
"""

from __future__ import annotations

import collections
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scorelint.engine import fixes, registry
from scorelint.engine.tidy import tidy
from scorelint.engine.wrapping import (
    DEFAULT_LINE_LENGTH,
    fit,
    line_length,
    wrap_long_lines,
)
from scorelint.frontends.cli import main

ROOT = Path(__file__).resolve().parents[1]
RULES = registry.all_rules()


def _fix(text: str, path: str = "score.py") -> str:
    return fixes.fix_text(text, path, RULES, unsafe=True).text


# --- dead bindings and imports ------------------------------------------------------


def test_a_binding_the_fix_leaves_unread_is_removed() -> None:
    before = ("import numpy as np\n\n\ndef score(ll):\n    probs = np.exp(ll)\n"
              "    return probs / probs.sum()\n")
    fixed = _fix(before)
    assert "probs" not in fixed  # Ruff's F841 would report `probs = np.exp(ll)`
    assert fixed.endswith("def score(ll):\n    exps = np.exp(ll - np.max(ll))\n"
                          "    return exps / np.sum(exps)\n")


def test_a_value_the_fix_writes_twice_is_computed_once() -> None:
    """numpy without scipy has no softmax: the inline form shifts and exponentiates once."""
    before = ("import numpy as np\n\n\ndef f(logits):\n"
              "    return logits / logits.sum(axis=-1, keepdims=True)\n")
    fixed = _fix(before)
    assert fixed.count("np.max(") == 1 and fixed.count("np.exp(") == 1, fixed
    assert "    exps = np.exp(logits - np.max(logits, axis=-1, keepdims=True))\n" \
           "    return exps / np.sum(exps, axis=-1, keepdims=True)\n" in fixed
    # A name the file already uses is not taken; the author's own repetition stays.
    taken = before.replace("def f(logits):", "exps = 1\n\n\ndef f(logits):")
    assert "exps_2 = np.exp(" in _fix(taken)
    own = "import numpy as np\ny = np.exp(x - 1.0) + np.exp(x - 1.0) + np.log(np.prod(p))\n"
    assert _fix(own) == "import numpy as np\ny = np.exp(x - 1.0) + np.exp(x - 1.0) + " \
        "np.sum(np.log(p))\n"


def test_a_binding_still_read_or_with_a_side_effect_or_comment_stays() -> None:
    still_read = ("import numpy as np\n\n\ndef score(ll):\n    probs = np.exp(ll)\n"
                  "    print(probs)\n    return probs / probs.sum()\n")
    assert "    probs = np.exp(ll)\n" in _fix(still_read)
    impure = ("import numpy as np\n\n\ndef score(ll, model):\n    probs = model(ll)\n"
              "    p = np.exp(probs)\n    return np.log(p / p.sum())\n")
    before = "def f(model, x):\n    y = model(x)\n    return y\n"
    assert tidy(before, "def f(model, x):\n    y = model(x)\n    return x\n") == \
        "def f(model, x):\n    y = model(x)\n    return x\n"  # a call scorelint does not know
    commented = "import numpy as np\n\n\ndef f(x):\n    e = np.exp(x)  # keep\n    return e\n"
    assert tidy(commented, commented.replace("return e", "return x")) == \
        commented.replace("return e", "return x")
    assert _fix(impure)  # fixes and parses


def test_tidy_leaves_global_nonlocal_dynamic_and_only_statements() -> None:
    cases = [
        ("def f(x):\n    global e\n    e = abs(x)\n    return e\n", "return e", "return x"),
        ("def f(x):\n    e = abs(x)\n    return locals()['e'] and e\n", "and e", "and x"),
        ("def f(x):\n    if x:\n        e = abs(x)\n    return e\n", "return e", "return x"),
    ]
    for before, old, new in cases:
        after = before.replace(old, new)
        kept = tidy(before, after)
        assert kept == after, before


def test_tidy_removes_an_import_the_fixes_left_unread_but_not_in_init_or_with_all() -> None:
    before = "from numpy import exp, sum as total\nimport numpy as np\ny = exp(1) + total(2)\n"
    after = "from numpy import exp, sum as total\nimport numpy as np\ny = np.logaddexp(1, 2)\n"
    assert tidy(before, after) == "import numpy as np\ny = np.logaddexp(1, 2)\n"
    assert tidy(before, after, "pkg/__init__.py") == after
    exported = "__all__ = ['exp']\n" + after
    assert tidy("__all__ = ['exp']\n" + before, exported) == exported
    partly = after.replace("np.logaddexp(1, 2)", "np.logaddexp(1, total(2))")
    assert tidy(before, partly).startswith("from numpy import sum as total\n")


def test_an_import_shadowed_by_a_local_counts_as_unread() -> None:
    before = ("from numpy import sum as total\n\ndef f(x):\n    return total(x)\n\n"
              "def g(xs):\n    total = 0\n    return total\n")
    after = before.replace("return total(x)", "return x.sum()")
    assert not tidy(before, after).startswith("from numpy")


# --- parentheses ---------------------------------------------------------------------


def test_parentheses_around_a_replaced_call_are_dropped() -> None:
    fixed = _fix("import torch\n\n\ndef f(logq):\n    return -(torch.exp(logq) - 1)\n")
    assert "return -torch.expm1(logq)\n" in fixed
    fixed = _fix("import torch\n\n\ndef f(logq):\n    return ((torch.exp(logq) - 1) - logq)\n")
    assert "return (torch.expm1(logq) - logq)\n" in fixed  # the author's own pair stays


# --- fixes offered where the spelling allows one -----------------------------------


def test_torch_sum_with_numpys_keepdims_gets_the_fix_keepdim_gets() -> None:
    code = ("import torch\n\n\ndef f(x):\n    e = torch.exp(x)\n"
            "    return e / torch.sum(e, dim=0, {}=True)\n")
    fixed = {kw: _fix(code.format(kw)) for kw in ("keepdim", "keepdims")}
    assert fixed["keepdims"] == fixed["keepdim"]
    assert "return torch.softmax(x, dim=0)\n" in fixed["keepdims"]


def test_math_logaddexp_by_hand_is_fixed_with_numpy_when_the_file_imports_it() -> None:
    code = "import math\n{}\n\ndef f(a, b):\n    return math.log(math.exp(a) + math.exp(b))\n"
    assert "np.logaddexp(a, b)" in _fix(code.format("import numpy as np\n"))
    assert _fix(code.format("")) == code.format("")  # math alone has no logaddexp


# --- line length ---------------------------------------------------------------------


def test_line_length_is_ruffs(tmp_path: Path) -> None:
    assert line_length(str(tmp_path / "a.py")) == DEFAULT_LINE_LENGTH
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert line_length(str(tmp_path / "a.py")) == DEFAULT_LINE_LENGTH  # no [tool.ruff]
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    assert line_length(str(tmp_path / "sub" / "a.py")) == 100
    (tmp_path / "sub" / "ruff.toml").write_text("line-length = 79\n")
    assert line_length(str(tmp_path / "sub" / "b.py")) == 79


def test_fit_breaks_inside_brackets_as_black_would() -> None:
    content = ("np.exp(z - np.max(z, axis=-1, keepdims=True)) / np.sum(np.exp(z - "
               "np.max(z, axis=-1, keepdims=True)), axis=-1, keepdims=True)")
    wrapped = fit("    return ", content, "  # note", 88)
    assert wrapped == (
        "np.exp(z - np.max(z, axis=-1, keepdims=True)) / np.sum(\n"
        "        np.exp(z - np.max(z, axis=-1, keepdims=True)), axis=-1, keepdims=True\n"
        "    )")
    assert fit("    return ", "f(x)", "", 88) == "f(x)"  # fits already
    assert fit("x = ", "a_very_long_name_" * 10, "", 88) == "a_very_long_name_" * 10  # no bracket


def test_a_line_the_fix_made_too_long_is_wrapped_one_that_was_long_is_not(tmp_path) -> None:
    long_args = ", ".join(f"arg{i}" for i in range(13))  # `return g(...)` is 93 long
    before = f"def function_named_at_length({long_args}):\n    return g({long_args})\n"
    after = before.replace("return g(", "return gg_with_a_longer_name(")
    wrapped = wrap_long_lines(before, after, 100)
    assert wrapped != after and all(len(line) <= 100 for line in wrapped.splitlines()[1:])
    compile(wrapped, "x", "exec")
    # The `def` line was too long before: left as written.
    assert wrapped.splitlines()[0] == before.splitlines()[0]


def test_the_motivating_fix_respects_the_projects_line_length(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    target = tmp_path / "s.py"
    shutil.copyfile(ROOT / "fixtures" / "support_reply_scoring.py", target)
    assert main(["check", "--fix", "--unsafe-fixes", "-q", "--exit-zero", str(target)]) == 0
    lines = target.read_text().splitlines()
    original = (ROOT / "fixtures" / "support_reply_scoring.py").read_text().splitlines()
    assert max(len(line) for line in lines if line not in original) <= 100


# --- the real Ruff on every fixture ---------------------------------------------------


def _ruff(folder: Path) -> collections.Counter[tuple[str, str]]:
    """Ruff's F, E501 and UP findings, counted per file and code."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "F,E501,UP", "--isolated",
         "--no-cache", "--output-format", "json", "--exit-zero", "."],
        cwd=folder, capture_output=True, text=True, check=True)
    return collections.Counter((Path(f["filename"]).relative_to(folder).as_posix(), f["code"])
                               for f in json.loads(result.stdout))


@pytest.mark.slow
def test_ruff_finds_nothing_new_after_fixing_every_fixture(tmp_path: Path) -> None:
    pytest.importorskip("ruff")
    folder = tmp_path / "fixtures"
    shutil.copytree(ROOT / "fixtures", folder)
    before = _ruff(folder)
    main(["check", "--fix", "--unsafe-fixes", "--select", "ALL", "-q", "--exit-zero",
          str(folder)])
    after = _ruff(folder)
    changed = [p for p in folder.rglob("*.py")
               if p.read_bytes() != (ROOT / "fixtures" / p.relative_to(folder)).read_bytes()]
    assert len(changed) > 40  # the fixes were applied
    new = after - before
    assert not new, f"Ruff reports what the fixes left: {dict(new)}"
    assert sum(before.values()) > 0  # Ruff did run on the fixtures
