"""The command line: check, explain, rules, exit codes, --diff, JSON in Ruff's schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scorelint.frontends.cli import main

ROOT = Path(__file__).resolve().parent.parent
BUGGY = "import numpy as np\n\ndef score(p):\n    return np.log(np.prod(p, axis=-1))\n"
FIXED = "import numpy as np\n\ndef score(p):\n    return np.sum(np.log(p), axis=-1)\n"
LOGITS = "import numpy as np\n\ndef norm(logits):\n    return logits / logits.sum(-1, keepdims=True)\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(BUGGY)
    (tmp_path / "pkg" / "b.py").write_text(LOGITS)
    (tmp_path / "pkg" / "clean.py").write_text("import numpy as np\nx = np.log(3)\n")
    for skipped in (".git", "__pycache__", ".venv", "build", "node_modules"):
        (tmp_path / skipped).mkdir()
        (tmp_path / skipped / "bad.py").write_text(BUGGY)
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "env" / "bad.py").write_text(BUGGY)
    return tmp_path


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict]]:
    code = main([*args, "--output-format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_recurses_and_skips_tool_folders(tree: Path, capsys) -> None:
    code, found = run_json(["check", str(tree)], capsys)
    assert code == 1
    assert sorted((Path(f["filename"]).name, f["code"]) for f in found) == [
        ("a.py", "SL201"), ("b.py", "SL101")]


def test_default_path_is_the_working_directory(tree: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tree / "pkg")
    code, found = run_json(["check"], capsys)
    assert code == 1 and len(found) == 2


def test_select_and_ignore_take_prefixes(tree: Path, capsys) -> None:
    assert {f["code"] for f in run_json(["check", str(tree), "--select", "SL2"], capsys)[1]} == {"SL201"}
    assert {f["code"] for f in run_json(["check", str(tree), "--ignore", "SL20"], capsys)[1]} == {"SL101"}
    code, found = run_json(["check", str(tree), "--select", "SL1,SL2", "--ignore", "SL101,SL201"], capsys)
    assert (code, found) == (0, [])


def test_unknown_selector_is_a_usage_error(tree: Path, capsys) -> None:
    assert main(["check", str(tree), "--select", "SL999"]) == 2
    assert "unknown rule selector" in capsys.readouterr().err


def test_json_is_rufs_schema(tree: Path, capsys) -> None:
    _, found = run_json(["check", str(tree / "pkg" / "a.py")], capsys)
    (item,) = found
    assert set(item) >= {"code", "name", "message", "filename", "location", "end_location",
                         "fix", "url", "noqa_row"}
    assert item["location"] == {"row": 4, "column": 12}
    assert item["end_location"] == {"row": 4, "column": 39}
    assert item["name"] == "log-of-product" and item["noqa_row"] == 4
    assert os.path.isabs(item["filename"])
    fix = item["fix"]
    assert fix["applicability"] == "safe" and fix["message"]
    assert fix["edits"] == [{"content": "np.sum(np.log(p), axis=-1)",
                             "location": {"row": 4, "column": 12},
                             "end_location": {"row": 4, "column": 39}}]


def test_fix_writes_safe_fixes_only_unless_unsafe(tree: Path, capsys) -> None:
    a, b = tree / "pkg" / "a.py", tree / "pkg" / "b.py"
    assert main(["check", "--fix", str(tree / "pkg")]) == 1  # the unsafe SL101 remains
    assert a.read_text() == FIXED and b.read_text() == LOGITS
    assert "1 hidden fix can be enabled with the `--unsafe-fixes` option" in capsys.readouterr().out
    assert main(["check", "--fix", "--unsafe-fixes", str(tree / "pkg")]) == 0
    assert "logits.sum" not in b.read_text()


def test_diff_prints_a_patch_and_writes_nothing(tree: Path, capsys) -> None:
    a = tree / "pkg" / "a.py"
    before = a.stat()
    code = main(["check", "--diff", str(a)])
    out = capsys.readouterr()
    assert code == 1
    assert "-    return np.log(np.prod(p, axis=-1))" in out.out
    assert "+    return np.sum(np.log(p), axis=-1)" in out.out
    assert "Would fix 1 error." in out.err
    assert a.read_text() == BUGGY and a.stat().st_mtime_ns == before.st_mtime_ns


def test_exit_zero(tree: Path, capsys) -> None:
    assert main(["check", "--exit-zero", str(tree)]) == 0
    assert "SL201" in capsys.readouterr().out


def test_bad_files_are_sl000_and_good_files_still_report(tree: Path, capsys, monkeypatch) -> None:
    pkg = tree / "pkg"
    # The comment holds a trigger: a file without one is not parsed at all (see test_gate).
    (pkg / "syntax.py").write_text("import numpy as np  # w / np.sum(w)\ndef broken(:\n    pass\n")
    (pkg / "latin.py").write_bytes(b"x = '\xe9t\xe9'\n")
    (pkg / "binary.py").write_bytes(b"\x7fELF\x00\x01")
    (pkg / "dangling.py").symlink_to(pkg / "missing.py")
    (pkg / "secret.py").write_text(BUGGY)
    real_open = open

    def guarded_open(path, *args, **kwargs):  # root reads a chmod-000 file, so deny it here
        if str(path).endswith("secret.py"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", guarded_open)
    code, found = run_json(["check", str(pkg)], capsys)
    assert code == 2
    errors = {Path(f["filename"]).name: f["message"] for f in found if f["code"] == "SL000"}
    assert errors["syntax.py"] == "syntax error at line 2: invalid syntax"
    assert errors["latin.py"] == "not valid utf-8 (byte 5: b'\\xe9')"
    assert errors["binary.py"] == "binary file (contains a NUL byte)"
    assert "dangling.py" not in errors  # skipped with a note (issue 10)
    assert errors["secret.py"] == "cannot read: Permission denied"
    assert {f["code"] for f in found if f["code"] != "SL000"} == {"SL101", "SL201"}


def test_text_output_shows_source_caret_and_fix(tree: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tree)
    assert main(["check", "pkg/a.py"]) == 1
    out = capsys.readouterr().out
    assert "pkg/a.py:4:12: SL201 `np.log(np.prod(p, axis=-1))` underflows" in out
    assert "4 |     return np.log(np.prod(p, axis=-1))" in out
    assert "  | " + " " * 11 + "^" * 27 + "\n" in out
    assert "= fix (safe): Replace with `np.sum(np.log(p), axis=-1)`" in out
    assert "\033[" not in out  # no colour when not a terminal


def test_explain_prints_the_math(capsys) -> None:
    assert main(["explain", "SL201"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# log-of-product (SL201)")
    assert "## Why is this bad?" in out and "sum_i log Pr(y_i | x, y_<i)" in out
    assert main(["explain", "log-of-product"]) == 0
    assert main(["explain", "SL999"]) == 2


def test_rules_lists_code_name_fix_and_safety(capsys) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert "SL201   log-of-product" in out and "sometimes  safe" in out
    assert main(["rules", "--output-format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"code": "SL101", "name": "logits-divided-by-sum", "fix": "sometimes",
            "safety": "unsafe", "url": rows[0]["url"], "default": True} == rows[0]
    # An opt-in rule is listed, and said to be off unless selected.
    assert {"code": "SL208", "default": False}.items() <= next(
        r for r in rows if r["code"] == "SL208").items()
    assert main(["rules"]) == 0
    assert "SL208" in capsys.readouterr().out.split("opt-in")[0]


def test_opt_in_rule_runs_only_when_selected(tmp_path: Path, capsys) -> None:
    target = tmp_path / "floored.py"
    target.write_text("import torch\nimport torch.nn.functional as F\n"
                      "lp = torch.log(F.softmax(x, dim=-1) + 1e-9)\n")
    assert main(["check", "--output-format", "concise", str(target)]) == 0
    capsys.readouterr()
    assert main(["check", "--output-format", "concise", "--extend-select", "SL208",
                 str(target)]) == 1
    assert "SL208" in capsys.readouterr().out


def test_python_dash_m_and_console_script(tree: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "scorelint", "check", str(tree / "pkg" / "a.py")],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 1 and "SL201" in run.stdout
    assert subprocess.run([sys.executable, "-m", "scorelint", "--version"],
                          capture_output=True, text=True, check=False).stdout.startswith("scorelint ")


def test_no_command_and_bad_flags_exit_2(capsys) -> None:
    assert main([]) == 2
    assert main(["check", "--no-such-flag"]) == 2


def test_scorelint_lints_its_own_sources(capsys) -> None:
    assert main(["check", str(ROOT / "scorelint"), str(ROOT / "rules")]) == 0
