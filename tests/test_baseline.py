"""`--baseline FILE` / `--write-baseline`: old findings stay quiet, new ones are reported."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from scorelint.frontends.cli import main

OLD = ("import numpy as np\n"
       "\n"
       "def score(p):\n"
       "    return np.log(np.prod(p, axis=-1))\n")


def rows(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[tuple[str, int]]]:
    code = main(["check", *args, "--output-format", "json"])
    found = json.loads(capsys.readouterr().out)
    return code, [(f["code"], f["location"]["row"]) for f in found]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "model.py").write_text(OLD)
    return tmp_path


def test_write_then_check_reports_only_new_findings(project: Path, capsys) -> None:
    assert main(["check", "src", "--baseline", "baseline.json", "--write-baseline"]) == 0
    assert "Wrote 1 finding to baseline.json." in capsys.readouterr().err
    data = json.loads((project / "baseline.json").read_text())
    (entry,) = data["findings"]
    assert data["version"] == 1
    assert (entry["path"], entry["code"], entry["index"]) == ("src/model.py", "SL201", 0)
    assert rows(["src", "--baseline", "baseline.json"], capsys) == (0, [])

    # Lines inserted above the finding (and edits elsewhere) do not make it new.
    moved = OLD.replace("import numpy as np\n",
                        "import numpy as np\nimport math\n\n\nEPS = 1e-9  # a new constant\n")
    (project / "src" / "model.py").write_text(moved)
    assert rows(["src", "--baseline", "baseline.json"], capsys) == (0, [])

    # A genuinely new finding is reported, even one identical to the old one.
    (project / "src" / "model.py").write_text(
        moved + "\ndef again(q):\n    return np.log(np.prod(q, axis=-1))\n"
        "\ndef twin(p):\n    return np.log(np.prod(p, axis=-1))\n")
    code, found = rows(["src", "--baseline", "baseline.json"], capsys)
    assert code == 1 and found == [("SL201", 11), ("SL201", 14)]
    # --show-suppressed lists the baselined one too, marked.
    assert main(["check", "src", "--baseline", "baseline.json", "--show-suppressed"]) == 1
    out = capsys.readouterr().out
    assert out.count("[suppressed by baseline]") == 1 and "src/model.py:8:12: SL201" in out


def test_baseline_paths_are_relative_to_its_folder(project: Path, capsys, monkeypatch) -> None:
    assert main(["check", "src", "--baseline", "baseline.json", "--write-baseline"]) == 0
    monkeypatch.chdir(project / "src")
    assert rows([".", "--baseline", os.path.join("..", "baseline.json")], capsys) == (0, [])
    monkeypatch.chdir(project.parent)
    assert rows([str(project), "--baseline", str(project / "baseline.json")], capsys) == (0, [])


def test_fixed_findings_are_noted_and_dropped_on_rewrite(project: Path, capsys) -> None:
    (project / "src" / "other.py").write_text(OLD)
    assert main(["check", "src", "--baseline", "b.json", "--write-baseline"]) == 0
    (project / "src" / "model.py").write_text("import numpy as np\n")
    assert rows(["src", "--baseline", "b.json"], capsys) == (0, [])
    assert main(["check", "src", "--baseline", "b.json"]) == 0
    assert "1 finding in b.json no longer occur" in capsys.readouterr().err
    # Rewriting for one file keeps the entries of files not checked this time.
    assert main(["check", "src/model.py", "--baseline", "b.json", "--write-baseline"]) == 0
    paths = [e["path"] for e in json.loads((project / "b.json").read_text())["findings"]]
    assert paths == ["src/other.py"]


def test_baseline_mistakes_are_usage_errors(project: Path, capsys) -> None:
    assert main(["check", "src", "--baseline", "missing.json"]) == 2
    assert "baseline missing.json does not exist" in capsys.readouterr().err
    assert main(["check", "src", "--write-baseline"]) == 2
    assert "--write-baseline needs --baseline FILE" in capsys.readouterr().err
    (project / "bad.json").write_text('{"version": 1, "findings": [{"path": 3}]}')
    assert main(["check", "src", "--baseline", "bad.json"]) == 2
    assert "malformed entry" in capsys.readouterr().err
    (project / "bad.json").write_text("[1, 2")
    assert main(["check", "src", "--baseline", "bad.json"]) == 2
    assert "not valid JSON" in capsys.readouterr().err
