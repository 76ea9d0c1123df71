"""The rule index (`scorelint/engine/rule_index.py`) says what the rules say, and a run with
nothing to match never imports the rules or LibCST (issue 9: start-up)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scorelint.engine import registry

ROOT = Path(__file__).resolve().parent.parent


def test_the_index_is_the_rules_metadata() -> None:
    expected = registry.render_index()
    actual = (ROOT / "scorelint" / "engine" / "rule_index.py").read_text(encoding="utf-8")
    assert actual == expected, (
        "scorelint/engine/rule_index.py is stale: regenerate it with\n"
        "python -c \"from scorelint.engine import registry; print(registry.render_index(), end='')\""
        " > scorelint/engine/rule_index.py")
    assert registry.index() == tuple(registry.info(rule) for rule in registry.all_rules())


def _modules_after(argv: list[str], cwd: Path) -> set[str]:
    probe = ("import runpy, sys\n"
             f"sys.argv = ['scorelint', *{argv!r}]\n"
             "try:\n    runpy.run_module('scorelint', run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             "print('\\n'.join(sys.modules), file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=cwd, capture_output=True,
                          text=True, check=True)
    return set(done.stderr.split())


def test_nothing_to_match_loads_no_rule_and_no_libcst(tmp_path: Path) -> None:
    (tmp_path / "plain.py").write_text("x = 1  # noqa: SL101\n", encoding="utf-8")
    for argv in (["check", "--no-cache", "plain.py"], ["rules"], ["--version"]):
        loaded = _modules_after(argv, tmp_path)
        assert "libcst" not in loaded, argv
        assert not any(m.startswith("scorelint.rules") for m in loaded), argv


def test_a_file_a_rule_may_match_still_loads_them(tmp_path: Path) -> None:
    (tmp_path / "probs.py").write_text(
        "import numpy as np\np = np.log(np.prod(q))\n", encoding="utf-8")
    loaded = _modules_after(["check", "--no-cache", "probs.py"], tmp_path)
    assert "libcst" in loaded and "scorelint.rules" in loaded


def test_a_fix_is_spelled_without_libcst_s_matchers(tmp_path: Path) -> None:
    """Importing `libcst.matchers` took 0.4 s of a run's first fix; the spelling of a fix
    reads the tree with our own walk."""
    (tmp_path / "probs.py").write_text(
        "import numpy as np\np = np.log(np.prod(q))\n", encoding="utf-8")
    loaded = _modules_after(["check", "--no-cache", "--diff", "probs.py"], tmp_path)
    assert "scorelint.model.spelling" in loaded  # a fix was spelled
    assert not any(m.startswith("libcst.matchers") for m in loaded)
