"""What a Ruff user notices first, with Ruff as the reference (issue 20, point 5)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import scorelint
from scorelint.frontends.cli import main
from scorelint.run import config

ROOT = Path(__file__).resolve().parents[1]
BUGGY = "import numpy as np\n\n\ndef score(p):\n    return np.log(np.prod(p, axis=-1))\n"
FIXED = "import numpy as np\n\n\ndef score(p):\n    return np.sum(np.log(p), axis=-1)\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "score.py").write_text(BUGGY)
    (tmp_path / "clean.py").write_text("x = 1\n")
    return tmp_path


def test_json_has_every_key_ruffs_json_has(project: Path, capsys) -> None:
    pytest.importorskip("ruff")
    ruff = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--select", "F401",
                           "--output-format", "json", "--exit-zero", "-"],
                          input="import os\n", capture_output=True, text=True, check=True)
    (theirs,) = json.loads(ruff.stdout)
    main(["check", "--output-format", "json", "score.py"])
    (ours,) = json.loads(capsys.readouterr().out)
    assert set(theirs) <= set(ours), set(theirs) - set(ours)
    assert ours["severity"] == theirs["severity"] == "error"


@pytest.mark.parametrize("jobs", ["-3", "0", "two"])
def test_jobs_must_be_a_number_of_workers(project: Path, jobs: str, capsys) -> None:
    assert main(["check", "-j", jobs, "score.py"]) == 2
    assert "argument -j/--jobs" in capsys.readouterr().err


def test_a_baseline_run_says_how_many_findings_it_hid(project: Path, capsys) -> None:
    assert main(["check", "--baseline", "b.json", "--write-baseline", "score.py"]) == 0
    capsys.readouterr()
    assert main(["check", "--baseline", "b.json", "score.py"]) == 0
    out, err = capsys.readouterr()
    assert "All checks passed!" in out
    assert "1 finding hidden by the baseline b.json" in err
    assert main(["check", "-q", "--baseline", "b.json", "score.py"]) == 0
    assert capsys.readouterr().err == ""  # quiet is quiet


def test_a_bad_selector_is_named_as_the_caller_gave_it() -> None:
    with pytest.raises(config.ConfigError, match=r"^check_source\(select=\.\.\.\): unknown rule"):
        scorelint.check_source("x = 1\n", select=["SL999"])
    with pytest.raises(config.ConfigError, match=r"^check_source\(ignore=\.\.\.\)"):
        scorelint.check_source("x = 1\n", ignore=["SLX"])
    from scorelint.frontends.server import ClientSettings, ScorelintServer

    server = ScorelintServer()
    server.state.settings = ClientSettings.parse({"settings": {"extendSelect": ["SL99"]}})
    with pytest.raises(config.ConfigError, match="^the editor's `extendSelect` setting: "):
        server.check("file:///tmp/x.py", "x = 1\n")


def test_show_files_lists_what_would_be_checked(project: Path, capsys) -> None:
    (project / "pyproject.toml").write_text('[tool.scorelint]\nextend-exclude = ["gen/"]\n')
    (project / "gen").mkdir()
    (project / "gen" / "skip.py").write_text(BUGGY)
    assert main(["check", "--show-files"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed == [str(project / "clean.py"), str(project / "score.py")]
    assert (project / "score.py").read_text() == BUGGY


def test_show_settings_prints_the_first_files_settings(project: Path, capsys) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.scorelint]\nselect = ["SL2"]\nignore = ["SL207"]\nunsafe-fixes = true\n'
        '[tool.ruff]\nline-length = 100\n')
    assert main(["check", "--show-settings", "score.py"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f'Resolved settings for: "{project / "score.py"}"\n')
    values = dict(line.split(" = ", 1) for line in out.splitlines()[1:])
    assert json.loads(values["config"]) == str(project / "pyproject.toml")
    codes = json.loads(values["select"])
    assert "SL201" in codes and "SL207" not in codes and "SL101" not in codes
    assert values["unsafe-fixes"] == "true" and values["line-length (for fixes)"] == "100"
    assert main(["check", "--show-settings", "--show-files"]) == 2  # one look at a time


def test_add_noqa_marks_each_finding_and_the_next_run_is_clean(project: Path, capsys) -> None:
    (project / "more.py").write_text(
        "import numpy as np\n"
        "a = np.log(np.prod(p))  # noqa: E501\n"
        "b = np.log(np.prod(q))  # noqa\n"
        "c = np.log(np.prod(f('''\n'''))); d = np.log(np.prod(r))\n")
    assert main(["check", "--add-noqa", "."]) == 0
    assert "Added 3 noqa directives." in capsys.readouterr().err
    assert (project / "score.py").read_text() == BUGGY.replace(
        "axis=-1))\n", "axis=-1))  # noqa: SL201\n")
    more = (project / "more.py").read_text().splitlines()
    assert more[1] == "a = np.log(np.prod(p))  # noqa: E501, SL201"  # joins Ruff's list
    assert more[2] == "b = np.log(np.prod(q))  # noqa"  # a bare noqa silences it already
    assert more[3] == "c = np.log(np.prod(f('''"  # a comment here would be inside a string
    assert more[4] == "'''))); d = np.log(np.prod(r))  # noqa: SL201"
    assert main(["check", "score.py"]) == 0


def test_exit_non_zero_on_fix(project: Path, capsys) -> None:
    assert main(["check", "--fix", "score.py"]) == 0  # nothing left: Ruff exits 0 too
    (project / "score.py").write_text(BUGGY)
    assert main(["check", "--fix", "--exit-non-zero-on-fix", "score.py"]) == 1
    assert (project / "score.py").read_text() == FIXED
    assert main(["check", "--fix", "--exit-non-zero-on-fix", "score.py"]) == 0  # nothing to fix


def test_output_file_gets_the_report(project: Path, capsys) -> None:
    assert main(["check", "--output-format", "json", "-o", "report.json", "score.py"]) == 1
    assert capsys.readouterr().out == ""
    (finding,) = json.loads((project / "report.json").read_text())
    assert finding["code"] == "SL201"
    assert main(["check", "--output-file", "missing/report.txt", "score.py"]) == 2


@pytest.mark.slow
def test_the_repository_root_reports_nothing_of_its_own_fixtures(monkeypatch, capsys) -> None:
    monkeypatch.chdir(ROOT)
    code = main(["check", "--no-cache", "--output-format", "concise", "."])
    out = capsys.readouterr().out
    assert "fixtures/" not in out and "tests/data/" not in out, out
    assert code == 0, out
    assert os.path.isfile(ROOT / "fixtures" / "support_reply_scoring.py")
    assert main(["check", "--no-cache", "fixtures/support_reply_scoring.py"]) == 1  # named: checked
