"""The shell side of issue 11: stdin, Ruff's everyday flags, exit codes, living beside Ruff."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from scorelint.frontends.cli import main

BUGGY = "import numpy as np\n\ndef score(p):\n    return np.log(np.prod(p, axis=-1))\n"
FIXED = "import numpy as np\n\ndef score(p):\n    return np.sum(np.log(p), axis=-1)\n"
LOGITS = "\ndef norm(logits):\n    return logits / logits.sum(-1, keepdims=True)\n"
SCORELINT = [sys.executable, "-m", "scorelint"]
# Bounded waits for subprocesses (a hung child fails the test, it does not hang the suite).
WAIT = 60.0


def scorelint(*args: str, stdin: str | None = None, cwd: Path | None = None,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SCORELINT, *args], input=stdin, capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, **(env or {})}, timeout=WAIT, check=False)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "a.py").write_text(BUGGY + LOGITS)
    monkeypatch.chdir(tmp_path)
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


# --- standard input -------------------------------------------------------------------


def test_check_dash_reads_standard_input(project: Path) -> None:
    run = scorelint("check", "-", stdin=BUGGY, cwd=project)
    assert run.returncode == 1
    assert run.stdout.startswith("-:4:12: SL201 `np.log(np.prod(p, axis=-1))` underflows")
    clean = scorelint("check", "-", stdin=FIXED, cwd=project)
    assert (clean.returncode, clean.stdout) == (0, "All checks passed!\n")


def test_fix_from_stdin_prints_the_fixed_source_and_writes_nothing(project: Path) -> None:
    before = sorted(p.name for p in project.iterdir())
    run = scorelint("check", "--fix", "-", stdin=BUGGY, cwd=project)
    assert (run.returncode, run.stdout) == (0, FIXED)
    assert "Fixed 1 error." in run.stderr
    left = scorelint("check", "--fix", "--stdin-filename", "a.py", "-", stdin=BUGGY + LOGITS,
                     cwd=project)
    assert left.returncode == 1  # the unsafe SL101 remains, reported on stderr
    assert left.stdout == FIXED + LOGITS
    assert left.stderr.startswith("a.py:7:12: SL101")
    silent = scorelint("check", "--silent", "--fix", "-", stdin=BUGGY + LOGITS, cwd=project)
    assert (silent.returncode, silent.stdout, silent.stderr) == (1, FIXED + LOGITS, "")
    assert sorted(p.name for p in project.iterdir()) == before
    assert (project / "a.py").read_text() == BUGGY + LOGITS


def test_diff_from_stdin_prints_the_patch(project: Path) -> None:
    run = scorelint("check", "--diff", "--stdin-filename", "pkg/score.py", stdin=BUGGY,
                    cwd=project)
    assert run.returncode == 1
    assert run.stdout.splitlines()[:2] == ["--- a/pkg/score.py", "+++ b/pkg/score.py"]
    assert "-    return np.log(np.prod(p, axis=-1))\n+    return np.sum(np.log(p), axis=-1)\n" \
        in run.stdout
    assert run.stderr == "Would fix 1 error.\n"
    assert scorelint("check", "--diff", "-", stdin=FIXED, cwd=project).returncode == 0


def test_stdin_filename_picks_the_configuration_and_per_file_ignores(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.scorelint]\nper-file-ignores = { "tests/**" = ["SL201"] }\n')
    assert scorelint("check", "--stdin-filename", "tests/t.py", "-", stdin=BUGGY,
                     cwd=project).returncode == 0
    run = scorelint("check", "--stdin-filename", "src/s.py", stdin=BUGGY, cwd=project)
    assert run.returncode == 1 and run.stdout.startswith("src/s.py:4:12: SL201")


def test_stdin_syntax_error_and_bad_combinations(project: Path, capsys) -> None:
    # The comment holds a trigger: a text without one is not parsed at all (see test_gate).
    run = scorelint("check", "-", stdin="def broken(:  # w / np.sum(w)\n", cwd=project)
    assert run.returncode == 2 and "SL000 syntax error at line 1" in run.stdout
    assert main(["check", "-", "a.py"]) == 2
    assert "cannot be combined with other paths" in capsys.readouterr().err
    assert main(["check", "--watch", "-"]) == 2
    assert "cannot watch standard input" in capsys.readouterr().err


def test_python_api_is_what_stdin_uses(project: Path) -> None:
    import scorelint

    result = scorelint.check_source(BUGGY + LOGITS, path="a.py", fix=True)
    assert [f.code for f in result.fixed] == ["SL201"]
    assert [f.code for f in result.findings] == ["SL101"]
    assert result.text == FIXED + LOGITS
    assert [f.code for f in scorelint.check_source(BUGGY + LOGITS, select=["SL1"]).findings] \
        == ["SL101"]


# --- Ruff's everyday flags --------------------------------------------------------------


def test_statistics_counts_per_code_with_fix_availability(project: Path, capsys) -> None:
    (project / "b.py").write_text(BUGGY)
    assert main(["check", "--statistics", "."]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[:2] == ["2\tSL201\t[*] log-of-product",
                                    "1\tSL101\t[ ] logits-divided-by-sum"]
    assert "Found 3 errors." in out and "  |" not in out  # counts instead of the findings
    assert main(["check", "--statistics", "--output-format", "json", "."]) == 1
    assert json.loads(capsys.readouterr().out)[1] == {
        "code": "SL101", "name": "logits-divided-by-sum", "count": 1, "fixable": False,
        "fixable_count": 0}
    assert main(["check", "--statistics", "--output-format", "sarif", "."]) == 2


def test_show_fixes_lists_what_was_fixed(project: Path, capsys) -> None:
    assert main(["check", "--show-fixes", "a.py"]) == 1
    assert "Would fix 1 error:\n- a.py:\n    1 × SL201 (log-of-product)\n" in \
        capsys.readouterr().out
    assert main(["check", "--fix", "--show-fixes", "a.py"]) == 1
    out = capsys.readouterr().out
    assert "\n\nFixed 1 error:\n- a.py:\n    1 × SL201 (log-of-product)\n\n" \
           "Found 2 errors (1 fixed, 1 remaining)." in out
    assert main(["check", "--diff", "--show-fixes", "a.py"]) == 2


@pytest.mark.parametrize(("flag", "env", "coloured"), [
    ("always", {}, True),
    ("never", {"FORCE_COLOR": "1"}, False),
    ("auto", {}, False),  # not a terminal
    ("auto", {"FORCE_COLOR": "1"}, True),
    ("auto", {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
])
def test_color_flag_and_environment(project: Path, capsys, monkeypatch, flag: str,
                                    env: dict[str, str], coloured: bool) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for output_format in ("text", "concise"):
        main(["check", "--color", flag, "--output-format", output_format, "a.py"])
        assert ("\033[" in capsys.readouterr().out) is coloured


@pytest.mark.skipif(os.name != "posix", reason="needs a pseudo-terminal")
def test_concise_output_is_coloured_on_a_terminal(project: Path) -> None:
    from terminal import run_on_terminal

    code, out = run_on_terminal(["check", "--output-format", "concise", "a.py"], cwd=project)
    assert code == 1
    assert b"\033[31mSL201\033[0m \033[36m[*]\033[0m" in out


def test_quiet_and_silent(project: Path, capsys) -> None:
    assert main(["check", "-q", "a.py"]) == 1
    out = capsys.readouterr().out
    assert "SL201" in out and "Found" not in out and "fixable" not in out
    assert main(["check", "--quiet", "--output-format", "concise", "a.py"]) == 1
    assert capsys.readouterr().out.count("\n") == 2  # two findings, no summary
    assert main(["check", "-s", "a.py"]) == 1
    assert capsys.readouterr() == ("", "")
    assert main(["check", "--silent", "--select", "SL9"]) == 2
    assert "unknown rule selector" in capsys.readouterr().err  # usage errors still say why


def test_version_subcommand(capsys) -> None:
    from scorelint import __version__

    assert main(["version"]) == 0
    assert capsys.readouterr().out == f"scorelint {__version__}\n"
    assert main(["version", "--output-format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"version": __version__}


def test_typos_suggest_the_closest_flag_or_subcommand(capsys) -> None:
    assert main(["chek", "."]) == 2
    assert "did you mean 'check'?" in capsys.readouterr().err
    assert main(["check", "--statstics", "."]) == 2
    assert "--statstics (did you mean '--statistics'?)" in capsys.readouterr().err
    assert main(["check", "--output-format", "jsno", "."]) == 2
    assert "did you mean 'json'?" in capsys.readouterr().err
    assert main(["check", "--stat", "."]) == 2  # no abbreviations, as in Ruff


def test_bad_select_lists_every_valid_selector(capsys) -> None:
    from scorelint.run.config import selectable_codes

    assert main(["check", "--select", "SL2O1", "."]) == 2
    err = capsys.readouterr().err
    assert "unknown rule selector 'SL2O1'; did you mean 'SL201'?" in err
    listed = err.split("Valid selectors: ", 1)[1].strip().split(", ")
    assert "ALL" in listed and "SL" in listed and "SL2" in listed
    assert set(selectable_codes()) <= set(listed)  # the whole list, not the first dozen


@pytest.mark.slow
def test_watch_reruns_when_a_file_changes(project: Path) -> None:
    (project / "a.py").write_text(BUGGY)
    child = subprocess.Popen([*SCORELINT, "check", "--watch", "."], cwd=project, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in child.stdout],
                     daemon=True).start()

    def read_until(marker: str) -> str:
        seen, deadline = [], time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            seen.append(line)
            if marker in line:
                return "".join(seen)
        raise AssertionError(f"no {marker!r} within {WAIT}s; got {''.join(seen)!r}")

    try:
        assert "Found 1 error." in read_until("Watching for file changes.")
        (project / "a.py").write_text(FIXED)
        rerun = read_until("Watching for file changes.")
        assert "checking again" in rerun and "All checks passed!" in rerun
    finally:
        child.send_signal(signal.SIGINT)
        child.wait(timeout=WAIT)


def test_watch_refuses_a_missing_path(project: Path, capsys) -> None:
    assert main(["check", "--watch", "nowhere"]) == 2
    assert "cannot watch nowhere" in capsys.readouterr().err


# --- exit codes ---------------------------------------------------------------------------


def test_exit_zero_does_not_hide_a_file_that_could_not_be_checked(project: Path) -> None:
    (project / "broken.py").write_text("def broken(:  # w / np.sum(w)\n")  # see test_gate
    assert main(["check", "--exit-zero", "a.py"]) == 0
    assert main(["check", "--exit-zero", "a.py", "broken.py"]) == 2
    (project / "latin.py").write_bytes(b"x = '\xe9'\n")
    assert main(["check", "--exit-zero", "latin.py"]) == 2


def test_exit_zero_does_not_hide_a_missing_path(project: Path, capsys) -> None:
    assert main(["check", "--exit-zero", "a.py", "missing.py"]) == 2
    assert "missing.py:1:1: SL000 no such file or directory" in capsys.readouterr().out


def test_sarif_puts_missing_and_unreadable_files_in_notifications(project: Path, capsys) -> None:
    (project / "latin.py").write_bytes(b"x = '\xe9'\n")
    assert main(["check", "--output-format", "sarif", "a.py", "latin.py", "missing.py"]) == 2
    (run,) = json.loads(capsys.readouterr().out)["runs"]
    assert {r["ruleId"] for r in run["results"]} == {"SL101", "SL201"}
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    notes = {n["message"]["text"]: n for n in invocation["toolExecutionNotifications"]}
    assert set(notes) == {"latin.py: not valid utf-8 (byte 5: b'\\xe9')",
                          "missing.py: no such file or directory"}
    assert notes["missing.py: no such file or directory"].get("locations") is None
    (where,) = notes["latin.py: not valid utf-8 (byte 5: b'\\xe9')"]["locations"]
    assert "region" not in where["physicalLocation"]


# --- beside Ruff --------------------------------------------------------------------------


def ruff(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ruff", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=WAIT, check=False)


@pytest.mark.parametrize(("external", "survives"), [(False, False), (True, True)])
def test_ruff_keeps_our_noqa_only_with_lint_external(tmp_path: Path, external: bool,
                                                    survives: bool) -> None:
    table = '[tool.ruff.lint]\nextend-select = ["RUF100", "RUF102"]\n'
    (tmp_path / "pyproject.toml").write_text(table + ('external = ["SL"]\n' * external))
    line = "    return np.log(np.prod(p))  # noqa: SL201\n"
    (tmp_path / "score.py").write_text(f"import numpy as np\n\n\ndef score(p):\n{line}")
    done = ruff("check", "--fix", "score.py", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (line in (tmp_path / "score.py").read_text()) is survives
